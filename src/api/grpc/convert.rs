//! Proto ⇄ model conversions, shared by every service.
//!
//! Requests become the same model request types the REST API deserialises
//! (`model::query::SearchRequest`, `model::operations::SetPayload`, …), so the validation that
//! follows — and its messages — is the REST path's. Filters go through their JSON form into
//! `model::filter::Filter`, so their parsing (json paths, match and range inference) exists once.
//! Results go the other way: model records and scored points become proto messages.
//!
//! This file holds the pieces every area needs (point ids, payload values, selectors, vectors,
//! results); `convert/collections.rs` and `convert/points.rs` hold the per-area messages.

pub mod collections;
pub mod explore;
pub mod legacy;
pub mod payload_index;
pub mod points;

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Number, Value as Json};
use uuid::Uuid;

use crate::api::grpc::proto;
use crate::error::{Error, Result};
use crate::model::filter::Filter;
use crate::model::json_path::JsonPath;
use crate::model::order_by::OrderValue;
use crate::model::query::{PayloadSelector, WithPayloadInterface, WithVector};
use crate::model::results::{Record, ScoredPoint, UpdateResult, UpdateStatus};
use crate::model::vectors::{DEFAULT_VECTOR, SparseVector, Vector, VectorOutput, VectorStruct};
use crate::model::{Payload, PointId};

// ---- point ids ------------------------------------------------------------------------------

/// A proto point id; a missing id, an id with no case and an unparsable UUID are refused with
/// Qdrant's gRPC messages.
pub fn point_id(id: Option<proto::PointId>) -> Result<PointId> {
    use proto::point_id::PointIdOptions;
    let Some(id) = id else {
        return Err(Error::InvalidMessage("Empty ID is not allowed".into()));
    };
    match id.point_id_options {
        Some(PointIdOptions::Num(n)) => Ok(PointId::Num(n)),
        Some(PointIdOptions::Uuid(text)) => Uuid::parse_str(&text)
            .map(PointId::Uuid)
            .map_err(|_| Error::InvalidMessage(format!("Unable to parse UUID: {text}"))),
        None => Err(Error::InvalidMessage("No ID options provided".into())),
    }
}

pub fn point_ids(ids: Vec<proto::PointId>) -> Result<Vec<PointId>> {
    ids.into_iter().map(|id| point_id(Some(id))).collect()
}

pub fn point_id_out(id: PointId) -> proto::PointId {
    use proto::point_id::PointIdOptions;
    proto::PointId {
        point_id_options: Some(match id {
            PointId::Num(n) => PointIdOptions::Num(n),
            PointId::Uuid(u) => PointIdOptions::Uuid(u.to_string()),
        }),
    }
}

// ---- payload values -------------------------------------------------------------------------

/// A proto `Value` as JSON. Integers stay integers and doubles stay doubles; a value with no
/// kind is `null`; a non-finite double cannot be JSON and is rejected.
pub fn json(value: proto::Value) -> Result<Json> {
    use proto::value::Kind;
    Ok(match value.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::DoubleValue(d)) => Json::Number(
            Number::from_f64(d)
                .ok_or_else(|| Error::InvalidMessage("cannot convert to json number".into()))?,
        ),
        Some(Kind::IntegerValue(i)) => Json::Number(i.into()),
        Some(Kind::StringValue(s)) => Json::String(s),
        Some(Kind::BoolValue(b)) => Json::Bool(b),
        Some(Kind::StructValue(s)) => Json::Object(json_map(s.fields)?),
        Some(Kind::ListValue(l)) => {
            Json::Array(l.values.into_iter().map(json).collect::<Result<_>>()?)
        }
    })
}

/// A proto map of values as a JSON object (a payload).
pub fn json_map(fields: HashMap<String, proto::Value>) -> Result<Payload> {
    // Proto maps are unordered; sorting keys makes the stored payload deterministic.
    let sorted: BTreeMap<String, proto::Value> = fields.into_iter().collect();
    sorted.into_iter().map(|(k, v)| Ok((k, json(v)?))).collect()
}

