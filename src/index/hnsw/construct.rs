//! Our own HNSW construction: parallel insertion straight into per-node link lists, packed into
//! the [`HnswGraph`] layout at the end. It is the builder the engine uses ([`NativeBuilder`]);
//! `hnsw_rs` stays behind the same [`GraphBuilder`] seam for comparison.
//!
//! Why not `hnsw_rs`: on issue 5's dataset (100k × 128, m 16, ef_construct 100, 2 threads) it
//! built in 4–5× hnswlib's time, against a target of 2×; README's performance section has the
//! figures of both builders and hnswlib from one run (`benches/compare_hnswlib.py`).
//!
//! The algorithm is hnswlib's (Malkov & Yashunin, with hnswlib's choices where the paper leaves
//! room):
//! - each node draws its top layer as `⌊-ln(u) · mL⌋`, `mL = 1/ln(m)`, from a hash of its offset
//!   (so the layers do not depend on thread timing);
//! - greedy descent from the entry point down to the node's top layer, then on each of its layers
//!   a beam search of width `ef_construct`, from which the neighbour heuristic (hnswlib's
//!   `getNeighborsByHeuristic2`: keep a candidate only if it is nearer to the new node than to
//!   every neighbour kept so far) picks up to `m` links;
//! - each chosen neighbour links back; a full list (`m` on upper layers, `2m` on layer 0) is
//!   re-chosen with the same heuristic over its links plus the new node.
//!
//! Concurrency: threads take the next offset from a shared counter and insert it. Each node's
//! link lists sit behind their own mutex, held only to copy a list out or to write one back (never
//! two at once, so no lock order to get wrong); the entry point sits behind one more, held for a
//! whole insertion only by a node that will raise the top layer (a handful per graph), as in
//! hnswlib. With one thread, insertion follows offset order and the graph is the same every time.
//!
//! Extension ([`NativeBuilder::extend_space`]): a graph built earlier over the first offsets of a
//! space takes the rows written after it by the same insertion, starting from a copy of its
//! links, layers and entry point; its nodes are not inserted again. Rows are append-only per
//! offset, but rows of the graph may have been cleared since (deleted or overwritten points): the
//! insertion treats them as unreachable (never scored, never linked to, dropped from a list when
//! it is chosen again) and leaves their own lists as they were, tombstones as in any graph. If the
//! entry point is such a row, the graph is built from scratch instead.
//!
//! The construction never looks inside a row: it asks a [`BuildSpace`] for a node's row and for
//! the distance between two rows. [`DenseSpace`] serves the rows of a [`VectorStore`] in their
//! element type (`f32`, `f16`, `u8`); other kinds of rows (multivectors) build a graph by
//! implementing the trait and calling [`NativeBuilder::build_space`].

use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use parking_lot::Mutex;

use super::build::{BuildParams, GraphBuilder, MAX_LAYERS, unlinked_graph};
use super::graph::{HnswGraph, NodeLinks};
use super::scorer::prefetch_start;
use super::visited::VisitedSet;
use super::walk::{Farthest, Nearest};
use crate::error::{Error, Result};
use crate::index::distance;
use crate::index::element::Element;
use crate::index::vector_store::{Rows, TypedRows, VectorStore};
use crate::model::vectors::Distance;

/// The rows a graph is built over, as the construction sees them: one row per offset (or none),
/// and a distance between two rows.
pub trait BuildSpace: Sync {
    /// How a row is handed around: a cheap copy (a slice, usually).
    type Row<'r>: Copy
    where
        Self: 'r;

    /// Number of offsets, present or not.
    fn offsets(&self) -> usize;

    /// The row at `offset`; `None` when absent (never inserted, never linked).
    fn row(&self, offset: u32) -> Option<Self::Row<'_>>;

    /// How far `to` is from `from`, smaller nearer, `from` in the role of the query (the
    /// distance need not be symmetric, as `max_sim` is not). It must not be NaN for present rows.
    fn distance(&self, from: Self::Row<'_>, to: Self::Row<'_>) -> f32;

    /// Starts loading `row` into the cache; a hint only.
    fn prefetch(&self, row: Self::Row<'_>);
}

/// Rows of element type `T` of a [`VectorStore`], at the negated similarity of `distance` (as
/// searches rank).
#[derive(Clone, Copy, Debug)]
pub struct DenseSpace<'a, T> {
    pub rows: Rows<'a, T>,
    pub distance: Distance,
}

