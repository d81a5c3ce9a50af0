//! Multivectors of one name for every offset of a collection, and their `max_sim` comparator.
//!
//! A point stores any number of `dim`-element sub-vectors, laid end to end in one arena kept in
//! the vector's datatype (`f32`, `f16` or `u8`: 4, 2 or 1 bytes per dimension, see
//! [`crate::index::element`]), as a dense [`crate::index::vector_store::VectorStore`] keeps its
//! rows. Values arrive already rounded to the datatype (float16 rows normalised for Cosine, then
//! rounded; uint8 rows whole numbers, never normalised), so storing them is exact and reads
//! ([`MultiStore::get_vectors`]) return what was stored.
//!
//! A query is itself a list of sub-vectors; `max_sim` sums, over the query's sub-vectors, the
//! best internal similarity ([`crate::index::distance::similarity`]) among the point's
//! sub-vectors. For nearest search that sum becomes a score the way Qdrant reports it: as it is
//! for Cosine and Dot, `sqrt(|sum|)` for Euclid and `|sum|` for Manhattan (lower is better for
//! those two). On uint8 rows Cosine is the true cosine of the bytes.
//!
//! Hot loops see the rows through their element type: [`MultiStore::visit`] matches on the
//! datatype once, converts the query to it, and hands both to a [`MultiVisitor`] whose generic
//! method is monomorphised per type (the exact scan and the graph walk are visitors, as for
//! dense stores).

use std::borrow::Cow;

use crate::index::distance::{L1, NegatedCosine, NegatedDot, SquaredEuclid, WalkKernel};
use crate::index::element::{Element, Elements, f16};
use crate::model::vectors::{Datatype, Distance};

/// All multivectors of one name, indexed by offset.
#[derive(Clone, Debug)]
pub struct MultiStore {
    dim: usize,
    /// The sub-vectors of every row, end to end, in the vector's datatype.
    data: Elements,
    /// `(start, sub-vector count)` in the arena per offset; `None` when absent.
    rows: Vec<Option<(usize, usize)>>,
}

/// The rows of a [`MultiStore`] in their element type: a cheap, copyable view.
#[derive(Debug)]
pub struct MultiRows<'a, T> {
    dim: usize,
    data: &'a [T],
    rows: &'a [Option<(usize, usize)>],
}

impl<T> Clone for MultiRows<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MultiRows<'_, T> {}

impl<'a, T> MultiRows<'a, T> {
    /// Elements per sub-vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of offsets, present or not.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The sub-vectors at `offset`, end to end, if the point has them.
    #[inline]
    pub fn get(&self, offset: u32) -> Option<&'a [T]> {
        let (start, count) = (*self.rows.get(offset as usize)?)?;
        Some(&self.data[start..start + count * self.dim])
    }
}

