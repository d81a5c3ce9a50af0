//! Approximate search over one vector store with an HNSW graph.
//!
//! A graph is built by a [`GraphBuilder`] — our own parallel construction ([`NativeBuilder`],
//! `construct.rs`), which the engine uses, or `hnsw_rs` ([`HnswRsBuilder`], `build.rs`), kept for
//! comparison — and kept in our own flat layout ([`HnswGraph`]: per-layer CSR adjacency over
//! `u32` offsets), which [`GraphFile`] (`graph_file.rs`) saves and reads back with its rows named
//! by point id. Searches walk that
//! layout with the loop in this file: a greedy descent through the upper layers, then a beam
//! search of width `ef` on layer 0, scoring rows of the store with the kernels of
//! [`crate::index::distance`].
//!
//! The engine keeps an [`HnswIndex`] beside the store it was built from and, per query, wraps
//! both in an [`HnswSearch`], which implements [`VectorIndex`] like the exact scan does:
//!
//! ```text
//! let index = HnswIndex::build(&store, distance, &hnsw_config)?;      // in the background
//! let found = HnswSearch { index: &index, store: &store, ef: params.hnsw_ef }.search(&request);
//! ```
//!
//! What a search guarantees:
//! - Only offsets `0..index.len()` (those present when the graph was built) are searched; the
//!   caller merges an exact scan of later offsets.
//! - The filter applies during the walk: rejected nodes are traversed (they keep the graph
//!   connected) but never returned.
//! - The walk stops once it holds `ef` accepted results and no candidate can improve them. When
//!   fewer than `ef` reachable nodes are accepted it never reaches that state: it visits every
//!   node reachable from the entry point and, if it still has fewer than `top` results, scores
//!   the nodes it did not reach as well. So a very selective filter gets a complete, exact
//!   answer, at the cost of a traversal about as long as an exact scan; the planner should send
//!   such filters to the exact scan over the matching points instead.
//! - `score_threshold` is applied to the `ef` best found (it does not narrow the walk), then
//!   results are ranked by score and ties broken by `tie_key`, as in the exact scan.

mod build;
mod construct;
mod graph;
mod graph_file;
mod visited;

use std::cmp::Ordering;
use std::collections::BinaryHeap;

pub use build::{
    BuildParams, GraphBuilder, GraphDistance, HnswRs, HnswRsBuilder, MAX_M, MIN_EF_CONSTRUCT,
    build_hnsw_rs, export, validate,
};
pub use construct::NativeBuilder;
pub use graph::{HnswGraph, NodeLinks};
pub use graph_file::{
    GRAPH_FORMAT_VERSION, GraphFile, GraphFileHeader, SavedRow, encode as encode_graph_file,
    fingerprint,
};

use crate::error::Result;
use crate::index::distance;
use crate::index::vector_store::VectorStore;
use crate::index::{ScoredOffset, SearchRequest, VectorIndex};
use crate::model::collection::HnswConfig;
use crate::model::vectors::Distance;
use visited::{VisitedPool, VisitedSet};

/// A built graph for one vector store, ready to search.
pub struct HnswIndex {
    graph: HnswGraph,
    distance: Distance,
    /// The beam width when a query does not set `hnsw_ef`: `ef_construct`, as in Qdrant.
    default_ef: usize,
    visited: VisitedPool,
}

impl HnswIndex {
    /// Validates `config` and builds a graph over the present rows of `store` with our own
    /// construction ([`NativeBuilder`]). Takes seconds to minutes on large stores: call it off
    /// the async runtime.
    pub fn build(store: &VectorStore, distance: Distance, config: &HnswConfig) -> Result<Self> {
        Self::build_with(&NativeBuilder, store, distance, config)
    }

    /// As [`HnswIndex::build`], with another construction behind the same layout.
    pub fn build_with(
        builder: &dyn GraphBuilder,
        store: &VectorStore,
        distance: Distance,
        config: &HnswConfig,
    ) -> Result<Self> {
        let params = BuildParams::from_config(config)?;
        let graph = builder.build(store, distance, &params)?;
        Ok(Self::from_graph(graph, distance, config.ef_construct))
    }

    /// Wraps a graph already in our layout (built elsewhere, or loaded from disk).
    pub fn from_graph(graph: HnswGraph, distance: Distance, default_ef: usize) -> Self {
        let visited = VisitedPool::new(graph.len());
        HnswIndex {
            graph,
            distance,
            default_ef: default_ef.max(1),
            visited,
        }
    }

    pub fn graph(&self) -> &HnswGraph {
        &self.graph
    }

    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// Number of offsets the graph covers.
    pub fn len(&self) -> usize {
        self.graph.len()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.is_empty()
    }
}

/// One query's view of an index and the store it was built from.
pub struct HnswSearch<'a> {
    pub index: &'a HnswIndex,
    pub store: &'a VectorStore,
    /// The query's `hnsw_ef`; `None` uses the index's default (`ef_construct`).
    pub ef: Option<usize>,
}

/// `(distance, offset)` ordered so that a `BinaryHeap` pops the *nearest* first.
#[derive(Clone, Copy, PartialEq)]
struct Nearest(f32, u32);
/// `(distance, offset)` ordered so that a `BinaryHeap` pops the *farthest* first.
#[derive(Clone, Copy, PartialEq)]
struct Farthest(f32, u32);

