//! Facet counts: how many filtered points have each value of an indexed key.
//!
//! As in Qdrant the key needs an index that answers value lookups (keyword, integer with
//! `lookup`, bool, uuid); only values that index holds are counted, each distinct value once per
//! point; hits are ordered by count descending, then by value.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::engine::collection::Collection;
use crate::engine::payload_index::indexed_values;
use crate::error::{Error, Result};
use crate::model::facet::{FacetHit, FacetQuery, FacetResponse, FacetValue};

/// Qdrant's refusal of a facet key without a lookup index.
pub fn missing_facet_index(key: &str) -> Error {
    Error::BadInput(format!(
        "No appropriate index for faceting: `{key}`. Please create one to facet on this field. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Match conditions"
    ))
}

/// A value the index holds as the facet value it is reported as (UUIDs hyphenated lowercase).
fn facet_value(value: &Value) -> Option<FacetValue> {
    match value {
        Value::String(s) => Some(FacetValue::String(match uuid::Uuid::parse_str(s) {
            Ok(u) => u.to_string(),
            Err(_) => s.clone(),
        })),
        Value::Bool(b) => Some(FacetValue::Bool(*b)),
        Value::Number(n) => n.as_i64().map(FacetValue::Integer),
        _ => None,
    }
}

impl Collection {
    pub fn facet(&self, query: &FacetQuery) -> Result<FacetResponse> {
        let state = self.state.read();
        let data_type = match state.field_index(&query.key) {
            Some(schema) if schema.supports_lookup() => schema.data_type(),
            _ => return Err(missing_facet_index(&query.key.to_string())),
        };
        let points = &state.points;
        let mut counts: HashMap<FacetValue, u64> = HashMap::new();
        for (_, offset) in state.matching_points(query.filter.as_ref()) {
            let distinct: HashSet<FacetValue> =
                indexed_values(points.payload(offset), &query.key, data_type)
                    .filter_map(facet_value)
                    .collect();
            for value in distinct {
                *counts.entry(value).or_default() += 1;
            }
        }
        let mut hits: Vec<FacetHit> = counts
            .into_iter()
            .map(|(value, count)| FacetHit { value, count })
            .collect();
        hits.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        hits.truncate(query.limit);
        Ok(FacetResponse { hits })
    }
}
