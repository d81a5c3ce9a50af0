//! When and how HNSW graphs are built for a collection's dense vectors and multivectors.
//!
//! A vector gets a graph once its data passes `optimizers_config.indexing_threshold` (kilobytes
//! of vectors, Qdrant's meaning; 0 disables indexing). Builds run one at a time on a background
//! thread, off the async runtime, over a snapshot of the vector store; reads and writes go on
//! meanwhile. A finished graph covers the offsets that existed when its snapshot was taken;
//! searches walk it and scan later offsets exactly, so results are complete at every moment.
//! When enough points have arrived since (1 % of the graph, at least 256), they are inserted into
//! a copy of the graph (`HnswIndex::extend`: its nodes keep their links and layers), which is
//! swapped in with quantized codes made again for all its rows; the graph's deleted and
//! overwritten rows stay in it as tombstones, which the insertion neither scores nor links. The
//! graph is built from scratch instead when the point table was compacted (offsets renumbered),
//! when tombstones pass `deleted_threshold` of its vectors (the new graph drops them), when it was
//! built for another distance, dimension, `m` or `ef_construct` than the vector has now, and when
//! its entry point was deleted. Telemetry counts builds from scratch only. Every installed graph
//! is saved beside the sled data (`graph_persistence.rs`), which also explains how a saved graph
//! is taken back at start-up instead of being built again. A multivector's graph is built and
//! walked with `max_sim` (`index::multi_graph`); it keeps no quantized codes (multivectors are
//! scored at full precision).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use crate::engine::collection::Collection;
use crate::engine::graph_persistence::{BuiltRows, GraphOrigin};
use crate::index::hnsw::{Extended, HnswIndex};
use crate::index::multi::MultiStore;
use crate::index::multi_graph;
use crate::index::quantized::{Method, QuantizedStore};
use crate::index::vector_store::VectorStore;
use crate::model::collection::{CollectionConfig, HnswConfig, VectorParams};

/// The graph of one vector name, if any, and whether a build is under way.
#[derive(Default)]
pub(crate) struct GraphSlot {
    /// Covers offsets `0..index.len()` of the point table generation `generation`.
    pub index: Option<Arc<HnswIndex>>,
    pub generation: u64,
    pub building: bool,
    /// What `index` was built for and from (set with `index`).
    pub origin: Option<Arc<GraphOrigin>>,
    /// Quantized codes of the rows `index` covers, when the vector's `quantization_config`
    /// asks for scalar or binary codes (same generation as `index`).
    pub quantized: Option<Arc<QuantizedStore>>,
    /// A build of codes alone (after a quantization config change) is under way.
    pub quantizing: bool,
}

/// Every vector name's graph.
pub(crate) type Graphs = BTreeMap<String, GraphSlot>;

type Job = Box<dyn FnOnce() + Send>;

/// The one background build thread: builds queue and run one after another, each using up to
/// `max_indexing_threads` cores.
fn submit(job: Job) {
    static WORKER: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    let sender = WORKER.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("quiver-indexer".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("the indexing thread starts");
        Mutex::new(tx)
    });
    if let Ok(tx) = sender.lock() {
        let _ = tx.send(job);
    }
}

/// Whether `floats` stored floats of a vector pass the collection's indexing threshold
/// (kilobytes of vectors; 0 = indexing off).
fn wants_graph(config: &CollectionConfig, floats: usize) -> bool {
    let threshold_kb = config.optimizer_config.indexing_threshold.unwrap_or(10_000);
    threshold_kb > 0 && floats.saturating_mul(4) >= threshold_kb.saturating_mul(1024)
}

/// A snapshot of the rows a graph is built over.
enum Snapshot {
    Dense(VectorStore),
    Multi(MultiStore),
}

impl Snapshot {
    fn offsets(&self) -> usize {
        match self {
            Snapshot::Dense(store) => store.len(),
            Snapshot::Multi(store) => store.len(),
        }
    }

    /// Builds the graph (from scratch, or by extending `base` with the rows past it), its
    /// origin and (dense vectors only) quantized codes for all its rows. Slow: runs on the
    /// build thread.
    fn build(
        &self,
        base: Option<(&HnswIndex, &GraphOrigin)>,
        distance: crate::model::vectors::Distance,
        hnsw: &HnswConfig,
        method: Option<Method>,
        persistent: bool,
    ) -> crate::error::Result<Built> {
        // The graph, the origin it is saved with, and whether it grew from `base`.
        let with_origin = |extended: Extended<HnswIndex>, rows: &dyn BuiltRows| {
            let origin = match (base, extended.from_base) {
                (Some((index, origin)), true) => {
                    GraphOrigin::of_extension(origin, rows, index.len(), persistent)
                }
                _ => GraphOrigin::of_build(rows, distance, hnsw, persistent),
            };
            (extended.graph, origin, extended.from_base)
        };
        let (index, origin, extended, codes) = match self {
            Snapshot::Dense(store) => {
                let made = match base {
                    Some((base, _)) => base.extend(store, hnsw)?,
                    None => Extended::from_scratch(HnswIndex::build(store, distance, hnsw)?),
                };
                let (index, origin, extended) = with_origin(made, store);
                (index, origin, extended, codes_for(store, distance, method))
            }
            Snapshot::Multi(store) => {
                let made = match base {
                    Some((base, _)) => multi_graph::extend(store, base, hnsw)?,
                    None => Extended::from_scratch(multi_graph::build(store, distance, hnsw)?),
                };
                let (index, origin, extended) = with_origin(made, store);
                (index, origin, extended, None)
            }
        };
        Ok(Built {
            index,
            origin,
            codes,
            extended,
        })
    }
}

