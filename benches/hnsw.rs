//! HNSW build and search on the dataset of issue 5, measured side by side in one run:
//! our flat layout with our own search loop (`quiver::index::hnsw::HnswSearch`), `hnsw_rs`'s own
//! `search` on the very same graph, and the exact scan.
//!
//! The dataset (seeded): 100 Gaussian centres in 128 dimensions; each point is a centre plus a
//! 32-dimensional standard normal latent times a fixed random 32×128 basis / √32, times 3, plus
//! isotropic noise σ 0.3; rows normalised (Cosine). Queries are drawn the same way; the truth is
//! the exact top 10 by brute force.
//!
//! Prints the build time (hnsw_rs construction on all cores, then the export into our layout),
//! then criterion's per-query latency (one query per call, single-threaded, cycling through the
//! queries), then a summary of recall@10 and QPS per method at ef 64 and 128.
//!
//! Run with `cargo bench --bench hnsw` (about four minutes on 2 cores with the default 100,000
//! points; `QUIVER_BENCH_POINTS=20000` for a quicker look).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use quiver::index::distance::preprocess;
use quiver::index::exact::ExactScan;
use quiver::index::hnsw::{BuildParams, HnswIndex, HnswRs, HnswSearch, build_hnsw_rs, export};
use quiver::index::vector_store::VectorStore;
use quiver::index::{SearchRequest, VectorIndex};
use quiver::model::PointId;
use quiver::model::vectors::Distance;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DIM: usize = 128;
const LATENT: usize = 32;
const CENTRES: usize = 100;
const QUERIES: usize = 1000;
const TOP: usize = 10;
const EFS: [usize; 2] = [64, 128];
const M: usize = 16;
const EF_CONSTRUCT: usize = 100;
const GROUP: &str = "hnsw_search_top10";

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

fn request<'a>(query: &'a [f32]) -> SearchRequest<'a> {
    SearchRequest {
        query,
        distance: Distance::Cosine,
        top: TOP,
        accept: &|_| true,
        score_threshold: None,
        tie_key: &|o| PointId::Num(o as u64),
    }
}

/// The methods compared, by criterion id and how each answers one query.
#[derive(Clone, Copy)]
enum Method {
    Quiver(usize),
    HnswRs(usize),
    Exact,
}

impl Method {
    fn id(self) -> String {
        match self {
            Method::Quiver(ef) => format!("quiver_layout_ef{ef}"),
            Method::HnswRs(ef) => format!("hnsw_rs_search_ef{ef}"),
            Method::Exact => "exact_scan".into(),
        }
    }
}

struct Fixture {
    store: VectorStore,
    queries: Vec<Vec<f32>>,
    truth: Vec<Vec<u32>>,
    hnsw_rs: HnswRs,
    index: HnswIndex,
}

impl Fixture {
    fn answer(&self, method: Method, query: &[f32]) -> Vec<u32> {
        match method {
            Method::Quiver(ef) => HnswSearch {
                index: &self.index,
                store: &self.store,
                ef: Some(ef),
            }
            .search(&request(query))
            .iter()
            .map(|s| s.offset)
            .collect(),
            Method::HnswRs(ef) => self
                .hnsw_rs
                .search(query, TOP, ef)
                .iter()
                .map(|n| n.d_id as u32)
                .collect(),
            Method::Exact => ExactScan { store: &self.store }
                .search(&request(query))
                .iter()
                .map(|s| s.offset)
                .collect(),
        }
    }

    fn recall(&self, method: Method) -> f64 {
        let hits: usize = self
            .queries
            .iter()
            .zip(&self.truth)
            .map(|(q, truth)| {
                let found = self.answer(method, q);
                found.iter().filter(|o| truth.contains(o)).count()
            })
            .sum();
        hits as f64 / (self.queries.len() * TOP) as f64
    }
}

