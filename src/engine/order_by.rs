//! Ordering points by a payload value, for scroll's `order_by` and the universal query's
//! `{"order_by": …}`.
//!
//! The rules are Qdrant's: the key must have an index that answers ranges (integer with
//! `range`, float, datetime); each value the index holds is one entry, so a point with several
//! values appears once per distinct value; points without one are skipped; equal values are
//! ordered by point id in the same direction; `start_from` is inclusive.

use std::cmp::Ordering;

use crate::engine::collection::State;
use crate::engine::payload_index::indexed_values;
use crate::error::{Error, Result};
use crate::model::order_by::{Direction, OrderBy, OrderValue};
use crate::model::payload_index::PayloadSchemaType;

/// Qdrant's refusal of an `order_by` key without a range index.
pub fn missing_range_index(key: &str) -> Error {
    Error::BadInput(format!(
        "No range index for `order_by` key: `{key}`. Please create one to use `order_by`. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions"
    ))
}

/// The first `limit` entries of the collection in `order_by` order, as (offset, order value)
/// pairs, considering only live offsets that `accept` admits (the caller's filter).
///
/// Fails, before looking at any point, when the key has no range-capable index.
pub(crate) fn order_points(
    state: &State,
    order_by: &OrderBy,
    accept: &dyn Fn(u32) -> bool,
    limit: usize,
) -> Result<Vec<(u32, OrderValue)>> {
    let data_type = match state.field_index(&order_by.key) {
        Some(schema) if schema.supports_range() => schema.data_type(),
        _ => return Err(missing_range_index(&order_by.key.to_string())),
    };
    let points = &state.points;
    let in_direction = |ordering: Ordering| match order_by.direction {
        Direction::Asc => ordering,
        Direction::Desc => ordering.reverse(),
    };
    let mut entries: Vec<(OrderValue, u32)> = Vec::new();
    for (_, offset) in points.iter_from(None) {
        if !accept(offset) {
            continue;
        }
        for value in indexed_values(points.payload(offset), &order_by.key, data_type) {
            let Some(v) = OrderValue::of(value) else {
                continue;
            };
            // A float index reports every value as a float, as Qdrant's does.
            let v = match (data_type, v) {
                (PayloadSchemaType::Float, OrderValue::Int(i)) => OrderValue::Float(i as f64),
                (_, v) => v,
            };
            let before_start = order_by
                .start_from
                .is_some_and(|start| in_direction(v.total_cmp(&start)) == Ordering::Less);
            if !before_start {
                entries.push((v, offset));
            }
        }
    }
    entries.sort_by(|(va, oa), (vb, ob)| {
        in_direction(
            va.total_cmp(vb)
                .then_with(|| points.id(*oa).cmp(&points.id(*ob))),
        )
    });
    entries.dedup_by(|(va, oa), (vb, ob)| oa == ob && va.total_cmp(vb) == Ordering::Equal);
    entries.truncate(limit);
    Ok(entries
        .into_iter()
        .map(|(value, offset)| (offset, value))
        .collect())
}
