//! The filter language: Qdrant's REST filter JSON as Rust types, parsed once at the edge.
//!
//! The JSON shape is exactly the OpenAPI `Filter` schema. What this module guarantees:
//! - `must` / `should` / `must_not` accept a list, a single condition or `null`; they are always
//!   held as lists. An explicit empty `should: []` is kept as `Some(vec![])` (it matches nothing,
//!   unlike an absent `should`).
//! - `Filter` rejects unknown keys (serde's `unknown field` message); conditions are recognised
//!   by shape, in Qdrant's order: a `key` makes a field condition, then `is_empty`, `is_null`,
//!   `has_id`, `has_vector`, `nested`, and anything else is a nested `Filter`.
//! - Datetime range bounds are parsed here, once per request, into UTC instants; polygons are
//!   checked to be closed rings of at least 4 points (a `Format` error in the JSON body, as in
//!   Qdrant).
//! - [`Filter::validate`] does the checks serde cannot: a field condition with no test (422), and
//!   polygon rings again for filters built without serde (gRPC conversion) (400).
//!
//! What a filter *means* is decided in `index::filter` and nowhere else; this module holds no
//! matching logic.

use std::borrow::Borrow;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::Error;
use crate::model::json_path::JsonPath;
use crate::model::point_id::PointId;

/// A boolean combination of conditions. `{}` matches every point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// At least one must match. `Some(vec![])` matches nothing.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub should: Option<Vec<Condition>>,
    /// At least `min_count` of the conditions must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_should: Option<MinShould>,
    /// All must match.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub must: Option<Vec<Condition>>,
    /// None may match.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub must_not: Option<Vec<Condition>>,
}

/// `{"conditions": [...], "min_count": n}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinShould {
    pub conditions: Vec<Condition>,
    pub min_count: usize,
}

/// One condition of a filter. Untagged on the wire: the variant is chosen by the keys present.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Condition {
    Field(FieldCondition),
    IsEmpty(IsEmptyCondition),
    IsNull(IsNullCondition),
    HasId(HasIdCondition),
    HasVector(HasVectorCondition),
    Nested(NestedCondition),
    Filter(Filter),
}

/// `{"key": <path>, <tests>}`: tests on the payload value(s) at `key`. At least one test must be
/// present ([`Filter::validate`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldCondition {
    pub key: JsonPath,
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub r#match: Option<Match>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeInterface>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_bounding_box: Option<GeoBoundingBox>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_radius: Option<GeoRadius>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_polygon: Option<GeoPolygon>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_count: Option<ValuesCount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_empty: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_null: Option<bool>,
}

impl FieldCondition {
    /// A condition on `key` with no tests yet; set one of the public fields.
    pub fn new(key: JsonPath) -> FieldCondition {
        FieldCondition {
            key,
            r#match: None,
            range: None,
            geo_bounding_box: None,
            geo_radius: None,
            geo_polygon: None,
            values_count: None,
            is_empty: None,
            is_null: None,
        }
    }

    /// True when no test is present (a 422 in [`Filter::validate`]).
    pub fn has_no_test(&self) -> bool {
        self.r#match.is_none()
            && self.range.is_none()
            && self.geo_bounding_box.is_none()
            && self.geo_radius.is_none()
            && self.geo_polygon.is_none()
            && self.values_count.is_none()
            && self.is_empty.is_none()
            && self.is_null.is_none()
    }
}

/// `{"key": <path>}` inside `is_empty` / `is_null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayloadField {
    pub key: JsonPath,
}

/// `{"is_empty": {"key": k}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsEmptyCondition {
    pub is_empty: PayloadField,
}

/// `{"is_null": {"key": k}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IsNullCondition {
    pub is_null: PayloadField,
}

/// `{"has_id": [ids]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HasIdCondition {
    pub has_id: ValueSet<PointId>,
}

/// `{"has_vector": "name"}`; `""` names the unnamed vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HasVectorCondition {
    pub has_vector: String,
}

/// `{"nested": {"key": k, "filter": {...}}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NestedCondition {
    pub nested: Nested,
}

/// The body of a `nested` condition: `filter` is applied to each element of the array at `key`,
/// with keys relative to the element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nested {
    pub key: JsonPath,
    pub filter: Filter,
}

