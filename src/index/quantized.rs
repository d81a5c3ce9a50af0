//! Quantized codes of a vector store, kept beside the original `f32` rows: scalar int8 (one
//! byte per dimension) and binary (one bit per dimension). A search scores candidates on the
//! codes first — less memory to stream, cheaper kernels — and then rescores the best of them with
//! the originals (`params.quantization`: `ignore`, `rescore`, `oversampling`).
//!
//! **Scalar int8.** Every component maps to `c = round((x − mid) / α)` clamped to −127..=127,
//! so `x ≈ mid + α·c`, with `[mid − 127α, mid + 127α]` the range of the stored components
//! (`quantile` q trims it to the central q share of them, as Qdrant does). Queries are encoded
//! the same way, so
//! - Dot (and Cosine, whose rows are normalised): `q·x ≈ d·mid² + α·mid·(Σc_q + Σc_x) + α²·(c_q·c_x)`,
//!   with `Σc_x` kept per row and `c_q·c_x` simsimd's int8 dot product;
//! - Euclid: `|q − x|² ≈ α²·|c_q − c_x|²` (simsimd's int8 squared distance);
//! - Manhattan: `Σ|q − x| ≈ α·Σ|c_q − c_x|`.
//!
//! **Binary.** One bit per dimension, set when the component is positive; the approximate
//! distance of a row is the Hamming distance of the bit strings (simsimd), for every distance
//! (it ranks Cosine and Dot by angle, which is what binary quantization is meant for). Qdrant's
//! `two_bits` and `one_and_half_bits` encodings and asymmetric `query_encoding`s are accepted and
//! served with the one-bit codes.
//!
//! Codes are made from the rows as `f32`, whatever the store's datatype; uint8 rows, which are
//! not normalised, are normalised for Cosine codes (and so is the query), so that the codes'
//! dot product ranks by cosine as on the other datatypes. Rescoring uses the store's own kernels.
//!
//! Codes are made for the rows a store has when they are built (the rows of a graph); rows
//! written later are scored with their originals by the exact scan of the unindexed tail.
//! Every approximate value here is a distance: smaller is closer, whatever the metric. A search
//! picks the kernel for its kind of code and distance once ([`CodeKernel`]) and walks with it.

use serde_json::Value;
use simsimd::{BinarySimilarity, SpatialSimilarity};

use crate::index::distance;
use crate::index::hnsw::{HnswIndex, RowScorer, prefetch, rank};
use crate::index::vector_store::VectorStore;
use crate::index::{ScoredOffset, SearchRequest, VectorIndex};
use crate::model::vectors::{Datatype, Distance};

/// How vectors of one name are quantized, read from its `quantization_config`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// `{"scalar": {"type": "int8", "quantile": q}}`.
    ScalarInt8 { quantile: Option<f32> },
    /// `{"binary": {…}}`.
    Binary,
}

impl Method {
    /// The method a (validated) quantization config asks for; `None` for no config and for the
    /// methods served at full precision (product, turbo).
    pub fn of_config(config: Option<&Value>) -> Option<Method> {
        let config = config?;
        if let Some(scalar) = config.get("scalar") {
            let quantile = scalar
                .get("quantile")
                .and_then(Value::as_f64)
                .map(|q| q as f32);
            return Some(Method::ScalarInt8 { quantile });
        }
        config.get("binary").map(|_| Method::Binary)
    }
}

/// The codes of one store, row by row (offset order).
pub struct QuantizedStore {
    method: Method,
    distance: Distance,
    /// Rows and queries are normalised before encoding (Cosine over uint8 rows).
    normalise: bool,
    dim: usize,
    rows: usize,
    codes: Codes,
}

enum Codes {
    Scalar {
        codes: Vec<i8>,
        /// `Σc` of each row.
        sums: Vec<f32>,
        mid: f32,
        alpha: f32,
    },
    Binary {
        bits: Vec<u8>,
        /// Bytes per row.
        stride: usize,
    },
}

/// A query encoded for one store.
pub struct QuantizedQuery {
    scalar: Vec<i8>,
    sum: f32,
    bits: Vec<u8>,
}

/// At most this many components are read to place the quantile bounds.
const QUANTILE_SAMPLE: usize = 1 << 20;

