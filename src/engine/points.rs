//! The in-memory point table of one collection: ids, payloads and vector stores by offset.
//!
//! Each live point has a dense `u32` offset; `id_map` translates ids to offsets and iterates in
//! id order (scroll order). Upserting an existing id or changing its vectors tombstones the old
//! offset and appends a new one, so an offset's vectors never change under a search structure
//! that refers to it; payload changes happen in place. Each vector name has a store of its kind:
//! dense ([`VectorStore`]) or multi-dense ([`MultiStore`]), both in the vector's datatype, or
//! sparse ([`SparseStore`]). Tombstones are dropped by [`PointTable::compact_if_needed`] once
//! they outnumber live points.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::index::filter::PointView;
use crate::index::multi::MultiStore;
use crate::index::sparse::SparseStore;
use crate::index::vector_store::VectorStore;
use crate::model::collection::{CollectionParams, VectorKind};
use crate::model::vectors::{Datatype, NamedVectors, SparseVector, Vector};
use crate::model::{Payload, PointId};
use crate::storage::StoredPoint;

/// All points of a collection.
#[derive(Clone, Debug)]
pub struct PointTable {
    ids: Vec<PointId>,
    live: Vec<bool>,
    versions: Vec<u64>,
    payloads: Vec<Payload>,
    stores: BTreeMap<String, VectorStore>,
    multi: BTreeMap<String, MultiStore>,
    sparse: BTreeMap<String, SparseStore>,
    id_map: BTreeMap<PointId, u32>,
    tombstones: usize,
    /// Bumped whenever offsets are renumbered (compaction): graphs built before are stale.
    generation: u64,
}

impl PointTable {
    pub fn new(params: &CollectionParams) -> Self {
        let mut table = PointTable {
            ids: Vec::new(),
            live: Vec::new(),
            versions: Vec::new(),
            payloads: Vec::new(),
            stores: BTreeMap::new(),
            multi: BTreeMap::new(),
            sparse: BTreeMap::new(),
            id_map: BTreeMap::new(),
            tombstones: 0,
            generation: 0,
        };
        for (name, _) in params.vectors.iter() {
            table.add_store(name, params);
        }
        for (name, _) in params.sparse() {
            table.add_store(name, params);
        }
        table
    }

    /// Live points below offset `end` that have vector `name`: what a graph covering
    /// `0..end` still serves.
    pub fn count_present_below(&self, name: &str, end: usize) -> usize {
        (0..end.min(self.ids.len()) as u32)
            .filter(|&o| self.live[o as usize] && self.has_vector(o, name))
            .count()
    }

    /// Which numbering of offsets is in force (changes on compaction).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of live points.
    pub fn len(&self) -> usize {
        self.id_map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id_map.is_empty()
    }

    pub fn offset(&self, id: &PointId) -> Option<u32> {
        self.id_map.get(id).copied()
    }

    pub fn contains(&self, id: &PointId) -> bool {
        self.id_map.contains_key(id)
    }

    pub fn id(&self, offset: u32) -> PointId {
        self.ids[offset as usize]
    }

    pub fn is_live(&self, offset: u32) -> bool {
        self.live.get(offset as usize).copied().unwrap_or(false)
    }

    pub fn version(&self, offset: u32) -> u64 {
        self.versions[offset as usize]
    }

    pub fn payload(&self, offset: u32) -> &Payload {
        &self.payloads[offset as usize]
    }

    /// The store of a (single) dense vector name.
    pub fn store(&self, name: &str) -> Option<&VectorStore> {
        self.stores.get(name)
    }

    /// The store of a multivector name.
    pub fn multi_store(&self, name: &str) -> Option<&MultiStore> {
        self.multi.get(name)
    }

    /// The store of a sparse vector name.
    pub fn sparse_store(&self, name: &str) -> Option<&SparseStore> {
        self.sparse.get(name)
    }