/// The `match` test. Untagged: chosen by its one key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Match {
    /// `{"value": "s" | 42 | true}`.
    Value { value: MatchValue },
    /// `{"text": "…"}`.
    Text { text: String },
    /// `{"text_any": "…"}`.
    TextAny { text_any: String },
    /// `{"phrase": "…"}`.
    Phrase { phrase: String },
    /// `{"prefix": "…"}` (a 1.20 client extension; accepted here).
    Prefix { prefix: String },
    /// `{"any": [...]}`.
    Any { any: AnyVariants },
    /// `{"except": [...]}`.
    Except { except: AnyVariants },
}

/// The value of `match.value`: a string, a 64-bit signed integer or a bool (never a float).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MatchValue {
    String(String),
    Integer(i64),
    Bool(bool),
}

/// The list of `match.any` / `match.except`: all strings or all integers. `[]` reads as strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnyVariants {
    Strings(ValueSet<String>),
    Integers(ValueSet<i64>),
}

/// A set read from a JSON list: duplicates dropped, kept sorted so membership is a binary
/// search (lists of thousands of ids are tested once per point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueSet<T>(Vec<T>);

impl<T: Ord> ValueSet<T> {
    /// True if `item` is in the set.
    pub fn contains<Q>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0
            .binary_search_by(|probe| probe.borrow().cmp(item))
            .is_ok()
    }

    /// The members in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Ord> FromIterator<T> for ValueSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut items: Vec<T> = items.into_iter().collect();
        items.sort_unstable();
        items.dedup();
        ValueSet(items)
    }
}

impl<T: Serialize> Serialize for ValueSet<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de> + Ord> Deserialize<'de> for ValueSet<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(ValueSet::from_iter)
    }
}

/// Bounds of a range test; a missing bound is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Range<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gte: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lte: Option<T>,
}

impl<T> Default for Range<T> {
    fn default() -> Self {
        Range {
            lt: None,
            gt: None,
            gte: None,
            lte: None,
        }
    }
}

/// The `range` test: numeric, or datetime when any bound is a string.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RangeInterface {
    Float(Range<f64>),
    DateTime(Range<Timestamp>),
}

/// An instant in UTC, written as RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Parses the datetime forms Qdrant accepts: RFC 3339; `YYYY-MM-DD[T ]HH:MM:SS[.f]` with an
    /// offset written `+HH:MM`, `+HHMM` or `+HH`; and, read as UTC, the same without an offset,
    /// `YYYY-MM-DD[T ]HH:MM` and `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Timestamp> {
        // Every accepted form starts with a 4-digit year; this keeps the per-point cost of
        // testing non-date strings against a datetime range to one byte comparison.
        if !text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
            return Some(Timestamp(with_offset.to_utc()));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
            if let Ok(with_offset) = DateTime::parse_from_str(text, format) {
                return Some(Timestamp(with_offset.to_utc()));
            }
        }
        for format in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
                return Some(Timestamp(naive.and_utc()));
            }
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        Some(Timestamp(date.and_hms_opt(0, 0, 0)?.and_utc()))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl<'de> Deserialize<'de> for RangeInterface {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawRange {
            #[serde(default)]
            lt: Option<Value>,
            #[serde(default)]
            gt: Option<Value>,
            #[serde(default)]
            gte: Option<Value>,
            #[serde(default)]
            lte: Option<Value>,
        }
        let raw = RawRange::deserialize(deserializer)?;
        let bounds = [&raw.lt, &raw.gt, &raw.gte, &raw.lte];
        let no_variant =
            || de::Error::custom("data did not match any variant of untagged enum RangeInterface");

        if bounds.iter().any(|b| matches!(b, Some(Value::String(_)))) {
            let datetime = |bound: &Option<Value>| match bound {
                None => Ok(None),
                Some(Value::String(text)) => Timestamp::parse(text).map(Some).ok_or_else(|| {
                    de::Error::custom(format!(
                        "'{text}' is not in a supported date/time format, please use RFC 3339"
                    ))
                }),
                Some(_) => Err(no_variant()),
            };
            return Ok(RangeInterface::DateTime(Range {
                lt: datetime(&raw.lt)?,
                gt: datetime(&raw.gt)?,
                gte: datetime(&raw.gte)?,
                lte: datetime(&raw.lte)?,
            }));
        }
        let number = |bound: &Option<Value>| match bound {
            None => Ok(None),
            Some(value) => value.as_f64().map(Some).ok_or_else(no_variant),
        };
        Ok(RangeInterface::Float(Range {
            lt: number(&raw.lt)?,
            gt: number(&raw.gt)?,
            gte: number(&raw.gte)?,
            lte: number(&raw.lte)?,
        }))
    }
}

