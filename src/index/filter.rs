//! The one filter evaluator: what a [`Filter`] means for one point.
//!
//! Every path that filters points (scroll, count, search candidates, payload updates by filter,
//! nested conditions) calls [`matches()`]; no other code interprets a filter. The semantics are
//! Qdrant's for a collection without payload indexes:
//!
//! - `must`: all match; `should`: at least one (an explicit empty list matches nothing);
//!   `must_not`: none; `min_should`: at least `min_count`; an absent clause is true.
//! - A field condition looks at the values its path selects (see `model::json_path`). A test on
//!   an array value passes if any element passes (arrays inside arrays are not entered). A missing
//!   field fails every test except `is_empty: true`, `is_null: false` and a `values_count` range
//!   that includes 0.
//! - Several tests in one field condition: as in Qdrant, `values_count` alone decides if present,
//!   else `is_empty`, else `is_null`; the remaining tests (`match`, `range`, geo) are alternatives
//!   — any of them passing is enough.
//! - `match.value` is strictly typed: integers match JSON numbers that are exactly an `i64`
//!   (a stored `1.0` does not match `1`), strings match strings, bools match bools.
//! - Text matches (`text`, `text_any`, `phrase`) depend on the key's index, as in Qdrant 1.18:
//!   without a text index, `text` and `phrase` are substring tests and `text_any` passes if any
//!   whitespace-separated query word is a substring; on a key with a text index they are token
//!   tests under that index's tokenizer ([`TextAnalyzer::matches`]). The point view says which
//!   keys have one ([`PointView::text_analyzer`]). Inside `nested` the element's relative keys
//!   are not looked up (substring tests apply there).
//! - `has_id` and `has_vector` inside a `nested` filter are false: an array element has neither.
//!
//! Cost: nothing here allocates, except a token test on a text-indexed key (it tokenizes the
//! query and the value); one evaluation walks the filter once and the payload along the
//! condition paths only. Datetime strings in payloads are parsed per test because payloads are
//! stored as JSON.

use serde_json::Value;

use crate::index::text::TextAnalyzer;
use crate::model::Payload;
use crate::model::filter::{
    AnyVariants, Condition, FieldCondition, Filter, GeoBoundingBox, GeoPoint, GeoPolygon,
    GeoRadius, Match, MatchValue, MinShould, Range, RangeInterface, Timestamp, ValuesCount,
};
use crate::model::json_path::JsonPath;
use crate::model::point_id::PointId;

/// What the evaluator needs to know about a point.
pub trait PointView {
    fn id(&self) -> PointId;
    fn payload(&self) -> &Payload;
    /// Whether the point has a vector under `name` (`""` is the unnamed vector).
    fn has_vector(&self, name: &str) -> bool;
    /// The tokenizer of the text index on `key`, if the collection has one there.
    fn text_analyzer(&self, _key: &JsonPath) -> Option<&TextAnalyzer> {
        None
    }
}

/// True if `point` satisfies `filter`.
pub fn matches(filter: &Filter, point: &(impl PointView + ?Sized)) -> bool {
    Scope {
        payload: point.payload(),
        point: Some(point),
    }
    .filter(filter)
}

/// True if `point` satisfies one `condition` (as the only condition of a filter's `must`).
pub fn condition_matches(condition: &Condition, point: &(impl PointView + ?Sized)) -> bool {
    Scope {
        payload: point.payload(),
        point: Some(point),
    }
    .condition(condition)
}

/// The object conditions are evaluated against: a point's payload, or one array element inside a
/// `nested` condition (then there is no point, so no id and no vectors).
struct Scope<'a, P: ?Sized> {
    payload: &'a Payload,
    point: Option<&'a P>,
}

impl<P: PointView + ?Sized> Scope<'_, P> {
    fn filter(&self, filter: &Filter) -> bool {
        let must = |list: &Option<Vec<Condition>>| list.iter().flatten().all(|c| self.condition(c));
        let must_not =
            |list: &Option<Vec<Condition>>| !list.iter().flatten().any(|c| self.condition(c));
        let should = |list: &Option<Vec<Condition>>| {
            list.as_ref()
                .is_none_or(|conditions| conditions.iter().any(|c| self.condition(c)))
        };
        must(&filter.must)
            && must_not(&filter.must_not)
            && should(&filter.should)
            && filter
                .min_should
                .as_ref()
                .is_none_or(|min_should| self.min_should(min_should))
    }

    fn min_should(&self, min_should: &MinShould) -> bool {
        let wanted = min_should.min_count;
        wanted == 0
            || min_should
                .conditions
                .iter()
                .filter(|c| self.condition(c))
                .take(wanted)
                .count()
                == wanted
    }

    fn condition(&self, condition: &Condition) -> bool {
        match condition {
            Condition::Field(field) => {
                let analyzer = match (&field.r#match, self.point) {
                    (
                        Some(Match::Text { .. } | Match::TextAny { .. } | Match::Phrase { .. }),
                        Some(point),
                    ) => point.text_analyzer(&field.key),
                    _ => None,
                };
                field_matches(field, self.payload, analyzer)
            }
            Condition::IsEmpty(c) => {
                // All selected values empty; no values at all (missing) counts as empty.
                !c.is_empty
                    .key
                    .any_value(self.payload, |value| !is_empty_value(value))
            }
            Condition::IsNull(c) => c.is_null.key.any_value(self.payload, Value::is_null),
            Condition::HasId(c) => self.point.is_some_and(|p| c.has_id.contains(&p.id())),
            Condition::HasVector(c) => self.point.is_some_and(|p| p.has_vector(&c.has_vector)),
            Condition::Nested(c) => {
                let nested = &c.nested;
                nested
                    .key
                    .any_array_element(self.payload, |element| match element {
                        Value::Object(object) => Scope::<P> {
                            payload: object,
                            point: None,
                        }
                        .filter(&nested.filter),
                        _ => false,
                    })
            }
            Condition::Filter(filter) => self.filter(filter),
        }
    }
}

