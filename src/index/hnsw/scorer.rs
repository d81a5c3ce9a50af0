//! How a graph walk scores one row: the [`RowScorer`] seam, and its implementation over a dense
//! store's rows in their element type (`f32`, `f16`, `u8`: [`DenseRows`]).
//!
//! The walk (`walk.rs`) only ever asks two things of the vectors: "how far is the row at this
//! offset from the query" and "start loading that row, I will score it soon". Everything else —
//! the row's encoding, the kernel, the query's own preprocessing — is the scorer's business, so
//! another kind of row plugs in by implementing the trait:
//!
//! ```text
//! struct Int8Rows<'a> { query: Vec<i8>, codes: &'a [i8], dim: usize, present: &'a [bool] }
//! impl RowScorer for Int8Rows<'_> {
//!     fn distance(&self, offset: u32) -> Option<f32> { /* None when absent, else the kernel */ }
//!     fn prefetch(&self, offset: u32) { prefetch(&self.codes[row range]) }
//! }
//! let nearest = index.walk(&Int8Rows { .. }, accept, ef, top);   // (distance, offset) pairs
//! ```
//!
//! Contract for implementations:
//! - `distance` is smaller for nearer rows, is the same every time for the same offset within
//!   one walk, and is `None` exactly for offsets that have no row (absent, deleted): those are
//!   neither expanded nor returned. Approximate scorers (quantized codes) may differ from the
//!   exact distance; the caller rescores what the walk returns if it needs exact scores.
//! - `prefetch` is only a hint, called a little before `distance` for the same offset; doing
//!   nothing is correct.
//! - The walk is generic over the scorer and monomorphised: no dynamic dispatch per row. Choose
//!   the kernel once per search (as [`DenseRows`] does with its [`WalkKernel`] parameter, and
//!   `quantized::QuantizedRows` with its `CodeKernel`), not by matching on the distance inside
//!   `distance`.

use std::marker::PhantomData;

use crate::index::distance::WalkKernel;
use crate::index::element::Element;
use crate::index::vector_store::Rows;

/// Scores rows of one store for one query, for a graph walk. See the module docs.
pub trait RowScorer {
    /// The query's distance to the row at `offset` (smaller is nearer); `None` when the store
    /// has no row there.
    fn distance(&self, offset: u32) -> Option<f32>;

    /// Starts loading the row at `offset` into the cache; a hint only.
    fn prefetch(&self, offset: u32);
}

/// Rows of element type `T` of a dense store, scored with the kernel `K` (both chosen once per
/// search: see [`crate::index::vector_store::VectorStore::visit`]).
pub struct DenseRows<'a, T, K> {
    rows: Rows<'a, T>,
    query: &'a [T],
    kernel: PhantomData<K>,
}

impl<'a, T: Element, K: WalkKernel> DenseRows<'a, T, K> {
    /// `query` must be preprocessed for the store's distance, converted to `T`, and have the
    /// store's dimension.
    pub fn new(rows: Rows<'a, T>, query: &'a [T]) -> Self {
        debug_assert_eq!(query.len(), rows.dim());
        DenseRows {
            rows,
            query,
            kernel: PhantomData,
        }
    }
}

impl<T: Element, K: WalkKernel> RowScorer for DenseRows<'_, T, K> {
    #[inline]
    fn distance(&self, offset: u32) -> Option<f32> {
        Some(K::distance(self.query, self.rows.get(offset)?))
    }

    #[inline]
    fn prefetch(&self, offset: u32) {
        if let Some(row) = self.rows.get(offset) {
            prefetch(row);
        }
    }
}

/// Asks the CPU to start loading every cache line of `items` (a row of 128 `f32`s is eight
/// lines). Prefetching only the first line and leaving the rest to the hardware's prefetchers
/// measured no better on issue 5's dataset, and the whole row is what the kernel reads next.
#[inline]
pub(crate) fn prefetch<T>(items: &[T]) {
    const LINE: usize = 64;
    let start = items.as_ptr().cast::<u8>();
    for at in (0..std::mem::size_of_val(items)).step_by(LINE) {
        prefetch_line(start.wrapping_add(at));
    }
}

/// Asks the CPU to start loading the cache line where `items` starts.
#[inline]
pub(crate) fn prefetch_start<T>(items: &[T]) {
    prefetch_line(items.as_ptr().cast::<u8>());
}

#[inline(always)]
fn prefetch_line(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults, reads nothing into the program and
    // writes nothing, and the address lies inside a live slice anyway.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(at.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