/// JSON as a proto `Value`: integers that fit `i64` become `integer_value`, other numbers
/// `double_value`.
pub fn value_out(json: &Json) -> proto::Value {
    use proto::value::Kind;
    let kind = match json {
        Json::Null => Kind::NullValue(proto::NullValue::NullValue as i32),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Kind::IntegerValue(i),
            None => Kind::DoubleValue(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(items) => Kind::ListValue(proto::ListValue {
            values: items.iter().map(value_out).collect(),
        }),
        Json::Object(map) => Kind::StructValue(proto::Struct {
            fields: map_out(map),
        }),
    };
    proto::Value { kind: Some(kind) }
}

pub fn map_out(map: &Map<String, Json>) -> HashMap<String, proto::Value> {
    map.iter().map(|(k, v)| (k.clone(), value_out(v))).collect()
}

// ---- json paths and filters -----------------------------------------------------------------

/// A payload key, parsed exactly as a REST body's key is.
pub fn json_path(key: String) -> Result<JsonPath> {
    from_json(Json::String(key))
}

/// Deserialises a model type from its JSON form; a failure carries the parser's message
/// without REST's "JSON body" prefix.
pub fn from_json<T: serde::de::DeserializeOwned>(value: Json) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::InvalidMessage(e.to_string()))
}

/// A proto filter as the model's filter (through its JSON form).
pub fn filter(f: proto::Filter) -> Result<Filter> {
    from_json(filter_json(f)?)
}

/// An optional proto filter; an absent one and an empty one both mean "no filter".
pub fn opt_filter(f: Option<proto::Filter>) -> Result<Option<Filter>> {
    match f {
        None => Ok(None),
        Some(f) if is_empty_filter(&f) => Ok(None),
        Some(f) => filter(f).map(Some),
    }
}

fn is_empty_filter(f: &proto::Filter) -> bool {
    f.should.is_empty() && f.must.is_empty() && f.must_not.is_empty() && f.min_should.is_none()
}

/// A proto filter in REST's JSON form.
pub(crate) fn filter_json(f: proto::Filter) -> Result<Json> {
    let mut out = Map::new();
    // In gRPC an empty list is "no clause" (REST's `should: []` matches nothing).
    for (key, conditions) in [
        ("should", f.should),
        ("must", f.must),
        ("must_not", f.must_not),
    ] {
        if !conditions.is_empty() {
            out.insert(key.into(), conditions_json(conditions)?);
        }
    }
    if let Some(m) = f.min_should {
        out.insert(
            "min_should".into(),
            serde_json::json!({
                "conditions": conditions_json(m.conditions)?,
                "min_count": m.min_count,
            }),
        );
    }
    Ok(Json::Object(out))
}

fn conditions_json(conditions: Vec<proto::Condition>) -> Result<Json> {
    conditions
        .into_iter()
        .map(condition_json)
        .collect::<Result<Vec<_>>>()
        .map(Json::Array)
}

pub(crate) fn condition_json(c: proto::Condition) -> Result<Json> {
    use proto::condition::ConditionOneOf as C;
    use serde_json::json;
    Ok(match c.condition_one_of {
        None => return Err(Error::InvalidMessage("Condition is not specified".into())),
        Some(C::Field(f)) => field_condition_json(f)?,
        Some(C::IsEmpty(e)) => json!({ "is_empty": { "key": e.key } }),
        Some(C::IsNull(n)) => json!({ "is_null": { "key": n.key } }),
        Some(C::HasId(h)) => {
            let ids = point_ids(h.has_id)?;
            json!({ "has_id": ids })
        }
        Some(C::HasVector(v)) => json!({ "has_vector": v.has_vector }),
        Some(C::Filter(f)) => filter_json(f)?,
        Some(C::Nested(n)) => {
            let inner = filter_json(n.filter.unwrap_or_default())?;
            json!({ "nested": { "key": n.key, "filter": inner } })
        }
        Some(C::Slice(_)) => {
            return Err(Error::BadRequest(
                "filter condition `slice` is not supported by Quiver yet".into(),
            ));
        }
    })
}

