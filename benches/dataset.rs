//! Issue 5's benchmark dataset, shared by `benches/hnsw.rs`, `benches/quantization.rs` and
//! `benches/load.rs` (each includes this file with `#[path]`), so that all measure the very same
//! points, queries and truth; and the timed set-up the graph benches share (truth, graph build).
//!
//! Seeded: 100 Gaussian centres in 128 dimensions; each point is a centre plus a 32-dimensional
//! standard normal latent times a fixed random 32×128 basis / √32, times 3, plus isotropic noise
//! σ 0.3; rows normalised (Cosine). Queries are drawn the same way, after the points, from the
//! same generator; the truth is the exact top 10 by brute force ([`ExactScan`]).

// Each bench uses part of this file.
#![allow(dead_code)]

use quiver::index::distance::preprocess;
use std::time::Instant;

use quiver::index::exact::ExactScan;
use quiver::index::hnsw::{BuildParams, GraphBuilder, HnswIndex, NativeBuilder};
use quiver::index::vector_store::VectorStore;
use quiver::index::{SearchRequest, VectorIndex};
use quiver::model::PointId;
use quiver::model::vectors::Distance;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const DIM: usize = 128;
const LATENT: usize = 32;
const CENTRES: usize = 100;
const SEED: u64 = 0x4953_5355_4535;

fn normal(rng: &mut StdRng) -> f32 {
    let u: f32 = 1.0 - rng.r#gen::<f32>();
    let v: f32 = rng.r#gen();
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}

struct Generator {
    centres: Vec<Vec<f32>>,
    basis: Vec<Vec<f32>>,
}

impl Generator {
    fn new(rng: &mut StdRng) -> Self {
        let gaussian_rows = |rng: &mut StdRng, n: usize| -> Vec<Vec<f32>> {
            (0..n)
                .map(|_| (0..DIM).map(|_| normal(rng)).collect())
                .collect()
        };
        Generator {
            centres: gaussian_rows(rng, CENTRES),
            basis: gaussian_rows(rng, LATENT),
        }
    }

    fn draw(&self, rng: &mut StdRng) -> Vec<f32> {
        let mut v = self.centres[rng.gen_range(0..CENTRES)].clone();
        let scale = 3.0 / (LATENT as f32).sqrt();
        for row in &self.basis {
            let z = normal(rng) * scale;
            v.iter_mut().zip(row).for_each(|(x, b)| *x += z * b);
        }
        v.iter_mut().for_each(|x| *x += 0.3 * normal(rng));
        preprocess(Distance::Cosine, &mut v);
        v
    }
}

/// The points (offset = row number) and the queries.
pub struct Dataset {
    pub store: VectorStore,
    pub queries: Vec<Vec<f32>>,
}

/// `points` rows and `queries` queries, always the same for the same counts (and the first
/// `points` rows are the same whatever `queries` is).
pub fn generate(points: usize, queries: usize) -> Dataset {
    let mut rng = StdRng::seed_from_u64(SEED);
    let generator = Generator::new(&mut rng);
    let mut store = VectorStore::new(DIM);
    for _ in 0..points {
        store.push(Some(&generator.draw(&mut rng)));
    }
    let queries = (0..queries).map(|_| generator.draw(&mut rng)).collect();
    Dataset { store, queries }
}

/// The exact top `top` offsets for `query` among the rows `accept` admits, best first (ties by
/// offset, as the engine breaks them by point id when ids equal offsets).
pub fn exact_top(
    store: &VectorStore,
    query: &[f32],
    top: usize,
    accept: &dyn Fn(u32) -> bool,
) -> Vec<u32> {
    ExactScan { store }
        .search(&request(query, top, accept))
        .iter()
        .map(|s| s.offset)
        .collect()
}

/// A Cosine search for the best `top` among the rows `accept` admits, ties broken by offset.
pub fn request<'a>(
    query: &'a [f32],
    top: usize,
    accept: &'a dyn Fn(u32) -> bool,
) -> SearchRequest<'a> {
    SearchRequest {
        query,
        distance: Distance::Cosine,
        top,
        accept,
        score_threshold: None,
        tie_key: &|o| PointId::Num(o as u64),
    }
}

/// [`generate`]'s dataset and each query's exact top `top` offsets; prints the sizes and how
/// long the truth took.
pub fn generate_with_truth(points: usize, queries: usize, top: usize) -> (Dataset, Vec<Vec<u32>>) {
    let dataset = generate(points, queries);
    let started = Instant::now();
    let truth: Vec<Vec<u32>> = dataset
        .queries
        .iter()
        .map(|q| exact_top(&dataset.store, q, top, &|_| true))
        .collect();
    println!(
        "dataset {points} x {DIM}, {queries} queries; exact top-{top} truth in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (dataset, truth)
}

/// A count from the environment variable `name`, if it is set to one.
pub fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Threads for graph builds: `QUIVER_BENCH_THREADS`, default every core.
pub fn build_threads() -> usize {
    env_usize("QUIVER_BENCH_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Builds our own graph (`NativeBuilder`, Cosine) over `store` with `params`; prints how long it
/// took, its layers and its size, and returns it as an index with the build's seconds.
pub fn build_native(store: &VectorStore, params: &BuildParams) -> (HnswIndex, f64) {
    let started = Instant::now();
    let graph = NativeBuilder
        .build(store, Distance::Cosine, params)
        .expect("valid parameters");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "native build (m {}, ef_construct {}, {} threads): {secs:.2} s; {} layers, {:.1} MiB",
        params.m,
        params.ef_construct,
        params.threads,
        graph.max_layer() + 1,
        graph.memory_bytes() as f64 / (1 << 20) as f64
    );
    let index = HnswIndex::from_graph(graph, Distance::Cosine, params.ef_construct);
    (index, secs)
}
