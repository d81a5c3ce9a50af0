//! The payload indexes of a collection: the registry of which keys are indexed as what, and the
//! index structures built from it.
//!
//! The registry is what Qdrant makes observable: `payload_schema` in collection info, and the
//! index checks of `order_by` and facets. An index change is an operation like a point write: it
//! takes the next operation number, is persisted with it in one batch before the in-memory
//! registry changes, and with `wait` is flushed before it is acknowledged.
//!
//! The structures ([`PayloadIndexes`], one [`FieldIndex`] per key) live only in memory: they are
//! built when a collection loads or an index is created, grow with every write, and are rebuilt
//! when the point table is compacted or stale entries outnumber the points.
//! [`State::filter_candidates`] turns a filter into a superset of the offsets it can accept —
//! the filter's cardinality estimate, the points to score when that is small, and the points
//! that count, scroll, facets and updates by filter look at. When the indexes answer the whole
//! filter (only `must` conditions, each a `match` on a lookup index or a `has_id`) the set is
//! exact, and [`State::admits`] decides a point from it without reading its payload, except for
//! offsets indexed again since the last build (payloads changed in place), whose old values may
//! linger. [`State::view`] is how every filter evaluation sees a point: with the collection's
//! text indexes, which decide what text matches mean.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::engine::collection::{Collection, State};
use crate::engine::points::{OffsetView, PointTable};
use crate::error::Result;
use crate::index::filter::{self, PointView};
use crate::index::payload::FieldIndex;
use crate::index::text::TextAnalyzer;
use crate::model::filter::{Condition, FieldCondition, Filter};
use crate::model::json_path::JsonPath;
use crate::model::payload_index::{PayloadFieldSchema, PayloadIndexInfo, PayloadSchemaType};
use crate::model::results::{UpdateResult, UpdateStatus};
use crate::model::{Payload, PointId};

impl Collection {
    /// Indexes `field` as `schema`, replacing any index the field had.
    pub async fn create_field_index(
        &self,
        field: &JsonPath,
        schema: PayloadFieldSchema,
        wait: bool,
    ) -> Result<UpdateResult> {
        self.change_payload_index(wait, |registry| {
            registry.insert(field.to_string(), schema);
        })
        .await
    }

    /// Drops the index of `field`; a field without one is left as it is.
    pub async fn delete_field_index(&self, field: &JsonPath, wait: bool) -> Result<UpdateResult> {
        self.change_payload_index(wait, |registry| {
            registry.remove(&field.to_string());
        })
        .await
    }

    async fn change_payload_index(
        &self,
        wait: bool,
        change: impl FnOnce(&mut crate::model::payload_index::PayloadIndexRegistry),
    ) -> Result<UpdateResult> {
        let operation_id = {
            let mut state = self.state.write();
            let mut next = state.payload_index.clone();
            change(&mut next);
            let operation_id = state.next_op;
            self.storage
                .write_payload_index(self.uid, &next, operation_id + 1)?;
            state.payload_index = next;
            state.next_op = operation_id + 1;
            state.rebuild_payload_indexes();
            operation_id
        };
        let status = if wait {
            self.storage.flush().await?;
            UpdateStatus::Completed
        } else {
            UpdateStatus::Acknowledged
        };
        Ok(UpdateResult {
            operation_id,
            status,
        })
    }
}

/// The index structures of one collection, by key (as the registry spells it).
#[derive(Default)]
pub(crate) struct PayloadIndexes {
    fields: BTreeMap<String, FieldIndex>,
    /// Entries added since the last build (some of them stale).
    added: usize,
    /// The offsets indexed since the last build, one bit each.
    indexed: Vec<u64>,
    /// Offsets indexed again since the last build (payloads changed in place): their old values
    /// may still be listed, so what the indexes say of them is only a superset.
    rewritten: HashSet<u32>,
}

impl PayloadIndexes {
    /// Notes that `offset` is being indexed (again, if it was before).
    fn note_indexed(&mut self, offset: u32) {
        let (word, bit) = (offset as usize / 64, 1u64 << (offset % 64));
        if word >= self.indexed.len() {
            self.indexed.resize(word + 1, 0);
        }
        if self.indexed[word] & bit != 0 {
            self.rewritten.insert(offset);
        }
        self.indexed[word] |= bit;
    }
}

/// What the payload indexes tell of a filter ([`State::filter_candidates`]).
#[derive(Debug)]
pub(crate) struct Candidates {
    /// A superset of the offsets the filter can accept, ascending (dead offsets included).
    pub offsets: Vec<u32>,
    /// The same offsets as a bitset when the indexes answer the whole filter (only `must`
    /// conditions, each a `match` on a keyword, uuid, integer or bool index, a `has_id`, or a
    /// nested filter of that kind): then an offset outside it cannot match, and one inside
    /// matches unless its payload changed in place since the indexes were built
    /// ([`State::admits`]).
    exact: Option<Vec<u64>>,
}

