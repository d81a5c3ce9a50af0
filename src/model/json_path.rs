//! JSON paths into a point's payload, and every payload operation that is addressed by one.
//!
//! Grammar (Qdrant's): a path is a key followed by any number of `.key`, `[]` and `[n]` items.
//! A bare key is one or more alphanumerics, `_` or `-`; any other key is written in double
//! quotes (`a."b.c"`, which cannot itself contain `"` or `\`). `[]` projects over every element
//! of an array and `[n]` picks one element. Anything else is rejected with
//! `Invalid json path: '<s>'`.
//!
//! Contracts every caller can rely on:
//! - Without `[]` or `[n]` a path never descends into an array: `a.b` on `{"a": [{"b": 1}]}`
//!   finds nothing. The value found at the end of a path may itself be an array; it is returned
//!   as one value and the caller decides what "matches" means for it.
//! - Reading ([`JsonPath::select`], [`JsonPath::any_value`]) never allocates per step; the
//!   filter evaluator calls it per point per query.
//! - The write operations ([`set_payload_at`], [`delete_at`]) and the projections
//!   ([`select_include`], [`select_exclude`]) reproduce Qdrant's observable results, including
//!   its quirks (documented on each function), so payloads look the same after the same calls.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::model::Payload;

/// A parsed JSON path. Always has at least one item, and the first item is a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JsonPath {
    items: Vec<PathItem>,
}

/// One step of a [`JsonPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathItem {
    /// `.key` (or the leading key): a member of an object.
    Key(String),
    /// `[n]`: one element of an array.
    Index(usize),
    /// `[]`: every element of an array.
    Each,
}

/// A string that is not a valid JSON path. Displays as Qdrant's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidJsonPath(pub String);

impl fmt::Display for InvalidJsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid json path: '{}'", self.0)
    }
}

impl std::error::Error for InvalidJsonPath {}

impl JsonPath {
    /// Parses `text`; see the module docs for the grammar.
    pub fn parse(text: &str) -> Result<JsonPath, InvalidJsonPath> {
        parse_items(text)
            .map(|items| JsonPath { items })
            .ok_or_else(|| InvalidJsonPath(text.to_string()))
    }

    /// A path made of one plain key (which may contain any character).
    pub fn key(key: impl Into<String>) -> JsonPath {
        JsonPath {
            items: vec![PathItem::Key(key.into())],
        }
    }

    /// The steps of this path; the first is always a [`PathItem::Key`].
    pub fn items(&self) -> &[PathItem] {
        &self.items
    }

    /// The values found at this path (see the module docs for how arrays are treated).
    pub fn select<'a>(&self, payload: &'a Payload) -> Vec<&'a Value> {
        let mut found = Vec::new();
        self.any_value(payload, |value| {
            found.push(value);
            false
        });
        found
    }

    /// Calls `test` on each value [`select`](Self::select) would return, stopping at (and
    /// returning `true` for) the first one it accepts. Allocates nothing.
    pub fn any_value<'a>(
        &self,
        payload: &'a Payload,
        mut test: impl FnMut(&'a Value) -> bool,
    ) -> bool {
        let (first, rest) = self.split_first_key();
        payload
            .get(first)
            .is_some_and(|value| find_in(value, rest, &mut test))
    }

    /// Like [`any_value`](Self::any_value) for this path with `[]` appended (unless it already
    /// ends with `[]`): visits the elements of the arrays found here. This is how a `nested`
    /// condition reaches its elements; a non-array value at the path yields nothing.
    pub fn any_array_element<'a>(
        &self,
        payload: &'a Payload,
        mut test: impl FnMut(&'a Value) -> bool,
    ) -> bool {
        if self.items.last() == Some(&PathItem::Each) {
            return self.any_value(payload, test);
        }
        self.any_value(payload, |value| match value {
            Value::Array(elements) => elements.iter().any(&mut test),
            _ => false,
        })
    }

    fn split_first_key(&self) -> (&str, &[PathItem]) {
        match self.items.split_first() {
            Some((PathItem::Key(key), rest)) => (key, rest),
            // Every constructor puts a key first; an empty key matches no payload member.
            _ => ("", &[]),
        }
    }
}

