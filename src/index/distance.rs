//! Qdrant's score conventions, and which kernel scores each distance — the one home for both.
//!
//! Scores are what clients see: Cosine and Dot are similarities (higher is better), Euclid and
//! Manhattan are distances (lower is better). Cosine vectors are L2-normalised once at insert and
//! once per query, so Cosine scoring of `f32` and `f16` rows is a plain dot product; `u8` rows are
//! not normalised and score the true cosine. The kernels themselves, per element type, live in
//! [`crate::index::element`]: simsimd's (AVX2/AVX-512/NEON/SVE picked at run time) where it has
//! them, plain loops written for the compiler to vectorise otherwise. Every function here is
//! generic over the element type and monomorphised: `f32` rows compile to direct kernel calls.

use std::cmp::Ordering;

use crate::index::element::Element;
use crate::model::vectors::Distance;

/// Prepares a vector for storage or as a query: Cosine vectors are L2-normalised. Vectors whose
/// squared norm is below `f32::EPSILON` (zero vectors) or already within 1e-6 of 1 stay as
/// they are, as in Qdrant.
pub fn preprocess(distance: Distance, vector: &mut [f32]) {
    if distance != Distance::Cosine {
        return;
    }
    let norm_sq = f32::dot(vector, vector);
    if norm_sq < f32::EPSILON || (norm_sq - 1.0).abs() <= 1e-6 {
        return;
    }
    let inv = 1.0 / norm_sq.sqrt();
    vector.iter_mut().for_each(|x| *x *= inv);
}

/// The score of `stored` for `query` (both preprocessed, same length, same element type).
#[inline]
pub fn score<T: Element>(distance: Distance, query: &[T], stored: &[T]) -> f32 {
    match distance {
        Distance::Cosine => T::cosine(query, stored),
        Distance::Dot => T::dot(query, stored),
        Distance::Euclid => T::l2sq(query, stored).sqrt(),
        Distance::Manhattan => T::l1(query, stored),
    }
}

/// Qdrant's internal similarity, bigger is better for every distance: the score for Cosine and
/// Dot, the negated squared distance for Euclid, the negated distance for Manhattan. Recommend
/// (best and sum strategies), discover and context queries combine these.
#[inline]
pub fn similarity<T: Element>(distance: Distance, query: &[T], stored: &[T]) -> f32 {
    match distance {
        Distance::Cosine => T::cosine(query, stored),
        Distance::Dot => T::dot(query, stored),
        Distance::Euclid => -T::l2sq(query, stored),
        Distance::Manhattan => -T::l1(query, stored),
    }
}

/// The order a graph walk ranks rows by, with its kernel chosen once per search instead of
/// matched per call: `distance(query, stored) == -similarity(..)` bit for bit, so smaller is
/// nearer for every [`Distance`]. Implemented by zero-sized types so that a walk generic over
/// it calls the kernel directly.
pub trait WalkKernel: Copy {
    fn distance<T: Element>(query: &[T], stored: &[T]) -> f32;
}

/// The score of a row whose [`WalkKernel`] distance for `distance` is `walk_distance`: equal,
/// bit for bit, to [`score`] of the same row, without scoring it again.
#[inline]
pub fn score_from_walk(distance: Distance, walk_distance: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => -walk_distance,
        Distance::Euclid => walk_distance.sqrt(),
        Distance::Manhattan => walk_distance,
    }
}

/// Cosine: the negated cosine (on `f32` and `f16` rows, normalised, the negated dot product).
#[derive(Clone, Copy, Debug)]
pub struct NegatedCosine;
/// Dot: the negated dot product.
#[derive(Clone, Copy, Debug)]
pub struct NegatedDot;
/// Euclid: the squared distance (its square root is only taken for the score).
#[derive(Clone, Copy, Debug)]
pub struct SquaredEuclid;
/// Manhattan: the L1 distance.
#[derive(Clone, Copy, Debug)]
pub struct L1;