fn field_condition_json(f: proto::FieldCondition) -> Result<Json> {
    use proto::r#match::MatchValue as M;
    use serde_json::json;
    let mut out = Map::new();
    out.insert("key".into(), Json::String(f.key));
    if let Some(m) = f.r#match.and_then(|m| m.match_value) {
        let m = match m {
            M::Keyword(s) => json!({ "value": s }),
            M::Integer(i) => json!({ "value": i }),
            M::Boolean(b) => json!({ "value": b }),
            M::Text(s) => json!({ "text": s }),
            M::TextAny(s) => json!({ "text_any": s }),
            M::Phrase(s) => json!({ "phrase": s }),
            M::Prefix(s) => json!({ "prefix": s }),
            M::Keywords(k) => json!({ "any": k.strings }),
            M::Integers(i) => json!({ "any": i.integers }),
            M::ExceptKeywords(k) => json!({ "except": k.strings }),
            M::ExceptIntegers(i) => json!({ "except": i.integers }),
            M::Substring(_) => {
                return Err(Error::BadRequest(
                    "match `substring` is not supported by Quiver yet".into(),
                ));
            }
        };
        out.insert("match".into(), m);
    }
    if let Some(r) = f.range {
        let mut range = Map::new();
        for (k, v) in [("lt", r.lt), ("gt", r.gt), ("gte", r.gte), ("lte", r.lte)] {
            if let Some(v) = v {
                let n = Number::from_f64(v)
                    .ok_or_else(|| Error::InvalidMessage("cannot convert to json number".into()))?;
                range.insert(k.into(), Json::Number(n));
            }
        }
        out.insert("range".into(), Json::Object(range));
    }
    if let Some(r) = f.datetime_range {
        let mut range = Map::new();
        for (k, v) in [("lt", r.lt), ("gt", r.gt), ("gte", r.gte), ("lte", r.lte)] {
            if let Some(ts) = v {
                range.insert(k.into(), Json::String(timestamp_text(&ts)?));
            }
        }
        out.insert("range".into(), Json::Object(range));
    }
    if let Some(b) = f.geo_bounding_box {
        out.insert(
            "geo_bounding_box".into(),
            json!({
                "top_left": geo_point_json(b.top_left),
                "bottom_right": geo_point_json(b.bottom_right),
            }),
        );
    }
    if let Some(r) = f.geo_radius {
        out.insert(
            "geo_radius".into(),
            json!({ "center": geo_point_json(r.center), "radius": r.radius }),
        );
    }
    if let Some(p) = f.geo_polygon {
        let line = |l: proto::GeoLineString| json!({ "points": l.points.into_iter().map(|p| geo_point_json(Some(p))).collect::<Vec<_>>() });
        out.insert(
            "geo_polygon".into(),
            json!({
                "exterior": line(p.exterior.unwrap_or_default()),
                "interiors": p.interiors.into_iter().map(line).collect::<Vec<_>>(),
            }),
        );
    }
    if let Some(c) = f.values_count {
        let mut count = Map::new();
        for (k, v) in [("lt", c.lt), ("gt", c.gt), ("gte", c.gte), ("lte", c.lte)] {
            if let Some(v) = v {
                count.insert(k.into(), v.into());
            }
        }
        out.insert("values_count".into(), Json::Object(count));
    }
    if let Some(b) = f.is_empty {
        out.insert("is_empty".into(), b.into());
    }
    if let Some(b) = f.is_null {
        out.insert("is_null".into(), b.into());
    }
    Ok(Json::Object(out))
}

pub(crate) fn geo_point_json(p: Option<proto::GeoPoint>) -> Json {
    let p = p.unwrap_or_default();
    serde_json::json!({ "lon": p.lon, "lat": p.lat })
}