/// The `values_count` test: bounds on the number of values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValuesCount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<usize>,
}

/// A point on the globe, in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

/// Points strictly inside the rectangle; `top_left.lon > bottom_right.lon` means the box crosses
/// the antimeridian.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoBoundingBox {
    pub top_left: GeoPoint,
    pub bottom_right: GeoPoint,
}

/// Points less than `radius` metres (great-circle distance) from `center`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoRadius {
    pub center: GeoPoint,
    pub radius: f64,
}

/// A ring of points: closed (first = last) and at least 4 points long once validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoLineString {
    pub points: Vec<GeoPoint>,
}

impl GeoLineString {
    /// Qdrant's ring check, with its messages.
    pub fn check_ring(&self) -> Result<(), String> {
        let points = &self.points;
        if points.len() < 4 {
            return Err(format!(
                "polygon invalid, the size must be at least 4, got {}",
                points.len()
            ));
        }
        if let (Some(first), Some(last)) = (points.first(), points.last())
            && ((first.lat - last.lat).abs() > f64::EPSILON
                || (first.lon - last.lon).abs() > f64::EPSILON)
        {
            return Err(
                "polygon invalid, the first and the last points should be the same to \
                        form a closed line"
                    .to_string(),
            );
        }
        Ok(())
    }
}

/// Points strictly inside `exterior` and outside every ring of `interiors` (holes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGeoPolygon")]
pub struct GeoPolygon {
    pub exterior: GeoLineString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interiors: Option<Vec<GeoLineString>>,
}

impl GeoPolygon {
    /// Checks every ring (exterior first).
    pub fn check_rings(&self) -> Result<(), String> {
        self.exterior.check_ring()?;
        self.interiors
            .iter()
            .flatten()
            .try_for_each(GeoLineString::check_ring)
    }
}

#[derive(Deserialize)]
struct RawGeoPolygon {
    exterior: GeoLineString,
    #[serde(default)]
    interiors: Option<Vec<GeoLineString>>,
}

impl TryFrom<RawGeoPolygon> for GeoPolygon {
    type Error = String;

    fn try_from(raw: RawGeoPolygon) -> Result<GeoPolygon, String> {
        let polygon = GeoPolygon {
            exterior: raw.exterior,
            interiors: raw.interiors,
        };
        polygon.check_rings()?;
        Ok(polygon)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Buffer the object once and pick the variant by its keys, so that an error inside the
        // chosen variant reaches the client (serde's untagged would only say "no variant").
        let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let has = |key: &str| map.contains_key(key);
        let shape = if has("key") {
            Shape::Field
        } else if has("is_empty") {
            Shape::IsEmpty
        } else if has("is_null") {
            Shape::IsNull
        } else if has("has_id") {
            Shape::HasId
        } else if has("has_vector") {
            Shape::HasVector
        } else if has("nested") {
            Shape::Nested
        } else {
            Shape::Filter
        };
        let value = Value::Object(map);
        let condition = match shape {
            Shape::Field => serde_json::from_value(value).map(Condition::Field),
            Shape::IsEmpty => serde_json::from_value(value).map(Condition::IsEmpty),
            Shape::IsNull => serde_json::from_value(value).map(Condition::IsNull),
            Shape::HasId => serde_json::from_value(value).map(Condition::HasId),
            Shape::HasVector => serde_json::from_value(value).map(Condition::HasVector),
            Shape::Nested => serde_json::from_value(value).map(Condition::Nested),
            Shape::Filter => serde_json::from_value(value).map(Condition::Filter),
        };
        condition.map_err(de::Error::custom)
    }
}

enum Shape {
    Field,
    IsEmpty,
    IsNull,
    HasId,
    HasVector,
    Nested,
    Filter,
}

