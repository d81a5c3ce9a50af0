//! HNSW graphs over multivectors: the graph is built and walked with `max_sim` as the distance.
//!
//! A multivector row is its sub-vectors end to end, in the store's element type
//! ([`MultiRows`]). Construction sees rows through [`MultiSpace`] (a [`BuildSpace`]): the
//! distance from row `a` to row `b` is `-max_sim(a, b)`, `a` in the query's role — `max_sim` is
//! not symmetric, and the construction only ever measures from the node being inserted or
//! pruned, as a search measures from the query. Searches walk the graph with [`MaxSimRows`] (a
//! [`RowScorer`] generic over the element type and the kernel of the distance, like
//! [`crate::index::hnsw::DenseRows`]); both are chosen once per build or search by
//! [`MultiStore::visit`]. A walk's distance is `-max_sim` computed by the very function the
//! exact scan uses ([`MultiStore::max_sims`]), so graph results and the exact scan of later
//! offsets score alike to the bit without rescoring. uint8 rows (not normalised) are compared
//! as bytes, Cosine being their true cosine.
//!
//! [`MultiSpace`] stays apart from [`crate::index::hnsw::DenseSpace`]: its rows are variable
//! length, its distance needs the sub-vector dimension, it prefetches whole rows (a walk reads
//! every sub-vector) and guards against NaN sums; what the two share is three lines.

use std::marker::PhantomData;

use crate::error::Result;
use crate::index::distance::{L1, NegatedCosine, NegatedDot, SquaredEuclid, WalkKernel};
use crate::index::element::Element;
use crate::index::hnsw::{
    BuildParams, BuildSpace, Extended, HnswIndex, NativeBuilder, RowScorer, prefetch,
};
use crate::index::multi::{MultiRows, MultiStore, MultiVisitor, TypedMultiRows, max_sim};
use crate::model::collection::HnswConfig;
use crate::model::vectors::Distance;

/// The rows of a [`MultiStore`] in element type `T`, as HNSW construction sees them.
#[derive(Clone, Copy, Debug)]
pub struct MultiSpace<'a, T> {
    pub rows: MultiRows<'a, T>,
    pub distance: Distance,
}

impl<T: Element> BuildSpace for MultiSpace<'_, T> {
    type Row<'r>
        = &'r [T]
    where
        Self: 'r;

    fn offsets(&self) -> usize {
        self.rows.len()
    }

    #[inline]
    fn row(&self, offset: u32) -> Option<&[T]> {
        self.rows.get(offset)
    }

    #[inline]
    fn distance(&self, from: &[T], to: &[T]) -> f32 {
        let similarity = max_sim(self.distance, self.rows.dim(), from, to);
        // A NaN (from a NaN component) would corrupt the neighbour order: rank it last.
        if similarity.is_nan() {
            f32::INFINITY
        } else {
            -similarity
        }
    }

    #[inline]
    fn prefetch(&self, row: &[T]) {
        prefetch(row);
    }
}

/// Scores multivector rows of element type `T` for one query (converted to `T`), with the
/// kernel `K`: both chosen once per search.
pub struct MaxSimRows<'a, T, K> {
    rows: MultiRows<'a, T>,
    /// The query's sub-vectors end to end, preprocessed for the distance.
    query: &'a [T],
    kernel: PhantomData<K>,
}

impl<T: Element, K: WalkKernel> RowScorer for MaxSimRows<'_, T, K> {
    #[inline]
    fn distance(&self, offset: u32) -> Option<f32> {
        let row = self.rows.get(offset)?;
        Some(-crate::index::multi::max_sim_with::<K, T>(
            self.rows.dim(),
            self.query,
            row,
        ))
    }

    #[inline]
    fn prefetch(&self, offset: u32) {
        if let Some(row) = self.rows.get(offset) {
            prefetch(row);
        }
    }
}