impl<T: Element> BuildSpace for DenseSpace<'_, T> {
    type Row<'r>
        = &'r [T]
    where
        Self: 'r;

    fn offsets(&self) -> usize {
        self.rows.len()
    }

    #[inline]
    fn row(&self, offset: u32) -> Option<&[T]> {
        self.rows.get(offset)
    }

    #[inline]
    fn distance(&self, from: &[T], to: &[T]) -> f32 {
        -distance::similarity(self.distance, from, to)
    }

    #[inline]
    fn prefetch(&self, row: &[T]) {
        prefetch_start(row);
    }
}

/// Builds with our own parallel insertion (see the module docs) on `params.threads` threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeBuilder;

impl NativeBuilder {
    /// Builds a graph over the present rows of any [`BuildSpace`].
    pub fn build_space<S: BuildSpace>(&self, space: &S, params: &BuildParams) -> Result<HnswGraph> {
        if params.m == 0 {
            return Ok(unlinked_graph(space.offsets()));
        }
        let construction = Construction::new(space, params);
        construction.insert_all(0, params.effective_threads())?;
        Ok(construction.into_graph())
    }

    /// Extends `base`, a graph over offsets `0..base.len()` of the same space (built with the
    /// same `m`), with the present rows at offsets `base.len()..space.offsets()`: they are
    /// inserted into the existing links as during a build, and the nodes of `base` keep their
    /// layers. Rows of `base` cleared since it was built stay in the graph as tombstones: the
    /// insertion neither scores nor links them, and drops them from any list it prunes. When
    /// the entry point of `base` is such a row (or `base` is empty, or covers more offsets than
    /// the space has), the graph is built from scratch instead, and the result says so.
    pub fn extend_space<S: BuildSpace>(
        &self,
        space: &S,
        params: &BuildParams,
        base: &HnswGraph,
    ) -> Result<Extended<HnswGraph>> {
        let start = base.len();
        let usable_entry = base.entry_point().and_then(|e| space.row(e));
        if params.m == 0 || start > space.offsets() || usable_entry.is_none() {
            return self.build_space(space, params).map(Extended::from_scratch);
        }
        let construction = Construction::starting_from(space, params, Some(base));
        construction.insert_all(start, params.effective_threads())?;
        Ok(Extended {
            graph: construction.into_graph(),
            from_base: true,
        })
    }

    /// [`NativeBuilder::extend_space`] over the rows of a dense [`VectorStore`].
    pub fn extend(
        &self,
        store: &VectorStore,
        distance: Distance,
        params: &BuildParams,
        base: &HnswGraph,
    ) -> Result<Extended<HnswGraph>> {
        match store.rows() {
            TypedRows::F32(rows) => self.extend_space(&DenseSpace { rows, distance }, params, base),
            TypedRows::F16(rows) => self.extend_space(&DenseSpace { rows, distance }, params, base),
            TypedRows::U8(rows) => self.extend_space(&DenseSpace { rows, distance }, params, base),
        }
    }
}

/// A graph made by [`NativeBuilder::extend_space`] (or a wrapper of it), and how.
#[derive(Debug)]
pub struct Extended<G> {
    pub graph: G,
    /// Whether the graph grew from its base; false when the base could not be extended (its
    /// entry point was cleared, it was empty or longer than the rows) and it was built from
    /// scratch.
    pub from_base: bool,
}

impl<G> Extended<G> {
    /// A graph built from scratch.
    pub fn from_scratch(graph: G) -> Self {
        Extended {
            graph,
            from_base: false,
        }
    }

    pub fn map<H>(self, f: impl FnOnce(G) -> H) -> Extended<H> {
        Extended {
            graph: f(self.graph),
            from_base: self.from_base,
        }
    }
}

impl GraphBuilder for NativeBuilder {
    fn build(
        &self,
        store: &VectorStore,
        distance: Distance,
        params: &BuildParams,
    ) -> Result<HnswGraph> {
        match store.rows() {
            TypedRows::F32(rows) => self.build_space(&DenseSpace { rows, distance }, params),
            TypedRows::F16(rows) => self.build_space(&DenseSpace { rows, distance }, params),
            TypedRows::U8(rows) => self.build_space(&DenseSpace { rows, distance }, params),
        }
    }
}

/// Seeds the per-node layer draw; any constant works, a fixed one keeps graphs reproducible.
const LAYER_SEED: u64 = 0x5155_4956_4552_4c59;