pub fn timestamp_text(ts: &prost_types::Timestamp) -> Result<String> {
    let nanos = u32::try_from(ts.nanos)
        .map_err(|_| Error::InvalidMessage(format!("invalid timestamp nanos {}", ts.nanos)))?;
    chrono::DateTime::from_timestamp(ts.seconds, nanos)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .ok_or_else(|| Error::InvalidMessage(format!("timestamp out of range: {}s", ts.seconds)))
}

// ---- selectors ------------------------------------------------------------------------------

/// `with_payload`: an unset message means the endpoint's default; a message with no case is an
/// error, as in Qdrant.
pub fn with_payload(s: Option<proto::WithPayloadSelector>) -> Result<Option<WithPayloadInterface>> {
    use proto::with_payload_selector::SelectorOptions as S;
    let Some(s) = s else { return Ok(None) };
    Ok(Some(match s.selector_options {
        None => return Err(Error::InvalidMessage("No PayloadSelector".into())),
        Some(S::Enable(b)) => WithPayloadInterface::Bool(b),
        Some(S::Include(i)) => WithPayloadInterface::Selector(PayloadSelector::Include(
            i.fields.into_iter().map(json_path).collect::<Result<_>>()?,
        )),
        Some(S::Exclude(e)) => WithPayloadInterface::Selector(PayloadSelector::Exclude(
            e.fields.into_iter().map(json_path).collect::<Result<_>>()?,
        )),
    }))
}

/// `with_vectors`: unset or a message with no case means no vectors.
pub fn with_vectors(s: Option<proto::WithVectorsSelector>) -> Option<WithVector> {
    use proto::with_vectors_selector::SelectorOptions as S;
    match s?.selector_options? {
        S::Enable(b) => Some(WithVector::Bool(b)),
        S::Include(names) => Some(WithVector::Names(names.names)),
    }
}

// ---- vectors --------------------------------------------------------------------------------

/// One proto vector as the model's vector input (the oneof if set, else the deprecated fields).
pub fn vector_input(v: proto::Vector) -> Result<Vector> {
    use proto::vector::Vector as V;
    #[allow(deprecated)]
    let (data, indices, count) = (v.data, v.indices, v.vectors_count);
    match v.vector {
        Some(V::Dense(d)) => Ok(Vector::Dense(d.data)),
        Some(V::Sparse(s)) => Ok(Vector::Sparse(SparseVector {
            indices: s.indices,
            values: s.values,
        })),
        Some(V::MultiDense(m)) => Ok(Vector::Multi(
            m.vectors.into_iter().map(|d| d.data).collect(),
        )),
        Some(V::Document(_)) | Some(V::Image(_)) | Some(V::Object(_)) => Err(Error::BadRequest(
            "inference (document, image and object vectors) is not supported by Quiver".into(),
        )),
        None => match (indices, count) {
            (Some(indices), _) => Ok(Vector::Sparse(SparseVector {
                indices: indices.data,
                values: data,
            })),
            (None, Some(n)) if n > 0 && data.len() % n as usize == 0 => Ok(Vector::Multi(
                data.chunks(data.len() / n as usize)
                    .map(<[f32]>::to_vec)
                    .collect(),
            )),
            (None, Some(n)) => Err(Error::InvalidMessage(format!(
                "multi-vector of {} values cannot split into {n} equal vectors",
                data.len()
            ))),
            (None, None) => Ok(Vector::Dense(data)),
        },
    }
}

/// A point's proto vectors as the model's `vector` field.
pub fn vector_struct(v: Option<proto::Vectors>) -> Result<VectorStruct> {
    use proto::vectors::VectorsOptions as V;
    match v.and_then(|v| v.vectors_options) {
        Some(V::Vector(v)) => match vector_input(v)? {
            Vector::Dense(d) => Ok(VectorStruct::Single(d)),
            Vector::Multi(m) => Ok(VectorStruct::MultiDense(m)),
            sparse @ Vector::Sparse(_) => Ok(VectorStruct::Named(BTreeMap::from([(
                DEFAULT_VECTOR.to_string(),
                sparse,
            )]))),
        },
        Some(V::Vectors(named)) => Ok(VectorStruct::Named(
            named
                .vectors
                .into_iter()
                .map(|(k, v)| Ok((k, vector_input(v)?)))
                .collect::<Result<_>>()?,
        )),
        None => Err(Error::InvalidMessage("Vectors are not specified".into())),
    }
}

