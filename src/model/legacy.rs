//! The endpoints that predate the universal query — `/points/recommend`, `/points/discover`
//! (each with `/batch`) — and the groups variants (`/points/search/groups`,
//! `/points/recommend/groups`, `/points/query/groups`). Each body converts into a
//! [`UniversalQuery`] (plus grouping for the groups variants), so the one executor serves them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::filter::Filter;
use crate::model::json_path::JsonPath;
use crate::model::query::{
    NamedVectorStruct, PayloadSelection, QueryRequest, SearchParams, UniversalQuery,
    VectorSelection, WithPayloadInterface, WithVector,
};
use crate::model::results::{Record, ScoredPoint};
use crate::model::universal::{
    LookupFrom, QueryKind, RecommendStrategy, Stage, VectorRef, parse_context, parse_vector_ref,
    recommend,
};
use crate::model::vectors::DEFAULT_VECTOR;

/// `lookup_from` of the legacy bodies.
#[derive(Clone, Debug, Deserialize)]
pub struct LookupLocation {
    pub collection: String,
    #[serde(default)]
    pub vector: Option<String>,
}

impl From<LookupLocation> for LookupFrom {
    fn from(l: LookupLocation) -> LookupFrom {
        LookupFrom {
            collection: l.collection,
            vector: l.vector,
        }
    }
}

fn check_positive(path: &str, field: &str, n: usize) -> Result<()> {
    if n == 0 {
        let at = if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return Err(Error::validation(
            &at,
            "value 0 invalid, must be 1 or larger",
        ));
    }
    Ok(())
}

fn examples(values: Vec<Value>, at: &str) -> Result<Vec<VectorRef>> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_vector_ref(v, &format!("{at}[{i}]")))
        .collect()
}

fn root(
    stage: Stage,
    offset: Option<usize>,
    with_payload: Option<WithPayloadInterface>,
    with_vector: Option<WithVector>,
) -> UniversalQuery {
    UniversalQuery {
        root: stage,
        offset: offset.unwrap_or(0),
        with_payload: PayloadSelection::from_interface(with_payload, PayloadSelection::None),
        with_vector: VectorSelection::from_option(with_vector),
    }
}

/// Body of `POST /points/recommend`.
#[derive(Clone, Debug, Deserialize)]
pub struct RecommendRequest {
    #[serde(default)]
    pub positive: Vec<Value>,
    #[serde(default)]
    pub negative: Vec<Value>,
    #[serde(default)]
    pub strategy: Option<String>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub params: Option<SearchParams>,
    pub limit: usize,
    #[serde(default)]
    pub offset: Option<usize>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    #[serde(default)]
    pub score_threshold: Option<f32>,
    #[serde(default)]
    pub using: Option<String>,
    #[serde(default)]
    pub lookup_from: Option<LookupLocation>,
}

impl RecommendRequest {
    fn stage(self, path: &str) -> Result<(Stage, RecommendExtras)> {
        check_positive(path, "limit", self.limit)?;
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        let strategy = match &self.strategy {
            None => RecommendStrategy::default(),
            Some(s) => RecommendStrategy::parse(s)?,
        };
        let query = recommend(
            examples(self.positive, "positive")?,
            examples(self.negative, "negative")?,
            strategy,
        )?;
        let stage = Stage {
            prefetch: Vec::new(),
            query: Some(query),
            using: self.using.unwrap_or_else(|| DEFAULT_VECTOR.to_string()),
            filter: self.filter,
            params: self.params.unwrap_or_default(),
            score_threshold: self.score_threshold,
            limit: self.limit,
            lookup_from: self.lookup_from.map(Into::into),
        };
        Ok((
            stage,
            RecommendExtras {
                offset: self.offset,
                with_payload: self.with_payload,
                with_vector: self.with_vector,
            },
        ))
    }

    pub fn into_query(self, path: &str) -> Result<UniversalQuery> {
        let (stage, extras) = self.stage(path)?;
        Ok(root(
            stage,
            extras.offset,
            extras.with_payload,
            extras.with_vector,
        ))
    }
}

struct RecommendExtras {
    offset: Option<usize>,
    with_payload: Option<WithPayloadInterface>,
    with_vector: Option<WithVector>,
}

/// Body of `POST /points/recommend/batch` (and the discover twin).
#[derive(Clone, Debug, Deserialize)]
pub struct Batch<T> {
    pub searches: Vec<T>,
}

/// Body of `POST /points/discover`.
#[derive(Clone, Debug, Deserialize)]
pub struct DiscoverRequest {
    #[serde(default)]
    pub target: Option<Value>,
    #[serde(default)]
    pub context: Option<Value>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub params: Option<SearchParams>,
    pub limit: usize,
    #[serde(default)]
    pub offset: Option<usize>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    #[serde(default)]
    pub using: Option<String>,
    #[serde(default)]
    pub lookup_from: Option<LookupLocation>,
}

impl DiscoverRequest {
    pub fn into_query(self, path: &str) -> Result<UniversalQuery> {
        check_positive(path, "limit", self.limit)?;
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        let context = parse_context(self.context.unwrap_or(Value::Null), "context")?;
        let query = match self.target.filter(|t| !t.is_null()) {
            Some(t) => QueryKind::Discover {
                target: parse_vector_ref(t, "target")?,
                context,
            },
            None if context.is_empty() => {
                return Err(Error::BadRequest(
                    "Discover needs a target, context pairs, or both".into(),
                ));
            }
            None => QueryKind::Context(context),
        };
        let stage = Stage {
            prefetch: Vec::new(),
            query: Some(query),
            using: self.using.unwrap_or_else(|| DEFAULT_VECTOR.to_string()),
            filter: self.filter,
            params: self.params.unwrap_or_default(),
            score_threshold: None,
            limit: self.limit,
            lookup_from: self.lookup_from.map(Into::into),
        };
        Ok(root(
            stage,
            self.offset,
            self.with_payload,
            self.with_vector,
        ))
    }
}