/// The top layer of node `offset`: geometric with ratio `1/m`, capped at `MAX_LAYERS - 1`.
fn top_layer(offset: u32, level_scale: f64) -> usize {
    // splitmix64 of the offset: a well-mixed 64-bit value, deterministic per node.
    let mut z = LAYER_SEED.wrapping_add(u64::from(offset).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    // 53 random bits in (0, 1]: never 0, so the logarithm stays finite.
    let uniform = ((z >> 11) + 1) as f64 / (1u64 << 53) as f64;
    ((-uniform.ln() * level_scale) as usize).min(MAX_LAYERS - 1)
}

/// Where every insertion and search starts.
#[derive(Clone, Copy)]
struct EntryPoint {
    node: Option<u32>,
    layer: usize,
}

/// The graph under construction over the present rows of one space.
struct Construction<'a, S> {
    space: &'a S,
    /// Links per node on upper layers, and on layer 0 for the node's own choice.
    m: usize,
    /// Capacity of a layer-0 list (reverse links fill it up to here).
    m0: usize,
    ef_construct: usize,
    top_layers: Vec<usize>,
    /// Per node: its neighbour list on each layer `0..=top_layers[node]`.
    links: Vec<Mutex<Vec<Vec<u32>>>>,
    entry: Mutex<EntryPoint>,
}

/// One thread's reusable buffers.
struct Scratch {
    visited: VisitedSet,
    candidates: BinaryHeap<Nearest>,
    results: BinaryHeap<Farthest>,
    neighbours: Vec<u32>,
    /// `(distance to the node, node)` sorted nearest first: beam results, or a list to prune.
    ranked: Vec<(f32, u32)>,
    selected: Vec<(f32, u32)>,
    /// A full neighbour list chosen again.
    pruned: Vec<(f32, u32)>,
}

impl Scratch {
    fn new(len: usize) -> Self {
        Scratch {
            visited: VisitedSet::new(len),
            candidates: BinaryHeap::new(),
            results: BinaryHeap::new(),
            neighbours: Vec::new(),
            ranked: Vec::new(),
            selected: Vec::new(),
            pruned: Vec::new(),
        }
    }
}

impl<'a, S: BuildSpace> Construction<'a, S> {
    fn new(space: &'a S, params: &BuildParams) -> Self {
        Self::starting_from(space, params, None)
    }