fn field_matches(
    condition: &FieldCondition,
    payload: &Payload,
    analyzer: Option<&TextAnalyzer>,
) -> bool {
    let mut found = false;
    let passed = condition.key.any_value(payload, |value| {
        found = true;
        value_passes(condition, value, analyzer)
    });
    passed || (!found && passes_when_missing(condition))
}

fn passes_when_missing(condition: &FieldCondition) -> bool {
    if let Some(count) = &condition.values_count {
        return count_in(count, 0);
    }
    if let Some(expected) = condition.is_empty {
        return expected;
    }
    if let Some(expected) = condition.is_null {
        return !expected;
    }
    false
}

/// One selected value against the field condition (priority order in the module docs).
fn value_passes(condition: &FieldCondition, value: &Value, text: Option<&TextAnalyzer>) -> bool {
    if let Some(count) = &condition.values_count {
        let n = match value {
            Value::Null => 0,
            Value::Array(elements) => elements.len(),
            _ => 1,
        };
        return count_in(count, n);
    }
    if let Some(expected) = condition.is_empty {
        return is_empty_value(value) == expected;
    }
    if let Some(expected) = condition.is_null {
        let null = match value {
            Value::Null => true,
            Value::Array(elements) => elements.iter().any(Value::is_null),
            _ => false,
        };
        return null == expected;
    }
    match value {
        Value::Array(elements) => elements.iter().any(|e| element_passes(condition, e, text)),
        _ => element_passes(condition, value, text),
    }
}

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(elements) => elements.is_empty(),
        _ => false,
    }
}

/// The value tests of a field condition against one non-array value (or an array nested in an
/// array, which only `except` accepts).
fn element_passes(condition: &FieldCondition, value: &Value, text: Option<&TextAnalyzer>) -> bool {
    condition
        .r#match
        .as_ref()
        .is_some_and(|m| match_passes(m, value, text))
        || condition
            .range
            .as_ref()
            .is_some_and(|r| range_passes(r, value))
        || condition
            .geo_bounding_box
            .as_ref()
            .is_some_and(|b| geo_point(value).is_some_and(|p| in_bounding_box(b, p)))
        || condition
            .geo_radius
            .as_ref()
            .is_some_and(|r| geo_point(value).is_some_and(|p| in_radius(r, p)))
        || condition
            .geo_polygon
            .as_ref()
            .is_some_and(|g| geo_point(value).is_some_and(|p| in_polygon(g, p)))
}

fn match_passes(condition: &Match, value: &Value, text: Option<&TextAnalyzer>) -> bool {
    if let (Some(analyzer), Some(stored)) = (text, value.as_str())
        && let Some(passed) = analyzer.matches(condition, stored)
    {
        return passed;
    }
    match condition {
        Match::Value { value: expected } => match (expected, value) {
            (MatchValue::String(s), Value::String(stored)) => s == stored,
            (MatchValue::Integer(i), Value::Number(stored)) => stored.as_i64() == Some(*i),
            (MatchValue::Bool(b), Value::Bool(stored)) => b == stored,
            _ => false,
        },
        Match::Text { text } | Match::Phrase { phrase: text } => value
            .as_str()
            .is_some_and(|stored| stored.contains(text.as_str())),
        Match::TextAny { text_any } => value.as_str().is_some_and(|stored| {
            text_any
                .split_whitespace()
                .any(|token| stored.contains(token))
        }),
        Match::Prefix { prefix } => value
            .as_str()
            .is_some_and(|stored| stored.starts_with(prefix.as_str())),
        Match::Any { any } => match (any, value) {
            (AnyVariants::Strings(set), Value::String(stored)) => set.contains(stored.as_str()),
            (AnyVariants::Integers(set), Value::Number(stored)) => {
                stored.as_i64().is_some_and(|n| set.contains(&n))
            }
            _ => false,
        },
        Match::Except { except } => match (except, value) {
            (_, Value::Null) => false,
            (AnyVariants::Strings(set), Value::String(stored)) => !set.contains(stored.as_str()),
            // A number that is not an i64 (a float) cannot be in an integer list.
            (AnyVariants::Integers(set), Value::Number(stored)) => {
                stored.as_i64().is_none_or(|n| !set.contains(&n))
            }
            // A value of another type is never in the list.
            _ => true,
        },
    }
}

fn range_passes(range: &RangeInterface, value: &Value) -> bool {
    match range {
        RangeInterface::Float(bounds) => value.as_f64().is_some_and(|x| in_range(bounds, &x)),
        RangeInterface::DateTime(bounds) => value
            .as_str()
            .and_then(Timestamp::parse)
            .is_some_and(|t| in_range(bounds, &t)),
    }
}

fn in_range<T: PartialOrd>(bounds: &Range<T>, x: &T) -> bool {
    bounds.lt.as_ref().is_none_or(|b| x < b)
        && bounds.gt.as_ref().is_none_or(|b| x > b)
        && bounds.lte.as_ref().is_none_or(|b| x <= b)
        && bounds.gte.as_ref().is_none_or(|b| x >= b)
}

fn count_in(bounds: &ValuesCount, n: usize) -> bool {
    bounds.lt.is_none_or(|b| n < b)
        && bounds.gt.is_none_or(|b| n > b)
        && bounds.lte.is_none_or(|b| n <= b)
        && bounds.gte.is_none_or(|b| n >= b)
}

/// A stored geo value: an object with numeric `lon` and `lat`.
fn geo_point(value: &Value) -> Option<GeoPoint> {
    let object = value.as_object()?;
    Some(GeoPoint {
        lon: object.get("lon")?.as_f64()?,
        lat: object.get("lat")?.as_f64()?,
    })
}

