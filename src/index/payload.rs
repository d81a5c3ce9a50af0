//! Payload index structures: for each indexed key, which offsets hold which values.
//!
//! A [`FieldIndex`] maps the values an index of its type holds (the values at the key, arrays
//! flattened one level — what the filter evaluator visits) to the offsets holding them: a hash
//! map for value lookups (keyword, integer, bool, uuid) and an ordered map for ranges (float,
//! datetime); text and geo keys delegate to a [`TextIndex`] (token posting lists) and a
//! [`GeoIndex`] (a lon/lat grid). Indexes only grow: a point written again is added under its
//! new offset (or again under the same one, for a payload changed in place), and what its old
//! values said stays behind. So an index answers with a **superset** of the offsets that can
//! match, and the engine rebuilds indexes when stale entries pile up. For a `match` on a lookup
//! index ([`FieldIndex::matches_exactly`]) the answer is exact but for offsets indexed more than
//! once, which the engine tracks; elsewhere callers evaluate the filter on what an index
//! returns. That superset is what the search planner uses to size a filter (its cardinality
//! estimate) and, when it is small, as the list of points to score.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use serde_json::Value;

use crate::index::geo::GeoIndex;
use crate::index::text::{TextAnalyzer, TextIndex};
use crate::model::Payload;
use crate::model::filter::{
    AnyVariants, FieldCondition, GeoPoint, Match, MatchValue, Range, RangeInterface, Timestamp,
};
use crate::model::json_path::JsonPath;
use crate::model::payload_index::{PayloadFieldSchema, PayloadSchemaParams, PayloadSchemaType};

/// A value a lookup index holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// An `f64` ordered by `total_cmp`, for the range map.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Number(f64);

impl Eq for Number {}
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The index of one payload key.
#[derive(Clone, Debug)]
pub struct FieldIndex {
    key: JsonPath,
    data_type: PayloadSchemaType,
    lookup: HashMap<Key, Vec<u32>>,
    numbers: BTreeMap<Number, Vec<u32>>,
    datetimes: BTreeMap<Timestamp, Vec<u32>>,
    text: Option<TextIndex>,
    geo: Option<GeoIndex>,
    entries: usize,
}

impl FieldIndex {
    /// An empty index of `key` with the type's default params.
    pub fn new(key: JsonPath, data_type: PayloadSchemaType) -> Self {
        Self::for_schema(key, &PayloadFieldSchema::FieldType(data_type))
    }

    /// An empty index of `key` as `schema` declares it (the params matter to text indexes).
    pub fn for_schema(key: JsonPath, schema: &PayloadFieldSchema) -> Self {
        let data_type = schema.data_type();
        let text = (data_type == PayloadSchemaType::Text).then(|| {
            let params = match schema.params() {
                Some(PayloadSchemaParams::Text(p)) => Some(p),
                _ => None,
            };
            TextIndex::new(TextAnalyzer::new(params))
        });
        FieldIndex {
            key,
            data_type,
            lookup: HashMap::new(),
            numbers: BTreeMap::new(),
            datetimes: BTreeMap::new(),
            text,
            geo: (data_type == PayloadSchemaType::Geo).then(GeoIndex::default),
            entries: 0,
        }
    }

    pub fn key(&self) -> &JsonPath {
        &self.key
    }

    /// The tokenizer of a text index, which decides what text matches mean on its key.
    pub fn text_analyzer(&self) -> Option<&TextAnalyzer> {
        self.text.as_ref().map(TextIndex::analyzer)
    }

