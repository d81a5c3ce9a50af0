//! HNSW graphs over multivectors: the graph is built and walked with `max_sim` as the distance.
//!
//! A multivector row is its sub-vectors end to end ([`MultiStore::get`]). Construction sees
//! rows through [`MultiSpace`] (a [`BuildSpace`]): the distance from row `a` to row `b` is
//! `-max_sim(a, b)`, `a` in the query's role — `max_sim` is not symmetric, and the construction
//! only ever measures from the node being inserted or pruned, as a search measures from the
//! query. Searches walk the graph with [`MultiRows`] (a [`RowScorer`], generic over the kernel
//! of the distance like [`crate::index::hnsw::DenseRows`]) and rescore what the walk found with
//! [`multi::max_sim`], so that graph results and the exact scan of later offsets score alike to
//! the bit.

use std::marker::PhantomData;

use crate::error::Result;
use crate::index::distance::{L1, NegatedDot, SquaredEuclid, WalkKernel};
use crate::index::hnsw::{BuildParams, BuildSpace, HnswIndex, NativeBuilder, RowScorer, prefetch};
use crate::index::multi::{self, MultiStore};
use crate::model::collection::HnswConfig;
use crate::model::vectors::Distance;

/// `max_sim` of `query` against `row` (both sub-vectors end to end, `dim` floats each) with
/// the kernel `K`: the sum over query sub-vectors of the best `-K::distance`, which equals
/// [`multi::max_sim`] for `K`'s distance.
#[inline]
fn max_sim_with<K: WalkKernel>(dim: usize, query: &[f32], row: &[f32]) -> f32 {
    query
        .chunks_exact(dim)
        .map(|q| {
            row.chunks_exact(dim)
                .map(|r| -K::distance(q, r))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum()
}

/// The rows of a [`MultiStore`] as HNSW construction sees them.
#[derive(Clone, Copy, Debug)]
pub struct MultiSpace<'a> {
    pub store: &'a MultiStore,
    pub distance: Distance,
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
        let similarity = multi::max_sim(self.distance, self.store.dim(), from, to);
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
        Some(-max_sim_with::<K>(self.store.dim(), self.query, row))
    }

    #[inline]
    fn prefetch(&self, offset: u32) {
        if let Some(row) = self.store.get(offset) {
            prefetch(row);
        }
    }
}

/// Builds a graph over the present multivectors of `store` with our own construction. Takes
/// seconds to minutes: call it off the async runtime.
pub fn build(store: &MultiStore, distance: Distance, config: &HnswConfig) -> Result<HnswIndex> {
    let params = BuildParams::from_config(config)?;
    let graph = NativeBuilder.build_space(&MultiSpace { store, distance }, &params)?;
    Ok(HnswIndex::from_graph(graph, distance, config.ef_construct))
}

/// Walks `index` (built over `store`) for `query` and returns up to `ef` (at least `top`)
/// `(max_sim similarity, offset)` pairs that `accept` takes, best first as the walk found them;
/// the similarities are [`multi::max_sim`]'s. `ef` `None` is the index's default.
pub fn search(
    index: &HnswIndex,
    store: &MultiStore,
    query: &[f32],
    ef: Option<usize>,
    accept: &dyn Fn(u32) -> bool,
    top: usize,
) -> Vec<(f32, u32)> {
    let ef = ef.unwrap_or(index.default_ef());
    let found = match index.distance() {
        Distance::Cosine | Distance::Dot => {
            walk::<NegatedDot>(index, store, query, ef, accept, top)
        }
        Distance::Euclid => walk::<SquaredEuclid>(index, store, query, ef, accept, top),
        Distance::Manhattan => walk::<L1>(index, store, query, ef, accept, top),
    };
    let (distance, dim) = (index.distance(), store.dim());
    found
        .into_iter()
        .filter_map(|(_, offset)| {
            let row = store.get(offset)?;
            Some((multi::max_sim(distance, dim, query, row), offset))
        })
        .collect()
}

fn walk<K: WalkKernel>(
    index: &HnswIndex,
    store: &MultiStore,
    query: &[f32],
    ef: usize,
    accept: &dyn Fn(u32) -> bool,
    top: usize,
) -> Vec<(f32, u32)> {
    let scorer = MultiRows::<K> {
        store,
        query,
        kernel: PhantomData,
    };
    index.walk(&scorer, accept, ef, top)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let index = build(&store, distance, &config()).unwrap();
            assert_eq!(index.len(), points);
            let (mut hit, mut total) = (0usize, 0usize);
            for _ in 0..queries {
                let query = rng.near(2, &centres).concat();
                let mut exact: Vec<(f32, u32)> = (0..points as u32)
                    .filter_map(|o| Some((multi::max_sim(distance, dim, &query, store.get(o)?), o)))
                    .collect();
                exact.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let truth: Vec<u32> = exact.iter().take(10).map(|&(_, o)| o).collect();
                let found = search(&index, &store, &query, Some(128), &|_| true, 10);
                for &(similarity, offset) in found.iter().take(10) {
                    // Scores are max_sim's exactly, and absent rows never come back.
                    let row = store.get(offset).expect("a present row");
                    assert_eq!(similarity, multi::max_sim(distance, dim, &query, row));
                }
                hit += found
                    .iter()
                    .take(10)
                    .filter(|(_, o)| truth.contains(o))
                    .count();
                total += truth.len();
            }
            let recall = hit as f64 / total as f64;
            assert!(recall >= 0.95, "{distance:?}: recall {recall}");
        }
    }

    #[test]
    fn the_filter_applies_during_the_walk() {
        let dim = 4;
        let mut rng = Rng(7);
        let mut store = MultiStore::new(dim);
        for _ in 0..400 {
            store.push(Some(&rng.vectors(2, dim)));
        }
        let index = build(&store, Distance::Dot, &config()).unwrap();
        let query = rng.vectors(1, dim).concat();
        let found = search(&index, &store, &query, None, &|o| o % 3 == 0, 10);
        assert!(found.len() >= 10);
        assert!(found.iter().all(|(_, o)| o % 3 == 0));
    }
}