impl QuantizedStore {
    /// Encodes every row of `store` (absent rows get zero codes; searches never reach them).
    pub fn build(store: &VectorStore, distance: Distance, method: Method) -> QuantizedStore {
        let dim = store.dim();
        let rows = store.len();
        let normalise = distance == Distance::Cosine && store.datatype() == Datatype::Uint8;
        let originals: Vec<Option<Vec<f32>>> = match store.datatype() {
            // Borrowed below; no copy of f32 rows.
            Datatype::Float32 => Vec::new(),
            _ => (0..rows as u32)
                .map(|o| {
                    let mut row = store.vector(o)?.into_owned();
                    if normalise {
                        distance::preprocess(Distance::Cosine, &mut row);
                    }
                    Some(row)
                })
                .collect(),
        };
        let row = |o: u32| -> Option<&[f32]> {
            match store.datatype() {
                Datatype::Float32 => store.f32_row(o),
                _ => originals[o as usize].as_deref(),
            }
        };
        let present = || (0..rows as u32).filter_map(row);
        let codes = match method {
            Method::ScalarInt8 { quantile } => {
                let (lo, hi) = bounds(present(), quantile);
                let mid = (lo + hi) / 2.0;
                let alpha = ((hi - lo) / 254.0).max(f32::MIN_POSITIVE);
                let mut codes = vec![0i8; rows * dim];
                let mut sums = vec![0f32; rows];
                for o in 0..rows {
                    if let Some(row) = row(o as u32) {
                        let out = &mut codes[o * dim..(o + 1) * dim];
                        sums[o] = encode_scalar(row, mid, alpha, out);
                    }
                }
                Codes::Scalar {
                    codes,
                    sums,
                    mid,
                    alpha,
                }
            }
            Method::Binary => {
                let stride = dim.div_ceil(8);
                let mut bits = vec![0u8; rows * stride];
                for o in 0..rows {
                    if let Some(row) = row(o as u32) {
                        encode_binary(row, &mut bits[o * stride..(o + 1) * stride]);
                    }
                }
                Codes::Binary { bits, stride }
            }
        };
        QuantizedStore {
            method,
            distance,
            normalise,
            dim,
            rows,
            codes,
        }
    }

    pub fn method(&self) -> Method {
        self.method
    }

    /// Rows encoded (the store's length at build time).
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes the codes take in memory.
    pub fn memory_bytes(&self) -> usize {
        match &self.codes {
            Codes::Scalar { codes, sums, .. } => codes.len() + sums.len() * 4,
            Codes::Binary { bits, .. } => bits.len(),
        }
    }

    /// Encodes a (preprocessed) query.
    pub fn encode_query(&self, query: &[f32]) -> QuantizedQuery {
        debug_assert_eq!(query.len(), self.dim);
        let mut normalised = Vec::new();
        let query = if self.normalise {
            normalised.extend_from_slice(query);
            distance::preprocess(Distance::Cosine, &mut normalised);
            &normalised[..]
        } else {
            query
        };
        match &self.codes {
            Codes::Scalar { mid, alpha, .. } => {
                let mut scalar = vec![0i8; self.dim];
                let sum = encode_scalar(query, *mid, *alpha, &mut scalar);
                QuantizedQuery {
                    scalar,
                    sum,
                    bits: Vec::new(),
                }
            }
            Codes::Binary { stride, .. } => {
                let mut bits = vec![0u8; *stride];
                encode_binary(query, &mut bits);
                QuantizedQuery {
                    scalar: Vec::new(),
                    sum: 0.0,
                    bits,
                }
            }
        }
    }

    /// The approximate distance of row `offset` to the query: smaller is closer. `offset` must
    /// be below [`QuantizedStore::len`]. For one row at a time; a search chooses its kernel
    /// once and walks with it ([`QuantizedSearch`]).
    pub fn distance(&self, query: &QuantizedQuery, offset: u32) -> f32 {
        let o = offset as usize;
        match self.kernel(query) {
            Kernel::Int8Dot(k) => k.distance(o),
            Kernel::Int8Euclid(k) => k.distance(o),
            Kernel::Int8Manhattan(k) => k.distance(o),
            Kernel::Hamming(k) => k.distance(o),
        }
    }

