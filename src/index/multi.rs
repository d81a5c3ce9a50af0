//! Multivectors of one name for every offset of a collection, and their `max_sim` comparator.
//!
//! A point stores any number of `dim`-float sub-vectors, laid end to end in one arena. A query is
//! itself a list of sub-vectors; `max_sim` sums, over the query's sub-vectors, the best internal
//! similarity ([`crate::index::distance::similarity`]) among the point's sub-vectors. For nearest search that
//! sum becomes a score the way Qdrant reports it: as it is for Cosine and Dot, `sqrt(|sum|)` for
//! Euclid and `|sum|` for Manhattan (lower is better for those two).

use crate::index::distance::{L1, NegatedCosine, NegatedDot, SquaredEuclid, WalkKernel};
use crate::index::element::Element;
use crate::model::vectors::{Datatype, Distance};

/// All multivectors of one name, indexed by offset.
#[derive(Clone, Debug)]
pub struct MultiStore {
    dim: usize,
    data: Vec<f32>,
    /// `(start, sub-vector count)` in `data` per offset; `None` when absent.
    rows: Vec<Option<(usize, usize)>>,
}

impl MultiStore {
    pub fn new(dim: usize) -> Self {
        MultiStore {
            dim,
            data: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of offsets (rows), present or not.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends a row for the next offset: the sub-vectors, each of `dim` floats.
    pub fn push(&mut self, vectors: Option<&[Vec<f32>]>) {
        match vectors {
            Some(m) => {
                let start = self.data.len();
                for v in m {
                    debug_assert_eq!(v.len(), self.dim);
                    self.data.extend_from_slice(v);
                }
                self.rows.push(Some((start, m.len())));
            }
            None => self.rows.push(None),
        }
    }

    /// Floats held, every sub-vector of every row ever pushed (what the indexing threshold
    /// weighs).
    pub fn floats(&self) -> usize {
        self.data.len()
    }

    /// Marks the row at `offset` absent.
    pub fn clear(&mut self, offset: u32) {
        if let Some(row) = self.rows.get_mut(offset as usize) {
            *row = None;
        }
    }

    /// The sub-vectors at `offset`, end to end, if the point has them.
    #[inline]
    pub fn get(&self, offset: u32) -> Option<&[f32]> {
        let (start, count) = (*self.rows.get(offset as usize)?)?;
        Some(&self.data[start..start + count * self.dim])
    }

    /// The sub-vectors at `offset` as separate vectors.
    pub fn get_vectors(&self, offset: u32) -> Option<Vec<Vec<f32>>> {
        Some(
            self.get(offset)?
                .chunks_exact(self.dim)
                .map(<[f32]>::to_vec)
                .collect(),
        )
    }
}

/// `max_sim` of a query (sub-vectors end to end) against a stored row: the sum over query
/// sub-vectors of the best similarity to any stored sub-vector. Bigger is better. Rows are kept
/// as `f32`s; uint8 multivectors are scored as bytes (`T = u8`, whose Cosine is the true cosine).
pub fn max_sim<T: Element>(distance: Distance, dim: usize, query: &[T], row: &[T]) -> f32 {
    match distance {
        Distance::Cosine => max_sim_with::<NegatedCosine, T>(dim, query, row),
        Distance::Dot => max_sim_with::<NegatedDot, T>(dim, query, row),
        Distance::Euclid => max_sim_with::<SquaredEuclid, T>(dim, query, row),
        Distance::Manhattan => max_sim_with::<L1, T>(dim, query, row),
    }
}

/// [`max_sim`] with the kernel `K` of its distance chosen by the caller (once per search, as a
/// graph walk does): the best `-K::distance` per query sub-vector, which is the distance's
/// similarity bit for bit, summed.
#[inline]
pub fn max_sim_with<K: WalkKernel, T: Element>(dim: usize, query: &[T], row: &[T]) -> f32 {
    query
        .chunks_exact(dim)
        .map(|q| {
            row.chunks_exact(dim)
                .map(|r| -K::distance(q, r))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum()
}

/// How the rows of one multivector compare: `max_sim` with its distance over the rows as kept
/// (`f32`s), or, for `datatype: uint8`, over them as bytes (the rows hold whole numbers
/// 0..=255, not normalised, and Cosine on bytes is the true cosine).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparator {
    pub distance: Distance,
    pub dim: usize,
    pub bytes: bool,
}

impl Comparator {
    pub fn new(distance: Distance, dim: usize, datatype: Option<Datatype>) -> Self {
        Comparator {
            distance,
            dim,
            bytes: datatype == Some(Datatype::Uint8),
        }
    }

    /// [`max_sim`] of `query` against `row`, both sub-vectors end to end.
    pub fn max_sim(&self, query: &[f32], row: &[f32]) -> f32 {
        if self.bytes {
            let bytes = |v: &[f32]| v.iter().map(|&x| x as u8).collect::<Vec<u8>>();
            max_sim(self.distance, self.dim, &bytes(query), &bytes(row))
        } else {
            max_sim(self.distance, self.dim, query, row)
        }
    }
}

/// The score a nearest search reports for a `max_sim` sum.
pub fn score(distance: Distance, similarity: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => similarity,
        Distance::Euclid => similarity.abs().sqrt(),
        Distance::Manhattan => similarity.abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_sim_sums_the_best_match_of_each_query_vector() {
        let row = [1.0, 0.0, 0.0, 1.0];
        let query = [1.0, 0.0, 0.5, 0.5];
        // (1,0)·best = 1; (0.5,0.5)·best = 0.5
        assert_eq!(max_sim(Distance::Dot, 2, &query, &row), 1.5);
        let euclid = max_sim(Distance::Euclid, 2, &[0.0, 0.0], &[3.0, 4.0, 1.0, 0.0]);
        assert_eq!(euclid, -1.0);
        assert_eq!(score(Distance::Euclid, -4.0), 2.0);
    }

    #[test]
    fn rows_keep_their_sub_vectors() {
        let mut store = MultiStore::new(2);
        store.push(Some(&[vec![1.0, 2.0], vec![3.0, 4.0]]));
        store.push(None);
        store.push(Some(&[vec![5.0, 6.0]]));
        assert_eq!(store.get_vectors(0).unwrap().len(), 2);
        assert!(store.get(1).is_none());
        assert_eq!(store.get(2), Some(&[5.0, 6.0][..]));
        store.clear(0);
        assert!(store.get(0).is_none());
    }
}