impl Eq for Nearest {}
impl Ord for Nearest {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}
impl PartialOrd for Nearest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Eq for Farthest {}
impl Ord for Farthest {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}
impl PartialOrd for Farthest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl HnswSearch<'_> {
    /// Smaller is nearer for every distance: the negated similarity. `None` for a row the
    /// store no longer has (it is then neither expanded nor returned).
    #[inline]
    fn distance_to(&self, query: &[f32], offset: u32) -> Option<f32> {
        let row = self.store.get(offset)?;
        Some(-distance::similarity(self.index.distance, query, row))
    }

    /// Greedy descent from the entry point through layers `max..1`: at each layer, move to the
    /// nearest neighbour while one is nearer. Returns the node to start layer 0 from.
    fn descend(&self, query: &[f32], entry: u32) -> u32 {
        let graph = &self.index.graph;
        let mut current = entry;
        let mut current_distance = self.distance_to(query, entry).unwrap_or(f32::INFINITY);
        for layer in (1..=graph.max_layer()).rev() {
            let mut moved = true;
            while moved {
                moved = false;
                for &next in graph.neighbours(layer, current) {
                    if let Some(d) = self.distance_to(query, next)
                        && d < current_distance
                    {
                        current = next;
                        current_distance = d;
                        moved = true;
                    }
                }
            }
        }
        current
    }

    /// Beam search on layer 0 from `start`. Returns up to `ef` accepted `(distance, offset)`
    /// pairs and whether the walk ran out of candidates (visited all it could reach).
    fn walk_base_layer(
        &self,
        request: &SearchRequest<'_>,
        start: u32,
        ef: usize,
        visited: &mut VisitedSet,
    ) -> (BinaryHeap<Farthest>, bool) {
        let graph = &self.index.graph;
        let query = request.query;
        let mut candidates: BinaryHeap<Nearest> = BinaryHeap::with_capacity(ef * 2);
        let mut results: BinaryHeap<Farthest> = BinaryHeap::with_capacity(ef + 1);
        visited.insert(start);
        let start_distance = self.distance_to(query, start);
        candidates.push(Nearest(start_distance.unwrap_or(f32::INFINITY), start));
        if let Some(d) = start_distance
            && (request.accept)(start)
        {
            results.push(Farthest(d, start));
        }
        while let Some(Nearest(distance, node)) = candidates.pop() {
            let worst = results.peek().map_or(f32::INFINITY, |f| f.0);
            if results.len() >= ef && distance > worst {
                return (results, false);
            }
            for &next in graph.neighbours(0, node) {
                if !visited.insert(next) {
                    continue;
                }
                let Some(d) = self.distance_to(query, next) else {
                    continue;
                };
                let worst = results.peek().map_or(f32::INFINITY, |f| f.0);
                if results.len() < ef || d < worst {
                    candidates.push(Nearest(d, next));
                    if (request.accept)(next) {
                        results.push(Farthest(d, next));
                        if results.len() > ef {
                            results.pop();
                        }
                    }
                }
            }
        }
        (results, true)
    }

    /// Adds every accepted node the walk did not visit (bounded by `ef`): the completion of a
    /// walk that exhausted its reachable nodes without finding `top` results.
    fn complete_exactly(
        &self,
        request: &SearchRequest<'_>,
        ef: usize,
        visited: &VisitedSet,
        results: &mut BinaryHeap<Farthest>,
    ) {
        for offset in 0..self.index.graph.len() as u32 {
            if visited.contains(offset) || !(request.accept)(offset) {
                continue;
            }
            let Some(d) = self.distance_to(request.query, offset) else {
                continue;
            };
            if results.len() < ef {
                results.push(Farthest(d, offset));
            } else if results.peek().is_some_and(|w| d < w.0) {
                results.pop();
                results.push(Farthest(d, offset));
            }
        }
    }
}

impl VectorIndex for HnswSearch<'_> {
    fn search(&self, request: &SearchRequest<'_>) -> Vec<ScoredOffset> {
        debug_assert_eq!(request.distance, self.index.distance);
        let graph = &self.index.graph;
        let Some(entry) = graph.entry_point() else {
            return Vec::new();
        };
        if request.top == 0 {
            return Vec::new();
        }
        // `top` is the client's offset + limit and may be huge; the beam never needs to be
        // wider than the graph.
        let ef = self
            .ef
            .unwrap_or(self.index.default_ef)
            .max(request.top)
            .clamp(1, graph.len());
        let mut visited = self.index.visited.take();
        let start = self.descend(request.query, entry);
        let (mut results, exhausted) = self.walk_base_layer(request, start, ef, &mut visited);
        if exhausted && results.len() < request.top {
            self.complete_exactly(request, ef, &visited, &mut results);
        }
        drop(visited);

        let mut scored: Vec<(ScoredOffset, _)> = results
            .into_iter()
            .filter_map(|Farthest(_, offset)| {
                let row = self.store.get(offset)?;
                let score = distance::score(request.distance, request.query, row);
                if let Some(t) = request.score_threshold
                    && !distance::passes_threshold(request.distance, score, t)
                {
                    return None;
                }
                Some((ScoredOffset { offset, score }, (request.tie_key)(offset)))
            })
            .collect();
        scored.sort_by(|(a, ka), (b, kb)| {
            distance::compare(request.distance, a.score, b.score).then_with(|| ka.cmp(kb))
        });
        scored.truncate(request.top);
        scored.into_iter().map(|(s, _)| s).collect()
    }
}

#[cfg(test)]
mod tests;
