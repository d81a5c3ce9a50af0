//! The universal query as the engine executes it: a tree of stages, each with its own query,
//! filter, vector name, limit and score threshold, whose leaves read the collection and whose
//! inner stages rescore or fuse what their prefetches found.
//!
//! [`parse_stage`] turns the REST JSON of `/points/query` (and of each `prefetch`) into a
//! [`Stage`]; the legacy endpoints (`/points/recommend`, `/points/discover`, search groups) build
//! stages directly. Shape errors are found here; what needs the collection (vector names,
//! dimensions, point ids) is checked by the engine.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::PointId;
use crate::model::filter::Filter;
use crate::model::formula::Formula;
use crate::model::order_by::{OrderBy, OrderByInterface};
use crate::model::query::SearchParams;
use crate::model::vectors::Vector;

/// A vector given inline or by the id of a point whose vector is used.
#[derive(Clone, Debug, PartialEq)]
pub enum VectorRef {
    Vector(Vector),
    Point(PointId),
}

/// How recommend combines its examples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecommendStrategy {
    /// Search near `avg(positive) + (avg(positive) - avg(negative))`.
    #[default]
    AverageVector,
    /// Score each point by its best positive or (if closer) best negative example.
    BestScore,
    /// Score each point by the sum of positive minus the sum of negative similarities.
    SumScores,
}

impl RecommendStrategy {
    pub fn parse(text: &str) -> Result<RecommendStrategy> {
        match text {
            "average_vector" => Ok(RecommendStrategy::AverageVector),
            "best_score" => Ok(RecommendStrategy::BestScore),
            "sum_scores" => Ok(RecommendStrategy::SumScores),
            other => Err(Error::Format(format!(
                "unknown variant `{other}`, expected one of `average_vector`, `best_score`, `sum_scores`"
            ))),
        }
    }
}

/// One pair of a discover or context query.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextPair {
    pub positive: VectorRef,
    pub negative: VectorRef,
}

/// How an inner stage combines its prefetches' results.
#[derive(Clone, Debug, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: Σ weight-scaled `1 / (rank + k)`.
    Rrf { k: usize, weights: Option<Vec<f32>> },
    /// Distribution-based score fusion: scores normalised by mean ± 3σ, then summed.
    Dbsf,
}

/// Qdrant's default RRF constant.
pub const DEFAULT_RRF_K: usize = 2;

/// What a stage ranks by.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryKind {
    Nearest(VectorRef),
    Recommend {
        positive: Vec<VectorRef>,
        negative: Vec<VectorRef>,
        strategy: RecommendStrategy,
    },
    Discover {
        target: VectorRef,
        context: Vec<ContextPair>,
    },
    Context(Vec<ContextPair>),
    OrderBy(OrderBy),
    Fusion(Fusion),
    /// Rescores the prefetches' points by an expression.
    Formula(Formula),
    Sample,
}

/// Where example vectors given by id are read from, when not from the queried collection.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupFrom {
    pub collection: String,
    pub vector: Option<String>,
}

/// One stage of a universal query.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    pub prefetch: Vec<Stage>,
    /// `None`: points in id order (over the prefetch results, if any).
    pub query: Option<QueryKind>,
    /// The vector name (`""` = the unnamed vector).
    pub using: String,
    pub filter: Option<Filter>,
    pub params: SearchParams,
    pub score_threshold: Option<f32>,
    pub limit: usize,
    pub lookup_from: Option<LookupFrom>,
}

impl Stage {
    /// A stage with a query and defaults elsewhere.
    pub fn new(query: Option<QueryKind>, limit: usize) -> Stage {
        Stage {
            prefetch: Vec::new(),
            query,
            using: String::new(),
            filter: None,
            params: SearchParams::default(),
            score_threshold: None,
            limit,
            lookup_from: None,
        }
    }