/// Builds a graph over the present multivectors of `store`, compared by `max_sim` with
/// `distance`, with our own construction. Takes seconds to minutes: call it off the async
/// runtime.
pub fn build(store: &MultiStore, distance: Distance, config: &HnswConfig) -> Result<HnswIndex> {
    let params = BuildParams::from_config(config)?;
    let builder = NativeBuilder;
    let graph = match store.rows() {
        TypedMultiRows::F32(rows) => builder.build_space(&MultiSpace { rows, distance }, &params),
        TypedMultiRows::F16(rows) => builder.build_space(&MultiSpace { rows, distance }, &params),
        TypedMultiRows::U8(rows) => builder.build_space(&MultiSpace { rows, distance }, &params),
    }?;
    Ok(HnswIndex::from_graph(graph, distance, config.ef_construct))
}

/// A graph over every present multivector of `store`: those past `base` (offsets
/// `base.len()..`) inserted into a copy of its links ([`NativeBuilder::extend_space`], which
/// says when it had to build from scratch instead). `base` must have been built over the same
/// store with the same `m`.
pub fn extend(
    store: &MultiStore,
    base: &HnswIndex,
    config: &HnswConfig,
) -> Result<Extended<HnswIndex>> {
    let params = BuildParams::from_config(config)?;
    let (builder, distance, graph) = (NativeBuilder, base.distance(), base.graph());
    let extended = match store.rows() {
        TypedMultiRows::F32(rows) => {
            builder.extend_space(&MultiSpace { rows, distance }, &params, graph)
        }
        TypedMultiRows::F16(rows) => {
            builder.extend_space(&MultiSpace { rows, distance }, &params, graph)
        }
        TypedMultiRows::U8(rows) => {
            builder.extend_space(&MultiSpace { rows, distance }, &params, graph)
        }
    }?;
    Ok(extended.map(|graph| HnswIndex::from_graph(graph, distance, config.ef_construct)))
}

/// Walks `index` (built over `store`) for `query` (sub-vectors end to end, preprocessed and
/// rounded for the vector) and returns up to `ef` (at least `top`) `(max_sim similarity,
/// offset)` pairs that `accept` takes, best first as the walk found them. The similarities are
/// bit for bit those of [`MultiStore::max_sims`]. `ef` `None` is the index's default.
pub fn search(
    index: &HnswIndex,
    store: &MultiStore,
    distance: Distance,
    query: &[f32],
    ef: Option<usize>,
    accept: &dyn Fn(u32) -> bool,
    top: usize,
) -> Vec<(f32, u32)> {
    let walk = Walk {
        index,
        distance,
        ef: ef.unwrap_or(index.default_ef()),
        accept,
        top,
    };
    store
        .visit(query, walk)
        .into_iter()
        .map(|(walk_distance, offset)| (-walk_distance, offset))
        .collect()
}

/// One walk, monomorphised per element type by [`MultiStore::visit`] and per kernel by
/// [`Walk::run`].
struct Walk<'a> {
    index: &'a HnswIndex,
    distance: Distance,
    ef: usize,
    accept: &'a dyn Fn(u32) -> bool,
    top: usize,
}

impl MultiVisitor for Walk<'_> {
    type Output = Vec<(f32, u32)>;

    fn visit<T: Element>(self, rows: MultiRows<'_, T>, query: &[T]) -> Vec<(f32, u32)> {
        match self.distance {
            Distance::Cosine => self.run::<T, NegatedCosine>(rows, query),
            Distance::Dot => self.run::<T, NegatedDot>(rows, query),
            Distance::Euclid => self.run::<T, SquaredEuclid>(rows, query),
            Distance::Manhattan => self.run::<T, L1>(rows, query),
        }
    }
}

