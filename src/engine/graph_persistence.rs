//! Saving HNSW graphs beside the sled data and taking them back at start-up.
//!
//! **When graphs are saved.** Each graph right after its build is installed (on the build
//! thread), and every graph again on graceful shutdown ([`crate::Engine::save_graphs`]), one
//! file per vector name (`storage` says where and writes it atomically; `index::hnsw::GraphFile`
//! is the format). In-memory collections save nothing.
//!
//! **What identifies a row.** Offsets are renumbered on every start-up (points load from sled in
//! id order), so a file names each graph row by the point that held it and a fingerprint of that
//! point's vector (or marks it a tombstone, or a point without this vector).
//!
//! **How a file is taken back: the point table is laid out in graph order.** Rather than remap
//! the graph's arrays to new offsets, start-up loads the points so that row `i` of the saved
//! graph becomes offset `i` again, and the points no graph holds follow in id order (scroll order
//! comes from the id map, so it does not change). A row whose point is gone, or whose vector is
//! not the one the graph was built over (fingerprint differs, or the point gained or lost the
//! vector), becomes a tombstone row: searches already skip those, and the point itself is loaded
//! after the graph's rows, where the exact scan of offsets past the graph finds it. So a stale
//! row can cost recall, never a wrong or a missing result. Compaction later drops the tombstone
//! rows, and the graph is then rebuilt as after any compaction.
//!
//! Several vector names share one offset numbering, so their files must agree: the longest file
//! gives the order, and another file is used only when every row both hold as live names the
//! same point. Files written in one run always agree; a file that does not is rebuilt.
//!
//! **When a file is ignored** (and the graph built in the background while exact search serves,
//! as for a new collection): missing, unreadable, damaged (checksum, length), another format
//! version, built for another distance, dimension, `m` or `ef_construct`, more than
//! `deleted_threshold` of its vectors no longer matching the stored points, or disagreeing with
//! the longer file of another vector. The reason is logged.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::collection::Collection;
use crate::engine::indexing::effective_hnsw;
use crate::index::hnsw::{
    GraphFile, GraphFileHeader, HnswIndex, SavedRow, encode_graph_file, fingerprint,
};
use crate::index::multi::MultiStore;
use crate::index::vector_store::VectorStore;
use crate::model::PointId;
use crate::model::collection::{CollectionConfig, HnswConfig};
use crate::model::vectors::{Distance, Vector};
use crate::storage::{Storage, StoredPoint};

/// Graph builds and loads of one collection since the server started (telemetry).
#[derive(Default, Debug)]
pub struct GraphStats {
    /// Graphs built from scratch and installed (first builds, compaction, tombstone rebuilds,
    /// other parameters).
    pub builds: AtomicU64,
    /// Installed graphs extended with the points written after them (not in `builds`).
    pub extensions: AtomicU64,
    /// Vectors those builds indexed, summed.
    pub vectors_indexed: AtomicU64,
    /// Graphs taken from their saved files at start-up.
    pub loaded: AtomicU64,
}

/// What a graph was built for and over: its file header, how many vectors it holds, and (for
/// collections on disk) the fingerprint of every row's vector, so saving it again needs no pass
/// over the vectors. A row's vector never changes while the row is live (an overwrite appends a
/// new offset), so fingerprints taken at build time stay true.
#[derive(Debug)]
pub struct GraphOrigin {
    pub header: GraphFileHeader,
    /// Rows that had a vector when the graph was built: the graph's nodes.
    pub vectors: usize,
    /// Per row; 0 for rows without a vector; empty when nothing is saved.
    pub fingerprints: Vec<u32>,
}

/// The rows of a store a graph is built over, as a saved graph names them: a dense row, or a
/// multivector's sub-vectors end to end, as `f32`s (the stored values widened, borrowed from
/// `f32` stores, so the fingerprints of float32 rows are what they always were).
pub trait BuiltRows {
    fn offsets(&self) -> usize;
    fn dim(&self) -> usize;
    fn has(&self, offset: u32) -> bool;
    fn vector(&self, offset: u32) -> Option<Cow<'_, [f32]>>;
}

impl BuiltRows for VectorStore {
    fn offsets(&self) -> usize {
        self.len()
    }
    fn dim(&self) -> usize {
        VectorStore::dim(self)
    }
    fn has(&self, offset: u32) -> bool {
        self.contains(offset)
    }
    fn vector(&self, offset: u32) -> Option<Cow<'_, [f32]>> {
        VectorStore::vector(self, offset)
    }
}

impl BuiltRows for MultiStore {
    fn offsets(&self) -> usize {
        self.len()
    }
    fn dim(&self) -> usize {
        MultiStore::dim(self)
    }
    fn has(&self, offset: u32) -> bool {
        self.contains(offset)
    }
    fn vector(&self, offset: u32) -> Option<Cow<'_, [f32]>> {
        MultiStore::vector(self, offset)
    }
}

impl GraphOrigin {
    /// The header a graph built now for these parameters would have.
    pub fn header_for(distance: Distance, dim: usize, hnsw: &HnswConfig) -> GraphFileHeader {
        GraphFileHeader {
            distance,
            dim: dim as u32,
            m: hnsw.m as u64,
            ef_construct: hnsw.ef_construct as u64,
        }
    }