/// `with_lookup`: a collection name, or `{collection, with_payload, with_vectors}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum WithLookupInterface {
    Collection(String),
    Full {
        collection: String,
        #[serde(default)]
        with_payload: Option<WithPayloadInterface>,
        #[serde(default, alias = "with_vector")]
        with_vectors: Option<WithVector>,
    },
}

/// Where a group's id is looked up, and what of the found point to return.
#[derive(Clone, Debug)]
pub struct WithLookup {
    pub collection: String,
    pub with_payload: PayloadSelection,
    pub with_vector: VectorSelection,
}

impl From<WithLookupInterface> for WithLookup {
    fn from(w: WithLookupInterface) -> WithLookup {
        match w {
            WithLookupInterface::Collection(collection) => WithLookup {
                collection,
                with_payload: PayloadSelection::All,
                with_vector: VectorSelection::None,
            },
            WithLookupInterface::Full {
                collection,
                with_payload,
                with_vectors,
            } => WithLookup {
                collection,
                with_payload: PayloadSelection::from_interface(with_payload, PayloadSelection::All),
                with_vector: VectorSelection::from_option(with_vectors),
            },
        }
    }
}

/// A grouped query: the ranking query, the payload key to group by, how many groups and how
/// many hits per group.
#[derive(Clone, Debug)]
pub struct GroupsQuery {
    pub query: UniversalQuery,
    pub group_by: JsonPath,
    pub group_size: usize,
    pub limit: usize,
    pub with_lookup: Option<WithLookup>,
}

fn group_by(key: &str) -> Result<JsonPath> {
    JsonPath::parse(key).map_err(|e| Error::BadInput(format!("group_by: {e}")))
}

/// Body of `POST /points/search/groups`.
#[derive(Clone, Debug, Deserialize)]
pub struct SearchGroupsRequest {
    pub vector: NamedVectorStruct,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub params: Option<SearchParams>,
    #[serde(default)]
    pub with_payload: Option<WithPayloadInterface>,
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    #[serde(default)]
    pub score_threshold: Option<f32>,
    pub group_by: String,
    pub group_size: usize,
    pub limit: usize,
    #[serde(default)]
    pub with_lookup: Option<WithLookupInterface>,
}

impl SearchGroupsRequest {
    pub fn into_query(self) -> Result<GroupsQuery> {
        check_positive("", "group_size", self.group_size)?;
        check_positive("", "limit", self.limit)?;
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        let (using, vector) = self.vector.into_named("vector")?;
        let stage = Stage {
            prefetch: Vec::new(),
            query: Some(QueryKind::Nearest(VectorRef::Vector(vector))),
            using,
            filter: self.filter,
            params: self.params.unwrap_or_default(),
            score_threshold: self.score_threshold,
            limit: self.limit,
            lookup_from: None,
        };
        Ok(GroupsQuery {
            query: root(stage, None, self.with_payload, self.with_vector),
            group_by: group_by(&self.group_by)?,
            group_size: self.group_size,
            limit: self.limit,
            with_lookup: self.with_lookup.map(Into::into),
        })
    }
}

/// Body of `POST /points/recommend/groups`.
#[derive(Clone, Debug, Deserialize)]
pub struct RecommendGroupsRequest {
    #[serde(flatten)]
    pub recommend: RecommendRequest,
    pub group_by: String,
    pub group_size: usize,
    #[serde(default)]
    pub with_lookup: Option<WithLookupInterface>,
}

impl RecommendGroupsRequest {
    pub fn into_query(self) -> Result<GroupsQuery> {
        check_positive("", "group_size", self.group_size)?;
        let limit = self.recommend.limit;
        let (stage, extras) = self.recommend.stage("")?;
        Ok(GroupsQuery {
            query: root(stage, None, extras.with_payload, extras.with_vector),
            group_by: group_by(&self.group_by)?,
            group_size: self.group_size,
            limit,
            with_lookup: self.with_lookup.map(Into::into),
        })
    }
}

/// Body of `POST /points/query/groups`.
#[derive(Clone, Debug, Deserialize)]
pub struct QueryGroupsRequest {
    #[serde(flatten)]
    pub query: QueryRequest,
    pub group_by: String,
    #[serde(default)]
    pub group_size: Option<usize>,
    #[serde(default)]
    pub with_lookup: Option<WithLookupInterface>,
}

impl QueryGroupsRequest {
    pub fn into_query(self) -> Result<GroupsQuery> {
        let group_size = self.group_size.unwrap_or(3);
        check_positive("", "group_size", group_size)?;
        let query = self.query.into_query("")?;
        Ok(GroupsQuery {
            limit: query.root.limit,
            query,
            group_by: group_by(&self.group_by)?,
            group_size,
            with_lookup: self.with_lookup.map(Into::into),
        })
    }
}

/// One group of a groups result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PointGroup {
    /// The shared value at `group_by`: a string or an integer.
    pub id: Value,
    pub hits: Vec<ScoredPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup: Option<Record>,
}

/// `{"groups": [...]}`.
#[derive(Clone, Debug, Serialize)]
pub struct GroupsResult {
    pub groups: Vec<PointGroup>,
}
