//! Read requests: retrieve, scroll, count, search and the universal query, plus the payload and
//! vector selectors they share.
//!
//! Each REST body type converts into an engine-facing request ([`UniversalQuery`], [`ScrollQuery`],
//! …) with defaults applied and shape-only validation done, so the engine never sees the JSON
//! quirks (aliases like `top`, `with_vector` vs `with_vectors`, `null` for absent).

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::filter::Filter;
use crate::model::json_path::{self, JsonPath};
use crate::model::order_by::{OrderBy, OrderByInterface};
use crate::model::universal::{QueryKind, Stage, StageParts, VectorRef, build_stage};
use crate::model::vectors::{DEFAULT_VECTOR, Vector};
use crate::model::{Payload, PointId};

/// Which payload keys a read returns.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum WithPayloadInterface {
    Bool(bool),
    Fields(Vec<JsonPath>),
    Selector(PayloadSelector),
}

/// `{"include": [...]}` or `{"exclude": [...]}`; unknown keys are an error, as in Qdrant.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PayloadSelector {
    Include(Vec<JsonPath>),
    Exclude(Vec<JsonPath>),
}

/// The resolved payload selection of a read.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PayloadSelection {
    #[default]
    None,
    All,
    Include(Vec<JsonPath>),
    Exclude(Vec<JsonPath>),
}

impl PayloadSelection {
    pub(crate) fn from_interface(
        w: Option<WithPayloadInterface>,
        default: PayloadSelection,
    ) -> Self {
        match w {
            None => default,
            Some(WithPayloadInterface::Bool(true)) => PayloadSelection::All,
            Some(WithPayloadInterface::Bool(false)) => PayloadSelection::None,
            Some(WithPayloadInterface::Fields(f))
            | Some(WithPayloadInterface::Selector(PayloadSelector::Include(f))) => {
                PayloadSelection::Include(f)
            }
            Some(WithPayloadInterface::Selector(PayloadSelector::Exclude(f))) => {
                PayloadSelection::Exclude(f)
            }
        }
    }

    /// The payload to return for one point, or `None` when payload is not requested.
    pub fn apply(&self, payload: &Payload) -> Option<Payload> {
        match self {
            PayloadSelection::None => None,
            PayloadSelection::All => Some(payload.clone()),
            PayloadSelection::Include(paths) => Some(json_path::select_include(payload, paths)),
            PayloadSelection::Exclude(paths) => Some(json_path::select_exclude(payload, paths)),
        }
    }
}

/// Which vectors a read returns: all, none, or the listed names.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum WithVector {
    Bool(bool),
    Names(Vec<String>),
}

/// The resolved vector selection of a read.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum VectorSelection {
    #[default]
    None,
    All,
    Names(Vec<String>),
}

impl VectorSelection {
    pub(crate) fn from_option(w: Option<WithVector>) -> Self {
        match w {
            None | Some(WithVector::Bool(false)) => VectorSelection::None,
            Some(WithVector::Bool(true)) => VectorSelection::All,
            Some(WithVector::Names(n)) => VectorSelection::Names(n),
        }
    }

    pub fn wants(&self, name: &str) -> bool {
        match self {
            VectorSelection::None => false,
            VectorSelection::All => true,
            VectorSelection::Names(n) => n.iter().any(|x| x == name),
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, VectorSelection::None)
    }
}

/// Search knobs: `exact` skips graphs and quantized codes, `hnsw_ef` sets a graph walk's beam,
/// `indexed_only` skips points not yet in a graph, `quantization` steers quantized search.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub hnsw_ef: Option<usize>,
    #[serde(default)]
    pub exact: Option<bool>,
    #[serde(default)]
    pub indexed_only: Option<bool>,
    #[serde(default)]
    pub quantization: Option<QuantizationSearchParams>,
    #[serde(default)]
    pub acorn: Option<Value>,
}

