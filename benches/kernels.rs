//! Micro-benchmarks of the search hot path: the distance kernels behind
//! `quiver::index::distance::score`, and the exact scan behind `VectorIndex`.
//!
//! Each kernel is measured next to a plain scalar Rust loop computing the same score, in the same
//! run, so the gain of the SIMD kernels shows up as a ratio rather than as a number to compare
//! against an old run on a different machine. After criterion's own report, a summary table
//! prints both medians and the ratio per distance and dimension.
//!
//! Run with `cargo bench --bench kernels` (about a minute). Data comes from fixed seeds.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use quiver::index::distance::{preprocess, score};
use quiver::index::exact::ExactScan;
use quiver::index::vector_store::VectorStore;
use quiver::index::{SearchRequest, VectorIndex};
use quiver::model::PointId;
use quiver::model::vectors::Distance;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DIMS: [usize; 4] = [128, 384, 768, 1536];
const DISTANCES: [Distance; 4] = [
    Distance::Cosine,
    Distance::Dot,
    Distance::Euclid,
    Distance::Manhattan,
];
const SCAN_POINTS: usize = 10_000;
const SCAN_DIM: usize = 128;
const SCAN_TOP: usize = 10;

fn random_vector(rng: &mut StdRng, dim: usize) -> Vec<f32> {
    (0..dim).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

/// The score a naive implementation would compute: one accumulator, iterator order. A strict
/// in-order `f32` sum cannot be reordered by the compiler, so this is the non-SIMD baseline.
fn scalar_score(distance: Distance, a: &[f32], b: &[f32]) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => a.iter().zip(b).map(|(x, y)| x * y).sum(),
        Distance::Euclid => a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f32>()
            .sqrt(),
        Distance::Manhattan => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum(),
    }
}

fn distance_name(distance: Distance) -> &'static str {
    match distance {
        Distance::Cosine => "cosine",
        Distance::Dot => "dot",
        Distance::Euclid => "euclid",
        Distance::Manhattan => "manhattan",
    }
}

fn bench_kernels(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0x5155_4956);
    for distance in DISTANCES {
        let mut group = c.benchmark_group(distance_name(distance));
        for dim in DIMS {
            let mut a = random_vector(&mut rng, dim);
            let mut b = random_vector(&mut rng, dim);
            preprocess(distance, &mut a);
            preprocess(distance, &mut b);
            // Both vectors are read once per call: criterion reports that as GB/s.
            group.throughput(Throughput::Bytes((2 * dim * size_of::<f32>()) as u64));
            group.bench_with_input(BenchmarkId::new("score", dim), &dim, |bench, _| {
                bench.iter(|| score(black_box(distance), black_box(&a), black_box(&b)))
            });
            group.bench_with_input(BenchmarkId::new("scalar", dim), &dim, |bench, _| {
                bench.iter(|| scalar_score(black_box(distance), black_box(&a), black_box(&b)))
            });
        }
        group.finish();
    }
}

fn bench_exact_scan(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0x4558_4143);
    let mut store = VectorStore::new(SCAN_DIM);
    for _ in 0..SCAN_POINTS {
        let mut v = random_vector(&mut rng, SCAN_DIM);
        preprocess(Distance::Cosine, &mut v);
        store.push(Some(&v));
    }
    let mut query = random_vector(&mut rng, SCAN_DIM);
    preprocess(Distance::Cosine, &mut query);
    let scan = ExactScan { store: &store };

    let mut group = c.benchmark_group("exact_scan_10k_x128_top10");
    let predicates: [(&str, &dyn Fn(u32) -> bool); 2] =
        [("accept_all", &|_| true), ("every_10th", &|o| o % 10 == 0)];
    for (name, accept) in predicates {
        group.bench_function(name, |bench| {
            bench.iter(|| {
                let request = SearchRequest {
                    query: black_box(&query),
                    distance: Distance::Cosine,
                    top: SCAN_TOP,
                    accept,
                    score_threshold: None,
                    tie_key: &|o| PointId::Num(o as u64),
                };
                let found = scan.search(&request);
                assert_eq!(found.len(), SCAN_TOP);
                found
            })
        });
    }
    group.finish();
}

/// Where criterion writes its results, resolved as criterion does (minus its `cargo metadata`
/// fallback, which a `cargo bench` run never needs).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The median in nanoseconds of one benchmark, if it ran in this process (a filtered run leaves
/// older results on disk; those are not this run's figures).
fn median_ns(id: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir().join(id).join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

fn print_summary(since: SystemTime) {
    println!(
        "\nkernel medians, ns per call and GB/s read (score = quiver::index::distance::score)"
    );
    println!(
        "{:<10} {:>5} {:>10} {:>10} {:>8} {:>9} {:>9}",
        "distance", "dim", "score", "scalar", "speedup", "score GB/s", "scalar GB/s"
    );
    for distance in DISTANCES {
        let name = distance_name(distance);
        for dim in DIMS {
            let (Some(fast), Some(slow)) = (
                median_ns(&format!("{name}/score/{dim}"), since),
                median_ns(&format!("{name}/scalar/{dim}"), since),
            ) else {
                continue;
            };
            // Bytes per call over nanoseconds per call is GB/s.
            let bytes = (2 * dim * size_of::<f32>()) as f64;
            let line = format!(
                "{name:<10} {dim:>5} {fast:>10.2} {slow:>10.2} {:>7.1}x {:>10.1} {:>10.1}",
                slow / fast,
                bytes / fast,
                bytes / slow
            );
            println!("{line}");
        }
    }
    for name in ["accept_all", "every_10th"] {
        if let Some(ns) = median_ns(&format!("exact_scan_10k_x128_top10/{name}"), since) {
            println!(
                "exact scan 10k x 128, top 10, {name:<10}: {:>8.1} µs",
                ns / 1e3
            );
        }
    }
}

fn main() {
    let started = SystemTime::now();
    // Short windows: these kernels take nanoseconds and the scan well under a millisecond, so a
    // second per benchmark is plenty, and the whole file stays near a minute on a shared machine.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .without_plots()
        .configure_from_args();
    bench_kernels(&mut criterion);
    bench_exact_scan(&mut criterion);
    criterion.final_summary();
    print_summary(started);
}