    /// How deep the prefetch tree goes below this stage.
    pub fn depth(&self) -> usize {
        self.prefetch
            .iter()
            .map(|p| 1 + p.depth())
            .max()
            .unwrap_or(0)
    }
}

/// The default `limit` of a query or prefetch.
pub const DEFAULT_LIMIT: usize = 10;

fn join(base: &str, field: &str) -> String {
    if base.is_empty() {
        field.to_string()
    } else {
        format!("{base}.{field}")
    }
}

fn format_error(message: impl Into<String>) -> Error {
    Error::Format(message.into())
}

fn optional(map: &Map<String, Value>, key: &str) -> Option<Value> {
    map.get(key).filter(|v| !v.is_null()).cloned()
}

/// Parses one stage object: one `prefetch` entry (the body of `/points/query` comes through
/// [`build_stage`] with its fields already typed).
pub fn parse_stage(map: &Map<String, Value>, path: &str) -> Result<Stage> {
    let limit = match optional(map, "limit") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    format_error(format!(
                        "{}: expected an unsigned integer",
                        join(path, "limit")
                    ))
                })?,
        ),
    };
    let filter = match optional(map, "filter") {
        None => None,
        Some(v) => Some(serde_json::from_value(v).map_err(|e| format_error(e.to_string()))?),
    };
    let params = match optional(map, "params") {
        None => None,
        Some(v) => Some(serde_json::from_value(v).map_err(|e| format_error(e.to_string()))?),
    };
    let score_threshold = match optional(map, "score_threshold") {
        None => None,
        Some(v) => Some(v.as_f64().ok_or_else(|| {
            format_error(format!(
                "{}: expected a number",
                join(path, "score_threshold")
            ))
        })? as f32),
    };
    let using = match optional(map, "using") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(format_error(format!(
                "{}: expected a string",
                join(path, "using")
            )));
        }
    };
    build_stage(
        StageParts {
            prefetch: optional(map, "prefetch"),
            query: optional(map, "query"),
            using,
            filter,
            params,
            score_threshold,
            limit,
            lookup_from: optional(map, "lookup_from"),
        },
        path,
    )
}

/// The fields of a stage as a request carries them.
#[derive(Default)]
pub struct StageParts {
    pub prefetch: Option<Value>,
    pub query: Option<Value>,
    pub using: Option<String>,
    pub filter: Option<Filter>,
    pub params: Option<SearchParams>,
    pub score_threshold: Option<f32>,
    pub limit: Option<usize>,
    pub lookup_from: Option<Value>,
}