/// The rows of a multivector store, by element type.
#[derive(Clone, Copy, Debug)]
pub enum TypedMultiRows<'a> {
    F32(MultiRows<'a, f32>),
    F16(MultiRows<'a, f16>),
    U8(MultiRows<'a, u8>),
}

/// Work over a multivector store's rows in their element type, with a query (sub-vectors end to
/// end) converted to it; see [`MultiStore::visit`].
pub trait MultiVisitor {
    type Output;
    fn visit<T: Element>(self, rows: MultiRows<'_, T>, query: &[T]) -> Self::Output;
}

impl MultiStore {
    /// An `f32` store.
    pub fn new(dim: usize) -> Self {
        Self::with_datatype(dim, Datatype::Float32)
    }

    /// A store whose sub-vectors hold `datatype` elements.
    pub fn with_datatype(dim: usize, datatype: Datatype) -> Self {
        MultiStore {
            dim,
            data: Elements::new(datatype),
            rows: Vec::new(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn datatype(&self) -> Datatype {
        self.data.datatype()
    }

    /// Number of offsets (rows), present or not.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends a row for the next offset: the sub-vectors, each of `dim` components already
    /// rounded to the store's datatype ([`crate::index::element::round_to`]).
    pub fn push(&mut self, vectors: Option<&[Vec<f32>]>) {
        let Some(m) = vectors else {
            self.rows.push(None);
            return;
        };
        debug_assert!(m.iter().all(|v| v.len() == self.dim));
        let start = self.data.len();
        self.data.extend(m.iter().flatten().copied());
        self.rows.push(Some((start, m.len())));
    }

    /// Elements held, every sub-vector of every row ever pushed (what the indexing threshold
    /// weighs, at four bytes each as for float32 vectors).
    pub fn floats(&self) -> usize {
        self.data.len()
    }

    /// Bytes the arena takes in memory (every row ever pushed).
    pub fn memory_bytes(&self) -> usize {
        self.data.memory_bytes()
    }

    /// Marks the row at `offset` absent.
    pub fn clear(&mut self, offset: u32) {
        if let Some(row) = self.rows.get_mut(offset as usize) {
            *row = None;
        }
    }

    /// Whether the point at `offset` has this multivector.
    #[inline]
    pub fn contains(&self, offset: u32) -> bool {
        matches!(self.rows.get(offset as usize), Some(Some(_)))
    }

    /// The rows in their element type.
    pub fn rows(&self) -> TypedMultiRows<'_> {
        let (dim, rows) = (self.dim, self.rows.as_slice());
        match &self.data {
            Elements::F32(data) => TypedMultiRows::F32(MultiRows { dim, data, rows }),
            Elements::F16(data) => TypedMultiRows::F16(MultiRows { dim, data, rows }),
            Elements::U8(data) => TypedMultiRows::U8(MultiRows { dim, data, rows }),
        }
    }

    /// Runs `visitor` over the rows in their element type, with `query` (sub-vectors end to
    /// end, preprocessed and rounded for this vector, as stored rows are) converted to that
    /// type: one match per call.
    pub fn visit<V: MultiVisitor>(&self, query: &[f32], visitor: V) -> V::Output {
        match self.rows() {
            TypedMultiRows::F32(rows) => visitor.visit(rows, query),
            TypedMultiRows::F16(rows) => visitor.visit(rows, &f16::query(query)),
            TypedMultiRows::U8(rows) => visitor.visit(rows, &u8::query(query)),
        }
    }

    /// The sub-vectors at `offset`, end to end, as `f32`s (borrowed from an `f32` store), if
    /// the point has them.
    pub fn vector(&self, offset: u32) -> Option<Cow<'_, [f32]>> {
        match self.rows() {
            TypedMultiRows::F32(rows) => rows.get(offset).map(f32::widen),
            TypedMultiRows::F16(rows) => rows.get(offset).map(f16::widen),
            TypedMultiRows::U8(rows) => rows.get(offset).map(u8::widen),
        }
    }

    /// The sub-vectors at `offset` as separate `f32` vectors: the stored values.
    pub fn get_vectors(&self, offset: u32) -> Option<Vec<Vec<f32>>> {
        Some(
            self.vector(offset)?
                .chunks_exact(self.dim)
                .map(<[f32]>::to_vec)
                .collect(),
        )
    }

    /// `max_sim` of `query` against each present row among `offsets`, in the given order
    /// (absent rows are skipped): one query conversion and one kernel choice for the batch.
    pub fn max_sims(
        &self,
        distance: Distance,
        query: &[f32],
        offsets: impl Iterator<Item = u32>,
    ) -> Vec<(u32, f32)> {
        struct Batch<I> {
            distance: Distance,
            offsets: I,
        }
        impl<I: Iterator<Item = u32>> MultiVisitor for Batch<I> {
            type Output = Vec<(u32, f32)>;
            fn visit<T: Element>(self, rows: MultiRows<'_, T>, query: &[T]) -> Self::Output {
                fn each<K: WalkKernel, T: Element>(
                    rows: MultiRows<'_, T>,
                    query: &[T],
                    offsets: impl Iterator<Item = u32>,
                ) -> Vec<(u32, f32)> {
                    offsets
                        .filter_map(|o| {
                            Some((o, max_sim_with::<K, T>(rows.dim, query, rows.get(o)?)))
                        })
                        .collect()
                }
                match self.distance {
                    Distance::Cosine => each::<NegatedCosine, T>(rows, query, self.offsets),
                    Distance::Dot => each::<NegatedDot, T>(rows, query, self.offsets),
                    Distance::Euclid => each::<SquaredEuclid, T>(rows, query, self.offsets),
                    Distance::Manhattan => each::<L1, T>(rows, query, self.offsets),
                }
            }
        }
        self.visit(query, Batch { distance, offsets })
    }

    /// `max_sim` of `query` against the row at `offset`, if the point has it. Converts the
    /// query per call: for paths that score rows one by one, not for scans.
    pub fn max_sim(&self, distance: Distance, query: &[f32], offset: u32) -> Option<f32> {
        struct One {
            distance: Distance,
            offset: u32,
        }
        impl MultiVisitor for One {
            type Output = Option<f32>;
            fn visit<T: Element>(self, rows: MultiRows<'_, T>, query: &[T]) -> Option<f32> {
                let row = rows.get(self.offset)?;
                Some(max_sim(self.distance, rows.dim, query, row))
            }
        }
        if !self.contains(offset) {
            return None;
        }
        self.visit(query, One { distance, offset })
    }
}

/// `max_sim` of a query (sub-vectors end to end) against a stored row, both in the store's
/// element type: the sum over query sub-vectors of the best similarity to any stored
/// sub-vector. Bigger is better.
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
        assert!(store.vector(1).is_none() && !store.contains(1));
        assert_eq!(store.vector(2).unwrap().as_ref(), &[5.0, 6.0]);
        assert!(matches!(store.vector(2), Some(Cow::Borrowed(_))));
        store.clear(0);
        assert!(store.vector(0).is_none());
    }

    #[test]
    fn compact_sub_vectors_take_two_and_one_bytes_per_dimension() {
        for (datatype, bytes) in [
            (Datatype::Float32, 4),
            (Datatype::Float16, 2),
            (Datatype::Uint8, 1),
        ] {
            let mut store = MultiStore::with_datatype(8, datatype);
            store.push(Some(&[vec![1.0; 8], vec![2.0; 8], vec![3.0; 8]]));
            store.push(None);
            store.push(Some(&[vec![4.0; 8]]));
            // Four sub-vectors of eight dimensions; absent rows take nothing.
            assert_eq!(store.memory_bytes(), 4 * 8 * bytes, "{datatype:?}");
            assert_eq!(store.floats(), 4 * 8, "{datatype:?}");
            assert_eq!(store.datatype(), datatype);
        }
    }

    #[test]
    fn compact_rows_read_back_as_stored() {
        let halves = [vec![0.5, -2.0, 1024.0], vec![0.099975586, 65504.0, -0.0]];
        let mut store = MultiStore::with_datatype(3, Datatype::Float16);
        store.push(None);
        store.push(Some(&halves));
        assert_eq!(store.get_vectors(1).unwrap(), halves);
        assert!(store.get_vectors(0).is_none());
        let bytes = [vec![0.0, 255.0], vec![17.0, 3.0]];
        let mut store = MultiStore::with_datatype(2, Datatype::Uint8);
        store.push(Some(&bytes));
        assert_eq!(store.get_vectors(0).unwrap(), bytes);
        assert_eq!(store.vector(0).unwrap().as_ref(), &[0.0, 255.0, 17.0, 3.0]);
    }

    #[test]
    fn byte_rows_score_the_true_cosine() {
        let mut store = MultiStore::with_datatype(2, Datatype::Uint8);
        store.push(Some(&[vec![3.0, 4.0], vec![0.0, 1.0]]));
        store.push(Some(&[vec![0.0, 0.0]]));
        store.push(None);
        // [4, 3] against [3, 4] is 24/25, better than against [0, 1] (3/5); plus [0, 2]
        // against [0, 1]: 1.
        let query = [4.0, 3.0, 0.0, 2.0];
        let sims = store.max_sims(Distance::Cosine, &query, 0..3);
        assert_eq!(sims.len(), 2, "the absent row is skipped");
        assert!((sims[0].1 - 1.96).abs() < 1e-6, "{sims:?}");
        assert_eq!(sims[1].1, 0.0, "a zero sub-vector has cosine 0");
        assert_eq!(store.max_sim(Distance::Cosine, &query, 0), Some(sims[0].1));
        assert_eq!(store.max_sim(Distance::Cosine, &query, 2), None);
    }

    #[test]
    fn half_rows_score_as_their_widened_values() {
        let rows = [vec![0.25, -1.5], vec![3.0, 0.125]];
        let mut half = MultiStore::with_datatype(2, Datatype::Float16);
        let mut full = MultiStore::new(2);
        half.push(Some(&rows));
        full.push(Some(&rows));
        let query = [1.0, 2.0, -0.5, 0.75];
        for distance in [
            Distance::Cosine,
            Distance::Dot,
            Distance::Euclid,
            Distance::Manhattan,
        ] {
            assert_eq!(
                half.max_sim(distance, &query, 0),
                full.max_sim(distance, &query, 0),
                "{distance:?}"
            );
        }
    }
}
