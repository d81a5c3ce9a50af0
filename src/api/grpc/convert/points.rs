//! Point messages: write requests become the REST body types, read requests the REST request
//! types; both then take the REST path into the engine.

use serde_json::{Value as Json, json};

use crate::api::grpc::convert::{
    filter, json_map, json_path, opt_filter, point_id, point_ids, timestamp_text, vector_struct,
    with_payload, with_vectors,
};
use crate::api::grpc::proto;
use crate::error::{Error, Result};
use crate::model::operations::{
    DeletePayload, DeleteVectors, PointInsertOperations, PointOperation, PointStruct, PointVectors,
    PointsSelector, SetPayload, UpdateMode, UpdateVectors,
};
use crate::model::order_by::{Direction, OrderByInterface, OrderByStruct, StartFrom};
use crate::model::query::{
    CountRequest, NamedVectorStruct, PointRequest, QuantizationSearchParams, QueryRequest,
    ScrollRequest, SearchParams, SearchRequest,
};
use crate::model::vectors::{SparseVector, Vector};

pub(crate) fn usize_from(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

// ---- writes ---------------------------------------------------------------------------------

/// A proto selector as the REST `{"points": …}` / `{"filter": …}` body.
fn selector(s: Option<proto::PointsSelector>) -> Result<PointsSelector> {
    use proto::points_selector::PointsSelectorOneOf as S;
    Ok(match s.and_then(|s| s.points_selector_one_of) {
        Some(S::Points(list)) => PointsSelector {
            points: Some(point_ids(list.ids)?),
            filter: None,
        },
        Some(S::Filter(f)) => PointsSelector {
            points: None,
            filter: Some(filter(f)?),
        },
        None => PointsSelector {
            points: None,
            filter: None,
        },
    })
}

fn update_mode(mode: Option<i32>) -> Result<Option<UpdateMode>> {
    let Some(mode) = mode else { return Ok(None) };
    Ok(Some(match proto::UpdateMode::try_from(mode) {
        Ok(proto::UpdateMode::Upsert) => UpdateMode::Upsert,
        Ok(proto::UpdateMode::InsertOnly) => UpdateMode::InsertOnly,
        Ok(proto::UpdateMode::UpdateOnly) => UpdateMode::UpdateOnly,
        Err(_) => return Err(Error::InvalidMessage(format!("unknown update_mode {mode}"))),
    }))
}

fn point_structs(points: Vec<proto::PointStruct>) -> Result<Vec<PointStruct>> {
    points
        .into_iter()
        .map(|p| {
            Ok(PointStruct {
                id: point_id(p.id)?,
                vector: vector_struct(p.vectors)?,
                payload: Some(json_map(p.payload)?),
            })
        })
        .collect()
}

fn upsert_op(
    points: Vec<proto::PointStruct>,
    update_filter: Option<proto::Filter>,
    mode: Option<i32>,
) -> Result<PointOperation> {
    PointOperation::upsert(PointInsertOperations {
        points: Some(point_structs(points)?),
        batch: None,
        update_filter: opt_filter(update_filter)?,
        update_mode: update_mode(mode)?,
    })
}

pub fn upsert(r: proto::UpsertPoints) -> Result<PointOperation> {
    upsert_op(r.points, r.update_filter, r.update_mode)
}

pub fn delete(r: proto::DeletePoints) -> Result<PointOperation> {
    PointOperation::delete(selector(r.points)?)
}

fn set_payload_body(
    payload: std::collections::HashMap<String, proto::Value>,
    points_selector: Option<proto::PointsSelector>,
    key: Option<String>,
) -> Result<SetPayload> {
    let s = selector(points_selector)?;
    Ok(SetPayload {
        payload: json_map(payload)?,
        points: s.points,
        filter: s.filter,
        key: key.map(json_path).transpose()?,
    })
}

pub fn set_payload(r: proto::SetPayloadPoints) -> Result<PointOperation> {
    PointOperation::set_payload(set_payload_body(r.payload, r.points_selector, r.key)?)
}

pub fn overwrite_payload(r: proto::SetPayloadPoints) -> Result<PointOperation> {
    PointOperation::overwrite_payload(set_payload_body(r.payload, r.points_selector, r.key)?)
}

fn delete_payload_op(
    keys: Vec<String>,
    points_selector: Option<proto::PointsSelector>,
) -> Result<PointOperation> {
    let s = selector(points_selector)?;
    PointOperation::delete_payload(DeletePayload {
        keys: keys.into_iter().map(json_path).collect::<Result<_>>()?,
        points: s.points,
        filter: s.filter,
    })
}

pub fn delete_payload(r: proto::DeletePayloadPoints) -> Result<PointOperation> {
    delete_payload_op(r.keys, r.points_selector)
}

pub fn clear_payload(r: proto::ClearPayloadPoints) -> Result<PointOperation> {
    PointOperation::clear_payload(selector(r.points)?)
}

fn update_vectors_op(
    points: Vec<proto::PointVectors>,
    update_filter: Option<proto::Filter>,
) -> Result<PointOperation> {
    let points = points
        .into_iter()
        .map(|p| {
            Ok(PointVectors {
                id: point_id(p.id)?,
                vector: vector_struct(p.vectors)?,
            })
        })
        .collect::<Result<_>>()?;
    PointOperation::update_vectors(UpdateVectors {
        points,
        update_filter: opt_filter(update_filter)?,
    })
}

pub fn update_vectors(r: proto::UpdatePointVectors) -> Result<PointOperation> {
    update_vectors_op(r.points, r.update_filter)
}

fn delete_vectors_op(
    points_selector: Option<proto::PointsSelector>,
    vectors: Option<proto::VectorsSelector>,
) -> Result<PointOperation> {
    let s = selector(points_selector)?;
    PointOperation::delete_vectors(DeleteVectors {
        points: s.points,
        filter: s.filter,
        vector: vectors.map(|v| v.names).unwrap_or_default(),
    })
}

pub fn delete_vectors(r: proto::DeletePointVectors) -> Result<PointOperation> {
    delete_vectors_op(r.points_selector, r.vectors)
}

/// One operation of `UpdateBatch`.
pub fn batch_operation(op: proto::PointsUpdateOperation) -> Result<PointOperation> {
    use proto::points_update_operation::Operation as O;
    #[allow(deprecated)]
    match op.operation {
        None => Err(Error::InvalidMessage("Operation is not specified".into())),
        Some(O::Upsert(u)) => upsert_op(u.points, u.update_filter, u.update_mode),
        Some(O::DeleteDeprecated(s)) => PointOperation::delete(selector(Some(s))?),
        Some(O::DeletePoints(d)) => PointOperation::delete(selector(d.points)?),
        Some(O::SetPayload(p)) => {
            PointOperation::set_payload(set_payload_body(p.payload, p.points_selector, p.key)?)
        }
        Some(O::OverwritePayload(p)) => PointOperation::overwrite_payload(set_payload_body(
            p.payload,
            p.points_selector,
            p.key,
        )?),
        Some(O::DeletePayload(d)) => delete_payload_op(d.keys, d.points_selector),
        Some(O::ClearPayloadDeprecated(s)) => PointOperation::clear_payload(selector(Some(s))?),
        Some(O::ClearPayload(c)) => PointOperation::clear_payload(selector(c.points)?),
        Some(O::UpdateVectors(u)) => update_vectors_op(u.points, u.update_filter),
        Some(O::DeleteVectors(d)) => delete_vectors_op(d.points_selector, d.vectors),
    }
}

// ---- reads ----------------------------------------------------------------------------------

pub fn get(r: proto::GetPoints) -> Result<PointRequest> {
    Ok(PointRequest {
        ids: point_ids(r.ids)?,
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
    })
}

pub(crate) fn search_params(p: Option<proto::SearchParams>) -> Option<SearchParams> {
    let p = p?;
    Some(SearchParams {
        hnsw_ef: p.hnsw_ef.map(usize_from),
        exact: p.exact,
        indexed_only: p.indexed_only,
        quantization: p.quantization.map(|q| QuantizationSearchParams {
            ignore: q.ignore.unwrap_or(false),
            rescore: q.rescore,
            oversampling: q.oversampling,
        }),
        acorn: p
            .acorn
            .map(|a| json!({ "enable": a.enable, "max_selectivity": a.max_selectivity })),
    })
}

/// The search vector of `SearchPoints` / `SearchPointGroups`: unnamed, named, or sparse.
pub(crate) fn named_vector(
    vector_name: Option<String>,
    sparse_indices: Option<proto::SparseIndices>,
    vector: Vec<f32>,
) -> NamedVectorStruct {
    match (vector_name, sparse_indices) {
        (name, Some(indices)) => NamedVectorStruct::Named {
            name: name.unwrap_or_default(),
            vector: Vector::Sparse(SparseVector {
                indices: indices.data,
                values: vector,
            }),
        },
        (Some(name), None) if !name.is_empty() => NamedVectorStruct::Named {
            name,
            vector: Vector::Dense(vector),
        },
        _ => NamedVectorStruct::Default(vector),
    }
}

pub fn search(r: proto::SearchPoints) -> Result<SearchRequest> {
    Ok(SearchRequest {
        vector: named_vector(r.vector_name, r.sparse_indices, r.vector),
        filter: opt_filter(r.filter)?,
        params: search_params(r.params),
        limit: usize_from(r.limit),
        offset: r.offset.map(usize_from),
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
        score_threshold: r.score_threshold,
    })
}

pub fn scroll(r: proto::ScrollPoints) -> Result<ScrollRequest> {
    Ok(ScrollRequest {
        offset: r.offset.map(|id| point_id(Some(id))).transpose()?,
        limit: r.limit.map(|l| l as usize),
        filter: opt_filter(r.filter)?,
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
        order_by: r.order_by.map(order_by).transpose()?,
    })
}

/// A proto `OrderBy` as the REST struct form.
pub fn order_by(o: proto::OrderBy) -> Result<OrderByInterface> {
    use proto::start_from::Value as S;
    let direction = match o.direction.map(proto::Direction::try_from) {
        None => None,
        Some(Ok(proto::Direction::Asc)) => Some(Direction::Asc),
        Some(Ok(proto::Direction::Desc)) => Some(Direction::Desc),
        Some(Err(_)) => {
            return Err(Error::InvalidMessage(format!(
                "unknown direction {}",
                o.direction.unwrap_or_default()
            )));
        }
    };
    let start_from = match o.start_from.and_then(|s| s.value) {
        None => None,
        Some(S::Float(f)) => Some(StartFrom::Float(f)),
        Some(S::Integer(i)) => Some(StartFrom::Integer(i)),
        Some(S::Timestamp(ts)) => Some(StartFrom::Datetime(timestamp_text(&ts)?)),
        Some(S::Datetime(text)) => Some(StartFrom::Datetime(text)),
    };
    Ok(OrderByInterface::Struct(OrderByStruct {
        key: json_path(o.key)?,
        direction,
        start_from,
    }))
}

pub fn count(r: proto::CountPoints) -> Result<CountRequest> {
    Ok(CountRequest {
        filter: opt_filter(r.filter)?,
        exact: r.exact,
    })
}

/// The `query` field in its REST JSON form, so the universal query is parsed in one place.
/// A proto query in REST's JSON form, which the model then parses and checks once for both
/// transports.
fn query_json(q: proto::Query) -> Result<Json> {
    use proto::query::Variant as Q;
    let Some(variant) = q.variant else {
        return Ok(Json::Null);
    };
    let vector = |v: Option<proto::VectorInput>, what: &str| -> Result<Json> {
        match v {
            Some(v) => vector_input_json(v),
            None => Err(Error::InvalidMessage(format!("{what} is not specified"))),
        }
    };
    let pairs = |c: Option<proto::ContextInput>| -> Result<Json> {
        let pairs = c.map(|c| c.pairs).unwrap_or_default();
        Ok(Json::Array(
            pairs
                .into_iter()
                .map(|p| {
                    Ok(json!({
                        "positive": vector(p.positive, "ContextInputPair.positive")?,
                        "negative": vector(p.negative, "ContextInputPair.negative")?,
                    }))
                })
                .collect::<Result<Vec<_>>>()?,
        ))
    };
    Ok(match variant {
        Q::Nearest(input) => vector_input_json(input)?,
        Q::NearestWithMmr(n) => json!({
            "nearest": vector(n.nearest, "NearestInputWithMmr.nearest")?,
            "mmr": {},
        }),
        Q::Recommend(r) => {
            let list = |vs: Vec<proto::VectorInput>| -> Result<Json> {
                Ok(Json::Array(
                    vs.into_iter()
                        .map(vector_input_json)
                        .collect::<Result<Vec<_>>>()?,
                ))
            };
            json!({ "recommend": {
                "positive": list(r.positive)?,
                "negative": list(r.negative)?,
                "strategy": r.strategy.map(strategy_name).transpose()?,
            }})
        }
        Q::Discover(d) => json!({ "discover": {
            "target": vector(d.target, "DiscoverInput.target")?,
            "context": pairs(d.context)?,
        }}),
        Q::Context(c) => json!({ "context": pairs(Some(c))? }),
        Q::OrderBy(o) => json!({ "order_by": order_by_json(o)? }),
        Q::Fusion(f) => match proto::Fusion::try_from(f) {
            Ok(proto::Fusion::Rrf) => json!({ "fusion": "rrf" }),
            Ok(proto::Fusion::Dbsf) => json!({ "fusion": "dbsf" }),
            Err(_) => return Err(Error::InvalidMessage(format!("unknown Fusion value {f}"))),
        },
        Q::Rrf(r) => json!({ "rrf": {
            "k": r.k,
            "weights": (!r.weights.is_empty()).then_some(r.weights),
        }}),
        Q::Sample(s) => match proto::Sample::try_from(s) {
            Ok(proto::Sample::Random) => json!({ "sample": "random" }),
            Err(_) => return Err(Error::InvalidMessage(format!("unknown Sample value {s}"))),
        },
        Q::Formula(f) => formula_json(f)?,
        Q::RelevanceFeedback(_) => json!({ "relevance_feedback": {} }),
        Q::Text(_) => json!({ "text": {} }),
    })
}

/// A proto `Formula` as REST's `{"formula": …, "defaults": …}`.
fn formula_json(f: proto::Formula) -> Result<Json> {
    Ok(json!({
        "formula": expression_json(f.expression, "Formula.expression")?,
        "defaults": Json::Object(json_map(f.defaults)?),
    }))
}

/// A proto `Expression` in REST's JSON form; `what` names it when it is missing.
fn expression_json(e: Option<proto::Expression>, what: &str) -> Result<Json> {
    use proto::expression::Variant as E;
    let variant = e
        .and_then(|e| e.variant)
        .ok_or_else(|| Error::InvalidMessage(format!("{what} is not specified")))?;
    let boxed = |e: Box<proto::Expression>, what: &str| expression_json(Some(*e), what);
    let inner =
        |e: Option<Box<proto::Expression>>, what: &str| expression_json(e.map(|e| *e), what);
    let list = |items: Vec<proto::Expression>, what: &str| -> Result<Json> {
        items
            .into_iter()
            .map(|e| expression_json(Some(e), what))
            .collect::<Result<Vec<_>>>()
            .map(Json::Array)
    };
    let decay = |d: Box<proto::DecayParamsExpression>| -> Result<Json> {
        let d = *d;
        Ok(json!({
            "x": inner(d.x, "DecayParamsExpression.x")?,
            "target": d.target.map(|t| boxed(t, "DecayParamsExpression.target")).transpose()?,
            "scale": d.scale,
            "midpoint": d.midpoint,
        }))
    };
    Ok(match variant {
        E::Constant(c) => json!(c),
        E::Variable(v) => json!(v),
        E::Condition(c) => crate::api::grpc::convert::condition_json(c)?,
        E::GeoDistance(g) => json!({ "geo_distance": {
            "origin": crate::api::grpc::convert::geo_point_json(g.origin),
            "to": g.to,
        }}),
        E::Datetime(d) => json!({ "datetime": d }),
        E::DatetimeKey(k) => json!({ "datetime_key": k }),
        E::Mult(m) => json!({ "mult": list(m.mult, "MultExpression.mult")? }),
        E::Sum(s) => json!({ "sum": list(s.sum, "SumExpression.sum")? }),
        E::Max(m) => json!({ "max": list(m.max, "MaxExpression.max")? }),
        E::Min(m) => json!({ "min": list(m.min, "MinExpression.min")? }),
        E::Div(d) => {
            let d = *d;
            json!({ "div": {
                "left": inner(d.left, "DivExpression.left")?,
                "right": inner(d.right, "DivExpression.right")?,
                "by_zero_default": d.by_zero_default,
            }})
        }
        E::Pow(p) => {
            let p = *p;
            json!({ "pow": {
                "base": inner(p.base, "PowExpression.base")?,
                "exponent": inner(p.exponent, "PowExpression.exponent")?,
            }})
        }
        E::Neg(e) => json!({ "neg": boxed(e, "Expression.neg")? }),
        E::Abs(e) => json!({ "abs": boxed(e, "Expression.abs")? }),
        E::Sqrt(e) => json!({ "sqrt": boxed(e, "Expression.sqrt")? }),
        E::Exp(e) => json!({ "exp": boxed(e, "Expression.exp")? }),
        E::Log10(e) => json!({ "log10": boxed(e, "Expression.log10")? }),
        E::Ln(e) => json!({ "ln": boxed(e, "Expression.ln")? }),
        E::Acosh(e) => json!({ "acosh": boxed(e, "Expression.acosh")? }),
        E::LinDecay(d) => json!({ "lin_decay": decay(d)? }),
        E::ExpDecay(d) => json!({ "exp_decay": decay(d)? }),
        E::GaussDecay(d) => json!({ "gauss_decay": decay(d)? }),
    })
}

pub(crate) fn strategy_name(s: i32) -> Result<&'static str> {
    match proto::RecommendStrategy::try_from(s) {
        Ok(proto::RecommendStrategy::AverageVector) => Ok("average_vector"),
        Ok(proto::RecommendStrategy::BestScore) => Ok("best_score"),
        Ok(proto::RecommendStrategy::SumScores) => Ok("sum_scores"),
        Err(_) => Err(Error::InvalidMessage(format!(
            "unknown RecommendStrategy value {s}"
        ))),
    }
}