/// Checks and assembles one stage; `path` prefixes error locations.
pub fn build_stage(parts: StageParts, path: &str) -> Result<Stage> {
    let limit = parts.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(Error::validation(
            &join(path, "limit"),
            "value 0 invalid, must be 1 or larger",
        ));
    }
    let prefetch = match parts.prefetch.filter(|p| !p.is_null()) {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_prefetch(item, &format!("{}[{i}]", join(path, "prefetch"))))
            .collect::<Result<Vec<_>>>()?,
        Some(item) => vec![parse_prefetch(&item, &join(path, "prefetch"))?],
    };
    if let Some(f) = &parts.filter {
        f.validate()?;
    }
    let lookup_from = match parts.lookup_from.filter(|l| !l.is_null()) {
        None => None,
        Some(Value::Object(l)) => {
            let collection = match l.get("collection") {
                Some(Value::String(c)) => c.clone(),
                _ => {
                    return Err(format_error(format!(
                        "{}: missing field `collection`",
                        join(path, "lookup_from")
                    )));
                }
            };
            let vector = match optional(&l, "vector") {
                None => None,
                Some(Value::String(v)) => Some(v),
                Some(_) => {
                    return Err(format_error(format!(
                        "{}: expected a string",
                        join(path, "lookup_from.vector")
                    )));
                }
            };
            Some(LookupFrom { collection, vector })
        }
        Some(_) => {
            return Err(format_error(format!(
                "{}: expected an object",
                join(path, "lookup_from")
            )));
        }
    };
    let query = match parts.query.filter(|q| !q.is_null()) {
        None => None,
        Some(q) => Some(parse_query(q, &join(path, "query"))?),
    };
    if query.is_none() && !prefetch.is_empty() {
        return Err(Error::BadRequest(
            "A query is needed to merge the prefetches. Can't have prefetches without defining a query.".into(),
        ));
    }
    if query.is_none() && parts.score_threshold.is_some() {
        return Err(Error::BadRequest(
            "A query is needed to use the score_threshold. Can't have score_threshold without defining a query.".into(),
        ));
    }
    match &query {
        Some(QueryKind::Fusion(_)) if prefetch.is_empty() => {
            return Err(Error::BadRequest(
                "Fusion queries need prefetches: add at least one prefetch to fuse".into(),
            ));
        }
        Some(QueryKind::Formula(_)) if prefetch.is_empty() => {
            return Err(Error::BadRequest(
                "Formula queries need prefetches: add at least one prefetch to rescore".into(),
            ));
        }
        Some(QueryKind::Fusion(_)) if parts.using.as_deref().is_some_and(|u| !u.is_empty()) => {
            return Err(Error::BadRequest(
                "Fusion queries fuse their prefetches' results: `using` cannot be set with them"
                    .into(),
            ));
        }
        Some(QueryKind::Fusion(Fusion::Rrf {
            weights: Some(w), ..
        })) if w.len() != prefetch.len() => {
            return Err(Error::BadRequest(format!(
                "RRF weights must match the number of prefetches: {} weights for {} prefetches",
                w.len(),
                prefetch.len()
            )));
        }
        _ => {}
    }
    Ok(Stage {
        prefetch,
        query,
        using: parts.using.unwrap_or_default(),
        filter: parts.filter,
        params: parts.params.unwrap_or_default(),
        score_threshold: parts.score_threshold,
        limit,
        lookup_from,
    })
}

fn parse_prefetch(value: &Value, path: &str) -> Result<Stage> {
    match value {
        Value::Object(map) => parse_stage(map, path),
        _ => Err(format_error(format!(
            "{path}: a prefetch must be an object"
        ))),
    }
}

fn unsupported(variant: &str) -> Error {
    Error::BadRequest(format!(
        "query variant `{variant}` is not supported by Quiver yet"
    ))
}

