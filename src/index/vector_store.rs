//! Contiguous storage of one named dense vector for every offset of a collection.
//!
//! Rows are `dim` elements of the vector's datatype (`f32`, `f16` or `u8`: 4, 2 or 1 bytes per
//! dimension, see [`crate::index::element`]) laid end to end so that scans stream through
//! memory. A point that has no vector of this name (or whose vector was deleted) keeps a zeroed
//! row marked absent.
//!
//! Hot loops see the rows through their element type: [`VectorStore::visit`] matches on the
//! datatype once, converts the query to it, and hands both to a [`RowsVisitor`] whose generic
//! method is monomorphised per type (the exact scan and the graph walk are visitors). Paths that
//! touch a handful of rows use [`VectorStore::vector`], which converts a row to `f32`.

use std::borrow::Cow;

use crate::index::distance;
use crate::index::element::{Element, Elements, f16};
use crate::model::vectors::{Datatype, Distance};

/// All vectors of one name, indexed by offset.
#[derive(Clone, Debug)]
pub struct VectorStore {
    dim: usize,
    data: Elements,
    present: Vec<bool>,
}

/// The rows of a store in their element type: a cheap, copyable view.
#[derive(Debug)]
pub struct Rows<'a, T> {
    dim: usize,
    data: &'a [T],
    present: &'a [bool],
}

impl<T> Clone for Rows<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Rows<'_, T> {}

impl<'a, T> Rows<'a, T> {
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of offsets, present or not.
    pub fn len(&self) -> usize {
        self.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// The row at `offset`, if the point has one.
    #[inline]
    pub fn get(&self, offset: u32) -> Option<&'a [T]> {
        let i = offset as usize;
        if *self.present.get(i)? {
            Some(&self.data[i * self.dim..(i + 1) * self.dim])
        } else {
            None
        }
    }
}

