//! Building an HNSW graph: parameter validation, the [`GraphBuilder`] seam, and the builder that
//! uses `hnsw_rs` and exports its graph into our [`HnswGraph`] layout. The engine builds with our
//! own construction instead (`construct.rs`: hnsw_rs took 4–5× hnswlib's build time); this one
//! stays for comparison in `benches/hnsw.rs` and the tests.
//!
//! `hnsw_rs` ends the process (`std::process::exit`) on some parameters (`m` > 256) and panics on
//! others (an `ef_construct` of 0 empties its candidate heap). Nothing reaches it unless
//! [`validate`] accepted the configuration; [`HnswRsBuilder`] checks again so that a caller that
//! forgot cannot take the server down.
//!
//! The library only builds. Its own search allocates an `Arc` per candidate, hashes visited ids
//! and locks per expansion, so we copy the finished graph out through its public iterators and
//! search the copy with our own loop (`super::search`). The copy also frees the library's
//! per-point copy of every vector.

use hnsw_rs::anndists::dist::distances::Distance as AnnDistance;
use hnsw_rs::hnsw::Hnsw;

use crate::error::{Error, Result};
use crate::index::distance;
use crate::index::hnsw::graph::{HnswGraph, NodeLinks};
use crate::index::vector_store::VectorStore;
use crate::model::collection::HnswConfig;
use crate::model::vectors::{Datatype, Distance};

/// The largest `m` (and `payload_m`) accepted: `hnsw_rs` exits the process above it.
pub const MAX_M: usize = 256;
/// The smallest `ef_construct` accepted, as in Qdrant.
pub const MIN_EF_CONSTRUCT: usize = 4;
/// `hnsw_rs` supports at most 16 layers; with `m` ≥ 2 the 16th is reached with probability
/// below `2^-15` per point, so this never flattens a real graph.
pub(super) const MAX_LAYERS: usize = 16;

/// Checks HNSW parameters before they reach a builder. The error names the offending field
/// (`hnsw_config.m`, `hnsw_config.ef_construct`, `hnsw_config.payload_m`) and the allowed range.
///
/// `m = 0` is valid and means "no graph" (Qdrant uses it with `payload_m` for multitenancy):
/// [`HnswRsBuilder`] then builds a graph without links, and a search over it is an exact scan.
/// `full_scan_threshold` and `max_indexing_threads` accept any value (0 threads = automatic).
pub fn validate(config: &HnswConfig) -> Result<()> {
    if config.m > MAX_M {
        return Err(Error::validation(
            "hnsw_config.m",
            &format!("value {} invalid, must be {MAX_M} or smaller", config.m),
        ));
    }
    if let Some(m) = config.payload_m
        && m > MAX_M
    {
        return Err(Error::validation(
            "hnsw_config.payload_m",
            &format!("value {m} invalid, must be {MAX_M} or smaller"),
        ));
    }
    if config.ef_construct < MIN_EF_CONSTRUCT {
        return Err(Error::validation(
            "hnsw_config.ef_construct",
            &format!(
                "value {} invalid, must be {MIN_EF_CONSTRUCT} or larger",
                config.ef_construct
            ),
        ));
    }
    Ok(())
}

/// What a builder needs from the collection's `hnsw_config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildParams {
    /// Links per node on upper layers; layer 0 keeps up to `2 * m`. 0 = no links.
    pub m: usize,
    pub ef_construct: usize,
    /// Threads for construction; 0 = as many as the machine has.
    pub threads: usize,
}

impl BuildParams {
    /// Validates `config` and takes the build parameters from it.
    pub fn from_config(config: &HnswConfig) -> Result<BuildParams> {
        validate(config)?;
        Ok(BuildParams {
            m: config.m,
            ef_construct: config.ef_construct,
            threads: config.max_indexing_threads,
        })
    }

    /// The thread count to use: the requested one, capped by the machine (a client can ask for
    /// a million threads; the machine decides how many are useful).
    /// `max_indexing_threads`: 0 picks all cores but one (at least one), so that a background
    /// build leaves a core to searches; an explicit number is capped at the core count.
    pub(super) fn effective_threads(&self) -> usize {
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        if self.threads == 0 {
            available.saturating_sub(1).max(1)
        } else {
            self.threads.min(available)
        }
    }
}

/// Builds a graph over the present rows of a store. The seam where a different construction
/// (our own, or another library's) can replace `hnsw_rs` without touching the search.
pub trait GraphBuilder {
    fn build(
        &self,
        store: &VectorStore,
        distance: Distance,
        params: &BuildParams,
    ) -> Result<HnswGraph>;
}

/// Builds with `hnsw_rs` (parallel insertion on a dedicated pool of `params.threads` threads),
/// then exports the graph into our layout.
#[derive(Clone, Copy, Debug, Default)]
pub struct HnswRsBuilder;

impl GraphBuilder for HnswRsBuilder {
    fn build(
        &self,
        store: &VectorStore,
        distance: Distance,
        params: &BuildParams,
    ) -> Result<HnswGraph> {
        if params.m == 0 {
            return Ok(unlinked_graph(store.len()));
        }
        if store.datatype() != Datatype::Float32 {
            return Err(Error::Internal(
                "the hnsw_rs builder takes float32 vectors only".into(),
            ));
        }
        let hnsw = build_hnsw_rs(store, distance, params)?;
        Ok(export(&hnsw, store.len()))
    }
}

