//! HNSW build and search on the dataset of issue 5, measured side by side in one run: our own
//! construction (`NativeBuilder`) and `hnsw_rs`'s, both searched in our flat layout with our own
//! loop (`quiver::index::hnsw::HnswSearch`), `hnsw_rs`'s own `search` on its graph, and the exact
//! scan.
//!
//! The dataset is issue 5's, from `benches/dataset.rs` (shared with `benches/load.rs`
//! and `benches/quantization.rs`): 100
//! seeded Gaussian clusters in 128 dimensions, Cosine; the truth is the exact top 10 by brute
//! force.
//!
//! Prints the build times (each builder on `QUIVER_BENCH_THREADS` threads, default all cores;
//! hnsw_rs's then split into construction and export into our layout), then criterion's
//! per-query latency (one query per call, single-threaded, cycling through the queries), then a
//! summary of recall@10 and QPS per method at ef 64 and 128.
//!
//! Run with `cargo bench --bench hnsw` (about four minutes on 2 cores with the default 100,000
//! points; `QUIVER_BENCH_POINTS=20000` for a quicker look).
//!
//! With `QUIVER_BENCH_COMPARE=FILE` it skips criterion and serves `benches/compare_hnswlib.py`:
//! it writes the dataset to `FILE` (little-endian: the magic `QVDS`, then `u32` version 1, points,
//! queries, dim, top; the points' and the queries' `f32` rows; the truth as `u32` offsets, `top`
//! per query), builds with each builder, measures recall@10 at ef 32, 64, 128 and 256 and the
//! exact scan's QPS, and prints one line of JSON after `QUIVER_JSON `.
//! `QUIVER_BENCH_BUILDERS=native` leaves hnsw_rs out (it takes minutes). It then answers timing
//! requests on stdin until it closes, so that the script can alternate its hnswlib passes with
//! ours: a line `qps BUILDER EF` (builder `native` or `hnsw_rs`) is answered
//! by a line `QUIVER_QPS <queries per second>`: every query once per pass on one thread, after a
//! warm-up pass, passes until a second has gone by.

use std::hint::black_box;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use criterion::Criterion;
use quiver::index::VectorIndex;
use quiver::index::exact::ExactScan;
use quiver::index::hnsw::{BuildParams, HnswIndex, HnswRs, HnswSearch, build_hnsw_rs, export};
use quiver::index::vector_store::VectorStore;
use quiver::model::vectors::Distance;
use serde_json::{Value, json};

#[path = "dataset.rs"]
mod dataset;

use dataset::DIM;

const QUERIES: usize = 1000;
const TOP: usize = 10;
const EFS: [usize; 2] = [64, 128];
/// The beams of the comparison with hnswlib.
const COMPARE_EFS: [usize; 4] = [32, 64, 128, 256];
const M: usize = 16;
const EF_CONSTRUCT: usize = 100;
const GROUP: &str = "hnsw_search_top10";

/// The methods compared, by criterion id and how each answers one query.
#[derive(Clone, Copy)]
enum Method {
    /// Our search on our own construction's graph.
    Native(usize),
    /// Our search on hnsw_rs's graph, exported into our layout.
    HnswRsGraph(usize),
    /// hnsw_rs's own search on its graph.
    HnswRs(usize),
    Exact,
}

impl Method {
    fn id(self) -> String {
        match self {
            Method::Native(ef) => format!("native_build_ef{ef}"),
            Method::HnswRsGraph(ef) => format!("hnsw_rs_build_ef{ef}"),
            Method::HnswRs(ef) => format!("hnsw_rs_search_ef{ef}"),
            Method::Exact => "exact_scan".into(),
        }
    }
}

/// The graphs hnsw_rs built: the library's own structure and our copy of it.
struct HnswRsGraphs {
    library: HnswRs,
    index: HnswIndex,
    build_secs: f64,
    export_secs: f64,
}