/// Depth-first search along `path` below `value`, stopping at the first accepted value.
fn find_in<'a>(
    value: &'a Value,
    path: &[PathItem],
    test: &mut impl FnMut(&'a Value) -> bool,
) -> bool {
    let Some((item, rest)) = path.split_first() else {
        return test(value);
    };
    match (item, value) {
        (PathItem::Key(key), Value::Object(map)) => {
            map.get(key).is_some_and(|child| find_in(child, rest, test))
        }
        (PathItem::Index(i), Value::Array(elements)) => elements
            .get(*i)
            .is_some_and(|child| find_in(child, rest, test)),
        (PathItem::Each, Value::Array(elements)) => {
            elements.iter().any(|child| find_in(child, rest, test))
        }
        _ => false,
    }
}

fn is_bare_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn needs_quoting(key: &str) -> bool {
    key.is_empty() || !key.chars().all(is_bare_key_char)
}

/// Parses the whole of `text` into path items, or `None` if any of it does not fit the grammar.
fn parse_items(text: &str) -> Option<Vec<PathItem>> {
    let mut rest = text;
    let mut items = vec![PathItem::Key(parse_key(&mut rest)?)];
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                rest = &rest[1..];
                items.push(PathItem::Key(parse_key(&mut rest)?));
            }
            '[' => {
                let close = rest.find(']')?;
                let inside = &rest[1..close];
                rest = &rest[close + 1..];
                if inside.is_empty() {
                    items.push(PathItem::Each);
                } else if inside.bytes().all(|b| b.is_ascii_digit()) {
                    items.push(PathItem::Index(inside.parse().ok()?));
                } else {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(items)
}

/// Consumes one bare or quoted key from the front of `rest`.
fn parse_key(rest: &mut &str) -> Option<String> {
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find(['"', '\\'])?;
        if quoted[end..].starts_with('\\') {
            return None;
        }
        let key = quoted[..end].to_string();
        *rest = &quoted[end + 1..];
        return Some(key);
    }
    let end = rest
        .find(|c: char| !is_bare_key_char(c))
        .unwrap_or(rest.len());
    if end == 0 {
        return None;
    }
    let key = rest[..end].to_string();
    *rest = &rest[end..];
    Some(key)
}

impl FromStr for JsonPath {
    type Err = InvalidJsonPath;

