//! Approximate search over one vector store with an HNSW graph.
//!
//! A graph is built by a [`GraphBuilder`] — our own parallel construction ([`NativeBuilder`],
//! `construct.rs`), which the engine uses, or `hnsw_rs` ([`HnswRsBuilder`], `build.rs`), kept for
//! comparison — and kept in our own flat layout ([`HnswGraph`], `graph.rs`: layer 0 with a fixed
//! stride per node, upper layers as sparse rows, all over `u32` offsets), which [`GraphFile`]
//! (`graph_file.rs`) saves and reads back with its rows named by point id. Searches walk that
//! layout with the loop in `walk.rs` (a greedy descent through the upper layers, then a beam
//! search of width `ef` on layer 0), which is generic over how a row is scored: a [`RowScorer`]
//! (`scorer.rs`). [`HnswSearch`] scores the store's `f32` rows with the kernels of
//! [`crate::index::distance`] in the store's element type (`f32`, `f16`, `u8`: [`DenseRows`]);
//! other encodings of the rows (quantized codes, multivectors) plug into [`HnswIndex::walk`] with a scorer of their own.
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
mod scorer;
mod visited;
mod walk;

pub use build::{
    BuildParams, GraphBuilder, GraphDistance, HnswRs, HnswRsBuilder, MAX_M, MIN_EF_CONSTRUCT,
    build_hnsw_rs, export, validate,
};
pub use construct::{BuildSpace, DenseSpace, Extended, NativeBuilder};
pub use graph::{HnswGraph, NodeLinks};
pub use graph_file::{
    GRAPH_FORMAT_VERSION, GraphFile, GraphFileHeader, SavedRow, encode as encode_graph_file,
    fingerprint,
};
pub(crate) use scorer::prefetch;
pub use scorer::{DenseRows, RowScorer};

use crate::error::Result;
use crate::index::distance::{self, L1, NegatedCosine, NegatedDot, SquaredEuclid};
use crate::index::element::Element;
use crate::index::vector_store::{Rows, RowsVisitor, VectorStore};
use crate::index::{ScoredOffset, SearchRequest, VectorIndex};
use crate::model::collection::HnswConfig;
use crate::model::vectors::Distance;
use visited::VisitedPool;
use walk::Walk;

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

    /// A graph over every present row of `store`, made by inserting the rows past `self`
    /// (offsets `self.len()..`) into a copy of `self`'s links ([`NativeBuilder::extend_space`],
    /// which says when it had to build from scratch instead); `self` must have been built over
    /// the same store (its first `self.len()` offsets) with the same `m`. Off the async
    /// runtime, like a build.
    pub fn extend(&self, store: &VectorStore, config: &HnswConfig) -> Result<Extended<Self>> {
        let params = BuildParams::from_config(config)?;
        let extended = NativeBuilder.extend(store, self.distance, &params, &self.graph)?;
        Ok(extended.map(|graph| Self::from_graph(graph, self.distance, config.ef_construct)))
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

    /// The beam width when a query does not set `hnsw_ef` (`ef_construct`).
    pub fn default_ef(&self) -> usize {
        self.default_ef
    }

    /// Walks the graph for one query whose rows `scorer` scores, and returns up to `ef`
    /// `(distance, offset)` pairs that `accept` takes, nearest first (equal distances by
    /// offset). `ef` is raised to `top` and capped at the graph's size; `top` is how many results
    /// the caller needs (fewer reachable ones make the walk score the unreached rows too, see
    /// the module docs). Distances are the scorer's; callers turn them into scores.
    pub fn walk<S: RowScorer>(
        &self,
        scorer: &S,
        accept: &dyn Fn(u32) -> bool,
        ef: usize,
        top: usize,
    ) -> Vec<(f32, u32)> {
        if top == 0 || self.graph.is_empty() {
            return Vec::new();
        }
        // `top` is the client's offset + limit and may be huge; the beam never needs to be
        // wider than the graph.
        let ef = ef.max(top).clamp(1, self.graph.len());
        let mut visited = self.visited.take();
        Walk {
            graph: &self.graph,
            accept,
            ef,
            top,
        }
        .run(scorer, &mut visited)
    }
}

/// One query's view of an index and the store it was built from.
pub struct HnswSearch<'a> {
    pub index: &'a HnswIndex,
    pub store: &'a VectorStore,
    /// The query's `hnsw_ef`; `None` uses the index's default (`ef_construct`).
    pub ef: Option<usize>,
}

impl HnswSearch<'_> {
    /// The walk with `store`'s rows in their element type, the element type and the kernel
    /// chosen here once for the whole search.
    fn walk(&self, request: &SearchRequest<'_>, ef: usize) -> Vec<(f32, u32)> {
        let walker = Walker {
            index: self.index,
            accept: request.accept,
            ef,
            top: request.top,
        };
        self.store.visit(request.query, walker)
    }
}

/// One walk over typed rows: [`HnswSearch::walk`]'s visitor.
struct Walker<'a> {
    index: &'a HnswIndex,
    accept: &'a dyn Fn(u32) -> bool,
    ef: usize,
    top: usize,
}

impl RowsVisitor for Walker<'_> {
    type Output = Vec<(f32, u32)>;

    fn visit<T: Element>(self, rows: Rows<'_, T>, query: &[T]) -> Vec<(f32, u32)> {
        let Walker {
            index,
            accept,
            ef,
            top,
        } = self;
        match index.distance {
            Distance::Cosine => index.walk(
                &DenseRows::<T, NegatedCosine>::new(rows, query),
                accept,
                ef,
                top,
            ),
            Distance::Dot => index.walk(
                &DenseRows::<T, NegatedDot>::new(rows, query),
                accept,
                ef,
                top,
            ),
            Distance::Euclid => index.walk(
                &DenseRows::<T, SquaredEuclid>::new(rows, query),
                accept,
                ef,
                top,
            ),
            Distance::Manhattan => {
                index.walk(&DenseRows::<T, L1>::new(rows, query), accept, ef, top)
            }
        }
    }
}

impl VectorIndex for HnswSearch<'_> {
    fn search(&self, request: &SearchRequest<'_>) -> Vec<ScoredOffset> {
        debug_assert_eq!(request.distance, self.index.distance);
        if request.top == 0 || self.index.is_empty() {
            return Vec::new();
        }
        let ef = self.ef.unwrap_or(self.index.default_ef);
        let found = self.walk(request, ef);

        let scored = found.into_iter().map(|(walk_distance, offset)| {
            let score = distance::score_from_walk(request.distance, walk_distance);
            Some(ScoredOffset { offset, score })
        });
        rank(request, scored)
    }
}

/// The best `request.top` of `scored` (`None`s dropped) that pass the request's score
/// threshold, best first, equal scores by the request's tie key.
pub(crate) fn rank(
    request: &SearchRequest<'_>,
    scored: impl Iterator<Item = Option<ScoredOffset>>,
) -> Vec<ScoredOffset> {
    let mut scored: Vec<(ScoredOffset, _)> = scored
        .flatten()
        .filter(|s| {
            request
                .score_threshold
                .is_none_or(|t| distance::passes_threshold(request.distance, s.score, t))
        })
        .map(|s| (s, (request.tie_key)(s.offset)))
        .collect();
    scored.sort_by(|(a, ka), (b, kb)| {
        distance::compare(request.distance, a.score, b.score).then_with(|| ka.cmp(kb))
    });
    scored.truncate(request.top);
    scored.into_iter().map(|(s, _)| s).collect()
}

#[cfg(test)]
mod tests;