impl Walk<'_> {
    fn run<T: Element, K: WalkKernel>(
        &self,
        rows: MultiRows<'_, T>,
        query: &[T],
    ) -> Vec<(f32, u32)> {
        let scorer = MaxSimRows::<T, K> {
            rows,
            query,
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
    /// scores must be the exact scan's to the bit, and within `bound` (when given).
    fn recall(
        index: &HnswIndex,
        store: &MultiStore,
        distance: Distance,
        queries: &[Vec<f32>],
        ef: usize,
        bound: Option<f32>,
    ) -> f64 {
        let (mut hit, mut total) = (0usize, 0usize);
        for query in queries {
            let mut exact: Vec<(f32, u32)> = store
                .max_sims(distance, query, 0..store.len() as u32)
                .into_iter()
                .map(|(o, s)| (s, o))
                .collect();
            exact.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let truth: Vec<u32> = exact.iter().take(10).map(|&(_, o)| o).collect();
            let found = search(index, store, distance, query, Some(ef), &|_| true, 10);
            for &(similarity, offset) in found.iter().take(10) {
                // Scores are max_sim's exactly, and absent rows never come back.
                let exact = store
                    .max_sim(distance, query, offset)
                    .expect("a present row");
                assert_eq!(similarity.to_bits(), exact.to_bits());
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
            let index = build(&store, distance, &config()).unwrap();
            assert_eq!(index.len(), points);
            let queries: Vec<Vec<f32>> = (0..queries)
                .map(|_| rng.near(2, &centres).concat())
                .collect();
            let recall = recall(&index, &store, distance, &queries, 128, None);
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
        let mut store = MultiStore::with_datatype(dim, Datatype::Uint8);
        let mut rows = Vec::new();
        for _ in 0..points {
            let row: Vec<Vec<f32>> = (0..2).map(|_| (0..dim).map(|_| byte()).collect()).collect();
            store.push(Some(&row));
            rows.push(row);
        }
        assert_eq!(store.memory_bytes(), points * 2 * dim);
        let index = build(&store, Distance::Cosine, &config()).unwrap();
        let queries: Vec<Vec<f32>> = rows.iter().step_by(40).map(|r| r.concat()).collect();
        // A cosine of bytes never exceeds 1 per query sub-vector (two here); a dot product would.
        let recall = recall(
            &index,
            &store,
            Distance::Cosine,
            &queries,
            64,
            Some(2.0 + 1e-4),
        );
        assert!(recall >= 0.95, "uint8 Cosine: recall {recall}");
    }

    #[test]
    fn float16_multivectors_are_built_and_walked_over_half_rows() {
        // Cosine rows normalised then rounded, as writes store them.
        let (dim, points, queries) = (8, 1200, 30);
        let mut rng = Rng(0x51_7cc1_b727_220a);
        let centres = rng.vectors(10, dim);
        let half = |m: Vec<Vec<f32>>| -> Vec<Vec<f32>> {
            m.into_iter()
                .map(|mut v| {
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    v.iter_mut().for_each(|x| *x /= norm);
                    crate::index::element::round_to(Datatype::Float16, &mut v).unwrap();
                    v
                })
                .collect()
        };
        let mut store = MultiStore::with_datatype(dim, Datatype::Float16);
        for i in 0..points {
            store.push(Some(&half(rng.near(1 + i % 3, &centres))));
        }
        assert_eq!(store.memory_bytes(), store.floats() * 2);
        let index = build(&store, Distance::Cosine, &config()).unwrap();
        let queries: Vec<Vec<f32>> = (0..queries)
            .map(|_| half(rng.near(2, &centres)).concat())
            .collect();
        let recall = recall(&index, &store, Distance::Cosine, &queries, 128, None);
        assert!(recall >= 0.95, "float16 Cosine: recall {recall}");
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
        let found = search(
            &index,
            &store,
            Distance::Dot,
            &query,
            None,
            &|o| o % 3 == 0,
            10,
        );
        assert!(found.len() >= 10);
        assert!(found.iter().all(|(_, o)| o % 3 == 0));
    }
}