    /// A construction over `space` whose first offsets, when `base` is given, are the nodes of
    /// `base` (which covers offsets `0..base.len()` of `space`, and whose entry point has a row)
    /// with their layers and lists; later offsets start unlinked, on layers drawn for them.
    fn starting_from(space: &'a S, params: &BuildParams, base: Option<&HnswGraph>) -> Self {
        // With m = 1 the layer scale 1/ln(m) is infinite; two links is the least that makes a
        // navigable graph (as for hnsw_rs, see `build_hnsw_rs`).
        let m = params.m.max(2);
        let level_scale = 1.0 / (m as f64).ln();
        // A node's lists on layers 0..=top, with room for pruning, starting as `seed` gives.
        fn lists_for<'s>(m: usize, top: usize, seed: impl Fn(usize) -> &'s [u32]) -> Vec<Vec<u32>> {
            (0..=top)
                .map(|layer| {
                    let capacity = if layer == 0 { 2 * m + 1 } else { m + 1 };
                    let mut list = Vec::with_capacity(capacity);
                    list.extend_from_slice(seed(layer));
                    list
                })
                .collect()
        }
        let offsets = space.offsets();
        let (mut top_layers, mut links) =
            (Vec::with_capacity(offsets), Vec::with_capacity(offsets));
        let start = base.map_or(0, HnswGraph::len);
        if let Some(base) = base {
            for node in 0..start as u32 {
                let top = (1..=base.max_layer())
                    .rev()
                    .find(|&layer| base.in_layer(layer, node))
                    .unwrap_or(0);
                top_layers.push(top);
                links.push(Mutex::new(lists_for(m, top, |layer| {
                    base.neighbours(layer, node)
                })));
            }
        }
        // An absent row is never inserted: it stays on layer 0 without links, so that it can
        // neither raise the graph's top layer nor become its entry point.
        for o in start as u32..offsets as u32 {
            let top = match space.row(o) {
                Some(_) => top_layer(o, level_scale),
                None => 0,
            };
            top_layers.push(top);
            links.push(Mutex::new(lists_for(m, top, |_| &[])));
        }
        let entry = match base.and_then(HnswGraph::entry_point) {
            Some(node) => EntryPoint {
                node: Some(node),
                layer: top_layers[node as usize],
            },
            None => EntryPoint {
                node: None,
                layer: 0,
            },
        };
        Construction {
            space,
            m,
            m0: 2 * m,
            ef_construct: params.ef_construct.max(1),
            top_layers,
            links,
            entry: Mutex::new(entry),
        }
    }

    /// Inserts every present row at offsets `start..`, on `threads` threads (inline on the
    /// caller's for one).
    fn insert_all(&self, start: usize, threads: usize) -> Result<()> {
        let len = self.space.offsets();
        let next = AtomicUsize::new(start);
        let work = || {
            let mut scratch = Scratch::new(len);
            loop {
                let offset = next.fetch_add(1, AtomicOrdering::Relaxed);
                if offset >= len {
                    break;
                }
                if let Some(row) = self.space.row(offset as u32) {
                    self.insert(offset as u32, row, &mut scratch);
                }
            }
        };
        if threads <= 1 {
            work();
            return Ok(());
        }
        std::thread::scope(|scope| {
            let workers = (0..threads)
                .map(|i| {
                    std::thread::Builder::new()
                        .name(format!("hnsw-build-{i}"))
                        .spawn_scoped(scope, work)
                })
                .collect::<std::io::Result<Vec<_>>>();
            // Threads already started finish the work on their own if a later one failed.
            workers
                .map(|_| ())
                .map_err(|e| Error::Internal(format!("cannot start HNSW build threads: {e}")))
        })
    }

    fn into_graph(self) -> HnswGraph {
        let entry = self.entry.into_inner().node;
        let links: Vec<NodeLinks> = self
            .links
            .into_iter()
            .zip(self.top_layers)
            .map(|(lists, top_layer)| NodeLinks {
                top_layer,
                neighbours: lists.into_inner(),
            })
            .collect();
        HnswGraph::from_links(&links, entry)
    }

    /// Smaller is nearer, `a` in the role of the query.
    #[inline]
    fn distance_between(&self, a: S::Row<'a>, b: S::Row<'a>) -> f32 {
        self.space.distance(a, b)
    }

    /// The row of a node in the graph. A build links only present rows; an extension starts
    /// from a graph whose rows may have been cleared since (`None`): those are skipped.
    #[inline]
    fn row(&self, node: u32) -> Option<S::Row<'a>> {
        self.space.row(node)
    }

    /// Starts loading the rows of `nodes` into the cache before their distances are computed.
    #[inline]
    fn prefetch_rows(&self, nodes: &[u32]) {
        for &node in nodes {
            // The build is bound by memory: most rows a beam search scores are not in any
            // cache, and loading the next ones while the current one is scored is what lets it
            // keep up with hnswlib, which does the same.
            if let Some(row) = self.row(node) {
                self.space.prefetch(row);
            }
        }
    }

    fn insert(&self, node: u32, row: S::Row<'a>, scratch: &mut Scratch) {
        let top = self.top_layers[node as usize];
        let mut entry_guard = self.entry.lock();
        let entry = *entry_guard;
        let Some(mut nearest) = entry.node else {
            // The first node: nothing to link to yet.
            *entry_guard = EntryPoint {
                node: Some(node),
                layer: top,
            };
            return;
        };
        // Keep the entry point locked through an insertion that will raise the top layer, so
        // that no other insertion starts from a graph whose top is about to change under it.
        let raising = top > entry.layer;
        let held = if raising {
            Some(entry_guard)
        } else {
            drop(entry_guard);
            None
        };

        // The entry point always has a row: it is an inserted node, or (extending) checked.
        let Some(entry_row) = self.row(nearest) else {
            return;
        };
        let mut nearest_distance = self.distance_between(row, entry_row);
        for layer in (top + 1..=entry.layer).rev() {
            (nearest, nearest_distance) =
                self.greedy(row, nearest, nearest_distance, layer, scratch);
        }
        for layer in (0..=top.min(entry.layer)).rev() {
            self.search_layer(row, node, (nearest_distance, nearest), layer, scratch);
            if let Some(&(d, closest)) = self.connect(node, layer, scratch).first() {
                (nearest_distance, nearest) = (d, closest);
            }
        }

        if let Some(mut guard) = held {
            *guard = EntryPoint {
                node: Some(node),
                layer: top,
            };
        }
    }

    /// Moves to a nearer neighbour on `layer` while there is one.
    fn greedy(
        &self,
        query: S::Row<'a>,
        mut nearest: u32,
        mut nearest_distance: f32,
        layer: usize,
        scratch: &mut Scratch,
    ) -> (u32, f32) {
        let mut moved = true;
        while moved {
            moved = false;
            self.copy_neighbours(nearest, layer, &mut scratch.neighbours);
            self.prefetch_rows(&scratch.neighbours);
            for &next in &scratch.neighbours {
                let Some(next_row) = self.row(next) else {
                    continue;
                };
                let d = self.distance_between(query, next_row);
                if d < nearest_distance {
                    nearest = next;
                    nearest_distance = d;
                    moved = true;
                }
            }
        }
        (nearest, nearest_distance)
    }

    fn copy_neighbours(&self, node: u32, layer: usize, into: &mut Vec<u32>) {
        into.clear();
        if let Some(list) = self.links[node as usize].lock().get(layer) {
            into.extend_from_slice(list);
        }
    }

    /// Beam search of width `ef_construct` on `layer` from `start`; leaves the nodes found,
    /// nearest first and without `node` itself, in `scratch.ranked`.
    fn search_layer(
        &self,
        query: S::Row<'a>,
        node: u32,
        start: (f32, u32),
        layer: usize,
        scratch: &mut Scratch,
    ) {
        let ef = self.ef_construct;
        let Scratch {
            visited,
            candidates,
            results,
            neighbours,
            ranked,
            ..
        } = scratch;
        visited.start_walk();
        candidates.clear();
        results.clear();
        visited.insert(start.1);
        visited.insert(node);
        candidates.push(Nearest(start.0, start.1));
        results.push(Farthest(start.0, start.1));
        while let Some(Nearest(d, current)) = candidates.pop() {
            let worst = results.peek().map_or(f32::INFINITY, |f| f.0);
            if d > worst && results.len() >= ef {
                break;
            }
            self.copy_neighbours(current, layer, neighbours);
            neighbours.retain(|&next| visited.insert(next));
            self.prefetch_rows(neighbours);
            for &next in neighbours.iter() {
                let Some(next_row) = self.row(next) else {
                    continue;
                };
                let d = self.distance_between(query, next_row);
                let worst = results.peek().map_or(f32::INFINITY, |f| f.0);
                if results.len() < ef || d < worst {
                    candidates.push(Nearest(d, next));
                    results.push(Farthest(d, next));
                    if results.len() > ef {
                        results.pop();
                    }
                }
            }
        }
        ranked.clear();
        ranked.extend(results.drain().map(|Farthest(d, n)| (d, n)));
        ranked.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    }

    /// Picks `node`'s links on `layer` from `scratch.ranked` with the heuristic, stores them and
    /// links each chosen neighbour back. Returns the chosen, nearest first.
    fn connect<'s>(&self, node: u32, layer: usize, scratch: &'s mut Scratch) -> &'s [(f32, u32)] {
        let capacity = if layer == 0 { self.m0 } else { self.m };
        self.select(&scratch.ranked, self.m, &mut scratch.selected);
        {
            let mut lists = self.links[node as usize].lock();
            lists[layer].clear();
            lists[layer].extend(scratch.selected.iter().map(|&(_, n)| n));
        }
        for &(d, neighbour) in &scratch.selected {
            let mut lists = self.links[neighbour as usize].lock();
            let list = &mut lists[layer];
            if list.len() < capacity {
                list.push(node);
                continue;
            }
            // Full: choose again among its links and the new node. The lock stays held while
            // the distances are computed, so that no concurrent link is lost. Links to rows
            // cleared since the graph was extended from are dropped here.
            let Some(neighbour_row) = self.row(neighbour) else {
                continue;
            };
            self.prefetch_rows(list);
            scratch.ranked.clear();
            scratch.ranked.push((d, node));
            scratch.ranked.extend(list.iter().filter_map(|&n| {
                let row = self.row(n)?;
                Some((self.distance_between(neighbour_row, row), n))
            }));
            scratch
                .ranked
                .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            self.select(&scratch.ranked, capacity, &mut scratch.pruned);
            list.clear();
            list.extend(scratch.pruned.iter().map(|&(_, n)| n));
        }
        &scratch.selected
    }

    /// hnswlib's neighbour heuristic over `ranked` (nearest first): keep a candidate when it is
    /// nearer to the base node than to every candidate kept so far, up to `m`. Fewer than `m`
    /// candidates are all kept.
    fn select(&self, ranked: &[(f32, u32)], m: usize, kept: &mut Vec<(f32, u32)>) {
        kept.clear();
        if ranked.len() < m {
            kept.extend_from_slice(ranked);
            return;
        }
        for &(d, candidate) in ranked {
            if kept.len() >= m {
                break;
            }
            // Candidates are scored nodes: their rows are present.
            let Some(candidate_row) = self.row(candidate) else {
                continue;
            };
            let diverse = kept.iter().all(|&(_, k)| {
                self.row(k)
                    .is_none_or(|k_row| self.distance_between(candidate_row, k_row) >= d)
            });
            if diverse {
                kept.push((d, candidate));
            }
        }
    }
}
