//! The element types a dense vector store keeps — `f32`, `f16` and `u8`, for the `datatype`s
//! float32, float16 and uint8 — how a client's `f32` values become them, each type's kernels,
//! and [`Elements`], the buffer of one type that dense and multivector stores keep rows in.
//!
//! Values are converted once, when written ([`round_to`]): float16 values are rounded to the
//! nearest `f16` (ties to even), after Cosine normalisation in `f32`; uint8 values are truncated
//! toward zero, as Qdrant's cast does, and never normalised. What is stored is what a read
//! returns, and a query is converted the same way, so converting a value that [`round_to`]
//! already rounded ([`Element::from_f32`]) is exact.
//!
//! Kernels: `f32` uses simsimd's (dot and squared distance; it has no L1 kernel); `f16` rows are
//! widened to `f32` in blocks and scored with the same kernels (simsimd's own `f16` kernels
//! accumulate in `f16` on some CPUs, see [`widened`]); `u8` uses plain integer loops (simsimd 6's
//! Rust API has byte kernels for `i8` only), written so that the compiler vectorises them:
//! integer sums may be reordered, float sums may not.
//! Cosine is a dot product on the normalised `f32` and `f16` rows and the true cosine
//! `a·b / (|a||b|)` on `u8` rows (0 when a norm is 0).

use std::borrow::Cow;

use half::slice::HalfFloatSliceExt;
use simsimd::SpatialSimilarity;

pub use half::f16;

use crate::index::huge_pages;
use crate::model::vectors::Datatype;

/// The largest finite `f16` magnitude.
pub const F16_MAX: f32 = 65504.0;

/// One component of a stored dense vector, with the kernels over rows of it. Implemented by
/// `f32`, [`f16`] and `u8`; generic code over it is monomorphised, so a loop over `f32` rows
/// compiles to what it was before there were other types.
pub trait Element: Copy + Send + Sync + std::fmt::Debug + 'static {
    /// The datatype this element stores.
    const DATATYPE: Datatype;
    /// The element for a value that [`round_to`] accepted (exact for such values).
    fn from_f32(x: f32) -> Self;
    fn to_f32(self) -> f32;

    /// A query in this element type: borrowed for `f32`, converted otherwise.
    fn query(query: &[f32]) -> Cow<'_, [Self]> {
        Cow::Owned(query.iter().map(|&x| Self::from_f32(x)).collect())
    }

    /// Stored elements as `f32`s: borrowed for `f32`, converted otherwise.
    fn widen(row: &[Self]) -> Cow<'_, [f32]> {
        Cow::Owned(row.iter().map(|&x| x.to_f32()).collect())
    }

    fn dot(a: &[Self], b: &[Self]) -> f32;
    /// The Cosine score of two rows as stored (see the module docs).
    fn cosine(a: &[Self], b: &[Self]) -> f32;
    fn l2sq(a: &[Self], b: &[Self]) -> f32;
    /// The L1 (Manhattan) distance.
    fn l1(a: &[Self], b: &[Self]) -> f32;
}

impl Element for f32 {
    const DATATYPE: Datatype = Datatype::Float32;

    #[inline]
    fn from_f32(x: f32) -> f32 {
        x
    }

    #[inline]
    fn to_f32(self) -> f32 {
        self
    }

    fn query(query: &[f32]) -> Cow<'_, [f32]> {
        Cow::Borrowed(query)
    }

    fn widen(row: &[f32]) -> Cow<'_, [f32]> {
        Cow::Borrowed(row)
    }

    #[inline]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        // simsimd returns None only for mismatched lengths, which the engine rules out.
        <f32 as SpatialSimilarity>::dot(a, b)
            .unwrap_or_else(|| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() as f64)
            as f32
    }

    #[inline]
    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        <Self as Element>::dot(a, b)
    }

    #[inline]
    fn l2sq(a: &[f32], b: &[f32]) -> f32 {
        <f32 as SpatialSimilarity>::l2sq(a, b)
            .unwrap_or_else(|| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() as f64)
            as f32
    }

    #[inline]
    fn l1(a: &[f32], b: &[f32]) -> f32 {
        l1_lanes(a, b, |x| x)
    }
}

impl Element for f16 {
    const DATATYPE: Datatype = Datatype::Float16;

    /// Rounds to nearest, ties to even.
    #[inline]
    fn from_f32(x: f32) -> f16 {
        f16::from_f32(x)
    }

    #[inline]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }

    #[inline]
    fn dot(a: &[f16], b: &[f16]) -> f32 {
        widened(a, b, <f32 as Element>::dot)
    }

    #[inline]
    fn cosine(a: &[f16], b: &[f16]) -> f32 {
        <Self as Element>::dot(a, b)
    }

    #[inline]
    fn l2sq(a: &[f16], b: &[f16]) -> f32 {
        widened(a, b, <f32 as Element>::l2sq)
    }

    #[inline]
    fn l1(a: &[f16], b: &[f16]) -> f32 {
        widened(a, b, <f32 as Element>::l1)
    }
}

/// Components widened to `f32` per block (`half` converts with F16C where the CPU has it).
const F16_BLOCK: usize = 256;