/// Reads `must` / `should` / `must_not`: a list, one condition, or `null`.
fn one_or_many<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<Condition>>, D::Error> {
    struct OneOrMany;

    impl<'de> Visitor<'de> for OneOrMany {
        type Value = Option<Vec<Condition>>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a condition or a list of conditions")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut conditions = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(condition) = seq.next_element()? {
                conditions.push(condition);
            }
            Ok(Some(conditions))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let condition = Condition::deserialize(de::value::MapAccessDeserializer::new(map))?;
            Ok(Some(vec![condition]))
        }
    }

    deserializer.deserialize_any(OneOrMany)
}

const NO_TEST: &str = "At least one field condition must be specified";

impl Filter {
    /// Semantic checks, with error paths rooted at `filter`. See [`Filter::validate_at`].
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_at("filter")
    }

    /// Semantic checks serde cannot do, with error paths rooted at `root` (e.g.
    /// `prefetch[0].filter`). A bad polygon ring is `BadInput` (400, reported first); field
    /// conditions without any test are `Validation` (422), all of them listed.
    pub fn validate_at(&self, root: &str) -> Result<(), Error> {
        let mut findings = Findings::default();
        findings.filter(self, root);
        if let Some(message) = findings.bad_polygon {
            return Err(Error::BadInput(message));
        }
        if findings.invalid.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(findings.invalid.join("; ")))
        }
    }
}

#[derive(Default)]
struct Findings {
    invalid: Vec<String>,
    bad_polygon: Option<String>,
}

impl Findings {
    fn filter(&mut self, filter: &Filter, path: &str) {
        let lists = [
            ("should", &filter.should),
            ("must", &filter.must),
            ("must_not", &filter.must_not),
        ];
        for (name, conditions) in lists {
            for (i, condition) in conditions.iter().flatten().enumerate() {
                self.condition(condition, &format!("{path}.{name}[{i}]"));
            }
        }
        if let Some(min_should) = &filter.min_should {
            for (i, condition) in min_should.conditions.iter().enumerate() {
                self.condition(condition, &format!("{path}.min_should.conditions[{i}]"));
            }
        }
    }