/// The rows of a store, by element type.
#[derive(Clone, Copy, Debug)]
pub enum TypedRows<'a> {
    F32(Rows<'a, f32>),
    F16(Rows<'a, f16>),
    U8(Rows<'a, u8>),
}

/// Work over a store's rows in their element type, with a query converted to it; see
/// [`VectorStore::visit`].
pub trait RowsVisitor {
    type Output;
    fn visit<T: Element>(self, rows: Rows<'_, T>, query: &[T]) -> Self::Output;
}

impl VectorStore {
    /// An `f32` store.
    pub fn new(dim: usize) -> Self {
        Self::with_datatype(dim, Datatype::Float32)
    }

    /// A store whose rows hold `datatype` elements.
    pub fn with_datatype(dim: usize, datatype: Datatype) -> Self {
        VectorStore {
            dim,
            data: Elements::new(datatype),
            present: Vec::new(),
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
        self.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// Bytes the rows take in memory (present or not).
    pub fn memory_bytes(&self) -> usize {
        self.data.memory_bytes()
    }

    /// Appends a row for the next offset. `vector` must have `dim` components when given, each
    /// already rounded to the store's datatype ([`crate::index::element::round_to`]).
    pub fn push(&mut self, vector: Option<&[f32]>) {
        match vector {
            Some(v) => {
                debug_assert_eq!(v.len(), self.dim);
                self.data.extend(v.iter().copied());
            }
            None => self.data.extend(std::iter::repeat_n(0.0, self.dim)),
        }
        self.present.push(vector.is_some());
    }

    /// Marks the row at `offset` absent (the point lost this vector).
    pub fn clear(&mut self, offset: u32) {
        if let Some(p) = self.present.get_mut(offset as usize) {
            *p = false;
        }
    }

    /// Whether the point at `offset` has this vector.
    #[inline]
    pub fn contains(&self, offset: u32) -> bool {
        self.present.get(offset as usize).copied().unwrap_or(false)
    }

    /// The rows in their element type.
    pub fn rows(&self) -> TypedRows<'_> {
        let (dim, present) = (self.dim, self.present.as_slice());
        match &self.data {
            Elements::F32(data) => TypedRows::F32(Rows { dim, data, present }),
            Elements::F16(data) => TypedRows::F16(Rows { dim, data, present }),
            Elements::U8(data) => TypedRows::U8(Rows { dim, data, present }),
        }
    }

    /// Runs `visitor` over the rows in their element type, with `query` (preprocessed and
    /// rounded for this vector, as stored rows are) converted to that type: one match per call.
    pub fn visit<V: RowsVisitor>(&self, query: &[f32], visitor: V) -> V::Output {
        match self.rows() {
            TypedRows::F32(rows) => visitor.visit(rows, query),
            TypedRows::F16(rows) => visitor.visit(rows, &f16::query(query)),
            TypedRows::U8(rows) => visitor.visit(rows, &u8::query(query)),
        }
    }

    /// The vector at `offset` as `f32`s (borrowed from an `f32` store), if the point has one.
    pub fn vector(&self, offset: u32) -> Option<Cow<'_, [f32]>> {
        match self.rows() {
            TypedRows::F32(rows) => rows.get(offset).map(f32::widen),
            TypedRows::F16(rows) => rows.get(offset).map(f16::widen),
            TypedRows::U8(rows) => rows.get(offset).map(u8::widen),
        }
    }

    /// The `f32` row at `offset` of an `f32` store; `None` for absent rows and for every row of
    /// a store of another datatype. For benchmarks and tests over `f32` data.
    pub fn f32_row(&self, offset: u32) -> Option<&[f32]> {
        match self.rows() {
            TypedRows::F32(rows) => rows.get(offset),
            _ => None,
        }
    }

    /// The scores of the present rows among `offsets` for `query`, in the given order (absent
    /// rows are skipped): one query conversion for the whole batch.
    pub fn scores(
        &self,
        distance: Distance,
        query: &[f32],
        offsets: impl Iterator<Item = u32>,
    ) -> Vec<(u32, f32)> {
        struct Scores<I> {
            distance: Distance,
            offsets: I,
        }
        impl<I: Iterator<Item = u32>> RowsVisitor for Scores<I> {
            type Output = Vec<(u32, f32)>;
            fn visit<T: Element>(self, rows: Rows<'_, T>, query: &[T]) -> Vec<(u32, f32)> {
                self.offsets
                    .filter_map(|o| Some((o, distance::score(self.distance, query, rows.get(o)?))))
                    .collect()
            }
        }
        self.visit(query, Scores { distance, offsets })
    }

    /// Qdrant's internal similarity ([`distance::similarity`]) of the row at `offset` to
    /// `query`, if the point has the vector. Converts the query per call: for paths that score
    /// rows one by one, not for scans.
    pub fn similarity(&self, distance: Distance, query: &[f32], offset: u32) -> Option<f32> {
        struct Similarity {
            distance: Distance,
            offset: u32,
        }
        impl RowsVisitor for Similarity {
            type Output = Option<f32>;
            fn visit<T: Element>(self, rows: Rows<'_, T>, query: &[T]) -> Option<f32> {
                Some(distance::similarity(
                    self.distance,
                    query,
                    rows.get(self.offset)?,
                ))
            }
        }
        if !self.contains(offset) {
            return None;
        }
        self.visit(query, Similarity { distance, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_rows_take_two_and_one_bytes_per_dimension() {
        for (datatype, bytes) in [
            (Datatype::Float32, 4),
            (Datatype::Float16, 2),
            (Datatype::Uint8, 1),
        ] {
            let mut store = VectorStore::with_datatype(8, datatype);
            store.push(Some(&[1.0; 8]));
            store.push(None);
            assert_eq!(store.memory_bytes(), 2 * 8 * bytes, "{datatype:?}");
        }
    }

    #[test]
    fn rows_read_back_as_stored() {
        let mut store = VectorStore::with_datatype(3, Datatype::Float16);
        store.push(Some(&[0.5, -2.0, 1024.0]));
        store.push(None);
        assert_eq!(store.vector(0).unwrap().as_ref(), &[0.5, -2.0, 1024.0]);
        assert!(store.vector(1).is_none() && !store.contains(1));
        let mut bytes = VectorStore::with_datatype(2, Datatype::Uint8);
        bytes.push(Some(&[3.0, 255.0]));
        assert_eq!(bytes.vector(0).unwrap().as_ref(), &[3.0, 255.0]);
        assert!(bytes.f32_row(0).is_none());
    }

    #[test]
    fn byte_rows_score_the_true_cosine() {
        let mut store = VectorStore::with_datatype(2, Datatype::Uint8);
        store.push(Some(&[3.0, 4.0]));
        store.push(Some(&[0.0, 0.0]));
        let scores = store.scores(Distance::Cosine, &[6.0, 8.0], 0..2);
        assert_eq!(scores.len(), 2);
        assert!((scores[0].1 - 1.0).abs() < 1e-6);
        assert_eq!(scores[1].1, 0.0);
    }
}