/// The sum over blocks of `kernel` on the `f32` widening of `a` and `b`: every product and sum
/// in `f32`, as for float32 vectors. simsimd 6 has `f16` kernels, but on CPUs with AVX512-FP16
/// (Sapphire Rapids, where this was written) they accumulate in `f16`: a 37-component dot
/// product came out 3e-3 off, and any sum past 65504 would overflow to infinity.
#[inline]
fn widened(a: &[f16], b: &[f16], kernel: fn(&[f32], &[f32]) -> f32) -> f32 {
    let (mut wa, mut wb) = ([0.0f32; F16_BLOCK], [0.0f32; F16_BLOCK]);
    a.chunks(F16_BLOCK)
        .zip(b.chunks(F16_BLOCK))
        .map(|(x, y)| {
            let (wa, wb) = (&mut wa[..x.len()], &mut wb[..y.len()]);
            x.convert_to_f32_slice(wa);
            y.convert_to_f32_slice(wb);
            kernel(wa, wb)
        })
        .sum()
}

impl Element for u8 {
    const DATATYPE: Datatype = Datatype::Uint8;

    #[inline]
    fn from_f32(x: f32) -> u8 {
        // Saturating and truncating toward zero; `round_to` has ruled out anything outside
        // 0..=255.
        x as u8
    }

    #[inline]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }

    // Each sum fits a u32: at most 255² per component and 65536 components.
    #[inline]
    fn dot(a: &[u8], b: &[u8]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| u32::from(x) * u32::from(y))
            .sum::<u32>() as f32
    }

    #[inline]
    fn cosine(a: &[u8], b: &[u8]) -> f32 {
        let (mut ab, mut aa, mut bb) = (0u32, 0u32, 0u32);
        for (&x, &y) in a.iter().zip(b) {
            let (x, y) = (u32::from(x), u32::from(y));
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        if aa == 0 || bb == 0 {
            return 0.0;
        }
        (f64::from(ab) / (f64::from(aa).sqrt() * f64::from(bb).sqrt())) as f32
    }

    #[inline]
    fn l2sq(a: &[u8], b: &[u8]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| {
                let d = u32::from(x.abs_diff(y));
                d * d
            })
            .sum::<u32>() as f32
    }

    #[inline]
    fn l1(a: &[u8], b: &[u8]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| u32::from(x.abs_diff(y)))
            .sum::<u32>() as f32
    }
}

/// L1 distance in `f32` with eight independent partial sums. A single f32 accumulator stays
/// scalar (the compiler may not reorder float additions); eight lanes let it emit SIMD.
/// benches/kernels.rs, dim 768 on AVX-512: 613 ns with one accumulator, ~84 ns with eight.
#[inline]
fn l1_lanes<T: Copy>(a: &[T], b: &[T], to_f32: impl Fn(T) -> f32) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| (to_f32(x) - to_f32(y)).abs())
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += (to_f32(x[i]) - to_f32(y[i])).abs();
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Elements of one datatype laid end to end: the buffer behind a dense store's rows and a
/// multivector store's arena. It is advised onto transparent huge pages each time it grows
/// ([`huge_pages::advise`]), before the new capacity is written.
#[derive(Clone, Debug)]
pub enum Elements {
    F32(Vec<f32>),
    F16(Vec<f16>),
    U8(Vec<u8>),
}

impl Elements {
    pub fn new(datatype: Datatype) -> Self {
        match datatype {
            Datatype::Float32 => Elements::F32(Vec::new()),
            Datatype::Float16 => Elements::F16(Vec::new()),
            Datatype::Uint8 => Elements::U8(Vec::new()),
        }
    }

