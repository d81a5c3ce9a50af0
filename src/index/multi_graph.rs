//! HNSW graphs over multivectors: the graph is built and walked with `max_sim` as the distance.
//!
//! A multivector row is its sub-vectors end to end ([`MultiStore::get`]). Construction sees
//! rows through [`MultiSpace`] (a [`BuildSpace`]): the distance from row `a` to row `b` is
//! `-max_sim(a, b)`, `a` in the query's role — `max_sim` is not symmetric, and the construction
//! only ever measures from the node being inserted or pruned, as a search measures from the
//! query. Searches walk the graph with [`MultiRows`] (a [`RowScorer`], generic over the kernel
//! of the distance like [`crate::index::hnsw::DenseRows`]) and rescore what the walk found with
//! the vector's [`Comparator`], so that graph results and the exact scan of later offsets score
//! alike to the bit. uint8 multivectors (rows not normalised, compared as bytes) are built and
//! walked with the comparator itself, one row converted at a time.

use std::marker::PhantomData;

use crate::error::Result;
use crate::index::distance::{L1, NegatedCosine, NegatedDot, SquaredEuclid, WalkKernel};
use crate::index::hnsw::{BuildParams, BuildSpace, HnswIndex, NativeBuilder, RowScorer, prefetch};
use crate::index::multi::{Comparator, MultiStore, max_sim_with};
use crate::model::collection::HnswConfig;
use crate::model::vectors::Distance;

/// The rows of a [`MultiStore`] as HNSW construction sees them.
#[derive(Clone, Copy, Debug)]
pub struct MultiSpace<'a> {
    pub store: &'a MultiStore,
    pub comparator: Comparator,
}

impl BuildSpace for MultiSpace<'_> {
    type Row<'r>
        = &'r [f32]
    where
        Self: 'r;

    fn offsets(&self) -> usize {
        self.store.len()
    }

    #[inline]
    fn row(&self, offset: u32) -> Option<&[f32]> {
        self.store.get(offset)
    }

    #[inline]
    fn distance(&self, from: &[f32], to: &[f32]) -> f32 {
        let similarity = self.comparator.max_sim(from, to);
        // A NaN (from a NaN component) would corrupt the neighbour order: rank it last.
        if similarity.is_nan() {
            f32::INFINITY
        } else {
            -similarity
        }
    }

    #[inline]
    fn prefetch(&self, row: &[f32]) {
        prefetch(row);
    }
}

/// Scores multivector rows of a [`MultiStore`] for one query, with the kernel `K` chosen once
/// per search.
pub struct MultiRows<'a, K> {
    store: &'a MultiStore,
    /// The query's sub-vectors end to end, preprocessed for the distance.
    query: &'a [f32],
    kernel: PhantomData<K>,
}

impl<K: WalkKernel> RowScorer for MultiRows<'_, K> {
    #[inline]
    fn distance(&self, offset: u32) -> Option<f32> {
        let row = self.store.get(offset)?;
        Some(-max_sim_with::<K, f32>(self.store.dim(), self.query, row))
    }

    #[inline]
    fn prefetch(&self, offset: u32) {
        if let Some(row) = self.store.get(offset) {
            prefetch(row);
        }
    }
}

/// Scores rows with the vector's [`Comparator`] itself (uint8 multivectors, compared as bytes).
struct ComparedRows<'a> {
    store: &'a MultiStore,
    query: &'a [f32],
    comparator: Comparator,
}

impl RowScorer for ComparedRows<'_> {
    fn distance(&self, offset: u32) -> Option<f32> {
        Some(-self.comparator.max_sim(self.query, self.store.get(offset)?))
    }

    fn prefetch(&self, _offset: u32) {}
}

/// Builds a graph over the present multivectors of `store` with our own construction. Takes
/// seconds to minutes: call it off the async runtime.
pub fn build(store: &MultiStore, comparator: Comparator, config: &HnswConfig) -> Result<HnswIndex> {
    let params = BuildParams::from_config(config)?;
    let graph = NativeBuilder.build_space(&MultiSpace { store, comparator }, &params)?;
    Ok(HnswIndex::from_graph(
        graph,
        comparator.distance,
        config.ef_construct,
    ))
}

/// Walks `index` (built over `store`) for `query` and returns up to `ef` (at least `top`)
/// `(max_sim similarity, offset)` pairs that `accept` takes, best first as the walk found them;
/// the similarities are the comparator's. `ef` `None` is the index's default.
pub fn search(
    index: &HnswIndex,
    store: &MultiStore,
    comparator: Comparator,
    query: &[f32],
    ef: Option<usize>,
    accept: &dyn Fn(u32) -> bool,
    top: usize,
) -> Vec<(f32, u32)> {
    let ef = ef.unwrap_or(index.default_ef());
    let found = if comparator.bytes {
        let scorer = ComparedRows {
            store,
            query,
            comparator,
        };
        index.walk(&scorer, accept, ef, top)
    } else {
        let walk = Walk {
            index,
            store,
            query,
            ef,
            accept,
            top,
        };
        match comparator.distance {
            Distance::Cosine => walk.run::<NegatedCosine>(),
            Distance::Dot => walk.run::<NegatedDot>(),
            Distance::Euclid => walk.run::<SquaredEuclid>(),
            Distance::Manhattan => walk.run::<L1>(),
        }
    };
    found
        .into_iter()
        .filter_map(|(_, offset)| {
            let row = store.get(offset)?;
            Some((comparator.max_sim(query, row), offset))
        })
        .collect()
}

/// One walk over `f32` rows with the kernel chosen by [`Walk::run`]'s type parameter.
struct Walk<'a> {
    index: &'a HnswIndex,
    store: &'a MultiStore,
    query: &'a [f32],
    ef: usize,
    accept: &'a dyn Fn(u32) -> bool,
    top: usize,
}