fn in_bounding_box(bounds: &GeoBoundingBox, p: GeoPoint) -> bool {
    let (west, east) = (bounds.top_left.lon, bounds.bottom_right.lon);
    let lon_inside = if west > east {
        // The box crosses the antimeridian: inside is east of `west` or west of `east`.
        p.lon > west || p.lon < east
    } else {
        west < p.lon && p.lon < east
    };
    lon_inside && bounds.bottom_right.lat < p.lat && p.lat < bounds.top_left.lat
}

/// Mean Earth radius in metres (IUGG), the one Qdrant's Haversine distance uses.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn in_radius(circle: &GeoRadius, p: GeoPoint) -> bool {
    haversine_m(circle.center, p) < circle.radius
}

/// The great-circle distance in metres between two points (Haversine, Qdrant's Earth radius).
pub fn haversine_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat_b - lat_a) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Strictly inside the exterior ring and strictly outside every hole (points on any ring are
/// outside), treating lon/lat as plane coordinates like Qdrant does.
fn in_polygon(polygon: &GeoPolygon, p: GeoPoint) -> bool {
    ring_position(&polygon.exterior.points, p) == RingPosition::Inside
        && polygon
            .interiors
            .iter()
            .flatten()
            .all(|hole| ring_position(&hole.points, p) == RingPosition::Outside)
}

#[derive(PartialEq)]
enum RingPosition {
    Inside,
    Outside,
    OnRing,
}

/// Even-odd ray casting towards +lon, with an exact on-edge check first.
fn ring_position(ring: &[GeoPoint], p: GeoPoint) -> RingPosition {
    let mut inside = false;
    // Pair every point with its successor, wrapping, so an unclosed ring is closed implicitly.
    for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        if on_segment(p, *a, *b) {
            return RingPosition::OnRing;
        }
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let crossing_lon = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
            if p.lon < crossing_lon {
                inside = !inside;
            }
        }
    }
    if inside {
        RingPosition::Inside
    } else {
        RingPosition::Outside
    }
}