/// A finished build, ready to install.
struct Built {
    index: HnswIndex,
    origin: GraphOrigin,
    codes: Option<Arc<QuantizedStore>>,
    /// Made by extending the installed graph rather than from scratch.
    extended: bool,
}

/// What a vector's graph needs now.
enum Work {
    Nothing,
    /// A graph from scratch over every present row.
    Build,
    /// The installed graph with the rows past it inserted.
    Extend(Arc<HnswIndex>, Arc<GraphOrigin>),
}

/// The HNSW parameters a vector's graph is built with: the collection's, with the vector's own
/// overrides applied.
pub(crate) fn effective_hnsw(config: &CollectionConfig, params: &VectorParams) -> HnswConfig {
    let mut hnsw = config.hnsw_config.clone();
    if let Some(diff) = &params.hnsw_config {
        hnsw.apply(diff);
    }
    hnsw
}

/// The quantized codes a vector's graph keeps beside it: the vector's own
/// `quantization_config`, else the collection's (`None` for none, product and turbo).
pub(crate) fn effective_quantization(
    config: &CollectionConfig,
    params: &VectorParams,
) -> Option<Method> {
    let own = params.quantization_config.as_ref();
    Method::of_config(own.or(config.quantization_config.as_ref()))
}

/// Codes for a graph's rows, if the vector asks for them.
fn codes_for(
    store: &VectorStore,
    distance: crate::model::vectors::Distance,
    method: Option<Method>,
) -> Option<Arc<QuantizedStore>> {
    method.map(|m| Arc::new(QuantizedStore::build(store, distance, m)))
}

/// How many offsets past an existing graph justify inserting them into it: 1 % of the graph, at
/// least 256, so that the exact scan of the tail stays short next to the graph walk while each
/// extension (which copies the graph's links and recomputes quantized codes) inserts a batch
/// worth that copy.
fn extend_after(indexed: usize) -> usize {
    (indexed / 100).max(256)
}

impl Collection {
    /// Starts the builds the collection needs now (none while one is under way for that name).
    pub(crate) fn schedule_indexing(&self) {
        let Some(this) = self.this.get().cloned() else {
            return;
        };
        let config = self.config.read();
        let mut guard = self.state.write();
        // Split borrows: the store is read while the graph slot is updated.
        let state = &mut *guard;
        let live = state.points.len();
        let generation = state.points.generation();
        for (name, params) in config.params.vectors.iter() {
            let snapshot = match params.is_multi() {
                false => state.points.store(name).map(|s| (s.len(), None)),
                true => state
                    .points
                    .multi_store(name)
                    .map(|s| (s.len(), Some(s.floats()))),
            };
            let Some((rows, floats)) = snapshot else {
                continue;
            };
            let floats = floats.unwrap_or(live.saturating_mul(params.size as usize));
            if !wants_graph(&config, floats) {
                continue;
            }
            let slot = state.graphs.entry(name.to_string()).or_default();
            if slot.building {
                continue;
            }
            let hnsw = effective_hnsw(&config, params);
            let work = match &slot.index {
                None => Work::Build,
                // Compacted since: offsets renumbered.
                Some(_) if slot.generation != generation => Work::Build,
                Some(index) => {
                    // Deleted and overwritten points stay in the graph as tombstones (searches
                    // skip them); past `deleted_threshold` of the vectors it holds, it is
                    // rebuilt without them. (Counted against the vectors, not the rows: points
                    // that never had this vector are not tombstones.)
                    let served = state.points.count_present_below(name, index.len());
                    let built = slot.origin.as_ref().map_or(index.len(), |o| o.vectors);
                    let dead = built.saturating_sub(served) as f64;
                    let tombstones =
                        dead > config.optimizer_config.deleted_threshold * built as f64;
                    // Points written since join the graph, unless it was built for other
                    // parameters than the vector has now (then it is built again; so it is
                    // when its entry point was deleted, which the extension finds out).
                    let current =
                        GraphOrigin::header_for(params.distance, params.size as usize, &hnsw);
                    match &slot.origin {
                        _ if tombstones => Work::Build,
                        _ if rows.saturating_sub(index.len()) < extend_after(index.len()) => {
                            Work::Nothing
                        }
                        Some(origin) if origin.header == current => {
                            Work::Extend(index.clone(), origin.clone())
                        }
                        _ => Work::Build,
                    }
                }
            };
            let method = match params.is_multi() {
                false => effective_quantization(&config, params),
                true => None,
            };
            let distance = params.distance;
            if matches!(work, Work::Nothing) {
                // The graph stays; its codes follow a quantization config change.
                let codes = slot.quantized.as_ref().map(|q| q.method());
                if codes != method && !slot.quantizing {
                    if method.is_none() {
                        slot.quantized = None;
                        continue;
                    }
                    let Some(store) = state.points.store(name) else {
                        continue;
                    };
                    slot.quantizing = true;
                    let snapshot = store.clone();
                    let name = name.to_string();
                    let weak = this.clone();
                    submit(Box::new(move || {
                        let codes = codes_for(&snapshot, distance, method);
                        if let Some(collection) = weak.upgrade() {
                            collection.install_codes(&name, generation, codes);
                        }
                    }));
                }
                continue;
            }
            let snapshot = match params.is_multi() {
                false => state.points.store(name).cloned().map(Snapshot::Dense),
                true => state.points.multi_store(name).cloned().map(Snapshot::Multi),
            };
            let Some(snapshot) = snapshot else {
                continue;
            };
            debug_assert_eq!(snapshot.offsets(), rows);
            slot.building = true;
            let name = name.to_string();
            let weak = this.clone();
            let persistent = self.storage.is_persistent();
            submit(Box::new(move || {
                let base = match &work {
                    Work::Extend(index, origin) => Some((&**index, &**origin)),
                    _ => None,
                };
                let built = snapshot.build(base, distance, &hnsw, method, persistent);
                if let Some(collection) = weak.upgrade() {
                    collection.install_graph(&name, generation, built);
                }
            }));
        }
    }

