//! The search loop over an [`HnswGraph`]: a greedy descent through the upper layers, then a beam
//! search of width `ef` on layer 0, generic over how a row is scored ([`RowScorer`]).
//!
//! The layer-0 loop is the hot path of every indexed query, shaped after hnswlib's
//! `searchBaseLayerST`: each expanded node's list is one fixed-stride read; its unvisited
//! neighbours are marked first, then scored in order while the next one's row is prefetched, so
//! that each load overlaps the kernel; the next candidate's list is prefetched while the current
//! one's neighbours are scored. Rows are scored through the scorer alone (one monomorphised call per row, no
//! match on the distance); `accept` (a `dyn` call) is asked only about rows that would enter the
//! results.
//!
//! What the walk guarantees (see also the module docs of `hnsw.rs`):
//! - Rows the scorer has no distance for are neither expanded nor returned; rows `accept`
//!   rejects are expanded (they keep the graph connected) but never returned.
//! - It stops once it holds `ef` accepted results and no candidate can improve them. When it
//!   runs out of candidates first with fewer than `top` results, it scores every accepted row it
//!   did not reach, so a very selective filter still gets a complete answer.
//! - Equal distances are ordered by offset, so the same graph and scorer give the same results.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::graph::HnswGraph;
use super::scorer::RowScorer;
use super::visited::VisitedSet;

/// `(distance, offset)` ordered so that a `BinaryHeap` pops the *nearest* first (the
/// construction's beams use it too).
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Nearest(pub(super) f32, pub(super) u32);
/// `(distance, offset)` ordered so that a `BinaryHeap` pops the *farthest* first.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Farthest(pub(super) f32, pub(super) u32);

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

/// One walk's inputs besides the scorer.
pub(super) struct Walk<'a> {
    pub(super) graph: &'a HnswGraph,
    pub(super) accept: &'a dyn Fn(u32) -> bool,
    /// Beam width, at least 1.
    pub(super) ef: usize,
    /// How many results the caller needs; fewer found triggers the exact completion.
    pub(super) top: usize,
}

impl Walk<'_> {
    /// Up to `ef` accepted `(distance, offset)` pairs, nearest first (ties by offset).
    pub(super) fn run<S: RowScorer>(
        &self,
        scorer: &S,
        visited: &mut VisitedSet,
    ) -> Vec<(f32, u32)> {
        let Some(entry) = self.graph.entry_point() else {
            return Vec::new();
        };
        let start = self.descend(scorer, entry);
        let (mut results, exhausted) = self.walk_base_layer(scorer, start, visited);
        if exhausted && results.len() < self.top {
            self.complete_exactly(scorer, visited, &mut results);
        }
        results
            .into_sorted_vec()
            .into_iter()
            .map(|Farthest(d, o)| (d, o))
            .collect()
    }

    /// Greedy descent from the entry point through layers `max..1`: at each layer, move to the
    /// nearest neighbour while one is nearer. Returns the node to start layer 0 from.
    fn descend<S: RowScorer>(&self, scorer: &S, entry: u32) -> u32 {
        let graph = self.graph;
        let mut current = entry;
        let mut current_distance = scorer.distance(entry).unwrap_or(f32::INFINITY);
        for layer in (1..=graph.max_layer()).rev() {
            let mut moved = true;
            while moved {
                moved = false;
                let neighbours = graph.neighbours(layer, current);
                neighbours.iter().for_each(|&n| scorer.prefetch(n));
                for &next in neighbours {
                    if let Some(d) = scorer.distance(next)
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
    fn walk_base_layer<S: RowScorer>(
        &self,
        scorer: &S,
        start: u32,
        visited: &mut VisitedSet,
    ) -> (BinaryHeap<Farthest>, bool) {
        let (graph, ef) = (self.graph, self.ef);
        let mut candidates: BinaryHeap<Nearest> = BinaryHeap::with_capacity(ef * 2);
        let mut results: BinaryHeap<Farthest> = BinaryHeap::with_capacity(ef + 1);
        // The unvisited neighbours of the node being expanded.
        let mut fresh: Vec<u32> = Vec::with_capacity(64);
        visited.insert(start);
        let start_distance = scorer.distance(start);
        candidates.push(Nearest(start_distance.unwrap_or(f32::INFINITY), start));
        if let Some(d) = start_distance
            && (self.accept)(start)
        {
            results.push(Farthest(d, start));
        }
        while let Some(Nearest(distance, node)) = candidates.pop() {
            let worst = results.peek().map_or(f32::INFINITY, |f| f.0);
            if results.len() >= ef && distance > worst {
                return (results, false);
            }
            if let Some(next) = candidates.peek() {
                graph.prefetch_base_neighbours(next.1);
            }
            fresh.clear();
            for &next in graph.base_neighbours(node) {
                if visited.insert(next) {
                    fresh.push(next);
                }
            }
            // Load one row ahead of the one being scored, as hnswlib does. Prefetching every
            // fresh row up front, or two ahead, measured no better and sometimes worse (a row is
            // eight cache lines; a burst of them overruns the CPU's fill buffers).
            if let Some(&first) = fresh.first() {
                scorer.prefetch(first);
            }
            for (j, &next) in fresh.iter().enumerate() {
                if let Some(&ahead) = fresh.get(j + 1) {
                    scorer.prefetch(ahead);
                }
                let Some(d) = scorer.distance(next) else {
                    continue;
                };
                let worst = results.peek().map_or(f32::INFINITY, |f| f.0);
                if results.len() < ef || d < worst {
                    candidates.push(Nearest(d, next));
                    if (self.accept)(next) {
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
    fn complete_exactly<S: RowScorer>(
        &self,
        scorer: &S,
        visited: &VisitedSet,
        results: &mut BinaryHeap<Farthest>,
    ) {
        for offset in 0..self.graph.len() as u32 {
            if visited.contains(offset) || !(self.accept)(offset) {
                continue;
            }
            let Some(d) = scorer.distance(offset) else {
                continue;
            };
            if results.len() < self.ef {
                results.push(Farthest(d, offset));
            } else if results.peek().is_some_and(|w| d < w.0) {
                results.pop();
                results.push(Farthest(d, offset));
            }
        }
    }
}