/// A proto `OrderBy` in REST's JSON form.
pub fn order_by_json(o: proto::OrderBy) -> Result<Json> {
    use proto::start_from::Value as S;
    let direction = match o.direction.map(proto::Direction::try_from) {
        None | Some(Ok(proto::Direction::Asc)) => "asc",
        Some(Ok(proto::Direction::Desc)) => "desc",
        Some(Err(_)) => return Err(Error::InvalidMessage("unknown Direction value".into())),
    };
    let start_from = match o.start_from.and_then(|s| s.value) {
        None => Json::Null,
        Some(S::Float(f)) => json!(f),
        Some(S::Integer(i)) => json!(i),
        Some(S::Datetime(d)) => json!(d),
        Some(S::Timestamp(t)) => {
            let at = chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32)
                .ok_or_else(|| {
                    Error::InvalidMessage("StartFrom.timestamp is out of range".into())
                })?;
            json!(at.to_rfc3339())
        }
    };
    Ok(json!({ "key": o.key, "direction": direction, "start_from": start_from }))
}

fn search_params_json(p: proto::SearchParams) -> Json {
    json!({
        "hnsw_ef": p.hnsw_ef,
        "exact": p.exact,
        "indexed_only": p.indexed_only,
        "quantization": p.quantization.map(|q| json!({
            "ignore": q.ignore, "rescore": q.rescore, "oversampling": q.oversampling
        })),
    })
}