    fn install_graph(&self, name: &str, generation: u64, built: crate::error::Result<Built>) {
        let installed = {
            let mut state = self.state.write();
            let current = state.points.generation();
            let slot = state.graphs.entry(name.to_string()).or_default();
            slot.building = false;
            match built {
                Ok(built) if generation == current => {
                    let stats = &self.graph_stats;
                    let before = slot.origin.as_ref().map_or(0, |o| o.vectors);
                    let added = match built.extended {
                        true => {
                            stats.extensions.fetch_add(1, Ordering::Relaxed);
                            built.origin.vectors.saturating_sub(before)
                        }
                        false => {
                            stats.builds.fetch_add(1, Ordering::Relaxed);
                            built.origin.vectors
                        }
                    };
                    stats
                        .vectors_indexed
                        .fetch_add(added as u64, Ordering::Relaxed);
                    slot.index = Some(Arc::new(built.index));
                    slot.origin = Some(Arc::new(built.origin));
                    slot.quantized = built.codes;
                    slot.generation = generation;
                    true
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(
                        "HNSW build for vector `{name}` of collection {} failed: {e}",
                        self.name
                    );
                    return;
                }
            }
        };
        // Still on the build thread: the save never holds up a request.
        if installed {
            self.save_graph(name);
        }
        // Points may have arrived (or the table compacted) while it was building.
        self.schedule_indexing();
    }

    /// Installs codes built for the current graph of `name` (dropped if the table was
    /// compacted meanwhile: the graph rebuild that follows brings its own).
    fn install_codes(&self, name: &str, generation: u64, codes: Option<Arc<QuantizedStore>>) {
        {
            let mut state = self.state.write();
            let current = state.points.generation();
            let slot = state.graphs.entry(name.to_string()).or_default();
            slot.quantizing = false;
            if generation == current && slot.index.is_some() {
                slot.quantized = codes;
            }
        }
        // The config may have changed again meanwhile.
        self.schedule_indexing();
    }

    /// `(indexed vectors, whether a graph is missing or building)` for collection info.
    pub(crate) fn indexing_status(&self) -> (u64, bool) {
        let config = self.config.read();
        let state = self.state.read();
        let live = state.points.len();
        let generation = state.points.generation();
        let mut indexed = 0u64;
        let mut pending = false;
        for (name, params) in config.params.vectors.iter() {
            let slot = state.graphs.get(name);
            if let Some(index) =
                slot.and_then(|s| s.index.as_ref().filter(|_| s.generation == generation))
            {
                indexed += state.points.count_present_below(name, index.len()) as u64;
            }
            let floats = match params.is_multi() {
                false => live.saturating_mul(params.size as usize),
                true => state.points.multi_store(name).map_or(0, MultiStore::floats),
            };
            let wanted = wants_graph(&config, floats);
            let has = slot.is_some_and(|s| s.index.is_some() && s.generation == generation);
            if slot.is_some_and(|s| s.building || s.quantizing) || (wanted && !has) {
                pending = true;
            }
        }
        (indexed, pending)
    }
}