/// The graph of `m = 0` over `len` offsets: every node stands alone, and a search completes its
/// (empty) walk with an exact scan.
pub(super) fn unlinked_graph(len: usize) -> HnswGraph {
    HnswGraph::from_links(&vec![NodeLinks::default(); len], None)
}

/// The distance `hnsw_rs` minimises, computed with our kernels.
///
/// `hnsw_rs` only compares distances (to rank candidates and to prune neighbour lists), so any
/// strictly increasing function of "worse" works, provided it is never negative: its search
/// asserts `distance >= 0`. Bigger-is-better similarities are turned around:
/// - Cosine: `1 - dot` on normalised rows (in [0, 2]);
/// - Dot: `max_norm² - dot`, where `max_norm` is the largest row norm of the store, so that the
///   value is non-negative for any two rows (Cauchy–Schwarz);
/// - Euclid: the squared distance (same order as the distance, no square root);
/// - Manhattan: the distance.
///
/// Rounding can push a value a hair below zero (a row against itself); it is clamped to 0.
#[derive(Clone, Copy, Debug)]
pub struct GraphDistance {
    distance: Distance,
    base: f32,
}

impl GraphDistance {
    /// The graph distance for `distance` over the rows of `store`.
    pub fn for_store(distance: Distance, store: &VectorStore) -> GraphDistance {
        let base = match distance {
            Distance::Cosine => 1.0,
            Distance::Dot => {
                let max_norm_sq = (0..store.len() as u32)
                    .filter_map(|o| store.f32_row(o))
                    .map(|row| distance::similarity(Distance::Dot, row, row))
                    .fold(0.0f32, f32::max);
                // Headroom for rounding in the dot products themselves.
                max_norm_sq * (1.0 + 1e-4) + f32::EPSILON
            }
            Distance::Euclid | Distance::Manhattan => 0.0,
        };
        GraphDistance { distance, base }
    }
}

impl AnnDistance<f32> for GraphDistance {
    #[inline]
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        // `max` also turns a NaN (from a NaN component) into 0 rather than tripping the
        // library's assertion.
        (self.base - distance::similarity(self.distance, a, b)).max(0.0)
    }
}

/// The `hnsw_rs` structure this crate builds (vectors copied in, so no borrowed lifetime).
pub type HnswRs = Hnsw<'static, f32, GraphDistance>;

/// Builds an `hnsw_rs` graph over the present rows of an `f32` `store` (a store of another
/// datatype has none it can read), each inserted with its offset
/// as the library's data id. Public so that benchmarks can compare the library's own search on
/// the same graph; the engine goes through [`GraphBuilder`].
pub fn build_hnsw_rs(
    store: &VectorStore,
    distance: Distance,
    params: &BuildParams,
) -> Result<HnswRs> {
    if params.m > MAX_M || params.ef_construct < MIN_EF_CONSTRUCT {
        return Err(Error::validation(
            "hnsw_config",
            &format!(
                "m {} / ef_construct {} out of range (m 0..={MAX_M}, ef_construct >= {MIN_EF_CONSTRUCT})",
                params.m, params.ef_construct
            ),
        ));
    }
    let rows: Vec<(&[f32], usize)> = (0..store.len() as u32)
        .filter_map(|o| store.f32_row(o).map(|row| (row, o as usize)))
        .collect();
    // With m = 1 the library's layer scale is 1/ln(1) = ∞ and levels come out uniform over all
    // 16 layers: a useless graph. Two links is the least that makes a navigable one.
    let m = params.m.max(2);
    let hnsw: HnswRs = Hnsw::new(
        m,
        rows.len().max(1),
        MAX_LAYERS,
        params.ef_construct,
        GraphDistance::for_store(distance, store),
    );
    if rows.is_empty() {
        return Ok(hnsw);
    }
    let threads = params.effective_threads();
    if threads <= 1 {
        // Insertion order fixes the graph: one thread builds the same graph every time.
        for &row in &rows {
            hnsw.insert_slice(row);
        }
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("hnsw-build-{i}"))
            .build()
            .map_err(|e| Error::Internal(format!("cannot start HNSW build threads: {e}")))?;
        pool.install(|| hnsw.parallel_insert_slice(&rows));
    }
    Ok(hnsw)
}

/// Copies an `hnsw_rs` graph into our layout over offsets `0..len` (data ids are offsets).
///
/// `get_layer_iterator(l)` yields the points whose *top* layer is `l`; each point's
/// `get_neighborhood_id()` lists its neighbours on every layer up to its top, by data id.
pub fn export(hnsw: &HnswRs, len: usize) -> HnswGraph {
    let mut links = vec![NodeLinks::default(); len];
    if hnsw.get_nb_point() == 0 {
        return HnswGraph::from_links(&links, None);
    }
    let indexation = hnsw.get_point_indexation();
    let top = hnsw.get_max_level_observed() as usize;
    for layer in 0..=top {
        for point in indexation.get_layer_iterator(layer) {
            let offset = point.get_origin_id();
            let Some(node) = links.get_mut(offset) else {
                continue;
            };
            node.top_layer = point.get_point_id().0 as usize;
            node.neighbours = point
                .get_neighborhood_id()
                .into_iter()
                .take(node.top_layer + 1)
                .map(|list| list.iter().map(|n| n.get_origin_id() as u32).collect())
                .collect();
        }
    }
    HnswGraph::from_links(&links, None)
}
