//! Facet counts: `POST /collections/{c}/facet` — how many points have each value of a key.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::filter::Filter;
use crate::model::json_path::JsonPath;

/// Body of `POST /collections/{c}/facet`.
#[derive(Clone, Debug, Deserialize)]
pub struct FacetRequest {
    pub key: JsonPath,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Accepted; counts here are always exact.
    #[serde(default)]
    pub exact: Option<bool>,
}

/// A facet request with defaults applied and validated.
#[derive(Clone, Debug)]
pub struct FacetQuery {
    pub key: JsonPath,
    pub limit: usize,
    pub filter: Option<Filter>,
}

impl FacetRequest {
    pub fn into_query(self) -> Result<FacetQuery> {
        let limit = self.limit.unwrap_or(10);
        if limit == 0 {
            return Err(Error::validation(
                "limit",
                "value 0 invalid, must be 1 or larger",
            ));
        }
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        Ok(FacetQuery {
            key: self.key,
            limit,
            filter: self.filter,
        })
    }
}

/// One counted value. The derived order (strings, then integers, then bools, each ascending)
/// only matters within one type: one index never mixes them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum FacetValue {
    String(String),
    Integer(i64),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FacetHit {
    pub value: FacetValue,
    pub count: u64,
}

/// `{"hits": [...]}`, count descending, then value ascending.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FacetResponse {
    pub hits: Vec<FacetHit>,
}