/// `params.quantization`: Qdrant's knobs for searching a vector that has quantized codes.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct QuantizationSearchParams {
    /// Search the original vectors only.
    #[serde(default, deserialize_with = "null_as_false")]
    pub ignore: bool,
    /// Rescore the candidates the codes found with the original vectors (default: yes).
    #[serde(default)]
    pub rescore: Option<bool>,
    /// How many candidates the codes preselect, as a multiple of the limit (at least 1).
    #[serde(default)]
    pub oversampling: Option<f64>,
}

fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

impl SearchParams {
    /// Checks the values Qdrant's schema bounds; `path` names `params` in messages.
    pub fn validate(&self, path: &str) -> Result<()> {
        if let Some(o) = self.quantization.as_ref().and_then(|q| q.oversampling)
            && (o.is_nan() || o < 1.0)
        {
            return Err(Error::validation(
                &format!("{path}.quantization.oversampling"),
                &format!("value {o} invalid, must be 1.0 or larger"),
            ));
        }
        Ok(())
    }
}

fn check_limit(path: &str, limit: usize) -> Result<()> {
    if limit == 0 {
        return Err(Error::validation(
            path,
            "value 0 invalid, must be 1 or larger",
        ));
    }
    Ok(())
}

/// `vector` of the legacy search body: bare or `{"name", "vector"}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum NamedVectorStruct {
    Default(Vec<f32>),
    Named { name: String, vector: Vector },
}

/// Body of `POST /points/search`.
#[derive(Clone, Debug, Deserialize)]
pub struct SearchRequest {
    pub vector: NamedVectorStruct,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub params: Option<SearchParams>,
    #[serde(alias = "top")]
    pub limit: usize,
    #[serde(default)]
    pub offset: Option<usize>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    #[serde(default)]
    pub score_threshold: Option<f32>,
}

impl NamedVectorStruct {
    /// The vector name (`""` = unnamed) and the vector, checked; `path` locates errors.
    pub fn into_named(self, path: &str) -> Result<(String, Vector)> {
        let (using, vector) = match self {
            NamedVectorStruct::Default(v) => (DEFAULT_VECTOR.to_string(), Vector::Dense(v)),
            NamedVectorStruct::Named { name, vector } => (name, vector),
        };
        vector.validate(path)?;
        Ok((using, vector))
    }
}

impl SearchRequest {
    /// The legacy search as a one-stage universal query (nearest to the given vector).
    pub fn into_query(self, path: &str) -> Result<UniversalQuery> {
        check_limit(&join(path, "limit"), self.limit)?;
        let (using, vector) = self.vector.into_named(&join(path, "vector"))?;
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        Ok(UniversalQuery {
            root: Stage {
                prefetch: Vec::new(),
                query: Some(QueryKind::Nearest(VectorRef::Vector(vector))),
                using,
                filter: self.filter,
                params: self.params.unwrap_or_default(),
                score_threshold: self.score_threshold,
                limit: self.limit,
                lookup_from: None,
            },
            offset: self.offset.unwrap_or(0),
            with_payload: PayloadSelection::from_interface(
                self.with_payload,
                PayloadSelection::None,
            ),
            with_vector: VectorSelection::from_option(self.with_vector),
        })
    }
}

fn join(base: &str, field: &str) -> String {
    if base.is_empty() {
        field.to_string()
    } else {
        format!("{base}.{field}")
    }
}

/// Body of `POST /points/search/batch`.
#[derive(Clone, Debug, Deserialize)]
pub struct SearchRequestBatch {
    pub searches: Vec<SearchRequest>,
}

/// Body of `POST /points/query`.
#[derive(Clone, Debug, Deserialize)]
pub struct QueryRequest {
    #[serde(default)]
    pub prefetch: Option<Value>,
    #[serde(default)]
    pub query: Option<Value>,
    #[serde(default)]
    pub using: Option<String>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub params: Option<SearchParams>,
    #[serde(default)]
    pub score_threshold: Option<f32>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: Option<usize>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    #[serde(default)]
    pub lookup_from: Option<Value>,
}