/// Interprets a `query` value: a vector or point id (nearest), or one query object.
pub fn parse_query(q: Value, path: &str) -> Result<QueryKind> {
    match q {
        Value::Number(_) | Value::String(_) | Value::Array(_) => {
            Ok(QueryKind::Nearest(parse_vector_ref(q, path)?))
        }
        Value::Object(mut map) => {
            if map.contains_key("indices") && map.contains_key("values") {
                return Ok(QueryKind::Nearest(parse_vector_ref(
                    Value::Object(map),
                    path,
                )?));
            }
            if map.contains_key("formula") {
                return Ok(QueryKind::Formula(Formula::parse(map, path)?));
            }
            if map.len() > 2 || (map.len() == 2 && !map.contains_key("mmr")) {
                return Err(format_error(format!(
                    "{path}: a query object has exactly one variant, got {}",
                    map.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            if let Some(nearest) = map.remove("nearest") {
                if map.get("mmr").is_some_and(|m| !m.is_null()) {
                    return Err(unsupported("nearest with mmr"));
                }
                return Ok(QueryKind::Nearest(parse_vector_ref(
                    nearest,
                    &join(path, "nearest"),
                )?));
            }
            let Some((variant, body)) = map.into_iter().next() else {
                return Err(format_error(
                    "query must be a vector, a point id or a query object",
                ));
            };
            let at = join(path, &variant);
            match variant.as_str() {
                "recommend" => parse_recommend(body, &at),
                "discover" => {
                    let Value::Object(mut d) = body else {
                        return Err(format_error(format!("{at}: expected an object")));
                    };
                    let target = d
                        .remove("target")
                        .filter(|t| !t.is_null())
                        .ok_or_else(|| format_error(format!("{at}: missing field `target`")))?;
                    let context = parse_context(
                        d.remove("context").unwrap_or(Value::Null),
                        &join(&at, "context"),
                    )?;
                    Ok(QueryKind::Discover {
                        target: parse_vector_ref(target, &join(&at, "target"))?,
                        context,
                    })
                }
                "context" => Ok(QueryKind::Context(parse_context(body, &at)?)),
                "order_by" => {
                    let o: OrderByInterface = serde_json::from_value(body)
                        .map_err(|e| format_error(format!("{at}: {e}")))?;
                    Ok(QueryKind::OrderBy(o.resolve()?))
                }
                "fusion" => match body.as_str() {
                    Some("rrf") => Ok(QueryKind::Fusion(Fusion::Rrf {
                        k: DEFAULT_RRF_K,
                        weights: None,
                    })),
                    Some("dbsf") => Ok(QueryKind::Fusion(Fusion::Dbsf)),
                    _ => Err(format_error(format!(
                        "{at}: unknown fusion, expected `rrf` or `dbsf`"
                    ))),
                },
                "rrf" => {
                    let Value::Object(r) = body else {
                        return Err(format_error(format!("{at}: expected an object")));
                    };
                    let k = match optional(&r, "k") {
                        None => DEFAULT_RRF_K,
                        Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
                            Some(k) if k >= 1 => k,
                            _ => {
                                return Err(Error::validation(
                                    &join(&at, "k"),
                                    "value invalid, must be 1 or larger",
                                ));
                            }
                        },
                    };
                    let weights = match optional(&r, "weights") {
                        None => None,
                        Some(w) => Some(
                            serde_json::from_value::<Vec<f32>>(w)
                                .map_err(|e| format_error(format!("{at}.weights: {e}")))?,
                        ),
                    };
                    Ok(QueryKind::Fusion(Fusion::Rrf { k, weights }))
                }
                "sample" => match body.as_str() {
                    Some("random") => Ok(QueryKind::Sample),
                    _ => Err(format_error(format!(
                        "{at}: unknown sample, expected `random`"
                    ))),
                },
                "relevance_feedback" => Err(unsupported("relevance_feedback")),
                "text" => Err(unsupported("text")),
                other => Err(format_error(format!(
                    "{path}: unknown query variant `{other}`"
                ))),
            }
        }
        Value::Bool(_) | Value::Null => Err(format_error(
            "query must be a vector, a point id or a query object",
        )),
    }
}

fn parse_recommend(body: Value, at: &str) -> Result<QueryKind> {
    let Value::Object(mut r) = body else {
        return Err(format_error(format!("{at}: expected an object")));
    };
    let list = |value: Option<Value>, field: &str| -> Result<Vec<VectorRef>> {
        match value {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| parse_vector_ref(v, &format!("{}[{i}]", join(at, field))))
                .collect(),
            Some(_) => Err(format_error(format!(
                "{}: expected a list of examples",
                join(at, field)
            ))),
        }
    };
    let positive = list(r.remove("positive"), "positive")?;
    let negative = list(r.remove("negative"), "negative")?;
    let strategy = match r.remove("strategy") {
        None | Some(Value::Null) => RecommendStrategy::default(),
        Some(Value::String(s)) => RecommendStrategy::parse(&s)?,
        Some(_) => return Err(format_error(format!("{at}.strategy: expected a string"))),
    };
    recommend(positive, negative, strategy)
}

/// A recommend query, checked as Qdrant checks the examples.
pub fn recommend(
    positive: Vec<VectorRef>,
    negative: Vec<VectorRef>,
    strategy: RecommendStrategy,
) -> Result<QueryKind> {
    match strategy {
        RecommendStrategy::AverageVector if positive.is_empty() => Err(Error::BadRequest(
            "At least one positive vector ID required with this strategy".into(),
        )),
        _ if positive.is_empty() && negative.is_empty() => Err(Error::BadRequest(
            "At least one positive or negative example is required".into(),
        )),
        _ => Ok(QueryKind::Recommend {
            positive,
            negative,
            strategy,
        }),
    }
}

/// `context`: one pair, a list of pairs, or null (no pairs).
pub fn parse_context(value: Value, at: &str) -> Result<Vec<ContextPair>> {
    let pair = |v: Value, at: &str| -> Result<ContextPair> {
        let Value::Object(mut p) = v else {
            return Err(format_error(format!(
                "{at}: a context pair must be an object"
            )));
        };
        let mut side = |name: &str| -> Result<VectorRef> {
            let v = p
                .remove(name)
                .filter(|v| !v.is_null())
                .ok_or_else(|| format_error(format!("{at}: missing field `{name}`")))?;
            parse_vector_ref(v, &join(at, name))
        };
        Ok(ContextPair {
            positive: side("positive")?,
            negative: side("negative")?,
        })
    };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| pair(v, &format!("{at}[{i}]")))
            .collect(),
        other => Ok(vec![pair(other, at)?]),
    }
}