impl Walk<'_> {
    fn run<K: WalkKernel>(&self) -> Vec<(f32, u32)> {
        let scorer = MultiRows::<K> {
            store: self.store,
            query: self.query,
            kernel: PhantomData,
        };
        self.index.walk(&scorer, self.accept, self.ef, self.top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vectors::Datatype;

    /// A tiny seeded generator (xorshift), enough for test data.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        }

        fn vectors(&mut self, count: usize, dim: usize) -> Vec<Vec<f32>> {
            (0..count)
                .map(|_| (0..dim).map(|_| self.next()).collect())
                .collect()
        }

        /// `count` sub-vectors, each a random one of `centres` plus noise.
        fn near(&mut self, count: usize, centres: &[Vec<f32>]) -> Vec<Vec<f32>> {
            (0..count)
                .map(|_| {
                    let pick = ((self.next() + 0.5) * centres.len() as f32) as usize;
                    let centre = &centres[pick.min(centres.len() - 1)];
                    centre.iter().map(|c| c + 0.5 * self.next()).collect()
                })
                .collect()
        }
    }

    /// Recall@10 of the graph against the exact `max_sim` ranking over `queries`; the graph's
    /// scores must be the comparator's exactly, and within `bound` (when given).
    fn recall(
        index: &HnswIndex,
        store: &MultiStore,
        comparator: Comparator,
        queries: &[Vec<f32>],
        ef: usize,
        bound: Option<f32>,
    ) -> f64 {
        let (mut hit, mut total) = (0usize, 0usize);
        for query in queries {
            let mut exact: Vec<(f32, u32)> = (0..store.len() as u32)
                .filter_map(|o| Some((comparator.max_sim(query, store.get(o)?), o)))
                .collect();
            exact.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let truth: Vec<u32> = exact.iter().take(10).map(|&(_, o)| o).collect();
            let found = search(index, store, comparator, query, Some(ef), &|_| true, 10);
            for &(similarity, offset) in found.iter().take(10) {
                // Scores are max_sim's exactly, and absent rows never come back.
                let row = store.get(offset).expect("a present row");
                assert_eq!(similarity, comparator.max_sim(query, row));
                assert!(
                    bound.is_none_or(|b| similarity <= b),
                    "{similarity} > {bound:?}"
                );
            }
            hit += found
                .iter()
                .take(10)
                .filter(|(_, o)| truth.contains(o))
                .count();
            total += truth.len();
        }
        hit as f64 / total as f64
    }

    fn config() -> HnswConfig {
        HnswConfig {
            m: 16,
            ef_construct: 100,
            full_scan_threshold: 10_000,
            max_indexing_threads: 1,
            on_disk: None,
            payload_m: None,
        }
    }

    #[test]
    fn graph_search_finds_the_exact_max_sim_neighbours() {
        let (dim, points, queries) = (8, 1500, 30);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let centres = rng.vectors(12, dim);
        for distance in [
            Distance::Dot,
            Distance::Euclid,
            Distance::Manhattan,
            Distance::Cosine,
        ] {
            let mut store = MultiStore::new(dim);
            for i in 0..points {
                // One to four sub-vectors; every 50th point has none.
                match i % 50 {
                    7 => store.push(None),
                    _ => store.push(Some(&rng.near(1 + i % 4, &centres))),
                }
            }
            let comparator = Comparator::new(distance, dim, None);
            let index = build(&store, comparator, &config()).unwrap();
            assert_eq!(index.len(), points);
            let queries: Vec<Vec<f32>> = (0..queries)
                .map(|_| rng.near(2, &centres).concat())
                .collect();
            let recall = recall(&index, &store, comparator, &queries, 128, None);
            assert!(recall >= 0.95, "{distance:?}: recall {recall}");
        }
    }

    #[test]
    fn uint8_multivectors_are_compared_as_bytes() {
        // Whole numbers 0..=255, not normalised: Cosine is the true cosine of the bytes, which
        // a plain dot product of the rows would rank differently.
        let (dim, points) = (6, 800);
        let mut rng = Rng(99);
        let mut byte = || ((rng.next() + 0.5) * 255.0).floor();
        let mut store = MultiStore::new(dim);
        let mut rows = Vec::new();
        for _ in 0..points {
            let row: Vec<Vec<f32>> = (0..2).map(|_| (0..dim).map(|_| byte()).collect()).collect();
            store.push(Some(&row));
            rows.push(row);
        }
        let comparator = Comparator::new(Distance::Cosine, dim, Some(Datatype::Uint8));
        assert!(comparator.bytes);
        let index = build(&store, comparator, &config()).unwrap();
        let queries: Vec<Vec<f32>> = rows.iter().step_by(40).map(|r| r.concat()).collect();
        // A cosine of bytes never exceeds 1 per query sub-vector (two here); a dot product would.
        let recall = recall(&index, &store, comparator, &queries, 64, Some(2.0 + 1e-4));
        assert!(recall >= 0.95, "uint8 Cosine: recall {recall}");
    }

    #[test]
    fn the_filter_applies_during_the_walk() {
        let dim = 4;
        let mut rng = Rng(7);
        let mut store = MultiStore::new(dim);
        for _ in 0..400 {
            store.push(Some(&rng.vectors(2, dim)));
        }
        let comparator = Comparator::new(Distance::Dot, dim, None);
        let index = build(&store, comparator, &config()).unwrap();
        let query = rng.vectors(1, dim).concat();
        let found = search(
            &index,
            &store,
            comparator,
            &query,
            None,
            &|o| o % 3 == 0,
            10,
        );
        assert!(found.len() >= 10);
        assert!(found.iter().all(|(_, o)| o % 3 == 0));
    }
}