    /// The kernel that scores these codes against `query`: the one match on the kind of code
    /// and the distance per search.
    fn kernel<'a>(&'a self, query: &'a QuantizedQuery) -> Kernel<'a> {
        match &self.codes {
            Codes::Scalar {
                codes,
                sums,
                mid,
                alpha,
            } => {
                let rows = CodeRows {
                    codes,
                    stride: self.dim,
                };
                let (mid, alpha) = (*mid, *alpha);
                match self.distance {
                    Distance::Cosine | Distance::Dot => Kernel::Int8Dot(Int8Dot {
                        rows,
                        sums,
                        query: &query.scalar,
                        query_sum: query.sum,
                        constant: self.dim as f32 * mid * mid,
                        alpha_mid: alpha * mid,
                        alpha_sq: alpha * alpha,
                    }),
                    Distance::Euclid => Kernel::Int8Euclid(Int8Euclid {
                        rows,
                        query: &query.scalar,
                        alpha_sq: alpha * alpha,
                    }),
                    Distance::Manhattan => Kernel::Int8Manhattan(Int8Manhattan {
                        rows,
                        query: &query.scalar,
                        alpha,
                    }),
                }
            }
            Codes::Binary { bits, stride } => Kernel::Hamming(Hamming {
                rows: CodeRows {
                    codes: bits,
                    stride: *stride,
                },
                query: &query.bits,
            }),
        }
    }
}

impl QuantizedStore {
    /// The score a client sees for an approximate `distance` of [`QuantizedStore::distance`],
    /// when a search returns codes' scores without rescoring: the approximate dot product
    /// (Cosine, Dot), distance (Euclid, Manhattan); for binary codes, `1 − 2h/d` (Cosine, Dot:
    /// the share of agreeing signs mapped to −1..1) or the Hamming distance `h` itself.
    pub fn score(&self, distance: f32) -> f32 {
        match (&self.codes, self.distance) {
            (Codes::Scalar { .. }, Distance::Cosine | Distance::Dot) => -distance,
            (Codes::Scalar { .. }, Distance::Euclid) => distance.max(0.0).sqrt(),
            (Codes::Scalar { .. }, Distance::Manhattan) => distance,
            (Codes::Binary { .. }, Distance::Cosine | Distance::Dot) => {
                1.0 - 2.0 * distance / self.dim as f32
            }
            (Codes::Binary { .. }, Distance::Euclid | Distance::Manhattan) => distance,
        }
    }
}

/// How one kind of code scores a row against one encoded query, chosen once per search so
/// that the walk, generic over it, calls the kernel directly (as `DenseRows` does with its
/// `WalkKernel`). Implementations carry the query and the constants of the store's encoding;
/// their values are the formulas of the module docs, computed in the same order, so that the
/// approximate distances do not depend on how a search reached them.
pub trait CodeKernel {
    /// The approximate distance of row `offset` (below the store's rows): smaller is closer.
    fn distance(&self, offset: usize) -> f32;

    /// Starts loading row `offset`'s codes into the cache; a hint only.
    fn prefetch(&self, offset: usize);
}

/// A store's kernel for one query, before the search's one match turns it into a type.
enum Kernel<'a> {
    Int8Dot(Int8Dot<'a>),
    Int8Euclid(Int8Euclid<'a>),
    Int8Manhattan(Int8Manhattan<'a>),
    Hamming(Hamming<'a>),
}

/// Rows of codes laid end to end, `stride` codes each.
#[derive(Clone, Copy)]
struct CodeRows<'a, C> {
    codes: &'a [C],
    stride: usize,
}

impl<'a, C> CodeRows<'a, C> {
    #[inline]
    fn row(&self, offset: usize) -> &'a [C] {
        &self.codes[offset * self.stride..(offset + 1) * self.stride]
    }

    #[inline]
    fn prefetch(&self, offset: usize) {
        if let Some(row) = self
            .codes
            .get(offset * self.stride..(offset + 1) * self.stride)
        {
            prefetch(row);
        }
    }
}

/// Scalar int8 for Cosine and Dot: the negated approximate dot product
/// `d·mid² + α·mid·(Σc_q + Σc_x) + α²·(c_q·c_x)`.
pub struct Int8Dot<'a> {
    rows: CodeRows<'a, i8>,
    sums: &'a [f32],
    query: &'a [i8],
    query_sum: f32,
    /// `d·mid²`.
    constant: f32,
    /// `α·mid`.
    alpha_mid: f32,
    /// `α²`.
    alpha_sq: f32,
}