    /// The point's dense vector of one name as `f32`s, if it has one.
    pub fn vector(&self, offset: u32, name: &str) -> Option<Cow<'_, [f32]>> {
        self.stores.get(name)?.vector(offset)
    }

    /// The point's vector of one name, of whatever kind, if it has one.
    pub fn vector_any(&self, offset: u32, name: &str) -> Option<Vector> {
        if let Some(s) = self.stores.get(name) {
            return s.vector(offset).map(|v| Vector::Dense(v.into_owned()));
        }
        if let Some(s) = self.multi.get(name) {
            return s.get_vectors(offset).map(Vector::Multi);
        }
        self.sparse
            .get(name)?
            .get(offset)
            .cloned()
            .map(Vector::Sparse)
    }

    /// Whether the point has a vector of this name.
    pub fn has_vector(&self, offset: u32, name: &str) -> bool {
        if let Some(s) = self.stores.get(name) {
            return s.contains(offset);
        }
        if let Some(s) = self.multi.get(name) {
            return s.contains(offset);
        }
        self.sparse
            .get(name)
            .is_some_and(|s| s.get(offset).is_some())
    }

    /// Every vector the point has, by name.
    pub fn vectors(&self, offset: u32) -> NamedVectors {
        let names = self
            .stores
            .keys()
            .chain(self.multi.keys())
            .chain(self.sparse.keys());
        names
            .filter_map(|name| Some((name.clone(), self.vector_any(offset, name)?)))
            .collect()
    }

    /// Live `(id, offset)` pairs in id order, starting at `from` (inclusive).
    pub fn iter_from(&self, from: Option<PointId>) -> impl Iterator<Item = (PointId, u32)> + '_ {
        let range = match from {
            Some(id) => self.id_map.range(id..),
            None => self.id_map.range(..),
        };
        range.map(|(id, off)| (*id, *off))
    }

    /// Adds an empty store for vector `name` as `params` declares it: no existing point has
    /// that vector.
    pub fn add_store(&mut self, name: &str, params: &CollectionParams) {
        let rows = self.ids.len();
        let name = name.to_string();
        match params.vector_kind(&name) {
            Some(VectorKind::Dense(p)) => {
                let datatype = p.datatype.unwrap_or(Datatype::Float32);
                let mut store = VectorStore::with_datatype(p.size as usize, datatype);
                (0..rows).for_each(|_| store.push(None));
                self.stores.insert(name, store);
            }
            Some(VectorKind::Multi(p)) => {
                let datatype = p.datatype.unwrap_or(Datatype::Float32);
                let mut store = MultiStore::with_datatype(p.size as usize, datatype);
                (0..rows).for_each(|_| store.push(None));
                self.multi.insert(name, store);
            }
            Some(VectorKind::Sparse(_)) => {
                let mut store = SparseStore::new();
                (0..rows).for_each(|_| store.push(None));
                self.sparse.insert(name, store);
            }
            None => {}
        }
    }

    /// Drops the store of a vector name; returns the live points that had that vector.
    pub fn drop_store(&mut self, name: &str) -> Vec<PointId> {
        let affected: Vec<PointId> = self
            .id_map
            .iter()
            .filter(|(_, off)| self.has_vector(**off, name))
            .map(|(id, _)| *id)
            .collect();
        self.stores.remove(name);
        self.multi.remove(name);
        self.sparse.remove(name);
        affected
    }

    /// Inserts or replaces a point. Vectors must already be validated and preprocessed.
    /// Each vector must be of its store's kind (a vector of another kind is left out).
    pub fn insert(&mut self, id: PointId, vectors: &NamedVectors, payload: Payload, version: u64) {
        self.remove(&id);
        let offset = self.ids.len() as u32;
        self.ids.push(id);
        self.live.push(true);
        self.versions.push(version);
        self.payloads.push(payload);
        for (name, store) in self.stores.iter_mut() {
            store.push(match vectors.get(name) {
                Some(Vector::Dense(v)) => Some(v.as_slice()),
                _ => None,
            });
        }
        for (name, store) in self.multi.iter_mut() {
            store.push(match vectors.get(name) {
                Some(Vector::Multi(m)) => Some(m.as_slice()),
                _ => None,
            });
        }
        for (name, store) in self.sparse.iter_mut() {
            store.push(match vectors.get(name) {
                Some(Vector::Sparse(v)) => Some::<&SparseVector>(v),
                _ => None,
            });
        }
        self.id_map.insert(id, offset);
    }

    /// Appends a tombstone row: an offset no point holds (start-up uses it for a saved graph's
    /// rows that no longer describe a stored point). Its id is never read: every reader checks
    /// liveness or vector presence first.
    pub fn push_tombstone(&mut self) {
        self.ids.push(PointId::Num(0));
        self.live.push(false);
        self.versions.push(0);
        self.payloads.push(Payload::new());
        for store in self.stores.values_mut() {
            store.push(None);
        }
        for store in self.multi.values_mut() {
            store.push(None);
        }
        for store in self.sparse.values_mut() {
            store.push(None);
        }
        self.tombstones += 1;
    }

    /// Deletes a point; `false` if it did not exist.
    pub fn remove(&mut self, id: &PointId) -> bool {
        let Some(offset) = self.id_map.remove(id) else {
            return false;
        };
        let i = offset as usize;
        self.live[i] = false;
        self.payloads[i] = Payload::new();
        self.clear_vectors(offset, None);
        self.tombstones += 1;
        true
    }

    /// Mutable payload of a live point, stamping it with `version`.
    pub fn payload_mut(&mut self, id: &PointId, version: u64) -> Option<&mut Payload> {
        let offset = *self.id_map.get(id)? as usize;
        self.versions[offset] = version;
        Some(&mut self.payloads[offset])
    }

    /// Removes one named vector of a live point, stamping it with `version`.
    pub fn remove_vector(&mut self, id: &PointId, name: &str, version: u64) {
        if let Some(&offset) = self.id_map.get(id) {
            self.versions[offset as usize] = version;
            self.clear_vectors(offset, Some(name));
        }
    }

    /// Marks the vectors of `offset` absent: all of them, or the one named.
    fn clear_vectors(&mut self, offset: u32, only: Option<&str>) {
        let wanted = |name: &String| only.is_none_or(|n| n == name);
        for (_, s) in self.stores.iter_mut().filter(|(n, _)| wanted(n)) {
            s.clear(offset);
        }
        for (_, s) in self.multi.iter_mut().filter(|(n, _)| wanted(n)) {
            s.clear(offset);
        }
        for (_, s) in self.sparse.iter_mut().filter(|(n, _)| wanted(n)) {
            s.clear(offset);
        }
    }

    /// The full stored form of a point, for persistence and rollback.
    pub fn stored(&self, id: &PointId) -> Option<StoredPoint> {
        let offset = self.offset(id)?;
        Some(StoredPoint {
            version: self.version(offset),
            vectors: self.vectors(offset).into_iter().collect(),
            payload: self.payload(offset).clone(),
        })
    }

    /// Restores a point to a previously captured state (`None` = absent).
    pub fn restore(&mut self, id: PointId, state: Option<StoredPoint>) {
        match state {
            Some(p) => {
                let vectors: NamedVectors = p.vectors.into_iter().collect();
                self.insert(id, &vectors, p.payload, p.version);
            }
            None => {
                self.remove(&id);
            }
        }
    }

    /// Rebuilds the table without tombstones once they outnumber live points (and there are
    /// enough of them to be worth the copy).
    pub fn compact_if_needed(&mut self) {
        if self.tombstones < 1024 || self.tombstones < self.id_map.len() {
            return;
        }
        let mut next = PointTable {
            ids: Vec::with_capacity(self.id_map.len()),
            live: Vec::with_capacity(self.id_map.len()),
            versions: Vec::with_capacity(self.id_map.len()),
            payloads: Vec::with_capacity(self.id_map.len()),
            stores: self
                .stores
                .iter()
                .map(|(n, s)| (n.clone(), VectorStore::with_datatype(s.dim(), s.datatype())))
                .collect(),
            multi: self
                .multi
                .iter()
                .map(|(n, s)| (n.clone(), MultiStore::with_datatype(s.dim(), s.datatype())))
                .collect(),
            sparse: self
                .sparse
                .keys()
                .map(|n| (n.clone(), SparseStore::new()))
                .collect(),
            id_map: BTreeMap::new(),
            tombstones: 0,
            generation: self.generation + 1,
        };
        let ids: Vec<(PointId, u32)> = self.iter_from(None).collect();
        for (id, offset) in ids {
            let vectors = self.vectors(offset);
            let payload = std::mem::take(&mut self.payloads[offset as usize]);
            next.insert(id, &vectors, payload, self.versions[offset as usize]);
        }
        *self = next;
    }

    /// A view of one live offset for filter evaluation.
    pub fn view(&self, offset: u32) -> OffsetView<'_> {
        OffsetView {
            table: self,
            offset,
        }
    }
}

/// One point seen through the table, as the filter evaluator wants it.
pub struct OffsetView<'a> {
    table: &'a PointTable,
    offset: u32,
}

impl PointView for OffsetView<'_> {
    fn id(&self) -> PointId {
        self.table.id(self.offset)
    }

    fn payload(&self) -> &Payload {
        self.table.payload(self.offset)
    }

    fn has_vector(&self, name: &str) -> bool {
        self.table.has_vector(self.offset, name)
    }
}