    /// The origin of a graph just built over every row of `rows`.
    pub fn of_build(
        rows: &(impl BuiltRows + ?Sized),
        distance: Distance,
        hnsw: &HnswConfig,
        with_fingerprints: bool,
    ) -> GraphOrigin {
        let offsets = 0..rows.offsets() as u32;
        let vectors = offsets.clone().filter(|&o| rows.has(o)).count();
        // Rows as f32s, as the point records hold them: what start-up fingerprints again.
        let fingerprints = match with_fingerprints {
            true => offsets
                .map(|o| rows.vector(o).map_or(0, |v| fingerprint(&v)))
                .collect(),
            false => Vec::new(),
        };
        GraphOrigin {
            header: Self::header_for(distance, rows.dim(), hnsw),
            vectors,
            fingerprints,
        }
    }

    /// The origin of `base`'s graph (over offsets `0..from`) extended with the rows of `rows`
    /// past it. Its vectors are those `base` holds (tombstones included: they stay in the graph)
    /// and the new ones; fingerprints of earlier rows are taken from `base` (a live row's vector
    /// never changes), or taken again when `base` has none for them.
    pub fn of_extension(
        base: &GraphOrigin,
        rows: &(impl BuiltRows + ?Sized),
        from: usize,
        with_fingerprints: bool,
    ) -> GraphOrigin {
        let added = from as u32..rows.offsets() as u32;
        let fingerprint_of = |o: u32| rows.vector(o).map_or(0, |v| fingerprint(&v));
        let fingerprints = match with_fingerprints {
            false => Vec::new(),
            true if base.fingerprints.len() == from => {
                let mut all = base.fingerprints.clone();
                all.extend(added.clone().map(fingerprint_of));
                all
            }
            true => (0..rows.offsets() as u32).map(fingerprint_of).collect(),
        };
        GraphOrigin {
            header: base.header.clone(),
            vectors: base.vectors + added.filter(|&o| rows.has(o)).count(),
            fingerprints,
        }
    }

    fn of_file(file: &GraphFile) -> GraphOrigin {
        let fingerprints: Vec<u32> = file
            .rows
            .iter()
            .map(|r| match r {
                SavedRow::Point {
                    fingerprint: Some(f),
                    ..
                } => *f,
                _ => 0,
            })
            .collect();
        GraphOrigin {
            header: file.header.clone(),
            vectors: file.rows.iter().filter(|r| holds_vector(r)).count(),
            fingerprints,
        }
    }
}

fn holds_vector(row: &SavedRow) -> bool {
    matches!(
        row,
        SavedRow::Point {
            fingerprint: Some(_),
            ..
        }
    )
}

impl Collection {
    /// Saves the installed graph of vector `name` (no-op in memory, or without a current
    /// graph). Blocking: call it off the async runtime. A failure is logged; the graph keeps
    /// serving and is rebuilt after the next restart.
    pub(crate) fn save_graph(&self, name: &str) {
        if !self.storage.is_persistent() {
            return;
        }
        // Under the lock only what changes: which rows are still live and still have a vector.
        let (index, origin, rows) = {
            let state = self.state.read();
            let Some(slot) = state.graphs.get(name) else {
                return;
            };
            let (Some(index), Some(origin)) = (&slot.index, &slot.origin) else {
                return;
            };
            if slot.generation != state.points.generation()
                || origin.fingerprints.len() != index.len()
            {
                return;
            }
            let points = &state.points;
            let rows: Vec<SavedRow> = (0..index.len() as u32)
                .map(|o| match points.is_live(o) {
                    false => SavedRow::Dead,
                    true => SavedRow::Point {
                        id: points.id(o),
                        fingerprint: points
                            .has_vector(o, name)
                            .then(|| origin.fingerprints[o as usize]),
                    },
                })
                .collect();
            (index.clone(), origin.clone(), rows)
        };
        let bytes = encode_graph_file(&origin.header, &rows, index.graph());
        if let Err(e) = self.storage.write_graph_file(self.uid, name, &bytes) {
            tracing::warn!(
                "HNSW graph of vector `{name}` of collection {} not saved: {e}",
                self.name
            );
        }
    }

    /// Saves every installed graph (graceful shutdown). Blocking.
    pub(crate) fn save_graphs(&self) {
        let names: Vec<String> = self.state.read().graphs.keys().cloned().collect();
        for name in names {
            self.save_graph(&name);
        }
    }
}

/// How start-up lays out the point table: `rows[i]` is offset `i` (an index into the loaded
/// points, or a tombstone row); points not named by any row follow in id order. `graphs` are the
/// saved graphs taken back, valid over that layout.
pub(crate) struct Layout {
    pub rows: Vec<Option<usize>>,
    pub graphs: Vec<(String, HnswIndex, GraphOrigin)>,
}