/// Scalar int8 for Euclid: `α²·|c_q − c_x|²`.
pub struct Int8Euclid<'a> {
    rows: CodeRows<'a, i8>,
    query: &'a [i8],
    /// `α²`.
    alpha_sq: f32,
}

/// Scalar int8 for Manhattan: `α·Σ|c_q − c_x|`.
pub struct Int8Manhattan<'a> {
    rows: CodeRows<'a, i8>,
    query: &'a [i8],
    alpha: f32,
}

/// Binary codes, every distance: the Hamming distance of the bit strings.
pub struct Hamming<'a> {
    rows: CodeRows<'a, u8>,
    query: &'a [u8],
}

impl CodeKernel for Int8Dot<'_> {
    #[inline]
    fn distance(&self, offset: usize) -> f32 {
        let dot = i8::dot(self.query, self.rows.row(offset)).unwrap_or(0.0) as f32;
        let approx = self.constant
            + self.alpha_mid * (self.query_sum + self.sums[offset])
            + self.alpha_sq * dot;
        -approx
    }

    #[inline]
    fn prefetch(&self, offset: usize) {
        self.rows.prefetch(offset);
    }
}

impl CodeKernel for Int8Euclid<'_> {
    #[inline]
    fn distance(&self, offset: usize) -> f32 {
        self.alpha_sq * i8::l2sq(self.query, self.rows.row(offset)).unwrap_or(0.0) as f32
    }

    #[inline]
    fn prefetch(&self, offset: usize) {
        self.rows.prefetch(offset);
    }
}

impl CodeKernel for Int8Manhattan<'_> {
    #[inline]
    fn distance(&self, offset: usize) -> f32 {
        let l1: i32 = self
            .query
            .iter()
            .zip(self.rows.row(offset))
            .map(|(a, b)| (*a as i32 - *b as i32).abs())
            .sum();
        self.alpha * l1 as f32
    }

    #[inline]
    fn prefetch(&self, offset: usize) {
        self.rows.prefetch(offset);
    }
}

impl CodeKernel for Hamming<'_> {
    #[inline]
    fn distance(&self, offset: usize) -> f32 {
        u8::hamming(self.query, self.rows.row(offset)).unwrap_or(0.0) as f32
    }

    #[inline]
    fn prefetch(&self, offset: usize) {
        self.rows.prefetch(offset);
    }
}

/// The rows of a store as the kernel `K` scores their codes, for a graph walk: rows the store
/// no longer has (deleted, absent) and rows written after the codes were made are skipped.
pub struct QuantizedRows<'a, K> {
    kernel: K,
    /// Rows encoded.
    rows: usize,
    store: &'a VectorStore,
}

impl<K: CodeKernel> RowScorer for QuantizedRows<'_, K> {
    #[inline]
    fn distance(&self, offset: u32) -> Option<f32> {
        if offset as usize >= self.rows {
            return None;
        }
        if !self.store.contains(offset) {
            return None;
        }
        Some(self.kernel.distance(offset as usize))
    }

    #[inline]
    fn prefetch(&self, offset: u32) {
        self.kernel.prefetch(offset as usize);
    }
}

/// A graph search on quantized codes: the walk scores rows by their codes with a beam of
/// `max(ef, limit × oversampling)`; every row it kept is then rescored with the original
/// vectors (unless `rescore` is off, when the codes' best `limit × oversampling` are returned
/// with their approximate scores).
pub struct QuantizedSearch<'a> {
    pub index: &'a HnswIndex,
    pub codes: &'a QuantizedStore,
    pub store: &'a VectorStore,
    /// The query's `hnsw_ef`; `None` uses the index's default.
    pub ef: Option<usize>,
    pub rescore: bool,
    /// At least 1.
    pub oversampling: f64,
}

impl QuantizedSearch<'_> {
    /// The walk with one kernel, monomorphised for it.
    fn walk<K: CodeKernel>(
        &self,
        kernel: K,
        accept: &dyn Fn(u32) -> bool,
        ef: usize,
        want: usize,
    ) -> Vec<(f32, u32)> {
        let rows = QuantizedRows {
            kernel,
            rows: self.codes.rows,
            store: self.store,
        };
        self.index.walk(&rows, accept, ef, want)
    }
}