    pub fn datatype(&self) -> Datatype {
        match self {
            Elements::F32(_) => Datatype::Float32,
            Elements::F16(_) => Datatype::Float16,
            Elements::U8(_) => Datatype::Uint8,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Elements::F32(d) => d.len(),
            Elements::F16(d) => d.len(),
            Elements::U8(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the elements take.
    pub fn memory_bytes(&self) -> usize {
        self.len() * size_of(self.datatype())
    }

    /// Appends `values`, each already rounded to the datatype ([`round_to`]), so that
    /// converting it is exact.
    pub fn extend(&mut self, values: impl Iterator<Item = f32>) {
        fn grow<T: Element>(data: &mut Vec<T>, values: impl Iterator<Item = f32>) {
            let capacity = data.capacity();
            data.extend(values.map(T::from_f32));
            if data.capacity() != capacity {
                huge_pages::advise(data);
            }
        }
        match self {
            Elements::F32(d) => grow(d, values),
            Elements::F16(d) => grow(d, values),
            Elements::U8(d) => grow(d, values),
        }
    }
}

/// Rounds `values` in place to what `datatype` stores (float16: to the nearest `f16`; uint8:
/// toward zero), or says which value it cannot hold, changing nothing. float16 holds finite
/// magnitudes up to [`F16_MAX`]; uint8 holds 0 to 255 (fractions are truncated).
pub fn round_to(datatype: Datatype, values: &mut [f32]) -> Result<(), String> {
    let fits = |x: f32| match datatype {
        Datatype::Float32 => x.is_finite(),
        Datatype::Float16 => x.is_finite() && x.abs() <= F16_MAX,
        Datatype::Uint8 => x.is_finite() && (0.0..=255.0).contains(&x),
    };
    if let Some((i, x)) = values.iter().enumerate().find(|(_, x)| !fits(**x)) {
        let range = match datatype {
            Datatype::Float32 => "a finite number",
            Datatype::Float16 => "a finite number from -65504 to 65504",
            Datatype::Uint8 => "a number from 0 to 255",
        };
        return Err(format!(
            "value {x} at index {i} does not fit datatype {}: it must be {range}",
            name(datatype)
        ));
    }
    match datatype {
        Datatype::Float32 => {}
        Datatype::Float16 => values
            .iter_mut()
            .for_each(|x| *x = f16::from_f32(*x).to_f32()),
        Datatype::Uint8 => values.iter_mut().for_each(|x| *x = x.trunc()),
    }
    Ok(())
}

/// Bytes one element of `datatype` takes.
pub fn size_of(datatype: Datatype) -> usize {
    match datatype {
        Datatype::Float32 => 4,
        Datatype::Float16 => 2,
        Datatype::Uint8 => 1,
    }
}

/// The datatype as the API spells it.
pub fn name(datatype: Datatype) -> &'static str {
    match datatype {
        Datatype::Float32 => "float32",
        Datatype::Float16 => "float16",
        Datatype::Uint8 => "uint8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float16_rounds_to_nearest_even() {
        // 2049 lies halfway between the f16 neighbours 2048 and 2050: ties go to even (2048).
        let mut v = vec![2049.0, 0.1, -65504.0];
        round_to(Datatype::Float16, &mut v).unwrap();
        assert_eq!(v, vec![2048.0, 0.099975586, -65504.0]);
    }

    #[test]
    fn float16_rejects_magnitudes_beyond_its_range() {
        let mut v = vec![1.0, 65505.0];
        let err = round_to(Datatype::Float16, &mut v).unwrap_err();
        assert!(err.contains("65505") && err.contains("index 1"), "{err}");
        assert_eq!(v, vec![1.0, 65505.0], "nothing changes on error");
    }

    #[test]
    fn uint8_truncates_fractions_and_rejects_out_of_range() {
        let mut v = vec![0.0, 1.9, 254.99, 255.0];
        round_to(Datatype::Uint8, &mut v).unwrap();
        assert_eq!(v, vec![0.0, 1.0, 254.0, 255.0]);
        for bad in [-0.5, 255.5, f32::NAN] {
            assert!(round_to(Datatype::Uint8, &mut [bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_kernels_match_float_arithmetic() {
        let a: Vec<u8> = (0..37u8).map(|i| i * 7).collect();
        let b: Vec<u8> = (0..37u8).map(|i| 255 - i * 3).collect();
        let fa: Vec<f64> = a.iter().map(|&x| f64::from(x)).collect();
        let fb: Vec<f64> = b.iter().map(|&x| f64::from(x)).collect();
        let dot: f64 = fa.iter().zip(&fb).map(|(x, y)| x * y).sum();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert_eq!(u8::dot(&a, &b), dot as f32);
        assert!((u8::cosine(&a, &b) as f64 - dot / (norm(&fa) * norm(&fb))).abs() < 1e-6);
        let l2: f64 = fa.iter().zip(&fb).map(|(x, y)| (x - y) * (x - y)).sum();
        assert_eq!(u8::l2sq(&a, &b), l2 as f32);
        let l1: f64 = fa.iter().zip(&fb).map(|(x, y)| (x - y).abs()).sum();
        assert_eq!(u8::l1(&a, &b), l1 as f32);
        assert_eq!(u8::cosine(&[0, 0], &[1, 2]), 0.0);
    }

    #[test]
    fn half_kernels_match_float_arithmetic() {
        let a: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..37).map(|i| (i as f32 * 0.11).cos()).collect();
        let (ha, hb): (Vec<f16>, Vec<f16>) = (
            a.iter().map(|&x| <f16 as Element>::from_f32(x)).collect(),
            b.iter().map(|&x| <f16 as Element>::from_f32(x)).collect(),
        );
        let (ra, rb): (Vec<f32>, Vec<f32>) = (
            ha.iter().map(|x| Element::to_f32(*x)).collect(),
            hb.iter().map(|x| Element::to_f32(*x)).collect(),
        );
        assert_eq!(
            <f16 as Element>::dot(&ha, &hb),
            <f32 as Element>::dot(&ra, &rb)
        );
        assert_eq!(
            <f16 as Element>::l2sq(&ha, &hb),
            <f32 as Element>::l2sq(&ra, &rb)
        );
        assert_eq!(
            <f16 as Element>::l1(&ha, &hb),
            <f32 as Element>::l1(&ra, &rb)
        );
        // Sums past f16's range stay finite: 300 × 300 × 37 is far beyond 65504.
        let big = vec![<f16 as Element>::from_f32(300.0); 37];
        assert_eq!(<f16 as Element>::dot(&big, &big), 300.0 * 300.0 * 37.0);
    }
}