/// A universal query as the engine sees it: the root [`Stage`] (with its prefetch tree) and
/// what only the root has — the offset and the payload and vector selection.
#[derive(Clone, Debug)]
pub struct UniversalQuery {
    pub root: Stage,
    pub offset: usize,
    pub with_payload: PayloadSelection,
    pub with_vector: VectorSelection,
}

impl QueryRequest {
    pub fn into_query(self, path: &str) -> Result<UniversalQuery> {
        let root = build_stage(
            StageParts {
                prefetch: self.prefetch,
                query: self.query,
                using: self.using,
                filter: self.filter,
                params: self.params,
                score_threshold: self.score_threshold,
                limit: self.limit,
                lookup_from: self.lookup_from,
            },
            path,
        )?;
        Ok(UniversalQuery {
            root,
            offset: self.offset.unwrap_or(0),
            with_payload: PayloadSelection::from_interface(
                self.with_payload,
                PayloadSelection::None,
            ),
            with_vector: VectorSelection::from_option(self.with_vector),
        })
    }
}

/// Body of `POST /points/query/batch`.
#[derive(Clone, Debug, Deserialize)]
pub struct QueryRequestBatch {
    pub searches: Vec<QueryRequest>,
}

/// Body of `POST /points/scroll`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScrollRequest {
    #[serde(default)]
    pub offset: Option<PointId>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    #[serde(default)]
    pub order_by: Option<OrderByInterface>,
}

/// A scroll as the engine sees it.
#[derive(Clone, Debug)]
pub struct ScrollQuery {
    pub offset: Option<PointId>,
    pub limit: usize,
    pub filter: Option<Filter>,
    pub with_payload: PayloadSelection,
    pub with_vector: VectorSelection,
    /// Order by a payload value instead of by id (then `offset` is `None`).
    pub order_by: Option<OrderBy>,
}

impl ScrollRequest {
    pub fn into_query(self) -> Result<ScrollQuery> {
        let limit = self.limit.unwrap_or(10);
        check_limit("limit", limit)?;
        let order_by = self.order_by.map(OrderByInterface::resolve).transpose()?;
        if order_by.is_some() && self.offset.is_some() {
            return Err(Error::BadInput(
                "Cannot use an `offset` when using `order_by`. The alternative for paging is to use `order_by.start_from` and a filter to exclude the IDs that you've already seen for the `order_by.start_from` value".into(),
            ));
        }
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        Ok(ScrollQuery {
            offset: self.offset,
            limit,
            filter: self.filter,
            with_payload: PayloadSelection::from_interface(
                self.with_payload,
                PayloadSelection::All,
            ),
            with_vector: VectorSelection::from_option(self.with_vector),
            order_by,
        })
    }
}

/// Body of `POST /points/count`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CountRequest {
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub exact: Option<bool>,
}

/// Body of `POST /points` (retrieve many).
#[derive(Clone, Debug, Deserialize)]
pub struct PointRequest {
    pub ids: Vec<PointId>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
}

/// A retrieve as the engine sees it.
#[derive(Clone, Debug)]
pub struct RetrieveQuery {
    pub ids: Vec<PointId>,
    pub with_payload: PayloadSelection,
    pub with_vector: VectorSelection,
}

impl PointRequest {
    pub fn into_query(self) -> RetrieveQuery {
        RetrieveQuery {
            ids: self.ids,
            // v1.18 treats an omitted selector as false here, whatever the schema text says.
            with_payload: PayloadSelection::from_interface(
                self.with_payload,
                PayloadSelection::None,
            ),
            with_vector: VectorSelection::from_option(self.with_vector),
        }
    }
}

impl RetrieveQuery {
    /// `GET /points/{id}`: payload and vectors.
    pub fn one(id: PointId) -> Self {
        RetrieveQuery {
            ids: vec![id],
            with_payload: PayloadSelection::All,
            with_vector: VectorSelection::All,
        }
    }
}