/// A vector or a point id.
pub fn parse_vector_ref(value: Value, path: &str) -> Result<VectorRef> {
    match value {
        Value::Number(_) | Value::String(_) => serde_json::from_value(value)
            .map(VectorRef::Point)
            .map_err(|e| format_error(e.to_string())),
        other => {
            let input: Vector = serde_json::from_value(other).map_err(|_| {
                format_error("data did not match any variant of untagged enum VectorInput")
            })?;
            input.validate(path)?;
            Ok(VectorRef::Vector(input))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stage(v: Value) -> Result<Stage> {
        parse_stage(v.as_object().unwrap(), "")
    }

    #[test]
    fn nested_prefetch_with_fusion_parses() {
        let s = stage(json!({
            "prefetch": [
                { "query": [1.0, 0.0], "limit": 5, "prefetch": { "query": 7 } },
                { "query": { "recommend": { "positive": [1], "strategy": "best_score" } } }
            ],
            "query": { "fusion": "rrf" },
            "limit": 3
        }))
        .unwrap();
        assert_eq!(s.prefetch.len(), 2);
        assert_eq!(s.depth(), 2);
        assert_eq!(s.prefetch[0].limit, 5);
        assert_eq!(
            s.query,
            Some(QueryKind::Fusion(Fusion::Rrf {
                k: 2,
                weights: None
            }))
        );
    }

    #[test]
    fn fusion_without_prefetch_is_refused() {
        assert!(stage(json!({ "query": { "fusion": "dbsf" } })).is_err());
    }

    #[test]
    fn rrf_weights_must_match_prefetches() {
        let e = stage(json!({
            "prefetch": [{ "query": [1.0] }],
            "query": { "rrf": { "weights": [1.0, 2.0] } }
        }))
        .unwrap_err();
        assert!(e.to_string().contains("weights"), "{e}");
    }

    #[test]
    fn average_vector_needs_a_positive_example() {
        let e = stage(json!({ "query": { "recommend": { "negative": [1] } } })).unwrap_err();
        assert!(e.to_string().contains("positive"), "{e}");
        assert!(
            stage(
                json!({ "query": { "recommend": { "negative": [1], "strategy": "best_score" } } })
            )
            .is_ok()
        );
    }

    #[test]
    fn context_takes_one_pair_or_a_list() {
        let one = parse_context(json!({ "positive": 1, "negative": 2 }), "c").unwrap();
        let many = parse_context(json!([{ "positive": 1, "negative": 2 }]), "c").unwrap();
        assert_eq!(one, many);
        assert!(parse_context(Value::Null, "c").unwrap().is_empty());
    }
}