    fn from_str(text: &str) -> Result<JsonPath, InvalidJsonPath> {
        JsonPath::parse(text)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, item) in self.items.iter().enumerate() {
            match item {
                PathItem::Key(key) => {
                    if position > 0 {
                        f.write_str(".")?;
                    }
                    if needs_quoting(key) {
                        write!(f, "\"{key}\"")?;
                    } else {
                        f.write_str(key)?;
                    }
                }
                PathItem::Index(i) => write!(f, "[{i}]")?,
                PathItem::Each => f.write_str("[]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct JsonPathVisitor;

impl Visitor<'_> for JsonPathVisitor {
    type Value = JsonPath;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON path string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<JsonPath, E> {
        JsonPath::parse(text).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonPath, D::Error> {
        deserializer.deserialize_str(JsonPathVisitor)
    }
}

/// Qdrant's `set_payload`.
///
/// Without `key`: a shallow merge of `values`' top-level keys into `payload`, where a `null`
/// value removes that key instead of storing `null`.
///
/// With `key`: the same merge into the object at that path. Missing keys on the way are created
/// as objects and any non-object found where a key is expected is replaced by an object. `[]`
/// merges into every element of the array (a non-array there is replaced by `[]`, so nothing is
/// merged); `[n]` merges into an existing element only (a non-array there is replaced by `[]`).
/// The element or value at the end of the path is replaced by an object if it is not one.
pub fn set_payload_at(payload: &mut Payload, key: Option<&JsonPath>, values: &Payload) {
    match key {
        None => merge_top_level(payload, values),
        Some(path) => {
            let (first, rest) = path.split_first_key();
            set_in_map(payload, first, rest, values);
        }
    }
}

fn merge_top_level(target: &mut Payload, values: &Payload) {
    for (key, value) in values {
        if value.is_null() {
            target.shift_remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

fn set_in_map(map: &mut Payload, key: &str, rest: &[PathItem], values: &Payload) {
    let slot = map.entry(key.to_string()).or_insert(Value::Null);
    set_in_value(slot, rest, values);
}

fn set_in_value(target: &mut Value, path: &[PathItem], values: &Payload) {
    let Some((item, rest)) = path.split_first() else {
        merge_top_level(make_object(target), values);
        return;
    };
    match item {
        PathItem::Key(key) => set_in_map(make_object(target), key, rest, values),
        PathItem::Index(i) => {
            if let Some(element) = make_array(target).get_mut(*i) {
                set_in_value(element, rest, values);
            }
        }
        PathItem::Each => {
            for element in make_array(target) {
                set_in_value(element, rest, values);
            }
        }
    }
}

/// Replaces `value` with `{}` unless it is an object, and returns the object.
fn make_object(value: &mut Value) -> &mut Payload {
    if !value.is_object() {
        *value = Value::Object(Payload::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("the value was just made an object"),
    }
}

/// Replaces `value` with `[]` unless it is an array, and returns the array.
fn make_array(value: &mut Value) -> &mut Vec<Value> {
    if !value.is_array() {
        *value = Value::Array(Vec::new());
    }
    match value {
        Value::Array(elements) => elements,
        _ => unreachable!("the value was just made an array"),
    }
}

/// Qdrant's "delete payload key" for one path: removes the key the path ends in (descending
/// through `[]` and `[n]` as written). A path ending in `[]` empties that array; a path ending in
/// `[n]` does nothing, because removing an element by position is not idempotent.
pub fn delete_at(payload: &mut Payload, path: &JsonPath) {
    let (first, rest) = path.split_first_key();
    if rest.is_empty() {
        payload.shift_remove(first);
    } else if let Some(value) = payload.get_mut(first) {
        delete_in(value, rest);
    }
}

fn delete_in(value: &mut Value, path: &[PathItem]) {
    let Some((item, rest)) = path.split_first() else {
        return;
    };
    let last = rest.is_empty();
    match (item, value) {
        (PathItem::Key(key), Value::Object(map)) if last => {
            map.shift_remove(key);
        }
        (PathItem::Key(key), Value::Object(map)) => {
            if let Some(child) = map.get_mut(key) {
                delete_in(child, rest);
            }
        }
        (PathItem::Each, Value::Array(elements)) if last => elements.clear(),
        (PathItem::Each, Value::Array(elements)) => {
            for element in elements {
                delete_in(element, rest);
            }
        }
        (PathItem::Index(_), Value::Array(_)) if last => {}
        (PathItem::Index(i), Value::Array(elements)) => {
            if let Some(element) = elements.get_mut(*i) {
                delete_in(element, rest);
            }
        }
        _ => {}
    }
}

/// The payload reduced to the given paths, keeping their nesting (`b.c` → `{"b": {"c": …}}`).
///
/// Qdrant's projection walks the payload and keeps every node whose path is a prefix of a
/// pattern or has a pattern as prefix, where array elements are addressed as `[]`. Observable
/// consequences kept here: a scalar or object found part-way along a pattern is kept (a scalar
/// whole, an object with only the matching members, so `b.c` on `{"b": {"d": 1}}` gives
/// `{"b": {}}`); arrays are entered only by `[]` (`a.b` on `{"a": [..]}` gives `{"a": []}`); and
/// `[n]` patterns keep the array but none of its elements.
pub fn select_include(payload: &Payload, paths: &[JsonPath]) -> Payload {
    let mut patterns: Vec<&[PathItem]> = Vec::with_capacity(paths.len());
    let mut result = Payload::new();
    for (key, value) in payload {
        narrow(&mut patterns, paths.iter().map(|p| p.items()), key);
        if !patterns.is_empty() {
            result.insert(key.clone(), include_value(value, &patterns));
        }
    }
    result
}

/// The payload without the given paths. A pattern removes the node it names and everything
/// below it; arrays are entered only by `[]`, and `[n]` patterns remove nothing.
pub fn select_exclude(payload: &Payload, paths: &[JsonPath]) -> Payload {
    let mut patterns: Vec<&[PathItem]> = Vec::with_capacity(paths.len());
    let mut result = Payload::new();
    for (key, value) in payload {
        narrow(&mut patterns, paths.iter().map(|p| p.items()), key);
        if patterns.iter().any(|rest| rest.is_empty()) {
            continue;
        }
        result.insert(key.clone(), exclude_value(value, &patterns));
    }
    result
}

/// Fills `out` with the remainders of the `patterns` whose next item is the key `key`.
fn narrow<'p>(
    out: &mut Vec<&'p [PathItem]>,
    patterns: impl Iterator<Item = &'p [PathItem]>,
    key: &str,
) {
    out.clear();
    out.extend(patterns.filter_map(|items| match items.split_first() {
        Some((PathItem::Key(k), rest)) if k == key => Some(rest),
        _ => None,
    }));
}

/// Remainders of the `patterns` whose next item is `[]`.
fn narrow_each<'p>(patterns: &[&'p [PathItem]]) -> Vec<&'p [PathItem]> {
    patterns
        .iter()
        .filter_map(|items| match items.split_first() {
            Some((PathItem::Each, rest)) => Some(rest),
            _ => None,
        })
        .collect()
}

/// `value` (reached by a path compatible with all `patterns`) reduced to those patterns.
fn include_value(value: &Value, patterns: &[&[PathItem]]) -> Value {
    if patterns.iter().any(|rest| rest.is_empty()) {
        return value.clone();
    }
    match value {
        Value::Object(map) => {
            let mut kept = Payload::new();
            let mut next = Vec::with_capacity(patterns.len());
            for (key, child) in map {
                narrow(&mut next, patterns.iter().copied(), key);
                if !next.is_empty() {
                    kept.insert(key.clone(), include_value(child, &next));
                }
            }
            Value::Object(kept)
        }
        Value::Array(elements) => {
            let next = narrow_each(patterns);
            if next.is_empty() {
                return Value::Array(Vec::new());
            }
            Value::Array(elements.iter().map(|e| include_value(e, &next)).collect())
        }
        scalar => scalar.clone(),
    }
}

/// `value` (not itself excluded) without the parts named by `patterns`.
fn exclude_value(value: &Value, patterns: &[&[PathItem]]) -> Value {
    if patterns.is_empty() {
        return value.clone();
    }
    match value {
        Value::Object(map) => {
            let mut kept = Payload::new();
            let mut next = Vec::with_capacity(patterns.len());
            for (key, child) in map {
                narrow(&mut next, patterns.iter().copied(), key);
                if !next.iter().any(|rest| rest.is_empty()) {
                    kept.insert(key.clone(), exclude_value(child, &next));
                }
            }
            Value::Object(kept)
        }
        Value::Array(elements) => {
            let next = narrow_each(patterns);
            if next.iter().any(|rest| rest.is_empty()) {
                return Value::Array(Vec::new());
            }
            Value::Array(elements.iter().map(|e| exclude_value(e, &next)).collect())
        }
        scalar => scalar.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(text: &str) -> JsonPath {
        JsonPath::parse(text).expect("test paths are valid")
    }

    fn payload(value: Value) -> Payload {
        match value {
            Value::Object(map) => map,
            other => panic!("test payloads are objects, got {other}"),
        }
    }

    fn selected(text: &str, value: Value) -> Vec<Value> {
        path(text)
            .select(&payload(value))
            .into_iter()
            .cloned()
            .collect()
    }

    // Parsing and rendering.

    #[test]
    fn dotted_path_parses_into_keys() {
        assert_eq!(
            path("a.b-c.d_1").items(),
            &[
                PathItem::Key("a".into()),
                PathItem::Key("b-c".into()),
                PathItem::Key("d_1".into())
            ]
        );
    }

    #[test]
    fn brackets_parse_into_each_and_index() {
        assert_eq!(
            path("a[].b[12]").items(),
            &[
                PathItem::Key("a".into()),
                PathItem::Each,
                PathItem::Key("b".into()),
                PathItem::Index(12)
            ]
        );
    }

    #[test]
    fn quoted_key_may_contain_dots_and_brackets() {
        assert_eq!(
            path("a.\"b.c[]\"").items(),
            &[PathItem::Key("a".into()), PathItem::Key("b.c[]".into())]
        );
    }

    #[test]
    fn quoted_first_key_is_allowed() {
        assert_eq!(path("\"x y\".z").to_string(), "\"x y\".z");
    }

    #[test]
    fn unicode_letters_are_bare_key_chars() {
        assert_eq!(path("città").to_string(), "città");
    }

    #[test]
    fn invalid_paths_are_rejected_with_qdrant_message() {
        for bad in [
            "",
            "a.",
            ".a",
            "a..b",
            "a b",
            "a[",
            "a[x]",
            "a[-1]",
            "[0]",
            "a.[]",
            "\"a",
            "a]",
            "a\"b\"",
            "\"a\\\"b\"",
        ] {
            let err = JsonPath::parse(bad).expect_err(bad);
            assert_eq!(err.to_string(), format!("Invalid json path: '{bad}'"));
        }
    }

    #[test]
    fn index_too_large_for_usize_is_invalid() {
        assert!(JsonPath::parse("a[99999999999999999999999]").is_err());
    }

    #[test]
    fn display_round_trips_and_quotes_only_when_needed() {
        for text in ["a", "a.b[].c[3]", "a.\"b.c\"", "a.\"\"", "\"\""] {
            assert_eq!(path(text).to_string(), text);
            assert_eq!(path(&path(text).to_string()), path(text));
        }
        assert_eq!(path("a.\"bc\"").to_string(), "a.bc");
    }

    #[test]
    fn serde_uses_the_string_form() {
        let parsed: JsonPath = serde_json::from_value(json!("a[].b")).unwrap();
        assert_eq!(parsed, path("a[].b"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), json!("a[].b"));
    }

    #[test]
    fn deserializing_an_invalid_path_reports_it() {
        let err = serde_json::from_str::<JsonPath>("\"a..b\"").unwrap_err();
        assert!(
            err.to_string().starts_with("Invalid json path: 'a..b'"),
            "{err}"
        );
    }

    #[test]
    fn deserializing_a_non_string_is_an_error() {
        assert!(serde_json::from_value::<JsonPath>(json!(5)).is_err());
    }

    // Reading.

    #[test]
    fn top_level_key_is_selected() {
        assert_eq!(selected("a", json!({"a": 1, "b": 2})), vec![json!(1)]);
    }

    #[test]
    fn missing_key_selects_nothing() {
        assert!(selected("a.b", json!({"a": {"c": 1}})).is_empty());
        assert!(selected("z", json!({"a": 1})).is_empty());
    }

    #[test]
    fn path_without_brackets_does_not_descend_into_arrays() {
        assert!(selected("a.b", json!({"a": [{"b": 1}]})).is_empty());
    }

    #[test]
    fn final_array_is_returned_as_one_value() {
        assert_eq!(
            selected("a", json!({"a": [1, [2, 3]]})),
            vec![json!([1, [2, 3]])]
        );
    }

    #[test]
    fn each_projects_over_array_elements() {
        assert_eq!(
            selected("a[].b", json!({"a": [{"b": 1}, {"c": 2}, {"b": [3]}, 4]})),
            vec![json!(1), json!([3])]
        );
    }

    #[test]
    fn trailing_each_yields_elements_without_flattening_inner_arrays() {
        assert_eq!(
            selected("a[]", json!({"a": [1, [2, 3]]})),
            vec![json!(1), json!([2, 3])]
        );
    }

    #[test]
    fn index_picks_one_element() {
        assert_eq!(
            selected("a[1].b", json!({"a": [{"b": 1}, {"b": 2}]})),
            vec![json!(2)]
        );
        assert!(selected("a[5]", json!({"a": [1]})).is_empty());
    }

    #[test]
    fn brackets_on_a_non_array_select_nothing() {
        assert!(selected("a[]", json!({"a": 1})).is_empty());
        assert!(selected("a[0]", json!({"a": {"0": 1}})).is_empty());
    }

    #[test]
    fn null_is_a_selected_value() {
        assert_eq!(selected("a", json!({"a": null})), vec![json!(null)]);
    }

    #[test]
    fn any_value_stops_at_first_accepted_value() {
        let p = payload(json!({"a": [1, 2, 3]}));
        let mut visited = 0;
        assert!(path("a[]").any_value(&p, |v| {
            visited += 1;
            v == &json!(2)
        }));
        assert_eq!(visited, 2);
    }

    #[test]
    fn any_array_element_visits_elements_of_the_array_at_the_path() {
        let p = payload(json!({"a": [{"x": 1}, {"x": 2}], "s": {"x": 1}}));
        let mut seen = Vec::new();
        path("a").any_array_element(&p, |v| {
            seen.push(v.clone());
            false
        });
        assert_eq!(seen, vec![json!({"x": 1}), json!({"x": 2})]);
        assert!(!path("s").any_array_element(&p, |_| true));
    }

    #[test]
    fn any_array_element_does_not_double_a_trailing_each() {
        let p = payload(json!({"a": [[{"x": 1}], {"x": 2}]}));
        let mut seen = Vec::new();
        path("a[]").any_array_element(&p, |v| {
            seen.push(v.clone());
            false
        });
        assert_eq!(seen, vec![json!([{"x": 1}]), json!({"x": 2})]);
    }

    // set_payload.

    fn set(target: Value, key: Option<&str>, values: Value) -> Value {
        let mut target = payload(target);
        let key = key.map(path);
        set_payload_at(&mut target, key.as_ref(), &payload(values));
        Value::Object(target)
    }

    #[test]
    fn set_without_key_merges_top_level_keys() {
        assert_eq!(
            set(
                json!({"a": 1, "b": {"x": 1}}),
                None,
                json!({"b": {"y": 2}, "c": 3})
            ),
            json!({"a": 1, "b": {"y": 2}, "c": 3})
        );
    }

    #[test]
    fn set_null_value_removes_the_key() {
        assert_eq!(
            set(json!({"a": 1, "b": 2}), None, json!({"a": null})),
            json!({"b": 2})
        );
        assert_eq!(
            set(json!({"o": {"a": 1}}), Some("o"), json!({"a": null})),
            json!({"o": {}})
        );
    }

    #[test]
    fn set_with_key_merges_into_nested_object() {
        assert_eq!(
            set(json!({"a": {"b": {"x": 1}}}), Some("a.b"), json!({"y": 2})),
            json!({"a": {"b": {"x": 1, "y": 2}}})
        );
    }

    #[test]
    fn set_with_key_creates_missing_objects() {
        assert_eq!(
            set(json!({}), Some("k1.k2"), json!({"c": 1})),
            json!({"k1": {"k2": {"c": 1}}})
        );
    }

    #[test]
    fn set_with_key_replaces_non_objects_on_the_way() {
        assert_eq!(
            set(json!({"a": 10}), Some("a.b.c"), json!({"x": 1})),
            json!({"a": {"b": {"c": {"x": 1}}}})
        );
    }

    #[test]
    fn set_with_each_merges_into_every_element() {
        assert_eq!(
            set(
                json!({"a": [{"b": 1}, {"b": 2}, 3]}),
                Some("a[]"),
                json!({"c": 0})
            ),
            json!({"a": [{"b": 1, "c": 0}, {"b": 2, "c": 0}, {"c": 0}]})
        );
    }

    #[test]
    fn set_with_each_on_missing_array_leaves_an_empty_array() {
        assert_eq!(
            set(json!({}), Some("k1.k2[].k3"), json!({"c": 1})),
            json!({"k1": {"k2": []}})
        );
    }

    #[test]
    fn set_with_index_updates_existing_element_only() {
        assert_eq!(
            set(
                json!({"a": [{"c": 1}, {"c": 2}]}),
                Some("a[1]"),
                json!({"c": 5})
            ),
            json!({"a": [{"c": 1}, {"c": 5}]})
        );
        assert_eq!(
            set(json!({"a": [{"c": 1}]}), Some("a[3]"), json!({"c": 5})),
            json!({"a": [{"c": 1}]})
        );
    }

    // delete payload keys.

    fn deleted(target: Value, key: &str) -> Value {
        let mut target = payload(target);
        delete_at(&mut target, &path(key));
        Value::Object(target)
    }

    #[test]
    fn delete_removes_top_level_key() {
        assert_eq!(deleted(json!({"a": 1, "b": 2}), "a"), json!({"b": 2}));
    }

    #[test]
    fn delete_removes_nested_key() {
        assert_eq!(
            deleted(json!({"a": {"b": {"c": 1, "d": 2}}}), "a.b.c"),
            json!({"a": {"b": {"d": 2}}})
        );
    }

    #[test]
    fn delete_with_trailing_each_empties_the_array() {
        assert_eq!(deleted(json!({"a": [1, 2]}), "a[]"), json!({"a": []}));
    }

    #[test]
    fn delete_through_each_removes_key_in_every_element() {
        assert_eq!(
            deleted(json!({"a": [{"b": 1, "c": 1}, {"b": 2}]}), "a[].b"),
            json!({"a": [{"c": 1}, {}]})
        );
    }

    #[test]
    fn delete_with_trailing_index_does_nothing() {
        assert_eq!(deleted(json!({"a": [1, 2]}), "a[0]"), json!({"a": [1, 2]}));
    }

    #[test]
    fn delete_without_brackets_does_not_descend_into_arrays() {
        assert_eq!(
            deleted(json!({"a": [{"b": 1}]}), "a.b"),
            json!({"a": [{"b": 1}]})
        );
    }

    // with_payload include / exclude.

    fn include(value: Value, paths: &[&str]) -> Value {
        let paths: Vec<JsonPath> = paths.iter().map(|p| path(p)).collect();
        Value::Object(select_include(&payload(value), &paths))
    }

    fn exclude(value: Value, paths: &[&str]) -> Value {
        let paths: Vec<JsonPath> = paths.iter().map(|p| path(p)).collect();
        Value::Object(select_exclude(&payload(value), &paths))
    }

    #[test]
    fn include_keeps_listed_top_level_keys_in_payload_order() {
        let out = include(json!({"a": 1, "b": 2, "c": 3}), &["c", "a", "z"]);
        assert_eq!(out, json!({"a": 1, "c": 3}));
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "c"]);
    }

    #[test]
    fn include_preserves_nesting_of_included_keys() {
        assert_eq!(
            include(json!({"a": 1, "b": {"c": 2, "d": 3}}), &["b.c"]),
            json!({"b": {"c": 2}})
        );
    }

    #[test]
    fn include_keeps_empty_parent_when_nested_key_is_missing() {
        assert_eq!(include(json!({"b": {"d": 3}}), &["b.c"]), json!({"b": {}}));
    }

    #[test]
    fn include_through_each_projects_array_elements() {
        assert_eq!(
            include(json!({"a": [{"b": 1, "c": 2}, {"c": 3}]}), &["a[].b"]),
            json!({"a": [{"b": 1}, {}]})
        );
    }

    #[test]
    fn include_without_brackets_keeps_array_but_no_elements() {
        assert_eq!(
            include(json!({"a": [{"b": 1}]}), &["a.b"]),
            json!({"a": []})
        );
    }

    #[test]
    fn include_of_a_parent_keeps_the_whole_subtree() {
        assert_eq!(
            include(json!({"a": {"b": [1, {"c": 2}]}}), &["a.b.c", "a"]),
            json!({"a": {"b": [1, {"c": 2}]}})
        );
    }

    #[test]
    fn exclude_removes_listed_keys() {
        assert_eq!(
            exclude(json!({"a": 1, "b": {"c": 2, "d": 3}}), &["a", "b.c"]),
            json!({"b": {"d": 3}})
        );
    }

    #[test]
    fn exclude_through_each_removes_key_in_every_element() {
        assert_eq!(
            exclude(json!({"a": [{"b": 1, "c": 2}, 5]}), &["a[].b"]),
            json!({"a": [{"c": 2}, 5]})
        );
    }

    #[test]
    fn exclude_without_brackets_does_not_descend_into_arrays() {
        assert_eq!(
            exclude(json!({"a": [{"b": 1}]}), &["a.b"]),
            json!({"a": [{"b": 1}]})
        );
    }

    #[test]
    fn exclude_of_trailing_each_empties_the_array() {
        assert_eq!(exclude(json!({"a": [1, 2]}), &["a[]"]), json!({"a": []}));
    }
}