fn on_segment(p: GeoPoint, a: GeoPoint, b: GeoPoint) -> bool {
    let cross = (b.lon - a.lon) * (p.lat - a.lat) - (b.lat - a.lat) * (p.lon - a.lon);
    cross == 0.0
        && a.lon.min(b.lon) <= p.lon
        && p.lon <= a.lon.max(b.lon)
        && a.lat.min(b.lat) <= p.lat
        && p.lat <= a.lat.max(b.lat)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    struct TestPoint {
        id: PointId,
        payload: Payload,
        vectors: &'static [&'static str],
        /// A text index on this key, with these params.
        text_index: Option<(JsonPath, TextAnalyzer)>,
    }

    impl PointView for TestPoint {
        fn id(&self) -> PointId {
            self.id
        }

        fn payload(&self) -> &Payload {
            &self.payload
        }

        fn has_vector(&self, name: &str) -> bool {
            self.vectors.contains(&name)
        }

        fn text_analyzer(&self, key: &JsonPath) -> Option<&TextAnalyzer> {
            self.text_index
                .as_ref()
                .filter(|(indexed, _)| indexed == key)
                .map(|(_, analyzer)| analyzer)
        }
    }

    fn point(payload: Value) -> TestPoint {
        let Value::Object(payload) = payload else {
            panic!("test payloads are objects");
        };
        TestPoint {
            id: PointId::Num(7),
            payload,
            vectors: &[""],
            text_index: None,
        }
    }

    /// Does the payload pass this one condition when `key` has a text index with `params`?
    fn passes_indexed(key: &str, params: Value, condition: Value, payload: Value) -> bool {
        let params = serde_json::from_value(params).expect("test params parse");
        let mut p = point(payload);
        p.text_index = Some((
            JsonPath::parse(key).unwrap(),
            TextAnalyzer::new(Some(&params)),
        ));
        matches(&filter(json!({ "must": [condition] })), &p)
    }

    fn filter(value: Value) -> Filter {
        let filter: Filter = serde_json::from_value(value).expect("test filter parses");
        filter.validate().expect("test filter is valid");
        filter
    }

    /// Does the payload pass a `must` of this one condition?
    fn passes(condition: Value, payload: Value) -> bool {
        matches(&filter(json!({ "must": [condition] })), &point(payload))
    }

    fn field(key: &str, test: &str, value: Value) -> Value {
        json!({ "key": key, test: value })
    }

    // Boolean structure.

    #[test]
    fn empty_filter_matches_every_point() {
        assert!(matches(&Filter::default(), &point(json!({}))));
    }

    #[test]
    fn points_can_be_viewed_through_a_trait_object() {
        let p = point(json!({}));
        let view: &dyn PointView = &p;
        assert!(matches(&filter(json!({"must": {"has_id": [7]}})), view));
    }

    #[test]
    fn must_requires_every_condition() {
        let f = filter(json!({"must": [{"has_id": [7]}, {"has_id": [8]}]}));
        assert!(!matches(&f, &point(json!({}))));
        let f = filter(json!({"must": [{"has_id": [7]}, {"has_vector": ""}]}));
        assert!(matches(&f, &point(json!({}))));
    }

    #[test]
    fn should_requires_at_least_one_condition() {
        let f = filter(json!({"should": [{"has_id": [1]}, {"has_id": [7]}]}));
        assert!(matches(&f, &point(json!({}))));
        let f = filter(json!({"should": [{"has_id": [1]}, {"has_id": [2]}]}));
        assert!(!matches(&f, &point(json!({}))));
    }

    #[test]
    fn empty_should_list_matches_nothing() {
        assert!(!matches(&filter(json!({"should": []})), &point(json!({}))));
    }

    #[test]
    fn empty_must_and_must_not_lists_match_everything() {
        let f = filter(json!({"must": [], "must_not": []}));
        assert!(matches(&f, &point(json!({}))));
    }

    #[test]
    fn must_not_rejects_if_any_condition_matches() {
        let f = filter(json!({"must_not": [{"has_id": [1]}, {"has_id": [7]}]}));
        assert!(!matches(&f, &point(json!({}))));
        let f = filter(json!({"must_not": [{"has_id": [1]}]}));
        assert!(matches(&f, &point(json!({}))));
    }

    #[test]
    fn must_not_includes_points_missing_the_field() {
        let f = filter(json!({"must_not": [{"key": "a", "match": {"value": 1}}]}));
        assert!(matches(&f, &point(json!({}))));
    }

    #[test]
    fn min_should_counts_matching_conditions() {
        let conditions = json!([{"has_id": [7]}, {"has_vector": ""}, {"has_id": [1]}]);
        let f =
            |n: usize| filter(json!({"min_should": {"conditions": conditions, "min_count": n}}));
        let p = point(json!({}));
        assert!(matches(&f(0), &p));
        assert!(matches(&f(2), &p));
        assert!(!matches(&f(3), &p));
    }

    #[test]
    fn all_clauses_must_hold_together() {
        let f = filter(json!({
            "must": {"has_id": [7]},
            "should": {"has_vector": "img"},
        }));
        assert!(!matches(&f, &point(json!({}))));
    }

    #[test]
    fn nested_filter_condition_is_evaluated_recursively() {
        let f = filter(json!({"must": [{"should": [{"has_id": [1]}, {"has_id": [7]}]}]}));
        assert!(matches(&f, &point(json!({}))));
    }

    // match.value

    #[test]
    fn match_string_value_equals_string() {
        assert!(passes(
            field("c", "match", json!({"value": "red"})),
            json!({"c": "red"})
        ));
        assert!(!passes(
            field("c", "match", json!({"value": "red"})),
            json!({"c": "Red"})
        ));
    }

    #[test]
    fn match_integer_value_equals_integer() {
        assert!(passes(
            field("n", "match", json!({"value": 5})),
            json!({"n": 5})
        ));
        assert!(passes(
            field("n", "match", json!({"value": -5})),
            json!({"n": -5})
        ));
        assert!(!passes(
            field("n", "match", json!({"value": 5})),
            json!({"n": 6})
        ));
    }

    #[test]
    fn float_payload_does_not_match_integer_value() {
        assert!(!passes(
            field("n", "match", json!({"value": 1})),
            json!({"n": 1.0})
        ));
    }

    #[test]
    fn u64_beyond_i64_does_not_match_integer_value() {
        let f = field("n", "match", json!({"value": i64::MAX}));
        assert!(!passes(f, json!({"n": u64::MAX})));
    }

    #[test]
    fn match_value_does_not_convert_between_types() {
        assert!(!passes(
            field("n", "match", json!({"value": "1"})),
            json!({"n": 1})
        ));
        assert!(!passes(
            field("n", "match", json!({"value": 1})),
            json!({"n": "1"})
        ));
        assert!(!passes(
            field("b", "match", json!({"value": true})),
            json!({"b": 1})
        ));
        assert!(!passes(
            field("b", "match", json!({"value": true})),
            json!({"b": "true"})
        ));
    }

    #[test]
    fn match_bool_value_equals_bool() {
        assert!(passes(
            field("b", "match", json!({"value": false})),
            json!({"b": false})
        ));
        assert!(!passes(
            field("b", "match", json!({"value": false})),
            json!({"b": true})
        ));
    }

    #[test]
    fn match_on_array_passes_if_any_element_matches() {
        let f = field("tags", "match", json!({"value": "b"}));
        assert!(passes(f.clone(), json!({"tags": ["a", "b"]})));
        assert!(!passes(f, json!({"tags": ["a", "c"]})));
    }

    #[test]
    fn arrays_inside_arrays_are_not_flattened() {
        assert!(!passes(
            field("t", "match", json!({"value": 1})),
            json!({"t": [[1]]})
        ));
    }

    #[test]
    fn missing_field_fails_match() {
        assert!(!passes(
            field("c", "match", json!({"value": "red"})),
            json!({})
        ));
    }

    #[test]
    fn null_field_fails_match() {
        assert!(!passes(
            field("c", "match", json!({"value": "red"})),
            json!({"c": null})
        ));
    }

    #[test]
    fn nested_key_path_is_followed() {
        let f = field("a.b", "match", json!({"value": 1}));
        assert!(passes(f.clone(), json!({"a": {"b": 1}})));
        assert!(!passes(f, json!({"a": [{"b": 1}]})));
    }

    #[test]
    fn projection_path_matches_any_element_field() {
        let f = field("a[].b", "match", json!({"value": 2}));
        assert!(passes(f, json!({"a": [{"b": 1}, {"b": 2}]})));
    }

    // match.any / match.except

    #[test]
    fn match_any_passes_for_value_in_list() {
        let f = field("c", "match", json!({"any": ["red", "blue"]}));
        assert!(passes(f.clone(), json!({"c": "blue"})));
        assert!(!passes(f, json!({"c": "green"})));
    }

    #[test]
    fn match_any_integers_are_strictly_typed() {
        let f = field("n", "match", json!({"any": [1, 2]}));
        assert!(passes(f.clone(), json!({"n": 2})));
        assert!(!passes(f.clone(), json!({"n": 2.0})));
        assert!(!passes(f, json!({"n": "2"})));
    }

    #[test]
    fn match_any_with_empty_list_matches_nothing() {
        assert!(!passes(
            field("c", "match", json!({"any": []})),
            json!({"c": "x"})
        ));
    }

    #[test]
    fn match_except_passes_for_value_not_in_list() {
        let f = field("c", "match", json!({"except": ["red"]}));
        assert!(passes(f.clone(), json!({"c": "blue"})));
        assert!(!passes(f, json!({"c": "red"})));
    }

    #[test]
    fn match_except_fails_on_stored_null() {
        assert!(!passes(
            field("c", "match", json!({"except": ["red"]})),
            json!({"c": null})
        ));
    }

    #[test]
    fn match_except_fails_on_missing_field() {
        assert!(!passes(
            field("c", "match", json!({"except": ["red"]})),
            json!({})
        ));
    }

    #[test]
    fn match_except_passes_on_value_of_another_type() {
        let strings = field("c", "match", json!({"except": ["red"]}));
        assert!(passes(strings.clone(), json!({"c": 5})));
        assert!(passes(strings.clone(), json!({"c": true})));
        assert!(passes(strings, json!({"c": {"x": 1}})));
        let integers = field("n", "match", json!({"except": [1]}));
        assert!(passes(integers.clone(), json!({"n": 1.5})));
        assert!(passes(integers, json!({"n": "1"})));
    }

    #[test]
    fn match_except_on_array_passes_if_any_element_is_outside_list() {
        let f = field("t", "match", json!({"except": ["a"]}));
        assert!(passes(f.clone(), json!({"t": ["a", "b"]})));
        assert!(!passes(f.clone(), json!({"t": ["a", "a"]})));
        assert!(!passes(f, json!({"t": []})));
    }

    #[test]
    fn match_except_accepts_array_inside_array() {
        assert!(passes(
            field("t", "match", json!({"except": [1]})),
            json!({"t": [[1]]})
        ));
    }

    // text matches without a text index

    #[test]
    fn match_text_on_text_indexed_key_needs_whole_tokens() {
        let doc = json!({"t": "The Quick, brown fox"});
        let text = |q: &str| field("t", "match", json!({ "text": q }));
        assert!(passes_indexed(
            "t",
            json!({}),
            text("quick FOX"),
            doc.clone()
        ));
        assert!(!passes_indexed("t", json!({}), text("Qui"), doc.clone()));
        assert!(!passes_indexed(
            "t",
            json!({}),
            text("fox dog"),
            doc.clone()
        ));
        // The same conditions without the index are substring tests.
        assert!(passes(text("Qui"), doc.clone()));
        assert!(!passes(text("quick FOX"), doc.clone()));
        // An index on another key changes nothing here.
        assert!(passes_indexed("other", json!({}), text("Qui"), doc));
    }

    #[test]
    fn match_text_any_and_phrase_on_text_indexed_key() {
        let doc = json!({"t": ["red apple", "green pear"]});
        let any = field("t", "match", json!({"text_any": "Pear kiwi"}));
        assert!(passes_indexed("t", json!({}), any, doc.clone()));
        let phrase = field("t", "match", json!({"phrase": "GREEN pear"}));
        assert!(!passes_indexed("t", json!({}), phrase.clone(), doc.clone()));
        let with_phrases = json!({"phrase_matching": true});
        assert!(passes_indexed(
            "t",
            with_phrases.clone(),
            phrase,
            doc.clone()
        ));
        let reversed = field("t", "match", json!({"phrase": "pear green"}));
        assert!(!passes_indexed("t", with_phrases, reversed, doc));
    }

    #[test]
    fn text_index_is_not_used_inside_nested() {
        let doc = json!({"items": [{"t": "Quick fox"}]});
        let nested = json!({"nested": {"key": "items", "filter": {"must": [
            {"key": "t", "match": {"text": "Qui"}}
        ]}}});
        assert!(passes_indexed("t", json!({}), nested, doc));
    }

    #[test]
    fn match_text_is_a_substring_test() {
        let f = field("d", "match", json!({"text": "quick brown"}));
        assert!(passes(f.clone(), json!({"d": "the quick brown fox"})));
        assert!(!passes(f, json!({"d": "the brown quick fox"})));
    }

    #[test]
    fn match_text_is_case_sensitive_without_index() {
        assert!(!passes(
            field("d", "match", json!({"text": "Fox"})),
            json!({"d": "fox"})
        ));
    }

    #[test]
    fn match_text_any_passes_if_any_token_is_a_substring() {
        let f = field("d", "match", json!({"text_any": "cat  fox"}));
        assert!(passes(f.clone(), json!({"d": "the foxes"})));
        assert!(!passes(f, json!({"d": "a dog"})));
    }

    #[test]
    fn match_text_any_with_blank_query_matches_nothing() {
        assert!(!passes(
            field("d", "match", json!({"text_any": "  "})),
            json!({"d": "x"})
        ));
    }

    #[test]
    fn match_phrase_is_a_substring_test() {
        let f = field("d", "match", json!({"phrase": "brown fox"}));
        assert!(passes(f.clone(), json!({"d": "quick brown fox"})));
        assert!(!passes(f, json!({"d": "brown quick fox"})));
    }

    #[test]
    fn match_prefix_tests_string_start() {
        let f = field("d", "match", json!({"prefix": "qu"}));
        assert!(passes(f.clone(), json!({"d": "quick"})));
        assert!(!passes(f, json!({"d": "a quick"})));
    }

    #[test]
    fn text_matches_ignore_non_strings() {
        assert!(!passes(
            field("d", "match", json!({"text": "1"})),
            json!({"d": 1})
        ));
    }

    // range

    #[test]
    fn range_bounds_are_inclusive_or_exclusive_as_named() {
        let f = |bounds: Value| field("n", "range", bounds);
        assert!(passes(f(json!({"gte": 5})), json!({"n": 5})));
        assert!(!passes(f(json!({"gt": 5})), json!({"n": 5})));
        assert!(passes(f(json!({"lte": 5})), json!({"n": 5})));
        assert!(!passes(f(json!({"lt": 5})), json!({"n": 5})));
        assert!(passes(f(json!({"gt": 1, "lt": 10})), json!({"n": 9.5})));
    }

    #[test]
    fn range_matches_integers_and_floats() {
        let f = field("n", "range", json!({"gte": 1.5, "lte": 2.5}));
        assert!(passes(f.clone(), json!({"n": 2})));
        assert!(passes(f, json!({"n": 2.25})));
    }

    #[test]
    fn stored_strings_do_not_match_numeric_range() {
        assert!(!passes(
            field("n", "range", json!({"gte": 0})),
            json!({"n": "5"})
        ));
    }

    #[test]
    fn empty_range_matches_any_number_only() {
        assert!(passes(field("n", "range", json!({})), json!({"n": -1})));
        assert!(!passes(field("n", "range", json!({})), json!({"n": true})));
    }

    #[test]
    fn range_on_array_passes_if_any_element_is_in_range() {
        let f = field("n", "range", json!({"gt": 10}));
        assert!(passes(f.clone(), json!({"n": [1, 11]})));
        assert!(!passes(f, json!({"n": [1, 2]})));
    }

    #[test]
    fn datetime_range_matches_stored_datetime_strings() {
        let f = field(
            "t",
            "range",
            json!({"gte": "2023-01-01", "lt": "2023-02-01T00:00:00Z"}),
        );
        assert!(passes(f.clone(), json!({"t": "2023-01-15T10:00:00Z"})));
        assert!(passes(f.clone(), json!({"t": "2023-01-31 23:59:59"})));
        assert!(passes(f.clone(), json!({"t": "2023-01-01T00:00:00+00:00"})));
        assert!(!passes(f.clone(), json!({"t": "2023-02-01"})));
        assert!(!passes(f, json!({"t": "2022-12-31T23:59:59Z"})));
    }

    #[test]
    fn datetime_range_compares_instants_across_offsets() {
        let f = field("t", "range", json!({"lt": "2023-01-01T00:00:00Z"}));
        assert!(passes(f.clone(), json!({"t": "2023-01-01T00:30:00+01:00"})));
        assert!(!passes(f, json!({"t": "2022-12-31T23:30:00-01:00"})));
    }

    #[test]
    fn datetime_range_ignores_unparsable_and_non_string_values() {
        let f = field("t", "range", json!({"gte": "2000-01-01"}));
        assert!(!passes(f.clone(), json!({"t": "not a date"})));
        assert!(!passes(f, json!({"t": 1_700_000_000})));
    }

    // values_count

    #[test]
    fn values_count_counts_array_length() {
        let f = field("a", "values_count", json!({"gt": 1}));
        assert!(passes(f.clone(), json!({"a": [1, 2]})));
        assert!(!passes(f, json!({"a": [1]})));
    }

    #[test]
    fn values_count_counts_scalar_as_one_and_null_as_zero() {
        let one = field("a", "values_count", json!({"gte": 1, "lte": 1}));
        assert!(passes(one.clone(), json!({"a": "x"})));
        assert!(passes(one.clone(), json!({"a": {"b": 1}})));
        assert!(!passes(one, json!({"a": null})));
        assert!(passes(
            field("a", "values_count", json!({"lt": 1})),
            json!({"a": null})
        ));
    }

    #[test]
    fn values_count_range_including_zero_matches_missing_field() {
        assert!(passes(
            field("a", "values_count", json!({"lt": 1})),
            json!({})
        ));
        assert!(passes(
            field("a", "values_count", json!({"lte": 3})),
            json!({})
        ));
        assert!(!passes(
            field("a", "values_count", json!({"gte": 1})),
            json!({})
        ));
    }

    #[test]
    fn values_count_takes_precedence_over_other_tests() {
        let f = json!({"key": "a", "values_count": {"gt": 5}, "match": {"value": 1}});
        assert!(!passes(f, json!({"a": [1]})));
    }

    // is_empty / is_null

    #[test]
    fn is_empty_is_true_for_missing_null_and_empty_array() {
        let f = json!({"is_empty": {"key": "a"}});
        assert!(passes(f.clone(), json!({})));
        assert!(passes(f.clone(), json!({"a": null})));
        assert!(passes(f.clone(), json!({"a": []})));
        assert!(!passes(f.clone(), json!({"a": [null]})));
        assert!(!passes(f.clone(), json!({"a": ""})));
        assert!(!passes(f.clone(), json!({"a": {}})));
        assert!(!passes(f, json!({"a": 0})));
    }

    #[test]
    fn is_empty_through_projection_requires_every_value_empty() {
        let f = json!({"is_empty": {"key": "a[].b"}});
        assert!(passes(f.clone(), json!({"a": [{"b": null}, {"c": 1}]})));
        assert!(passes(f.clone(), json!({"a": []})));
        assert!(!passes(f, json!({"a": [{"b": null}, {"b": 1}]})));
    }

    #[test]
    fn is_null_is_true_only_for_json_null() {
        let f = json!({"is_null": {"key": "a"}});
        assert!(passes(f.clone(), json!({"a": null})));
        assert!(!passes(f.clone(), json!({})));
        assert!(!passes(f.clone(), json!({"a": []})));
        assert!(!passes(f.clone(), json!({"a": [null]})));
        assert!(!passes(f, json!({"a": 0})));
    }

    #[test]
    fn is_null_through_projection_is_true_if_any_selected_value_is_null() {
        let f = json!({"is_null": {"key": "a[].b"}});
        assert!(passes(f.clone(), json!({"a": [{"b": 1}, {"b": null}]})));
        assert!(!passes(f, json!({"a": [{"b": 1}, {"c": null}]})));
    }

    #[test]
    fn field_is_empty_true_matches_missing_null_and_empty_array() {
        let f = field("a", "is_empty", json!(true));
        assert!(passes(f.clone(), json!({})));
        assert!(passes(f.clone(), json!({"a": null})));
        assert!(passes(f.clone(), json!({"a": []})));
        assert!(!passes(f.clone(), json!({"a": [null]})));
        assert!(!passes(f, json!({"a": 1})));
    }

    #[test]
    fn field_is_empty_false_matches_present_values_only() {
        let f = field("a", "is_empty", json!(false));
        assert!(!passes(f.clone(), json!({})));
        assert!(!passes(f.clone(), json!({"a": []})));
        assert!(passes(f.clone(), json!({"a": [null]})));
        assert!(passes(f, json!({"a": "x"})));
    }

    #[test]
    fn field_is_null_true_also_matches_array_containing_null() {
        let f = field("a", "is_null", json!(true));
        assert!(passes(f.clone(), json!({"a": null})));
        assert!(passes(f.clone(), json!({"a": [1, null]})));
        assert!(!passes(f.clone(), json!({"a": [1]})));
        assert!(!passes(f, json!({})));
    }

    #[test]
    fn field_is_null_false_matches_missing_field() {
        let f = field("a", "is_null", json!(false));
        assert!(passes(f.clone(), json!({})));
        assert!(passes(f.clone(), json!({"a": 1})));
        assert!(passes(f.clone(), json!({"a": []})));
        assert!(!passes(f.clone(), json!({"a": null})));
        assert!(!passes(f, json!({"a": [1, null]})));
    }

    // has_id / has_vector

    #[test]
    fn has_id_matches_listed_ids() {
        assert!(passes(json!({"has_id": [1, 7]}), json!({})));
        assert!(!passes(json!({"has_id": [1, 2]}), json!({})));
        assert!(!passes(json!({"has_id": []}), json!({})));
    }

    #[test]
    fn has_id_matches_uuid_in_any_form() {
        let uuid = Uuid::parse_str("550e8400-e29b-41d4-a716-446655440000").unwrap();
        let mut p = point(json!({}));
        p.id = PointId::Uuid(uuid);
        let f = filter(json!({"must": {"has_id": ["550E8400E29B41D4A716446655440000"]}}));
        assert!(matches(&f, &p));
    }

    #[test]
    fn has_vector_checks_named_vector() {
        let mut p = point(json!({}));
        p.vectors = &["img"];
        assert!(matches(&filter(json!({"must": {"has_vector": "img"}})), &p));
        assert!(!matches(
            &filter(json!({"must": {"has_vector": "txt"}})),
            &p
        ));
        assert!(!matches(&filter(json!({"must": {"has_vector": ""}})), &p));
    }

    #[test]
    fn has_vector_empty_name_is_the_unnamed_vector() {
        assert!(passes(json!({"has_vector": ""}), json!({})));
    }

    // nested

    fn diet() -> Value {
        json!({"diet": [
            {"food": "meat", "likes": false},
            {"food": "leaves", "likes": true}
        ]})
    }

    #[test]
    fn nested_requires_one_element_to_satisfy_whole_filter() {
        let nested = |food: &str, likes: bool| {
            json!({"nested": {"key": "diet", "filter": {"must": [
                {"key": "food", "match": {"value": food}},
                {"key": "likes", "match": {"value": likes}}
            ]}}})
        };
        assert!(passes(nested("leaves", true), diet()));
        assert!(!passes(nested("meat", true), diet()));
    }

    #[test]
    fn plain_projection_matches_across_elements_unlike_nested() {
        let flat = json!({"must": [
            {"key": "diet[].food", "match": {"value": "meat"}},
            {"key": "diet[].likes", "match": {"value": true}}
        ]});
        assert!(passes(flat, diet()));
    }

    #[test]
    fn nested_key_may_end_with_brackets() {
        let f = json!({"nested": {"key": "diet[]", "filter": {"must": {"key": "food", "match": {"value": "meat"}}}}});
        assert!(passes(f, diet()));
    }

    #[test]
    fn nested_on_missing_or_non_array_field_is_false() {
        let f = json!({"nested": {"key": "diet", "filter": {}}});
        assert!(!passes(f.clone(), json!({})));
        assert!(!passes(f.clone(), json!({"diet": {"food": "meat"}})));
        assert!(!passes(f, json!({"diet": [1, "x"]})));
    }

    #[test]
    fn nested_must_not_applies_per_element() {
        let f = json!({"nested": {"key": "diet", "filter": {"must_not": {"key": "likes", "match": {"value": true}}}}});
        assert!(passes(f, diet()));
    }

    #[test]
    fn has_id_and_has_vector_inside_nested_are_false() {
        let by_id = json!({"nested": {"key": "diet", "filter": {"must": {"has_id": [7]}}}});
        let by_vector = json!({"nested": {"key": "diet", "filter": {"must": {"has_vector": ""}}}});
        assert!(!passes(by_id, diet()));
        assert!(!passes(by_vector, diet()));
    }

    #[test]
    fn nested_inside_nested_uses_relative_keys() {
        let payload = json!({"a": [{"b": [{"c": 1}, {"c": 2}]}]});
        let f = json!({"nested": {"key": "a", "filter": {"must": {
            "nested": {"key": "b", "filter": {"must": {"key": "c", "match": {"value": 2}}}}
        }}}});
        assert!(passes(f, payload));
    }

    // geo

    fn berlin() -> Value {
        json!({"loc": {"lon": 13.404954, "lat": 52.520008}})
    }

    #[test]
    fn geo_radius_uses_haversine_metres() {
        // Berlin to Potsdam is about 27.19 km.
        let potsdam = json!({"lon": 13.064473, "lat": 52.390569});
        let f = |radius: f64| json!({"key": "loc", "geo_radius": {"center": potsdam, "radius": radius}});
        assert!(passes(f(27_200.0), berlin()));
        assert!(!passes(f(27_180.0), berlin()));
    }

    #[test]
    fn geo_radius_distance_must_be_strictly_less() {
        let f = json!({"key": "loc", "geo_radius": {"center": {"lon": 13.404954, "lat": 52.520008}, "radius": 0.0}});
        assert!(!passes(f, berlin()));
    }

    #[test]
    fn geo_radius_matches_any_point_in_array() {
        let f = json!({"key": "loc", "geo_radius": {"center": {"lon": 0.0, "lat": 0.0}, "radius": 1000.0}});
        let payload = json!({"loc": [{"lon": 50.0, "lat": 50.0}, {"lon": 0.001, "lat": 0.001}]});
        assert!(passes(f, payload));
    }

    #[test]
    fn geo_bounding_box_bounds_are_exclusive() {
        let f = |top_left: Value, bottom_right: Value| json!({"key": "loc", "geo_bounding_box": {"top_left": top_left, "bottom_right": bottom_right}});
        let inside = f(
            json!({"lon": 13.0, "lat": 53.0}),
            json!({"lon": 14.0, "lat": 52.0}),
        );
        assert!(passes(inside, berlin()));
        let on_edge = f(
            json!({"lon": 13.404954, "lat": 53.0}),
            json!({"lon": 14.0, "lat": 52.0}),
        );
        assert!(!passes(on_edge, berlin()));
    }

    #[test]
    fn geo_bounding_box_wraps_across_antimeridian() {
        let f = json!({"key": "loc", "geo_bounding_box": {
            "top_left": {"lon": 170.0, "lat": 10.0},
            "bottom_right": {"lon": -170.0, "lat": -10.0}
        }});
        assert!(passes(
            f.clone(),
            json!({"loc": {"lon": 179.0, "lat": 0.0}})
        ));
        assert!(passes(
            f.clone(),
            json!({"loc": {"lon": -175.0, "lat": 0.0}})
        ));
        assert!(!passes(f, json!({"loc": {"lon": 0.0, "lat": 0.0}})));
    }

    #[test]
    fn geo_tests_ignore_values_that_are_not_geo_points() {
        let f = json!({"key": "loc", "geo_radius": {"center": {"lon": 0.0, "lat": 0.0}, "radius": 1e9}});
        assert!(!passes(f.clone(), json!({"loc": "0,0"})));
        assert!(!passes(f.clone(), json!({"loc": {"lon": 0.0}})));
        assert!(!passes(f, json!({"loc": {"lon": "0", "lat": 0.0}})));
    }

    fn square(min: f64, max: f64) -> Value {
        json!({"points": [
            {"lon": min, "lat": min}, {"lon": max, "lat": min},
            {"lon": max, "lat": max}, {"lon": min, "lat": max},
            {"lon": min, "lat": min}
        ]})
    }

    #[test]
    fn geo_polygon_matches_points_inside_exterior() {
        let f = json!({"key": "loc", "geo_polygon": {"exterior": square(0.0, 10.0)}});
        assert!(passes(f.clone(), json!({"loc": {"lon": 5.0, "lat": 5.0}})));
        assert!(!passes(f, json!({"loc": {"lon": 11.0, "lat": 5.0}})));
    }

    #[test]
    fn geo_polygon_excludes_points_on_the_boundary() {
        let f = json!({"key": "loc", "geo_polygon": {"exterior": square(0.0, 10.0)}});
        assert!(!passes(
            f.clone(),
            json!({"loc": {"lon": 10.0, "lat": 5.0}})
        ));
        assert!(!passes(f, json!({"loc": {"lon": 0.0, "lat": 0.0}})));
    }

    #[test]
    fn geo_polygon_excludes_points_in_holes() {
        let f = json!({"key": "loc", "geo_polygon": {
            "exterior": square(0.0, 10.0),
            "interiors": [square(4.0, 6.0)]
        }});
        assert!(!passes(f.clone(), json!({"loc": {"lon": 5.0, "lat": 5.0}})));
        assert!(!passes(f.clone(), json!({"loc": {"lon": 4.0, "lat": 5.0}})));
        assert!(passes(f, json!({"loc": {"lon": 2.0, "lat": 2.0}})));
    }

    #[test]
    fn geo_polygon_handles_concave_shapes() {
        // An L shape: the notch at the top right is outside.
        let l_shape = json!({"points": [
            {"lon": 0.0, "lat": 0.0}, {"lon": 10.0, "lat": 0.0}, {"lon": 10.0, "lat": 5.0},
            {"lon": 5.0, "lat": 5.0}, {"lon": 5.0, "lat": 10.0}, {"lon": 0.0, "lat": 10.0},
            {"lon": 0.0, "lat": 0.0}
        ]});
        let f = json!({"key": "loc", "geo_polygon": {"exterior": l_shape}});
        assert!(passes(f.clone(), json!({"loc": {"lon": 2.0, "lat": 8.0}})));
        assert!(passes(f.clone(), json!({"loc": {"lon": 8.0, "lat": 2.0}})));
        assert!(!passes(f, json!({"loc": {"lon": 8.0, "lat": 8.0}})));
    }

    // several tests in one field condition

    #[test]
    fn value_tests_in_one_condition_are_alternatives() {
        let f = json!({"key": "a", "match": {"value": "x"}, "range": {"gt": 10}});
        assert!(passes(f.clone(), json!({"a": "x"})));
        assert!(passes(f.clone(), json!({"a": 11})));
        assert!(!passes(f, json!({"a": 5})));
    }

    #[test]
    fn is_empty_takes_precedence_over_value_tests() {
        let f = json!({"key": "a", "is_empty": false, "match": {"value": "x"}});
        assert!(passes(f, json!({"a": "y"})));
    }
}