    fn condition(&mut self, condition: &Condition, path: &str) {
        match condition {
            Condition::Field(field) => {
                if field.has_no_test() {
                    self.invalid.push(format!("{path}: {NO_TEST}"));
                }
                if let Some(Err(message)) = field.geo_polygon.as_ref().map(GeoPolygon::check_rings)
                {
                    self.bad_polygon.get_or_insert(message);
                }
            }
            Condition::Nested(nested) => {
                self.filter(&nested.nested.filter, &format!("{path}.nested.filter"));
            }
            Condition::Filter(filter) => self.filter(filter, path),
            Condition::IsEmpty(_)
            | Condition::IsNull(_)
            | Condition::HasId(_)
            | Condition::HasVector(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Filter {
        serde_json::from_value(value).expect("test filter parses")
    }

    fn parse_err(value: Value) -> String {
        serde_json::from_value::<Filter>(value)
            .expect_err("test filter is rejected")
            .to_string()
    }

    fn only_must(filter: &Filter) -> &Condition {
        match filter.must.as_deref() {
            Some([condition]) => condition,
            other => panic!("expected one must condition, got {other:?}"),
        }
    }

    fn field(filter: &Filter) -> &FieldCondition {
        match only_must(filter) {
            Condition::Field(field) => field,
            other => panic!("expected a field condition, got {other:?}"),
        }
    }

    #[test]
    fn empty_object_is_the_match_all_filter() {
        assert_eq!(parse(json!({})), Filter::default());
    }

    #[test]
    fn explicit_nulls_are_absent_clauses() {
        assert_eq!(
            parse(json!({"must": null, "should": null, "must_not": null, "min_should": null})),
            Filter::default()
        );
    }

    #[test]
    fn single_condition_is_read_as_a_list_of_one() {
        let filter = parse(json!({"must": {"key": "a", "match": {"value": 1}}}));
        assert_eq!(field(&filter).key.to_string(), "a");
    }

    #[test]
    fn empty_should_list_is_kept_distinct_from_absent() {
        assert_eq!(parse(json!({"should": []})).should, Some(vec![]));
        assert_eq!(parse(json!({})).should, None);
    }

    #[test]
    fn unknown_filter_key_is_rejected_with_serde_message() {
        let err = parse_err(json!({"x": 1}));
        assert_eq!(
            err,
            "unknown field `x`, expected one of `should`, `min_should`, `must`, `must_not`"
        );
    }

    #[test]
    fn unknown_key_in_nested_filter_condition_is_reported() {
        let err = parse_err(json!({"must": [{"must": [], "oops": 1}]}));
        assert!(err.contains("unknown field `oops`"), "{err}");
    }

    #[test]
    fn clause_must_be_condition_or_list() {
        assert!(parse_err(json!({"must": 5})).contains("a condition or a list of conditions"));
    }

    #[test]
    fn conditions_are_recognised_by_shape() {
        let filter = parse(json!({"must": [
            {"key": "a", "is_empty": true},
            {"is_empty": {"key": "b"}},
            {"is_null": {"key": "c"}},
            {"has_id": [1, "550e8400-e29b-41d4-a716-446655440000"]},
            {"has_vector": "img"},
            {"nested": {"key": "d", "filter": {"must": {"key": "e", "match": {"value": true}}}}},
            {"should": []},
            {}
        ]}));
        let kinds: Vec<&str> = filter
            .must
            .iter()
            .flatten()
            .map(|c| match c {
                Condition::Field(_) => "field",
                Condition::IsEmpty(_) => "is_empty",
                Condition::IsNull(_) => "is_null",
                Condition::HasId(_) => "has_id",
                Condition::HasVector(_) => "has_vector",
                Condition::Nested(_) => "nested",
                Condition::Filter(_) => "filter",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "field",
                "is_empty",
                "is_null",
                "has_id",
                "has_vector",
                "nested",
                "filter",
                "filter"
            ]
        );
    }

    #[test]
    fn condition_that_is_not_an_object_is_rejected() {
        assert!(serde_json::from_value::<Filter>(json!({"must": ["a"]})).is_err());
    }

    #[test]
    fn field_condition_with_invalid_key_reports_the_path() {
        let err = parse_err(json!({"must": {"key": "a..b", "match": {"value": 1}}}));
        assert!(err.contains("Invalid json path: 'a..b'"), "{err}");
    }

    #[test]
    fn min_should_parses() {
        let filter =
            parse(json!({"min_should": {"conditions": [{"has_id": [1]}], "min_count": 1}}));
        let min_should = filter.min_should.expect("min_should present");
        assert_eq!(min_should.min_count, 1);
        assert_eq!(min_should.conditions.len(), 1);
    }

    #[test]
    fn has_id_rejects_invalid_point_ids() {
        assert!(parse_err(json!({"must": {"has_id": [-1]}})).contains("not a valid point ID"));
    }

    #[test]
    fn has_id_list_is_a_set() {
        let filter = parse(json!({"must": {"has_id": [3, 1, 3]}}));
        let Condition::HasId(has_id) = only_must(&filter) else {
            panic!("expected has_id");
        };
        assert_eq!(has_id.has_id.len(), 2);
        assert!(has_id.has_id.contains(&PointId::Num(3)));
        assert!(!has_id.has_id.contains(&PointId::Num(2)));
    }

    // match

    fn parse_match(value: Value) -> Result<Match, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn match_value_accepts_string_integer_and_bool() {
        assert_eq!(
            parse_match(json!({"value": "a"})).unwrap(),
            Match::Value {
                value: MatchValue::String("a".into())
            }
        );
        assert_eq!(
            parse_match(json!({"value": -4})).unwrap(),
            Match::Value {
                value: MatchValue::Integer(-4)
            }
        );
        assert_eq!(
            parse_match(json!({"value": true})).unwrap(),
            Match::Value {
                value: MatchValue::Bool(true)
            }
        );
    }

    #[test]
    fn match_value_rejects_floats_and_null() {
        assert!(parse_match(json!({"value": 1.5})).is_err());
        assert!(parse_match(json!({"value": null})).is_err());
    }

    #[test]
    fn match_text_variants_parse_by_key() {
        assert!(matches!(
            parse_match(json!({"text": "a b"})).unwrap(),
            Match::Text { .. }
        ));
        assert!(matches!(
            parse_match(json!({"text_any": "a b"})).unwrap(),
            Match::TextAny { .. }
        ));
        assert!(matches!(
            parse_match(json!({"phrase": "a b"})).unwrap(),
            Match::Phrase { .. }
        ));
        assert!(matches!(
            parse_match(json!({"prefix": "ab"})).unwrap(),
            Match::Prefix { .. }
        ));
    }

    #[test]
    fn match_any_is_strings_or_integers() {
        assert!(matches!(
            parse_match(json!({"any": ["a", "b"]})).unwrap(),
            Match::Any {
                any: AnyVariants::Strings(_)
            }
        ));
        assert!(matches!(
            parse_match(json!({"except": [1, 2]})).unwrap(),
            Match::Except {
                except: AnyVariants::Integers(_)
            }
        ));
    }

    #[test]
    fn match_any_rejects_mixed_lists() {
        assert!(parse_match(json!({"any": ["a", 1]})).is_err());
    }

    #[test]
    fn unknown_match_shape_uses_untagged_message() {
        let err = parse_match(json!({"nope": 1})).unwrap_err().to_string();
        assert_eq!(err, "data did not match any variant of untagged enum Match");
    }

    // range

    fn parse_range(value: Value) -> Result<RangeInterface, serde_json::Error> {
        serde_json::from_value(value)
    }

    fn utc(text: &str) -> Timestamp {
        Timestamp(
            DateTime::parse_from_rfc3339(text)
                .expect("test instants are RFC 3339")
                .to_utc(),
        )
    }

    #[test]
    fn numeric_range_accepts_integers_and_floats() {
        assert_eq!(
            parse_range(json!({"gte": 1, "lt": 2.5, "gt": null})).unwrap(),
            RangeInterface::Float(Range {
                gte: Some(1.0),
                lt: Some(2.5),
                ..Range::default()
            })
        );
    }

    #[test]
    fn any_string_bound_makes_a_datetime_range() {
        assert_eq!(
            parse_range(json!({"gte": "2023-01-01", "lt": "2023-02-01T00:00:00Z"})).unwrap(),
            RangeInterface::DateTime(Range {
                gte: Some(utc("2023-01-01T00:00:00Z")),
                lt: Some(utc("2023-02-01T00:00:00Z")),
                ..Range::default()
            })
        );
    }

    #[test]
    fn mixing_number_and_datetime_bounds_is_rejected() {
        let err = parse_range(json!({"gte": "2023-01-01", "lt": 5}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "data did not match any variant of untagged enum RangeInterface"
        );
    }

    #[test]
    fn unparsable_datetime_bound_is_reported() {
        let err = parse_range(json!({"gte": "yesterday"}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "'yesterday' is not in a supported date/time format, please use RFC 3339"
        );
    }

    #[test]
    fn bool_bound_is_rejected() {
        assert!(parse_range(json!({"gte": true})).is_err());
    }

    #[test]
    fn datetime_forms_accepted_by_qdrant_parse() {
        let cases = [
            ("2023-05-06T07:08:09Z", "2023-05-06T07:08:09Z"),
            ("2023-05-06T07:08:09.250+02:00", "2023-05-06T05:08:09.250Z"),
            ("2023-05-06 07:08:09+02:00", "2023-05-06T05:08:09Z"),
            ("2023-05-06T07:08:09+0200", "2023-05-06T05:08:09Z"),
            ("2023-05-06T07:08:09-05", "2023-05-06T12:08:09Z"),
            ("2023-05-06T07:08:09", "2023-05-06T07:08:09Z"),
            ("2023-05-06T07:08:09.5", "2023-05-06T07:08:09.500Z"),
            ("2023-05-06 07:08:09", "2023-05-06T07:08:09Z"),
            ("2023-05-06 07:08", "2023-05-06T07:08:00Z"),
            ("2023-05-06T07:08", "2023-05-06T07:08:00Z"),
            ("2023-05-06", "2023-05-06T00:00:00Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(Timestamp::parse(text), Some(utc(expected)), "{text}");
        }
    }

    #[test]
    fn non_datetime_strings_do_not_parse() {
        for text in ["", "hello", "2023-13-01", "2023-01-01T25:00:00Z", "1.5"] {
            assert_eq!(Timestamp::parse(text), None, "{text}");
        }
    }

    #[test]
    fn datetime_range_serializes_as_rfc3339() {
        let range = parse_range(json!({"gt": "2023-01-01"})).unwrap();
        assert_eq!(
            serde_json::to_value(&range).unwrap(),
            json!({"gt": "2023-01-01T00:00:00Z"})
        );
    }

    // geo

    fn ring(points: &[(f64, f64)]) -> Value {
        let points: Vec<Value> = points
            .iter()
            .map(|(lon, lat)| json!({"lon": lon, "lat": lat}))
            .collect();
        json!({ "points": points })
    }

    #[test]
    fn closed_polygon_parses() {
        let square = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        let polygon: GeoPolygon =
            serde_json::from_value(json!({"exterior": square, "interiors": [square]})).unwrap();
        assert_eq!(polygon.exterior.points.len(), 4);
    }

    #[test]
    fn polygon_with_fewer_than_four_points_is_rejected() {
        let err = serde_json::from_value::<GeoPolygon>(
            json!({"exterior": ring(&[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)])}),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "polygon invalid, the size must be at least 4, got 3");
    }

    #[test]
    fn open_polygon_ring_is_rejected() {
        let open = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        let err = serde_json::from_value::<GeoPolygon>(json!({"exterior": open}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("should be the same to form a closed line"),
            "{err}"
        );
    }

    #[test]
    fn open_interior_ring_is_rejected() {
        let closed = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        let open = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        assert!(
            serde_json::from_value::<GeoPolygon>(json!({"exterior": closed, "interiors": [open]}))
                .is_err()
        );
    }

    #[test]
    fn geo_point_requires_lon_and_lat() {
        assert!(serde_json::from_value::<GeoPoint>(json!({"lon": 1.0})).is_err());
    }

    // validate

    #[test]
    fn field_condition_without_test_is_a_validation_error() {
        let filter = parse(json!({"must": [{"key": "a"}], "should": {"key": "b", "match": null}}));
        let err = filter.validate().unwrap_err();
        assert_eq!(
            err,
            Error::Validation(
                "filter.should[0]: At least one field condition must be specified; \
                 filter.must[0]: At least one field condition must be specified"
                    .into()
            )
        );
    }

    #[test]
    fn validation_reaches_into_nested_and_sub_filters() {
        let filter = parse(json!({"must_not": [
            {"nested": {"key": "n", "filter": {"must": [{"key": "x"}]}}},
            {"min_should": {"conditions": [{"key": "y"}], "min_count": 1}}
        ]}));
        let err = filter.validate_at("query.filter").unwrap_err();
        assert_eq!(
            err,
            Error::Validation(
                "query.filter.must_not[0].nested.filter.must[0]: At least one field condition \
                 must be specified; query.filter.must_not[1].min_should.conditions[0]: At least \
                 one field condition must be specified"
                    .into()
            )
        );
    }

    #[test]
    fn field_condition_with_only_is_null_false_is_valid() {
        assert_eq!(
            parse(json!({"must": {"key": "a", "is_null": false}})).validate(),
            Ok(())
        );
    }

    #[test]
    fn bad_polygon_built_without_serde_is_bad_input() {
        let mut condition = FieldCondition::new(JsonPath::key("loc"));
        condition.geo_polygon = Some(GeoPolygon {
            exterior: GeoLineString {
                points: vec![GeoPoint { lon: 0.0, lat: 0.0 }],
            },
            interiors: None,
        });
        let filter = Filter {
            must: Some(vec![Condition::Field(condition)]),
            ..Filter::default()
        };
        assert_eq!(
            filter.validate(),
            Err(Error::BadInput(
                "polygon invalid, the size must be at least 4, got 1".into()
            ))
        );
    }

    #[test]
    fn filter_round_trips_through_json() {
        let original = json!({
            "should": [{"key": "a", "match": {"any": ["x", "y"]}}],
            "min_should": {"conditions": [{"has_vector": ""}], "min_count": 1},
            "must": [{"key": "b[].c", "range": {"gte": 1.0}}],
            "must_not": [{"is_null": {"key": "d"}}]
        });
        let filter = parse(original.clone());
        assert_eq!(serde_json::to_value(&filter).unwrap(), original);
    }
}