fn lookup_json(l: proto::LookupLocation) -> Json {
    json!({ "collection": l.collection_name, "vector": l.vector_name })
}

/// One proto prefetch (and its own prefetches) in REST's JSON form.
fn prefetch_json(p: proto::PrefetchQuery) -> Result<Json> {
    Ok(json!({
        "prefetch": p.prefetch.into_iter().map(prefetch_json).collect::<Result<Vec<_>>>()?,
        "query": p.query.map(query_json).transpose()?,
        "using": p.using,
        "filter": p.filter.map(crate::api::grpc::convert::filter_json).transpose()?,
        "params": p.params.map(search_params_json),
        "score_threshold": p.score_threshold,
        "limit": p.limit,
        "lookup_from": p.lookup_from.map(lookup_json),
    }))
}

fn vector_input_json(v: proto::VectorInput) -> Result<Json> {
    use proto::vector_input::Variant as V;
    match v.variant {
        Some(V::Id(id)) => Ok(serde_json::to_value(point_id(Some(id))?).unwrap_or(Json::Null)),
        Some(V::Dense(d)) => Ok(json!(d.data)),
        Some(V::Sparse(s)) => Ok(json!({ "indices": s.indices, "values": s.values })),
        Some(V::MultiDense(m)) => Ok(json!(
            m.vectors.into_iter().map(|d| d.data).collect::<Vec<_>>()
        )),
        Some(V::Document(_)) | Some(V::Image(_)) | Some(V::Object(_)) => Err(Error::BadRequest(
            "inference (document, image and object vectors) is not supported by Quiver".into(),
        )),
        None => Err(Error::InvalidMessage("Vector is not specified".into())),
    }
}

pub fn query(r: proto::QueryPoints) -> Result<QueryRequest> {
    Ok(QueryRequest {
        prefetch: (!r.prefetch.is_empty())
            .then(|| {
                r.prefetch
                    .into_iter()
                    .map(prefetch_json)
                    .collect::<Result<Vec<_>>>()
                    .map(Json::Array)
            })
            .transpose()?,
        query: r.query.map(query_json).transpose()?,
        using: r.using,
        filter: opt_filter(r.filter)?,
        params: search_params(r.params),
        score_threshold: r.score_threshold,
        limit: r.limit.map(usize_from),
        offset: r.offset.map(usize_from),
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
        lookup_from: r.lookup_from.map(lookup_json),
    })
}