impl VectorIndex for QuantizedSearch<'_> {
    fn search(&self, request: &SearchRequest<'_>) -> Vec<ScoredOffset> {
        if request.top == 0 || self.index.is_empty() {
            return Vec::new();
        }
        let want = ((request.top as f64) * self.oversampling.max(1.0)).ceil() as usize;
        let want = want.max(request.top);
        let encoded = self.codes.encode_query(request.query);
        let ef = self.ef.unwrap_or(self.index.default_ef());
        let accept = request.accept;
        let walked = match self.codes.kernel(&encoded) {
            Kernel::Int8Dot(k) => self.walk(k, accept, ef, want),
            Kernel::Int8Euclid(k) => self.walk(k, accept, ef, want),
            Kernel::Int8Manhattan(k) => self.walk(k, accept, ef, want),
            Kernel::Hamming(k) => self.walk(k, accept, ef, want),
        };
        if self.rescore {
            // Rescoring reads the originals of every candidate the walk kept (`ef` of them, at
            // least `limit × oversampling`): about `ef` full-precision distances on top of the
            // walk's thousands, and it turns "the codes ranked a true neighbour 12th of 128"
            // into a hit.
            let offsets = walked.into_iter().map(|(_, offset)| offset);
            let rescored = self.store.scores(request.distance, request.query, offsets);
            let scored = rescored
                .into_iter()
                .map(|(offset, score)| Some(ScoredOffset { offset, score }));
            return rank(request, scored);
        }
        // Without rescoring the codes' own best `limit × oversampling` are all there is.
        let scored = walked.into_iter().take(want).map(|(approx, offset)| {
            self.store.contains(offset).then(|| ScoredOffset {
                offset,
                score: self.codes.score(approx),
            })
        });
        rank(request, scored)
    }
}

/// Codes of one vector; returns their sum.
fn encode_scalar(v: &[f32], mid: f32, alpha: f32, out: &mut [i8]) -> f32 {
    let mut sum = 0i32;
    for (x, c) in v.iter().zip(out.iter_mut()) {
        let code = ((x - mid) / alpha).round().clamp(-127.0, 127.0) as i8;
        *c = code;
        sum += code as i32;
    }
    sum as f32
}

fn encode_binary(v: &[f32], out: &mut [u8]) {
    out.iter_mut().for_each(|b| *b = 0);
    for (i, x) in v.iter().enumerate() {
        if *x > 0.0 {
            out[i / 8] |= 1 << (i % 8);
        }
    }
}