impl WalkKernel for NegatedCosine {
    #[inline]
    fn distance<T: Element>(query: &[T], stored: &[T]) -> f32 {
        -T::cosine(query, stored)
    }
}
impl WalkKernel for NegatedDot {
    #[inline]
    fn distance<T: Element>(query: &[T], stored: &[T]) -> f32 {
        -T::dot(query, stored)
    }
}
impl WalkKernel for SquaredEuclid {
    #[inline]
    fn distance<T: Element>(query: &[T], stored: &[T]) -> f32 {
        T::l2sq(query, stored)
    }
}
impl WalkKernel for L1 {
    #[inline]
    fn distance<T: Element>(query: &[T], stored: &[T]) -> f32 {
        T::l1(query, stored)
    }
}

/// `Ordering::Less` when score `a` is better than `b` (sorts best first).
#[inline]
pub fn compare(distance: Distance, a: f32, b: f32) -> Ordering {
    if higher_is_better(distance) {
        b.total_cmp(&a)
    } else {
        a.total_cmp(&b)
    }
}

/// Whether bigger scores rank first for this distance.
pub fn higher_is_better(distance: Distance) -> bool {
    matches!(distance, Distance::Cosine | Distance::Dot)
}

/// Qdrant's `score_threshold`: strictly better than the threshold.
#[inline]
pub fn passes_threshold(distance: Distance, score: f32, threshold: f32) -> bool {
    if higher_is_better(distance) {
        score > threshold
    } else {
        score < threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_query_is_normalised() {
        let mut v = vec![3.0, 4.0];
        preprocess(Distance::Cosine, &mut v);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn zero_vector_stays_zero_under_cosine() {
        let mut v = vec![0.0, 0.0];
        preprocess(Distance::Cosine, &mut v);
        assert_eq!(v, vec![0.0, 0.0]);
    }

    #[test]
    fn euclid_score_is_distance_not_square() {
        assert!((score(Distance::Euclid, &[0.0, 0.0], &[3.0, 4.0]) - 5.0).abs() < 1e-5);
    }

    #[test]
    fn manhattan_sums_absolute_differences() {
        assert_eq!(score(Distance::Manhattan, &[1.0, -1.0], &[2.0, 1.0]), 3.0);
    }

    #[test]
    fn manhattan_handles_lengths_that_are_not_multiples_of_eight() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..19).map(|i| -(i as f32)).collect();
        let expected: f32 = (0..19).map(|i| 2.0 * i as f32).sum();
        assert_eq!(score(Distance::Manhattan, &a, &b), expected);
    }

    #[test]
    fn lower_distance_ranks_first_for_euclid() {
        assert_eq!(compare(Distance::Euclid, 1.0, 2.0), Ordering::Less);
        assert_eq!(compare(Distance::Dot, 1.0, 2.0), Ordering::Greater);
    }

    #[test]
    fn walk_kernels_negate_the_similarity() {
        let (q, r) = ([0.6, -0.8, 0.1], [0.3, 0.4, -2.0]);
        let similarity = |d| similarity(d, &q, &r);
        assert_eq!(
            NegatedCosine::distance(&q, &r),
            -similarity(Distance::Cosine)
        );
        assert_eq!(NegatedDot::distance(&q, &r), -similarity(Distance::Dot));
        assert_eq!(
            SquaredEuclid::distance(&q, &r),
            -similarity(Distance::Euclid)
        );
        assert_eq!(L1::distance(&q, &r), -similarity(Distance::Manhattan));
        for (d, walk) in [
            (Distance::Dot, NegatedDot::distance(&q, &r)),
            (Distance::Euclid, SquaredEuclid::distance(&q, &r)),
            (Distance::Manhattan, L1::distance(&q, &r)),
        ] {
            assert_eq!(score_from_walk(d, walk), score(d, &q, &r));
        }
    }

    #[test]
    fn threshold_is_strict() {
        assert!(!passes_threshold(Distance::Dot, 0.5, 0.5));
        assert!(passes_threshold(Distance::Euclid, 0.4, 0.5));
        assert!(!passes_threshold(Distance::Euclid, 0.6, 0.5));
    }
}