/// One vector as proto: the oneof case of its kind, the deprecated fields left empty.
fn vector_out(v: &Vector) -> proto::VectorOutput {
    use proto::vector_output::Vector as V;
    let dense = |d: &[f32]| proto::DenseVector { data: d.to_vec() };
    #[allow(deprecated)]
    proto::VectorOutput {
        data: Vec::new(),
        indices: None,
        vectors_count: None,
        vector: Some(match v {
            Vector::Dense(d) => V::Dense(dense(d)),
            Vector::Multi(m) => V::MultiDense(proto::MultiDenseVector {
                vectors: m.iter().map(|d| dense(d)).collect(),
            }),
            Vector::Sparse(s) => V::Sparse(proto::SparseVector {
                values: s.values.clone(),
                indices: s.indices.clone(),
            }),
        }),
    }
}

pub fn vectors_out(v: &VectorOutput) -> proto::VectorsOutput {
    use proto::vectors_output::VectorsOptions as V;
    proto::VectorsOutput {
        vectors_options: Some(match v {
            VectorOutput::Single(d) => V::Vector(vector_out(d)),
            VectorOutput::Named(map) => V::Vectors(proto::NamedVectorsOutput {
                vectors: map
                    .iter()
                    .map(|(k, d)| (k.clone(), vector_out(d)))
                    .collect(),
            }),
        }),
    }
}

// ---- results --------------------------------------------------------------------------------

pub fn scored_point_out(p: &ScoredPoint) -> proto::ScoredPoint {
    proto::ScoredPoint {
        id: Some(point_id_out(p.id)),
        payload: p.payload.as_ref().map(map_out).unwrap_or_default(),
        score: p.score,
        version: p.version,
        vectors: p.vector.as_ref().map(vectors_out),
        shard_key: None,
        order_value: p.order_value.map(order_value_out),
    }
}

pub fn record_out(r: &Record) -> proto::RetrievedPoint {
    proto::RetrievedPoint {
        id: Some(point_id_out(r.id)),
        payload: r.payload.as_ref().map(map_out).unwrap_or_default(),
        vectors: r.vector.as_ref().map(vectors_out),
        shard_key: None,
        order_value: r.order_value.map(order_value_out),
    }
}

pub fn order_value_out(v: OrderValue) -> proto::OrderValue {
    use proto::order_value::Variant;
    proto::OrderValue {
        variant: Some(match v {
            OrderValue::Int(i) => Variant::Int(i),
            OrderValue::Float(f) => Variant::Float(f),
        }),
    }
}