/// The range scalar codes cover: every component, or the central `quantile` share of them
/// (read from an evenly strided sample of at most [`QUANTILE_SAMPLE`] components).
fn bounds<'a>(rows: impl Iterator<Item = &'a [f32]> + Clone, quantile: Option<f32>) -> (f32, f32) {
    let total: usize = rows.clone().map(<[f32]>::len).sum();
    if total == 0 {
        return (-1.0, 1.0);
    }
    let components = rows.flat_map(|r| r.iter().copied());
    let q = quantile.unwrap_or(1.0).clamp(0.5, 1.0);
    if q >= 1.0 {
        let (lo, hi) = components.fold((f32::MAX, f32::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        return if lo < hi {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
    }
    let step = total.div_ceil(QUANTILE_SAMPLE).max(1);
    let mut sample: Vec<f32> = components.step_by(step).collect();
    let n = sample.len();
    let at = |sample: &mut Vec<f32>, share: f32| {
        let k = ((n - 1) as f32 * share).round() as usize;
        *sample.select_nth_unstable_by(k, f32::total_cmp).1
    };
    let lo = at(&mut sample, (1.0 - q) / 2.0);
    let hi = at(&mut sample, (1.0 + q) / 2.0);
    if lo < hi {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::distance;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn store(rows: usize, dim: usize, distance: Distance, seed: u64) -> VectorStore {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut store = VectorStore::new(dim);
        for i in 0..rows {
            let mut v: Vec<f32> = (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
            distance::preprocess(distance, &mut v);
            // Every 50th row absent, as after a delete.
            store.push((i % 50 != 7).then_some(v.as_slice()));
        }
        store
    }

    /// Recall@10 of "best `10 × oversampling` by codes, rescored with the originals".
    fn recall(distance: Distance, method: Method, oversampling: usize) -> f64 {
        let (rows, dim) = (2000, 64);
        let store = store(rows, dim, distance, 1);
        let codes = QuantizedStore::build(&store, distance, method);
        assert_eq!(codes.len(), rows);
        let mut rng = StdRng::seed_from_u64(2);
        let (mut found, mut total) = (0, 0);
        for _ in 0..20 {
            let mut q: Vec<f32> = (0..dim).map(|_| rng.gen_range(-1.0..1.0)).collect();
            distance::preprocess(distance, &mut q);
            let present: Vec<u32> = (0..rows as u32).filter(|o| store.contains(*o)).collect();
            let exact_rank = |offsets: &[u32]| {
                let mut scored: Vec<(f32, u32)> = offsets
                    .iter()
                    .map(|&o| (distance::score(distance, &q, store.f32_row(o).unwrap()), o))
                    .collect();
                scored.sort_by(|a, b| distance::compare(distance, a.0, b.0));
                scored
                    .into_iter()
                    .map(|(_, o)| o)
                    .take(10)
                    .collect::<Vec<_>>()
            };
            let truth = exact_rank(&present);
            let encoded = codes.encode_query(&q);
            let mut approx: Vec<(f32, u32)> = present
                .iter()
                .map(|&o| (codes.distance(&encoded, o), o))
                .collect();
            approx.sort_by(|a, b| a.0.total_cmp(&b.0));
            let candidates: Vec<u32> = approx
                .iter()
                .take(10 * oversampling)
                .map(|(_, o)| *o)
                .collect();
            let rescored = exact_rank(&candidates);
            found += rescored.iter().filter(|o| truth.contains(o)).count();
            total += truth.len();
        }
        found as f64 / total as f64
    }

    #[test]
    fn scalar_int8_with_rescoring_finds_the_exact_neighbours() {
        for distance in [
            Distance::Cosine,
            Distance::Dot,
            Distance::Euclid,
            Distance::Manhattan,
        ] {
            let r = recall(distance, Method::ScalarInt8 { quantile: None }, 2);
            assert!(r >= 0.97, "{distance:?}: recall {r}");
        }
        let r = recall(
            Distance::Cosine,
            Method::ScalarInt8 {
                quantile: Some(0.99),
            },
            2,
        );
        assert!(r >= 0.97, "quantile 0.99: recall {r}");
    }

    #[test]
    fn scalar_codes_approximate_the_dot_product() {
        let store = store(200, 32, Distance::Dot, 3);
        let codes =
            QuantizedStore::build(&store, Distance::Dot, Method::ScalarInt8 { quantile: None });
        let q: Vec<f32> = (0..32).map(|i| (i as f32 / 16.0) - 1.0).collect();
        let encoded = codes.encode_query(&q);
        for o in 0..200u32 {
            let Some(row) = store.f32_row(o) else {
                continue;
            };
            let exact = distance::score(Distance::Dot, &q, row);
            let approx = -codes.distance(&encoded, o);
            assert!((exact - approx).abs() < 0.05, "{exact} vs {approx}");
        }
    }

    #[test]
    fn binary_codes_with_oversampling_keep_most_neighbours() {
        // One bit per dimension is coarse: Qdrant recommends oversampling with it.
        let r = recall(Distance::Cosine, Method::Binary, 16);
        assert!(r >= 0.8, "recall {r}");
    }

    #[test]
    fn codes_take_a_quarter_and_a_thirty_second_of_the_originals() {
        let store = store(1000, 128, Distance::Cosine, 4);
        let float_bytes = 1000 * 128 * 4;
        let scalar = QuantizedStore::build(
            &store,
            Distance::Cosine,
            Method::ScalarInt8 { quantile: None },
        );
        assert_eq!(scalar.memory_bytes(), float_bytes / 4 + 1000 * 4);
        let binary = QuantizedStore::build(&store, Distance::Cosine, Method::Binary);
        assert_eq!(binary.memory_bytes(), float_bytes / 32);
    }

    #[test]
    fn methods_are_read_from_configs() {
        let scalar = serde_json::json!({"scalar": {"type": "int8", "quantile": 0.99}});
        assert_eq!(
            Method::of_config(Some(&scalar)),
            Some(Method::ScalarInt8 {
                quantile: Some(0.99)
            })
        );
        let binary = serde_json::json!({"binary": {"always_ram": true}});
        assert_eq!(Method::of_config(Some(&binary)), Some(Method::Binary));
        let product = serde_json::json!({"product": {"compression": "x16"}});
        assert_eq!(Method::of_config(Some(&product)), None);
        assert_eq!(Method::of_config(None), None);
    }
}