/// Reads the saved graphs of a collection and decides which can be taken back over `points`
/// (in id order, as loaded from sled). See the module docs for the rules.
pub(crate) fn plan_layout(
    storage: &Storage,
    collection: &str,
    uid: u64,
    config: &CollectionConfig,
    points: &[(PointId, StoredPoint)],
) -> Layout {
    let ignore = |vector: &str, why: &str| {
        tracing::info!(
            "saved HNSW graph of vector `{vector}` of collection {collection} not used ({why}); \
             it is rebuilt in the background"
        );
    };
    let by_id: HashMap<PointId, usize> = points
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let threshold = config.optimizer_config.deleted_threshold;

    // Each usable file with, per row, the point it still describes (None = stale or dead).
    let mut usable: Vec<(String, GraphFile, Vec<Option<usize>>)> = Vec::new();
    for (name, params) in config.params.vectors.iter() {
        let bytes = match storage.read_graph_file(uid, name) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(e) => {
                ignore(name, &e.to_string());
                continue;
            }
        };
        let file = match GraphFile::decode(&bytes) {
            Ok(file) => file,
            Err(e) => {
                ignore(name, &e);
                continue;
            }
        };
        let expected = GraphOrigin::header_for(
            params.distance,
            params.size as usize,
            &effective_hnsw(config, params),
        );
        if file.header != expected {
            ignore(
                name,
                "built for another distance, dimension, m or ef_construct",
            );
            continue;
        }
        let multi = params.is_multi();
        let current = |i: usize| -> Option<u32> {
            let (_, point) = &points[i];
            match &point.vectors.iter().find(|(n, _)| n == name)?.1 {
                // A multivector's fingerprint is that of its sub-vectors end to end, as built.
                Vector::Dense(v) if !multi => Some(fingerprint(v)),
                Vector::Multi(m) if multi => Some(fingerprint(&m.concat())),
                _ => None,
            }
        };
        let matched: Vec<Option<usize>> = file
            .rows
            .iter()
            .map(|row| match row {
                SavedRow::Dead => None,
                SavedRow::Point { id, fingerprint } => {
                    let i = *by_id.get(id)?;
                    (current(i) == *fingerprint).then_some(i)
                }
            })
            .collect();
        let vectors = file.rows.iter().filter(|r| holds_vector(r)).count();
        let served = file
            .rows
            .iter()
            .zip(&matched)
            .filter(|(r, m)| holds_vector(r) && m.is_some())
            .count();
        if vectors == 0 {
            ignore(name, "it holds no vectors");
            continue;
        }
        if (vectors - served) as f64 > threshold * vectors as f64 {
            ignore(
                name,
                &format!(
                    "{} of its {vectors} vectors changed or were deleted since it was saved",
                    vectors - served
                ),
            );
            continue;
        }
        usable.push((name.to_string(), file, matched));
    }

    // The longest file gives the order; the others must agree with it.
    usable.sort_by_key(|(_, file, _)| std::cmp::Reverse(file.rows.len()));
    let mut kept: Vec<(String, GraphFile, Vec<Option<usize>>)> = Vec::new();
    for (name, file, matched) in usable {
        let agrees = kept.first().is_none_or(|(_, base, _)| {
            file.rows.iter().zip(&base.rows).all(|pair| match pair {
                (SavedRow::Point { id: a, .. }, SavedRow::Point { id: b, .. }) => a == b,
                _ => true,
            })
        });
        if agrees {
            kept.push((name, file, matched));
        } else {
            ignore(&name, "its rows disagree with another vector's saved graph");
        }
    }

    // A row is a point only if every graph that covers it still describes that point.
    let len = kept.first().map_or(0, |(_, f, _)| f.rows.len());
    let mut placed = HashSet::new();
    let rows: Vec<Option<usize>> = (0..len)
        .map(|i| {
            let mut point = None;
            for (_, _, matched) in kept.iter().filter(|(_, f, _)| i < f.rows.len()) {
                match (matched[i], point) {
                    (None, _) => return None,
                    (Some(p), Some(q)) if p != q => return None,
                    (Some(p), _) => point = Some(p),
                }
            }
            point.filter(|p| placed.insert(*p))
        })
        .collect();

    let graphs = kept
        .into_iter()
        .map(|(name, file, _)| {
            let origin = GraphOrigin::of_file(&file);
            let index = HnswIndex::from_graph(
                file.graph,
                file.header.distance,
                file.header.ef_construct as usize,
            );
            (name, index, origin)
        })
        .collect();
    Layout { rows, graphs }
}

/// The graphs a layout takes back, installed over the freshly loaded table.
pub(crate) fn install_loaded(
    collection: &Collection,
    graphs: Vec<(String, HnswIndex, GraphOrigin)>,
) {
    let mut state = collection.state.write();
    let generation = state.points.generation();
    for (name, index, origin) in graphs {
        tracing::info!(
            "HNSW graph of vector `{name}` of collection {} loaded ({} vectors)",
            collection.name,
            origin.vectors
        );
        let slot = state.graphs.entry(name).or_default();
        slot.index = Some(Arc::new(index));
        slot.origin = Some(Arc::new(origin));
        slot.generation = generation;
        collection
            .graph_stats
            .loaded
            .fetch_add(1, Ordering::Relaxed);
    }
}