impl Candidates {
    fn new(offsets: Vec<u32>, exact: bool) -> Self {
        let exact = exact.then(|| {
            let words = offsets.last().map_or(0, |&o| o as usize / 64 + 1);
            let mut bits = vec![0u64; words];
            for &o in &offsets {
                bits[o as usize / 64] |= 1 << (o % 64);
            }
            bits
        });
        Candidates { offsets, exact }
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }
}

impl PayloadIndexes {
    fn build(
        registry: &crate::model::payload_index::PayloadIndexRegistry,
        points: &PointTable,
    ) -> Self {
        let mut indexes = PayloadIndexes::default();
        for (key, schema) in registry {
            let Ok(path) = JsonPath::parse(key) else {
                continue;
            };
            let mut index = FieldIndex::for_schema(path, schema);
            for (_, offset) in points.iter_from(None) {
                index.add(offset, points.payload(offset));
            }
            indexes.fields.insert(key.clone(), index);
        }
        for (_, offset) in points.iter_from(None) {
            indexes.note_indexed(offset);
        }
        indexes
    }
}

impl State {
    /// One live offset as the filter evaluator sees it, text indexes included.
    pub(crate) fn view(&self, offset: u32) -> IndexedView<'_> {
        IndexedView {
            point: self.points.view(offset),
            indexes: &self.payload_indexes,
        }
    }

    /// The live points that pass `filter` (every live point without one), in point-id order:
    /// the index candidates when the indexes bound the filter, else every point, each decided
    /// by [`State::admits`].
    pub(crate) fn matching_points(&self, filter: Option<&Filter>) -> Vec<(PointId, u32)> {
        let Some(f) = filter else {
            return self.points.iter_from(None).collect();
        };
        let candidates = self.filter_candidates(f);
        let scope = match &candidates {
            Some(c) => self.live_by_id(&c.offsets),
            None => self.points.iter_from(None).collect(),
        };
        scope
            .into_iter()
            .filter(|(_, o)| self.admits(f, candidates.as_ref(), *o))
            .collect()
    }

    /// The live ones of `offsets` with their ids, in id order (stale index entries point at
    /// dead offsets, which are dropped).
    pub(crate) fn live_by_id(&self, offsets: &[u32]) -> Vec<(PointId, u32)> {
        let mut live: Vec<(PointId, u32)> = offsets
            .iter()
            .copied()
            .filter(|&o| self.points.is_live(o))
            .map(|o| (self.points.id(o), o))
            .collect();
        live.sort_unstable();
        live.dedup();
        live
    }

    /// Builds the index structures afresh from the registry and the live points.
    pub(crate) fn rebuild_payload_indexes(&mut self) {
        self.payload_indexes = PayloadIndexes::build(&self.payload_index, &self.points);
    }

    /// Adds the current payloads of `ids` to the indexes after a write; rebuilds them instead
    /// when the table was renumbered or stale entries have piled up.
    pub(crate) fn index_written(&mut self, ids: impl Iterator<Item = PointId>, renumbered: bool) {
        if self.payload_indexes.fields.is_empty() {
            return;
        }
        if renumbered || self.payload_indexes.added > self.points.len() + 1000 {
            self.rebuild_payload_indexes();
            return;
        }
        for id in ids {
            let Some(offset) = self.points.offset(&id) else {
                continue;
            };
            for index in self.payload_indexes.fields.values_mut() {
                index.add(offset, self.points.payload(offset));
            }
            self.payload_indexes.note_indexed(offset);
            self.payload_indexes.added += 1;
        }
    }

    /// A superset of the offsets `filter` can accept, when payload indexes (or `has_id`) bound
    /// it; `None` when only a scan can tell. Offsets may be dead or no longer match: callers
    /// decide with [`State::admits`], which skips the payload where the indexes are exact.
    pub(crate) fn filter_candidates(&self, filter: &Filter) -> Option<Candidates> {
        self.bound(filter)
            .map(|(offsets, exact)| Candidates::new(offsets, exact))
    }

    /// Whether the point at `offset` passes `filter`, given what the indexes said of it
    /// (`known`, from [`State::filter_candidates`]): an exact answer decides without reading
    /// the payload, except for payloads changed in place since the indexes were built.
    pub(crate) fn admits(&self, filter: &Filter, known: Option<&Candidates>, offset: u32) -> bool {
        if let Some(members) = known.and_then(|c| c.exact.as_ref()) {
            let word = members.get(offset as usize / 64).copied().unwrap_or(0);
            if word & (1 << (offset % 64)) == 0 {
                return false;
            }
            if !self.payload_indexes.rewritten.contains(&offset) {
                return true;
            }
        }
        filter::matches(filter, &self.view(offset))
    }

    /// The ascending offsets the indexes bound `filter` to, and whether they are exact: when
    /// it has only `must` conditions and the indexes answer each exactly, the offsets all of
    /// them name; else those of the smallest bounded `must` condition, or the union of the
    /// `should` conditions when each is bounded.
    fn bound(&self, filter: &Filter) -> Option<(Vec<u32>, bool)> {
        let must: Vec<Option<(Vec<u32>, bool)>> = filter
            .must
            .iter()
            .flatten()
            .map(|c| self.condition_candidates(c))
            .collect();
        let only_must =
            filter.should.is_none() && filter.min_should.is_none() && filter.must_not.is_none();
        let all_exact = !must.is_empty() && must.iter().all(|m| matches!(m, Some((_, true))));
        if only_must && all_exact {
            let mut lists = must.into_iter().flatten().map(|(offsets, _)| offsets);
            let first = lists.next()?;
            return Some((lists.fold(first, |all, next| intersect(&all, &next)), true));
        }
        if let Some(smallest) = must
            .into_iter()
            .flatten()
            .map(|(offsets, _)| offsets)
            .min_by_key(Vec::len)
        {
            return Some((smallest, false));
        }
        // At least one must hold: the union bounds the filter when every one is bounded.
        let mut union = Vec::new();
        for condition in filter.should.as_ref()? {
            union.extend(self.condition_candidates(condition)?.0);
        }
        union.sort_unstable();
        union.dedup();
        Some((union, false))
    }

    /// The ascending offsets an index (or `has_id`, or a nested filter) bounds `condition` to,
    /// and whether they are exactly the offsets whose values, as last indexed, match it.
    fn condition_candidates(&self, condition: &Condition) -> Option<(Vec<u32>, bool)> {
        match condition {
            Condition::Field(field) => self.field_candidates(field),
            Condition::HasId(c) => {
                let mut offsets: Vec<u32> = c
                    .has_id
                    .iter()
                    .filter_map(|id| self.points.offset(id))
                    .collect();
                offsets.sort_unstable();
                offsets.dedup();
                Some((offsets, true))
            }
            Condition::Filter(f) => self.bound(f),
            _ => None,
        }
    }

    /// Only a condition with a single `match`, `range` or geo test is answered from an index
    /// (other tests, and missing values, need the payload); only a `match` exactly.
    fn field_candidates(&self, field: &FieldCondition) -> Option<(Vec<u32>, bool)> {
        let index = self.payload_indexes.fields.get(&field.key.to_string())?;
        if let Some(found) = index.geo_matching(field) {
            return Some((found, false));
        }
        let others = field.geo_bounding_box.is_some()
            || field.geo_radius.is_some()
            || field.geo_polygon.is_some()
            || field.values_count.is_some()
            || field.is_empty.is_some()
            || field.is_null.is_some();
        if others {
            return None;
        }
        match (&field.r#match, &field.range) {
            (Some(m), None) => Some((index.matching(m)?, index.matches_exactly(m))),
            (None, Some(r)) => Some((index.in_range(r)?, false)),
            _ => None,
        }
    }

    /// The index declared for `key`, if any.
    pub(crate) fn field_index(&self, key: &JsonPath) -> Option<&PayloadFieldSchema> {
        self.payload_index.get(&key.to_string())
    }

    /// `payload_schema` of collection info: every indexed field with the number of points that
    /// have a value its index holds.
    pub(crate) fn payload_schema(&self) -> BTreeMap<String, PayloadIndexInfo> {
        self.payload_index
            .iter()
            .map(|(key, schema)| {
                let data_type = schema.data_type();
                let points = match JsonPath::parse(key) {
                    Ok(path) => self
                        .points
                        .iter_from(None)
                        .filter(|(_, off)| {
                            indexed_values(self.points.payload(*off), &path, data_type)
                                .next()
                                .is_some()
                        })
                        .count() as u64,
                    Err(_) => 0,
                };
                let info = PayloadIndexInfo {
                    data_type,
                    params: schema.params().cloned(),
                    points,
                };
                (key.clone(), info)
            })
            .collect()
    }
}