pub fn update_result_out(r: &UpdateResult) -> proto::UpdateResult {
    proto::UpdateResult {
        operation_id: Some(r.operation_id),
        status: match r.status {
            UpdateStatus::Acknowledged => proto::UpdateStatus::Acknowledged,
            UpdateStatus::Completed => proto::UpdateStatus::Completed,
        } as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::value::Kind;

    fn value(kind: Kind) -> proto::Value {
        proto::Value { kind: Some(kind) }
    }

    #[test]
    fn integers_and_doubles_stay_distinct_both_ways() {
        let int = json(value(Kind::IntegerValue(5))).unwrap();
        let double = json(value(Kind::DoubleValue(5.0))).unwrap();
        assert!(int.is_i64());
        assert!(double.is_f64());
        assert_eq!(value_out(&int).kind, Some(Kind::IntegerValue(5)));
        assert_eq!(value_out(&double).kind, Some(Kind::DoubleValue(5.0)));
    }

    #[test]
    fn integers_beyond_i64_go_out_as_doubles() {
        let big = Json::Number(u64::MAX.into());
        assert_eq!(
            value_out(&big).kind,
            Some(Kind::DoubleValue(u64::MAX as f64))
        );
    }

    #[test]
    fn a_value_without_kind_is_null_and_a_non_finite_double_is_rejected() {
        assert_eq!(json(proto::Value { kind: None }).unwrap(), Json::Null);
        let err = json(value(Kind::DoubleValue(f64::NAN))).unwrap_err();
        assert_eq!(err.grpc_code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn nested_structs_and_lists_convert_recursively() {
        let nested = value(Kind::StructValue(proto::Struct {
            fields: HashMap::from([(
                "list".to_string(),
                value(Kind::ListValue(proto::ListValue {
                    values: vec![
                        value(Kind::StringValue("a".into())),
                        value(Kind::BoolValue(true)),
                    ],
                })),
            )]),
        }));
        let j = json(nested.clone()).unwrap();
        assert_eq!(j, serde_json::json!({ "list": ["a", true] }));
        assert_eq!(value_out(&j), nested);
    }

    #[test]
    fn a_malformed_uuid_is_bad_input_and_a_missing_id_too() {
        let bad = proto::PointId {
            point_id_options: Some(proto::point_id::PointIdOptions::Uuid("nope".into())),
        };
        assert!(matches!(point_id(Some(bad)), Err(Error::InvalidMessage(_))));
        assert!(matches!(point_id(None), Err(Error::InvalidMessage(_))));
        let uuid = "550e8400-e29b-41d4-a716-446655440000";
        let id = proto::PointId {
            point_id_options: Some(proto::point_id::PointIdOptions::Uuid(uuid.into())),
        };
        assert_eq!(point_id_out(point_id(Some(id.clone())).unwrap()), id);
    }

    #[test]
    #[allow(deprecated)]
    fn deprecated_vector_fields_decode_as_qdrant_says() {
        let sparse = proto::Vector {
            data: vec![0.5, 0.25],
            indices: Some(proto::SparseIndices { data: vec![3, 7] }),
            ..Default::default()
        };
        assert_eq!(
            vector_input(sparse).unwrap(),
            Vector::Sparse(SparseVector {
                indices: vec![3, 7],
                values: vec![0.5, 0.25]
            })
        );
        let multi = proto::Vector {
            data: vec![1.0, 2.0, 3.0, 4.0],
            vectors_count: Some(2),
            ..Default::default()
        };
        assert_eq!(
            vector_input(multi).unwrap(),
            Vector::Multi(vec![vec![1.0, 2.0], vec![3.0, 4.0]])
        );
        let dense = proto::Vector {
            data: vec![1.0, 2.0],
            ..Default::default()
        };
        assert_eq!(vector_input(dense).unwrap(), Vector::Dense(vec![1.0, 2.0]));
    }

    #[test]
    fn an_empty_grpc_filter_is_no_filter() {
        assert!(
            opt_filter(Some(proto::Filter::default()))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn typed_matches_become_the_rest_match_forms() {
        use proto::r#match::MatchValue;
        let field = |m: MatchValue| proto::Condition {
            condition_one_of: Some(proto::condition::ConditionOneOf::Field(
                proto::FieldCondition {
                    key: "k".into(),
                    r#match: Some(proto::Match {
                        match_value: Some(m),
                    }),
                    ..Default::default()
                },
            )),
        };
        let f = proto::Filter {
            must: vec![
                field(MatchValue::Keyword("a".into())),
                field(MatchValue::Integers(proto::RepeatedIntegers {
                    integers: vec![1, 2],
                })),
            ],
            ..Default::default()
        };
        assert_eq!(
            filter_json(f).unwrap(),
            serde_json::json!({ "must": [
                { "key": "k", "match": { "value": "a" } },
                { "key": "k", "match": { "any": [1, 2] } },
            ] })
        );
    }

    #[test]
    fn a_payload_selector_without_a_case_is_rejected() {
        let err = with_payload(Some(proto::WithPayloadSelector {
            selector_options: None,
        }))
        .unwrap_err();
        assert_eq!(err, Error::InvalidMessage("No PayloadSelector".into()));
    }
}
