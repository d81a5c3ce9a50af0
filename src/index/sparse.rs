//! Sparse vectors of one name for every offset of a collection, with an inverted index.
//!
//! Each present row keeps its vector (indices ascending) and adds `(offset, value)` to the
//! posting list of each of its dimensions. Rows never change once written (an overwrite gets a
//! new offset), so clearing a row only marks it absent: its postings stay and are skipped, and
//! compaction of the point table drops them. A search adds up `query value × stored value` along
//! the posting lists of the query's dimensions — the exact dot product over shared indices —
//! and only points sharing at least one dimension with the query score at all, as in Qdrant.

use std::collections::HashMap;

use crate::index::ScoredOffset;
use crate::model::PointId;
use crate::model::vectors::SparseVector;

/// All sparse vectors of one name, indexed by offset.
#[derive(Clone, Debug, Default)]
pub struct SparseStore {
    rows: Vec<Option<SparseVector>>,
    postings: HashMap<u32, Vec<(u32, f32)>>,
    present: usize,
}

/// What a sparse search needs besides the query.
pub struct SparseSearch<'a> {
    pub top: usize,
    pub accept: &'a dyn Fn(u32) -> bool,
    /// Scores must be strictly greater (sparse scores are dot products).
    pub score_threshold: Option<f32>,
    pub tie_key: &'a dyn Fn(u32) -> PointId,
}

impl SparseStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of offsets (rows), present or not.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends a row for the next offset; `vector` must be sorted by index.
    pub fn push(&mut self, vector: Option<&SparseVector>) {
        let offset = self.rows.len() as u32;
        if let Some(v) = vector {
            for (&i, &x) in v.indices.iter().zip(&v.values) {
                self.postings.entry(i).or_default().push((offset, x));
            }
            self.present += 1;
        }
        self.rows.push(vector.cloned());
    }

    /// Marks the row at `offset` absent.
    pub fn clear(&mut self, offset: u32) {
        if let Some(row) = self.rows.get_mut(offset as usize)
            && row.take().is_some()
        {
            self.present -= 1;
        }
    }

    pub fn get(&self, offset: u32) -> Option<&SparseVector> {
        self.rows.get(offset as usize)?.as_ref()
    }

    /// Number of rows present (the IDF corpus size when no corpus filter is given).
    pub fn present(&self) -> usize {
        self.present
    }

    /// Number of present rows with a value at `dim` that `accept` takes.
    pub fn document_frequency(&self, dim: u32, accept: Option<&dyn Fn(u32) -> bool>) -> usize {
        self.postings.get(&dim).map_or(0, |list| {
            list.iter()
                .filter(|(o, _)| self.rows[*o as usize].is_some())
                .filter(|(o, _)| accept.is_none_or(|a| a(*o)))
                .count()
        })
    }

    /// The best `top` accepted rows by dot product with `query`, best first, ties by key.
    pub fn search(&self, query: &SparseVector, req: &SparseSearch<'_>) -> Vec<ScoredOffset> {
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for (i, &q) in query.indices.iter().zip(&query.values) {
            let Some(list) = self.postings.get(i) else {
                continue;
            };
            for &(offset, x) in list {
                if self.rows[offset as usize].is_some() {
                    *scores.entry(offset).or_insert(0.0) += q * x;
                }
            }
        }
        let mut hits: Vec<(ScoredOffset, PointId)> = scores
            .into_iter()
            .filter(|&(_, s)| req.score_threshold.is_none_or(|t| s > t))
            .filter(|&(offset, _)| (req.accept)(offset))
            .map(|(offset, score)| (ScoredOffset { offset, score }, (req.tie_key)(offset)))
            .collect();
        hits.sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then(a.1.cmp(&b.1)));
        hits.truncate(req.top);
        hits.into_iter().map(|(h, _)| h).collect()
    }
}

/// Dot product over shared indices of two index-sorted sparse vectors; `None` when they share
/// none.
pub fn dot(a: &SparseVector, b: &SparseVector) -> Option<f32> {
    let (mut i, mut j) = (0, 0);
    let mut sum = 0.0f32;
    let mut overlap = false;
    while i < a.indices.len() && j < b.indices.len() {
        match a.indices[i].cmp(&b.indices[j]) {
            std::cmp::Ordering::Equal => {
                sum += a.values[i] * b.values[j];
                overlap = true;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    overlap.then_some(sum)
}

/// Element-wise `op(a, b)` over the union of both vectors' indices (a missing value is 0).
pub fn combine(a: &SparseVector, b: &SparseVector, op: impl Fn(f32, f32) -> f32) -> SparseVector {
    let mut out = SparseVector::default();
    let (mut i, mut j) = (0, 0);
    loop {
        let next = match (a.indices.get(i), b.indices.get(j)) {
            (None, None) => break,
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                (x, op(a.values[i - 1], b.values[j - 1]))
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                (x, op(a.values[i - 1], 0.0))
            }
            (Some(&x), None) => {
                i += 1;
                (x, op(a.values[i - 1], 0.0))
            }
            (_, Some(&y)) => {
                j += 1;
                (y, op(0.0, b.values[j - 1]))
            }
        };
        out.indices.push(next.0);
        out.values.push(next.1);
    }
    out
}

/// The mean of index-sorted sparse vectors (empty for none).
pub fn average(vectors: &[SparseVector]) -> SparseVector {
    let mut sum = SparseVector::default();
    for v in vectors {
        sum = combine(&sum, v, |x, y| x + y);
    }
    let n = vectors.len().max(1) as f32;
    sum.values.iter_mut().for_each(|x| *x /= n);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(indices: &[u32], values: &[f32]) -> SparseVector {
        SparseVector {
            indices: indices.to_vec(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn dot_needs_a_shared_index() {
        assert_eq!(
            dot(&sv(&[1, 3], &[1.0, 2.0]), &sv(&[3, 4], &[5.0, 1.0])),
            Some(10.0)
        );
        assert_eq!(dot(&sv(&[1], &[1.0]), &sv(&[2], &[1.0])), None);
    }

    #[test]
    fn search_skips_rows_without_overlap_and_cleared_rows() {
        let mut store = SparseStore::new();
        store.push(Some(&sv(&[1, 2], &[1.0, 1.0])));
        store.push(Some(&sv(&[5], &[1.0])));
        store.push(Some(&sv(&[2], &[3.0])));
        store.clear(2);
        let accept = |_| true;
        let key = |o: u32| PointId::Num(o as u64);
        let req = SparseSearch {
            top: 10,
            accept: &accept,
            score_threshold: None,
            tie_key: &key,
        };
        let hits = store.search(&sv(&[2], &[2.0]), &req);
        assert_eq!(
            hits,
            vec![ScoredOffset {
                offset: 0,
                score: 2.0
            }]
        );
        assert_eq!(store.document_frequency(2, None), 1);
        assert_eq!(store.present(), 2);
    }

    #[test]
    fn combine_takes_the_union_of_indices() {
        let c = combine(
            &sv(&[1, 3], &[1.0, 1.0]),
            &sv(&[2, 3], &[2.0, 2.0]),
            |a, b| a + b,
        );
        assert_eq!(c, sv(&[1, 2, 3], &[1.0, 2.0, 3.0]));
        assert_eq!(
            average(&[sv(&[1], &[2.0]), sv(&[2], &[4.0])]),
            sv(&[1, 2], &[1.0, 2.0])
        );
    }
}