    /// Number of (value, offset) entries, stale ones included.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Adds the values `payload` holds at this key under `offset`.
    pub fn add(&mut self, offset: u32, payload: &Payload) {
        let data_type = self.data_type;
        let mut values: Vec<&Value> = Vec::new();
        self.key.any_value(payload, |value| {
            match value {
                Value::Array(items) => values.extend(items.iter()),
                other => values.push(other),
            }
            false
        });
        for value in values.into_iter().filter(|v| data_type.holds(v)) {
            self.entries += 1;
            match data_type {
                PayloadSchemaType::Keyword => push(&mut self.lookup, key_str(value), offset),
                PayloadSchemaType::Uuid => {
                    // Match values compare as written; index the text itself.
                    push(&mut self.lookup, key_str(value), offset)
                }
                PayloadSchemaType::Integer => {
                    if let Some(i) = value.as_i64() {
                        push(&mut self.lookup, Key::Int(i), offset);
                    }
                }
                PayloadSchemaType::Bool => {
                    if let Some(b) = value.as_bool() {
                        push(&mut self.lookup, Key::Bool(b), offset);
                    }
                }
                PayloadSchemaType::Float => {
                    if let Some(x) = value.as_f64() {
                        self.numbers.entry(Number(x)).or_default().push(offset);
                    }
                }
                PayloadSchemaType::Datetime => {
                    if let Some(t) = value.as_str().and_then(Timestamp::parse) {
                        self.datetimes.entry(t).or_default().push(offset);
                    }
                }
                PayloadSchemaType::Text => {
                    if let (Some(text), Some(s)) = (&mut self.text, value.as_str()) {
                        text.add(offset, s);
                    }
                }
                PayloadSchemaType::Geo => {
                    let point = value.as_object().and_then(|o| {
                        Some(GeoPoint {
                            lon: o.get("lon")?.as_f64()?,
                            lat: o.get("lat")?.as_f64()?,
                        })
                    });
                    if let (Some(geo), Some(point)) = (&mut self.geo, point) {
                        geo.add(offset, point);
                    }
                }
            }
        }
    }