fn points() -> usize {
    std::env::var("QUIVER_BENCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn setup() -> Fixture {
    let n = points();
    let mut rng = StdRng::seed_from_u64(0x4953_5355_4535);
    let generator = Generator::new(&mut rng);
    let mut store = VectorStore::new(DIM);
    for _ in 0..n {
        store.push(Some(&generator.draw(&mut rng)));
    }
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| generator.draw(&mut rng)).collect();

    let started = Instant::now();
    let truth: Vec<Vec<u32>> = queries
        .iter()
        .map(|q| {
            ExactScan { store: &store }
                .search(&request(q))
                .iter()
                .map(|s| s.offset)
                .collect()
        })
        .collect();
    let truth_time = started.elapsed();

    let params = BuildParams {
        m: M,
        ef_construct: EF_CONSTRUCT,
        threads: 0,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let hnsw_rs = build_hnsw_rs(&store, Distance::Cosine, &params).expect("valid parameters");
    let build_time = started.elapsed();
    let started = Instant::now();
    let graph = export(&hnsw_rs, store.len());
    let export_time = started.elapsed();
    println!(
        "dataset {n} x {DIM}, {QUERIES} queries; exact top-{TOP} truth in {:.1} s",
        truth_time.as_secs_f64()
    );
    println!(
        "hnsw_rs build (m {M}, ef_construct {EF_CONSTRUCT}, {threads} threads): {:.2} s; \
         export to our layout: {:.3} s; layout {} layers, {:.1} MiB",
        build_time.as_secs_f64(),
        export_time.as_secs_f64(),
        graph.max_layer() + 1,
        graph.memory_bytes() as f64 / (1 << 20) as f64
    );
    let index = HnswIndex::from_graph(graph, Distance::Cosine, EF_CONSTRUCT);
    Fixture {
        store,
        queries,
        truth,
        hnsw_rs,
        index,
    }
}

fn methods() -> Vec<Method> {
    let mut all = Vec::new();
    for ef in EFS {
        all.push(Method::Quiver(ef));
        all.push(Method::HnswRs(ef));
    }
    all.push(Method::Exact);
    all
}

fn bench_search(c: &mut Criterion, fixture: &Fixture) {
    let mut group = c.benchmark_group(GROUP);
    for method in methods() {
        group.bench_function(method.id(), |bench| {
            let mut next = 0;
            bench.iter(|| {
                let query = &fixture.queries[next % fixture.queries.len()];
                next += 1;
                fixture.answer(method, black_box(query))
            })
        });
    }
    group.finish();
}

/// Where criterion writes its results (as in benches/kernels.rs).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// The median in nanoseconds of one benchmark, if it ran in this process.
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

fn print_summary(fixture: &Fixture, since: SystemTime) {
    println!("\nrecall@{TOP} over {QUERIES} queries, QPS = 1 / median latency (one thread)");
    println!(
        "{:<22} {:>9} {:>10} {:>14}",
        "method", "recall", "QPS", "vs hnsw_rs"
    );
    for method in methods() {
        let recall = fixture.recall(method);
        let qps = median_ns(&format!("{GROUP}/{}", method.id()), since).map(|ns| 1e9 / ns);
        let baseline = match method {
            Method::Quiver(ef) | Method::HnswRs(ef) => {
                median_ns(&format!("{GROUP}/{}", Method::HnswRs(ef).id()), since).map(|ns| 1e9 / ns)
            }
            Method::Exact => None,
        };
        let qps_text = qps.map_or("-".into(), |q| format!("{q:.0}"));
        let ratio = match (qps, baseline) {
            (Some(q), Some(b)) => format!("{:.2}x", q / b),
            _ => "-".into(),
        };
        println!(
            "{:<22} {recall:>9.4} {qps_text:>10} {ratio:>14}",
            method.id()
        );
    }
}

fn main() {
    let started = SystemTime::now();
    let fixture = setup();
    // Each query takes micro- to milliseconds; two seconds per method bounds the whole search
    // part to well under a minute.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .without_plots()
        .configure_from_args();
    bench_search(&mut criterion, &fixture);
    criterion.final_summary();
    print_summary(&fixture, started);
}