/// One point as the filter evaluator sees it: the point table's view, plus the text indexes.
pub(crate) struct IndexedView<'a> {
    point: OffsetView<'a>,
    indexes: &'a PayloadIndexes,
}

impl PointView for IndexedView<'_> {
    fn id(&self) -> PointId {
        self.point.id()
    }

    fn payload(&self) -> &Payload {
        self.point.payload()
    }

    fn has_vector(&self, name: &str) -> bool {
        self.point.has_vector(name)
    }

    fn text_analyzer(&self, key: &JsonPath) -> Option<&TextAnalyzer> {
        // Few keys are indexed: a scan of them is cheaper than rendering `key` to look it up.
        self.indexes
            .fields
            .values()
            .filter(|index| index.key() == key)
            .find_map(FieldIndex::text_analyzer)
    }
}

/// The values an index of `data_type` on `key` holds for one payload: the values at the path,
/// arrays flattened one level (as Qdrant indexes them), filtered to what the type holds.
pub(crate) fn indexed_values<'a>(
    payload: &'a Payload,
    key: &JsonPath,
    data_type: PayloadSchemaType,
) -> impl Iterator<Item = &'a Value> {
    key.select(payload)
        .into_iter()
        .flat_map(|value| match value {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .filter(move |value| data_type.holds(value))
}

/// The offsets in both ascending, deduplicated lists.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len().min(b.len())));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                (i, j) = (i + 1, j + 1);
            }
        }
    }
    out
}