    /// A superset of the offsets a `match` on this key accepts, if this index can tell.
    pub fn matching(&self, m: &Match) -> Option<Vec<u32>> {
        if let Some(text) = &self.text {
            return text.candidates(m);
        }
        // A uuid index holds only strings that parse as UUIDs: it can answer for those alone.
        let is_uuid = |s: &String| uuid::Uuid::parse_str(s).is_ok();
        if self.data_type == PayloadSchemaType::Uuid {
            let all_uuids = match m {
                Match::Value {
                    value: MatchValue::String(s),
                } => is_uuid(s),
                Match::Any {
                    any: AnyVariants::Strings(set),
                } => set.iter().all(is_uuid),
                _ => false,
            };
            if !all_uuids {
                return None;
            }
        }
        use PayloadSchemaType as T;
        let keys: Vec<Key> = match (self.data_type, m) {
            (
                T::Keyword | T::Uuid,
                Match::Value {
                    value: MatchValue::String(s),
                },
            ) => vec![Key::Str(s.clone())],
            (
                T::Integer,
                Match::Value {
                    value: MatchValue::Integer(i),
                },
            ) => vec![Key::Int(*i)],
            (
                T::Bool,
                Match::Value {
                    value: MatchValue::Bool(b),
                },
            ) => vec![Key::Bool(*b)],
            (
                T::Keyword | T::Uuid,
                Match::Any {
                    any: AnyVariants::Strings(set),
                },
            ) => set.iter().cloned().map(Key::Str).collect(),
            (
                T::Integer,
                Match::Any {
                    any: AnyVariants::Integers(set),
                },
            ) => set.iter().copied().map(Key::Int).collect(),
            _ => return None,
        };
        let mut out: Vec<u32> = keys
            .iter()
            .filter_map(|k| self.lookup.get(k))
            .flatten()
            .copied()
            .collect();
        // A payload changed in place adds its offset again: the same offset may be listed twice.
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Whether what [`FieldIndex::matching`] returns for `m` is exactly the offsets whose values,
    /// as last added, match it: true for `value` and `any` on keyword, uuid, integer and bool
    /// indexes, which hold the very values the filter evaluator compares (text indexes only
    /// narrow by tokens).
    pub fn matches_exactly(&self, m: &Match) -> bool {
        use PayloadSchemaType as T;
        self.text.is_none()
            && matches!(m, Match::Value { .. } | Match::Any { .. })
            && matches!(self.data_type, T::Keyword | T::Uuid | T::Integer | T::Bool)
    }

    /// A superset of the offsets a `range` on this key accepts, if this index can tell.
    pub fn in_range(&self, range: &RangeInterface) -> Option<Vec<u32>> {
        match (self.data_type, range) {
            (PayloadSchemaType::Float, RangeInterface::Float(r)) => {
                Some(collect(&self.numbers, bounds(r, Number)))
            }
            (PayloadSchemaType::Datetime, RangeInterface::DateTime(r)) => {
                Some(collect(&self.datetimes, bounds(r, |t| t)))
            }
            _ => None,
        }
    }

    /// A superset of the offsets a field condition's one geo test accepts, if this is a geo
    /// index and the condition has exactly one geo test and nothing else.
    pub fn geo_matching(&self, field: &FieldCondition) -> Option<Vec<u32>> {
        let geo = self.geo.as_ref()?;
        let others = field.r#match.is_some()
            || field.range.is_some()
            || field.values_count.is_some()
            || field.is_empty.is_some()
            || field.is_null.is_some();
        if others {
            return None;
        }
        match (
            &field.geo_radius,
            &field.geo_bounding_box,
            &field.geo_polygon,
        ) {
            (Some(circle), None, None) => Some(geo.within_radius(circle)),
            (None, Some(bounds), None) => Some(geo.within_box(bounds)),
            (None, None, Some(polygon)) => Some(geo.within_polygon(polygon)),
            _ => None,
        }
    }
}

fn key_str(value: &Value) -> Key {
    Key::Str(value.as_str().unwrap_or_default().to_string())
}

fn push(map: &mut HashMap<Key, Vec<u32>>, key: Key, offset: u32) {
    let list = map.entry(key).or_default();
    if list.last() != Some(&offset) {
        list.push(offset);
    }
}

/// The tightest lower and upper bounds a range gives (`gt`/`gte`, `lt`/`lte`).
fn bounds<T: Copy + PartialOrd, K: Ord + Copy>(
    r: &Range<T>,
    key: impl Fn(T) -> K,
) -> (Bound<K>, Bound<K>) {
    let lower = match (r.gt, r.gte) {
        (Some(a), Some(b)) if a >= b => Bound::Excluded(key(a)),
        (_, Some(b)) => Bound::Included(key(b)),
        (Some(a), None) => Bound::Excluded(key(a)),
        (None, None) => Bound::Unbounded,
    };
    let upper = match (r.lt, r.lte) {
        (Some(a), Some(b)) if a <= b => Bound::Excluded(key(a)),
        (_, Some(b)) => Bound::Included(key(b)),
        (Some(a), None) => Bound::Excluded(key(a)),
        (None, None) => Bound::Unbounded,
    };
    (lower, upper)
}

fn collect<K: Ord>(map: &BTreeMap<K, Vec<u32>>, (lower, upper): (Bound<K>, Bound<K>)) -> Vec<u32> {
    // An empty or inverted range selects nothing (BTreeMap::range panics on those).
    let inverted = match (&lower, &upper) {
        (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => {
            a > b
                || (a == b
                    && !(matches!(lower, Bound::Included(_))
                        && matches!(upper, Bound::Included(_))))
        }
        _ => false,
    };
    if inverted {
        return Vec::new();
    }
    let mut out: Vec<u32> = map
        .range((lower, upper))
        .flat_map(|(_, offsets)| offsets.iter().copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(v: Value) -> Payload {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn keyword_lookup_sees_array_elements() {
        let mut index =
            FieldIndex::new(JsonPath::parse("tags").unwrap(), PayloadSchemaType::Keyword);
        index.add(0, &payload(json!({"tags": ["a", "b"]})));
        index.add(1, &payload(json!({"tags": "b"})));
        index.add(2, &payload(json!({"tags": 3})));
        let m: Match = serde_json::from_value(json!({"value": "b"})).unwrap();
        assert_eq!(index.matching(&m), Some(vec![0, 1]));
        let any: Match = serde_json::from_value(json!({"any": ["a", "z"]})).unwrap();
        assert_eq!(index.matching(&any), Some(vec![0]));
        let int: Match = serde_json::from_value(json!({"value": 3})).unwrap();
        assert_eq!(index.matching(&int), None);
    }

    #[test]
    fn float_ranges_respect_open_and_closed_bounds() {
        let mut index =
            FieldIndex::new(JsonPath::parse("price").unwrap(), PayloadSchemaType::Float);
        for (offset, price) in [1.0, 2.0, 2.5, 3.0].into_iter().enumerate() {
            index.add(offset as u32, &payload(json!({ "price": price })));
        }
        let r: RangeInterface = serde_json::from_value(json!({"gt": 1.0, "lte": 2.5})).unwrap();
        assert_eq!(index.in_range(&r), Some(vec![1, 2]));
        let empty: RangeInterface = serde_json::from_value(json!({"gt": 3.0, "lt": 1.0})).unwrap();
        assert_eq!(index.in_range(&empty), Some(vec![]));
        let point: RangeInterface = serde_json::from_value(json!({"gt": 2.0, "lt": 2.0})).unwrap();
        assert_eq!(index.in_range(&point), Some(vec![]));
    }
}
