//! Issue 5's benchmark dataset, shared by `benches/hnsw.rs` and `benches/load.rs` (each includes
//! this file with `#[path]`), so that both measure the very same points, queries and truth.
//!
//! Seeded: 100 Gaussian centres in 128 dimensions; each point is a centre plus a 32-dimensional
//! standard normal latent times a fixed random 32×128 basis / √32, times 3, plus isotropic noise
//! σ 0.3; rows normalised (Cosine). Queries are drawn the same way, after the points, from the
//! same generator; the truth is the exact top 10 by brute force ([`ExactScan`]).

// Each bench uses part of this file.
#![allow(dead_code)]

use quiver::index::distance::preprocess;
use quiver::index::exact::ExactScan;
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
    let request = SearchRequest {
        query,
        distance: Distance::Cosine,
        top,
        accept,
        score_threshold: None,
        tie_key: &|o| PointId::Num(o as u64),
    };
    ExactScan { store }
        .search(&request)
        .iter()
        .map(|s| s.offset)
        .collect()
}