struct Fixture {
    store: VectorStore,
    queries: Vec<Vec<f32>>,
    truth: Vec<Vec<u32>>,
    threads: usize,
    native: HnswIndex,
    native_secs: f64,
    hnsw_rs: Option<HnswRsGraphs>,
}

impl Fixture {
    fn answer(&self, method: Method, query: &[f32]) -> Vec<u32> {
        let ours = |index: &HnswIndex, ef: usize| -> Vec<u32> {
            HnswSearch {
                index,
                store: &self.store,
                ef: Some(ef),
            }
            .search(&dataset::request(query, TOP, &|_| true))
            .iter()
            .map(|s| s.offset)
            .collect()
        };
        let hnsw_rs = || self.hnsw_rs.as_ref().expect("hnsw_rs was built");
        match method {
            Method::Native(ef) => ours(&self.native, ef),
            Method::HnswRsGraph(ef) => ours(&hnsw_rs().index, ef),
            Method::HnswRs(ef) => hnsw_rs()
                .library
                .search(query, TOP, ef)
                .iter()
                .map(|n| n.d_id as u32)
                .collect(),
            Method::Exact => ExactScan { store: &self.store }
                .search(&dataset::request(query, TOP, &|_| true))
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

    /// Queries per second on one thread: every query once per pass, passes until a second has
    /// gone by (after one pass to warm the caches).
    fn qps(&self, method: Method) -> f64 {
        for query in &self.queries {
            black_box(self.answer(method, query));
        }
        let started = Instant::now();
        let mut answered = 0;
        while answered == 0 || started.elapsed() < Duration::from_secs(1) {
            for query in &self.queries {
                black_box(self.answer(method, black_box(query)));
            }
            answered += self.queries.len();
        }
        answered as f64 / started.elapsed().as_secs_f64()
    }
}

/// Whether hnsw_rs is built too (`QUIVER_BENCH_BUILDERS` lists the builders; default both).
fn with_hnsw_rs() -> bool {
    std::env::var("QUIVER_BENCH_BUILDERS").map_or(true, |v| v.contains("hnsw_rs"))
}

fn setup() -> Fixture {
    let points = dataset::env_usize("QUIVER_BENCH_POINTS").unwrap_or(100_000);
    let (dataset::Dataset { store, queries }, truth) =
        dataset::generate_with_truth(points, QUERIES, TOP);
    if let Ok(path) = std::env::var("QUIVER_BENCH_COMPARE") {
        write_dataset(&path, &store, &queries, &truth).expect("dataset file written");
    }

    let threads = dataset::build_threads();
    let params = BuildParams {
        m: M,
        ef_construct: EF_CONSTRUCT,
        threads,
    };
    let (native, native_secs) = dataset::build_native(&store, &params);

    let hnsw_rs = with_hnsw_rs().then(|| {
        let started = Instant::now();
        let library = build_hnsw_rs(&store, Distance::Cosine, &params).expect("valid parameters");
        let build_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let graph = export(&library, store.len());
        let export_secs = started.elapsed().as_secs_f64();
        println!(
            "hnsw_rs build ({threads} threads): {build_secs:.2} s; export to our layout: \
             {export_secs:.3} s; {} layers, {:.1} MiB",
            graph.max_layer() + 1,
            graph.memory_bytes() as f64 / (1 << 20) as f64
        );
        HnswRsGraphs {
            library,
            index: HnswIndex::from_graph(graph, Distance::Cosine, EF_CONSTRUCT),
            build_secs,
            export_secs,
        }
    });
    Fixture {
        store,
        queries,
        truth,
        threads,
        native,
        native_secs,
        hnsw_rs,
    }
}

/// Writes the dataset for `benches/compare_hnswlib.py` (the layout is in the module docs).
fn write_dataset(
    path: &str,
    store: &VectorStore,
    queries: &[Vec<f32>],
    truth: &[Vec<u32>],
) -> std::io::Result<()> {
    let mut bytes = b"QVDS".to_vec();
    for header in [1, store.len(), queries.len(), DIM, TOP] {
        bytes.extend_from_slice(&(header as u32).to_le_bytes());
    }
    let rows = (0..store.len() as u32).filter_map(|o| store.f32_row(o));
    for x in rows.chain(queries.iter().map(|q| &q[..])).flatten() {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    for t in truth {
        assert_eq!(t.len(), TOP, "the truth has {TOP} offsets per query");
        t.iter()
            .for_each(|o| bytes.extend_from_slice(&o.to_le_bytes()));
    }
    std::fs::write(path, bytes)
}

fn methods(fixture: &Fixture) -> Vec<Method> {
    let mut all = Vec::new();
    for ef in EFS {
        all.push(Method::Native(ef));
        if fixture.hnsw_rs.is_some() {
            all.push(Method::HnswRsGraph(ef));
            all.push(Method::HnswRs(ef));
        }
    }
    all.push(Method::Exact);
    all
}

/// One builder's figures for the comparison: build seconds, then recall per ef (the script
/// times the QPS afterwards, in turns with hnswlib's).
fn builder_json(fixture: &Fixture, build_secs: f64, method: fn(usize) -> Method) -> Value {
    let searches: Vec<Value> = COMPARE_EFS
        .iter()
        .map(|&ef| {
            json!({
                "ef": ef,
                "recall": fixture.recall(method(ef)),
            })
        })
        .collect();
    json!({"build_secs": build_secs, "search": searches})
}

/// `QUIVER_BENCH_COMPARE`: the figures `benches/compare_hnswlib.py` sets beside hnswlib's.
fn print_comparison(fixture: &Fixture) {
    let mut builders = serde_json::Map::new();
    builders.insert(
        "native".into(),
        builder_json(fixture, fixture.native_secs, Method::Native),
    );
    if let Some(hnsw_rs) = &fixture.hnsw_rs {
        let mut figures = builder_json(fixture, hnsw_rs.build_secs, Method::HnswRsGraph);
        figures["export_secs"] = json!(hnsw_rs.export_secs);
        builders.insert("hnsw_rs".into(), figures);
    }
    let report = json!({
        "points": fixture.store.len(),
        "queries": fixture.queries.len(),
        "dim": DIM,
        "m": M,
        "ef_construct": EF_CONSTRUCT,
        "threads": fixture.threads,
        "exact_qps": fixture.qps(Method::Exact),
        "builders": builders,
    });
    println!("QUIVER_JSON {report}");
}

/// After [`print_comparison`]: answers `qps BUILDER EF` lines on stdin with `QUIVER_QPS <qps>`
/// until stdin closes (the protocol is in the module docs).
fn serve_timings(fixture: &Fixture) {
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin readable");
        let words: Vec<&str> = line.split_whitespace().collect();
        let method = match words[..] {
            ["qps", "native", ef] => ef.parse().ok().map(Method::Native),
            ["qps", "hnsw_rs", ef] if fixture.hnsw_rs.is_some() => {
                ef.parse().ok().map(Method::HnswRsGraph)
            }
            _ => None,
        };
        match method {
            Some(method) => println!("QUIVER_QPS {}", fixture.qps(method)),
            None => println!("QUIVER_ERROR cannot answer {line:?}"),
        }
    }
}

fn bench_search(c: &mut Criterion, fixture: &Fixture) {
    let mut group = c.benchmark_group(GROUP);
    for method in methods(fixture) {
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
    for method in methods(fixture) {
        let recall = fixture.recall(method);
        let qps = median_ns(&format!("{GROUP}/{}", method.id()), since).map(|ns| 1e9 / ns);
        let baseline = match method {
            Method::Native(ef) | Method::HnswRsGraph(ef) | Method::HnswRs(ef) => {
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
    if std::env::var_os("QUIVER_BENCH_COMPARE").is_some() {
        print_comparison(&fixture);
        serve_timings(&fixture);
        return;
    }
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
