//! Exact (brute-force) search: score every eligible offset, keep the best `top`.
//!
//! This is the whole of search until HNSW lands, and afterwards it still serves small
//! collections, heavily filtered queries and points not yet in a graph.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::index::distance;
use crate::index::element::Element;
use crate::index::vector_store::{Rows, RowsVisitor, VectorStore};
use crate::index::{ScoredOffset, SearchRequest, VectorIndex};
use crate::model::PointId;
use crate::model::vectors::Distance;

/// Brute-force search over one vector store, in the store's element type.
pub struct ExactScan<'a> {
    pub store: &'a VectorStore,
}

/// Heap entry ordered so that the *worst* candidate is at the top of a max-heap.
struct Candidate {
    offset: u32,
    score: f32,
    tie: PointId,
    distance: Distance,
}

impl Candidate {
    /// `Less` when `self` ranks before `other` (better score, then smaller tie key).
    fn rank(&self, other: &Self) -> Ordering {
        distance::compare(self.distance, self.score, other.score).then(self.tie.cmp(&other.tie))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

impl VectorIndex for ExactScan<'_> {
    fn search(&self, req: &SearchRequest<'_>) -> Vec<ScoredOffset> {
        if req.top == 0 {
            return Vec::new();
        }
        self.store.visit(req.query, Scan { req })
    }
}

/// One scan over typed rows: [`ExactScan::search`]'s visitor.
struct Scan<'r, 'q> {
    req: &'r SearchRequest<'q>,
}

impl RowsVisitor for Scan<'_, '_> {
    type Output = Vec<ScoredOffset>;

    fn visit<T: Element>(self, rows: Rows<'_, T>, query: &[T]) -> Vec<ScoredOffset> {
        let req = self.req;
        // A bounded max-heap keyed by rank: its top is the worst of the current best `top`.
        // `top` comes from the client (offset + limit) and may be huge: never size by it alone.
        let capacity = req.top.min(rows.len()) + 1;
        let mut heap: BinaryHeap<Candidate> = BinaryHeap::with_capacity(capacity);
        for offset in 0..rows.len() as u32 {
            let Some(row) = rows.get(offset) else {
                continue;
            };
            if !(req.accept)(offset) {
                continue;
            }
            let score = distance::score(req.distance, query, row);
            if let Some(t) = req.score_threshold
                && !distance::passes_threshold(req.distance, score, t)
            {
                continue;
            }
            let candidate = Candidate {
                offset,
                score,
                tie: (req.tie_key)(offset),
                distance: req.distance,
            };
            if heap.len() < req.top {
                heap.push(candidate);
            } else if let Some(worst) = heap.peek()
                && candidate.rank(worst) == Ordering::Less
            {
                heap.pop();
                heap.push(candidate);
            }
        }
        heap.into_sorted_vec()
            .into_iter()
            .map(|c| ScoredOffset {
                offset: c.offset,
                score: c.score,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(rows: &[[f32; 2]]) -> VectorStore {
        let mut s = VectorStore::new(2);
        for r in rows {
            s.push(Some(r));
        }
        s
    }

    fn run(
        s: &VectorStore,
        distance: Distance,
        top: usize,
        accept: &dyn Fn(u32) -> bool,
    ) -> Vec<u32> {
        let req = SearchRequest {
            query: &[1.0, 0.0],
            distance,
            top,
            accept,
            score_threshold: None,
            tie_key: &|o| PointId::Num(o as u64),
        };
        ExactScan { store: s }
            .search(&req)
            .iter()
            .map(|r| r.offset)
            .collect()
    }

    #[test]
    fn dot_returns_highest_scores_first() {
        let s = store(&[[0.1, 0.0], [0.9, 0.0], [0.5, 0.0]]);
        assert_eq!(run(&s, Distance::Dot, 2, &|_| true), vec![1, 2]);
    }

    #[test]
    fn euclid_returns_closest_first() {
        let s = store(&[[5.0, 0.0], [1.1, 0.0], [2.0, 0.0]]);
        assert_eq!(run(&s, Distance::Euclid, 3, &|_| true), vec![1, 2, 0]);
    }

    #[test]
    fn rejected_offsets_are_skipped() {
        let s = store(&[[0.1, 0.0], [0.9, 0.0], [0.5, 0.0]]);
        assert_eq!(run(&s, Distance::Dot, 3, &|o| o != 1), vec![2, 0]);
    }

    #[test]
    fn equal_scores_break_ties_by_key() {
        let s = store(&[[0.5, 0.0], [0.5, 0.0], [0.5, 0.0]]);
        assert_eq!(run(&s, Distance::Dot, 2, &|_| true), vec![0, 1]);
    }
}
