//! The load benchmark: a whole server driven over loopback HTTP the way a client sees it, on
//! issue 5's dataset (`benches/dataset.rs`: 100 seeded Gaussian clusters, 128 dims, Cosine),
//! beside the same searches made in-process on the engine, without HTTP.
//!
//! One run, in this order:
//!
//! 1. **upload**: a collection (m 16, ef_construct 100) with keyword indexes on `decile` and
//!    `centile`, then every point through `PUT /points?wait=true` in batches of 256 (points/s
//!    inside requests; building each batch's JSON is not timed), then the time until the collection
//!    is green with every point in its HNSW graph (`indexed_vectors_count` = points).
//! 2. **search**: `POST /points/query` from one client at `hnsw_ef` 32, 64, 128, 256 and with
//!    `exact`: recall@10 against the brute-force truth, QPS, p50 and p99; then ef 128 from
//!    `QUIVER_BENCH_CONCURRENCY` clients at once.
//! 3. **filtered**: ef 128, one client, with a filter on `decile` (one of 10 values, seeded: 10 %
//!    of the points) and on `centile` (1 %); the truth is the exact top 10 of the matching points.
//! 4. **memory**: the server's VmRSS and VmHWM after indexing and after the searches.
//! 5. **restart**: a graceful stop (SIGTERM), a start on the same data, the time until `/readyz`
//!    answers and until the collection is green with every point indexed (graphs are persisted:
//!    no rebuild is expected), the server's memory then, and ef 128 searched again.
//! 6. **in-process**: the engine behind a server opened on the same data, called directly
//!    (`Engine::query`, the call the REST handler makes; requests parsed before the clock starts)
//!    at ef 128 on one thread; REST single-client QPS at ef 128 over this is the ratio issue 5
//!    sets a target for (≥ 0.5). The same server's REST API is measured too, so that the ratio
//!    is also known with server and client in one process.
//!
//! It ends with a table and one line of JSON holding every figure, to paste into a commit message
//! as the before or after of a change.
//!
//! ```text
//! cargo bench --bench load                               # 100k points, about 5 minutes on 2 cores
//! QUIVER_BENCH_POINTS=20000 cargo bench --bench load     # a quicker look
//! cargo bench --bench load -- --url http://127.0.0.1:6333  # a running server (steps 1-3)
//! ```
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `QUIVER_BENCH_POINTS` | 100000 | points uploaded |
//! | `QUIVER_BENCH_QUERIES` | 1000 | queries per setting |
//! | `QUIVER_BENCH_CONCURRENCY` | 8 | clients of the concurrent phase |
//! | `QUIVER_BENCH_PHASE_SECS` | 120 | each upload or query phase stops after this |
//! | `QUIVER_BENCH_SERVER` | `child` | `child`: the `quiver` binary as a child process on a temporary storage directory (clean memory figures); `in-process`: the embedding API in this process (memory then includes the bench's own data) |
//! | `QUIVER_BENCH_URL` | — | a running server to target instead (like `--url`): no memory, restart or in-process steps; the collection `bench` is replaced |
//!
//! The client is reqwest on a tokio runtime in this process; with a child server the two share
//! the machine's cores, as any client on the same host would. Run without `--bench` (as
//! `cargo test --benches` does), it does a small smoke run instead.

#[path = "dataset.rs"]
mod dataset;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use quiver::engine::Engine;
use quiver::model::PointId;
use quiver::model::query::{QueryRequest, UniversalQuery};
use quiver::{Server, Settings};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use dataset::{DIM, Dataset};

const COLLECTION: &str = "bench";
const TOP: usize = 10;
const UPLOAD_BATCH: usize = 256;
const EFS: [usize; 4] = [32, 64, 128, 256];
/// The beam of the concurrent, filtered, restart and in-process phases.
const EF: usize = 128;
const M: usize = 16;
const EF_CONSTRUCT: usize = 100;
/// Point payloads: `decile` (10 values) and `centile` (100 values), drawn with this seed.
const PAYLOAD_SEED: u64 = 0x5041_594c_4f41;
/// Which value each filtered query asks for.
const FILTER_SEED: u64 = 0x4649_4c54_4552;
/// Untimed queries before each timed phase (connections opened, caches touched).
const WARM_UP: usize = 20;
/// How long indexing (and the index after a restart) may take before the run gives up.
const INDEX_WAIT: Duration = Duration::from_secs(1200);

/// Where the server under test runs.
#[derive(Clone, Debug, PartialEq)]
enum Mode {
    Child,
    InProcess,
    Url(String),
}

/// What one run measures, read from the environment and the command line.
struct Params {
    points: usize,
    queries: usize,
    concurrency: usize,
    phase_cap: Duration,
    mode: Mode,
}

impl Params {
    fn from_env(smoke: bool) -> Result<Params, String> {
        let (points, queries) = if smoke { (2_000, 20) } else { (100_000, 1_000) };
        let args: Vec<String> = std::env::args().collect();
        let url = args
            .iter()
            .position(|a| a == "--url")
            .map(|i| {
                args.get(i + 1)
                    .cloned()
                    .ok_or_else(|| "--url needs a value".to_string())
            })
            .transpose()?
            .or_else(|| std::env::var("QUIVER_BENCH_URL").ok());
        let mode = match (url, std::env::var("QUIVER_BENCH_SERVER").as_deref()) {
            (Some(url), _) => Mode::Url(url.trim_end_matches('/').to_string()),
            (None, Ok("in-process")) => Mode::InProcess,
            (None, Ok("child")) => Mode::Child,
            (None, Ok(other)) => {
                return Err(format!(
                    "QUIVER_BENCH_SERVER={other:?}: expected child or in-process"
                ));
            }
            // The smoke run has no release binary to rely on.
            (None, Err(_)) if smoke => Mode::InProcess,
            (None, Err(_)) => Mode::Child,
        };
        Ok(Params {
            points: env_count("QUIVER_BENCH_POINTS", points)?,
            queries: env_count("QUIVER_BENCH_QUERIES", queries)?,
            concurrency: env_count("QUIVER_BENCH_CONCURRENCY", 8)?,
            phase_cap: Duration::from_secs(env_count("QUIVER_BENCH_PHASE_SECS", 120)? as u64),
            mode,
        })
    }
}

fn env_count(name: &str, default: usize) -> Result<usize, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name}={text:?}: expected a positive whole number")),
    }
}

/// Prints a progress line on stderr (the report goes to stdout).
fn progress(message: impl std::fmt::Display) {
    eprintln!("[load] {message}");
}

/// Resident and peak resident memory of a process, in kB (Linux only).
#[derive(Clone, Copy)]
struct Memory {
    rss_kb: u64,
    hwm_kb: u64,
}

fn memory_of(status_file: &str) -> Option<Memory> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        rss_kb: field("VmRSS:")?,
        hwm_kb: field("VmHWM:")?,
    })
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// The server under test.
enum Running {
    Child(Child),
    InProcess(Server),
    Remote,
}

/// A server under test and its REST base URL.
struct Target {
    base: String,
    running: Running,
}

impl Target {
    /// Starts a server as `mode` says, on `storage`, and returns once `/readyz` answers.
    async fn start(
        mode: &Mode,
        storage: &Path,
        client: &reqwest::Client,
    ) -> Result<Target, String> {
        match mode {
            Mode::Url(url) => Ok(Target {
                base: url.clone(),
                running: Running::Remote,
            }),
            Mode::InProcess => {
                let mut settings = Settings::in_memory();
                settings.storage.storage_path = storage.to_path_buf();
                settings.service.grpc_port = None;
                let server = Server::start(&settings)
                    .await
                    .map_err(|e| format!("in-process server start: {e}"))?;
                Ok(Target {
                    base: server.rest_url(),
                    running: Running::InProcess(server),
                })
            }
            Mode::Child => start_child(storage, client).await,
        }
    }

    fn memory(&self) -> Option<Memory> {
        match &self.running {
            Running::Child(child) => memory_of(&format!("/proc/{}/status", child.id())),
            Running::InProcess(_) => memory_of("/proc/self/status"),
            Running::Remote => None,
        }
    }

    fn engine(&self) -> Option<Arc<Engine>> {
        match &self.running {
            Running::InProcess(server) => Some(server.engine().clone()),
            _ => None,
        }
    }

    /// Stops the server gracefully (it saves its graphs on the way out) and waits until it has.
    async fn stop(self) -> Result<(), String> {
        match self.running {
            Running::Remote => Ok(()),
            Running::InProcess(server) => {
                server.shutdown().await;
                Ok(())
            }
            Running::Child(mut child) => {
                let status = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status()
                    .map_err(|e| format!("kill: {e}"))?;
                if !status.success() {
                    return Err("kill -TERM failed".into());
                }
                let deadline = Instant::now() + Duration::from_secs(120);
                while child.try_wait().map_err(|e| e.to_string())?.is_none() {
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        return Err("the server did not stop within 2 minutes of SIGTERM".into());
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(())
            }
        }
    }
}

/// The release binary beside this bench (cargo builds it for benches), on `storage`, with its
/// stderr in a file beside the data. A child that exits before it is ready (its free port taken
/// in between) is started again on another port.
async fn start_child(storage: &Path, client: &reqwest::Client) -> Result<Target, String> {
    let log = storage.with_extension("stderr.log");
    for _attempt in 0..3 {
        let port = free_port()?;
        let mut child = Command::new(env!("CARGO_BIN_EXE_quiver"))
            .env("QDRANT__SERVICE__HOST", "127.0.0.1")
            .env("QDRANT__SERVICE__HTTP_PORT", port.to_string())
            .env("QDRANT__SERVICE__GRPC_PORT", "0")
            .env("QDRANT__STORAGE__STORAGE_PATH", storage)
            .env("QDRANT__LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).map_err(|e| format!("{log:?}: {e}"))?)
            .spawn()
            .map_err(|e| format!("{}: {e}", env!("CARGO_BIN_EXE_quiver")))?;
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(Target {
                    base,
                    running: Running::Child(child),
                });
            }
            if child.try_wait().map_err(|e| e.to_string())?.is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!(
                    "the server did not become ready: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    Err(format!(
        "the server exited before it was ready, three times: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    ))
}

/// Sends one JSON request and insists on a 2xx answer.
async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Bytes,
) -> Result<Bytes, String> {
    let response = client
        .request(method, url)
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("{url}: reading the answer: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "{url}: HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    Ok(bytes)
}

/// Polls collection info until it is green with `points` vectors indexed.
async fn wait_indexed(
    client: &reqwest::Client,
    base: &str,
    points: usize,
) -> Result<Duration, String> {
    let started = Instant::now();
    let url = format!("{base}/collections/{COLLECTION}");
    let mut last = String::new();
    while started.elapsed() < INDEX_WAIT {
        let info: Value =
            serde_json::from_slice(&call(client, reqwest::Method::GET, &url, Bytes::new()).await?)
                .map_err(|e| format!("{url}: {e}"))?;
        let result = &info["result"];
        let indexed = result["indexed_vectors_count"].as_u64().unwrap_or(0);
        if result["status"] == "green" && indexed >= points as u64 {
            return Ok(started.elapsed());
        }
        last = format!("status {}, {indexed} of {points} indexed", result["status"]);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!(
        "the collection was not indexed within {INDEX_WAIT:?} ({last})"
    ))
}

/// The whole dataset with its payloads, queries and truths.
struct Fixture {
    data: Dataset,
    deciles: Vec<u8>,
    centiles: Vec<u8>,
    /// Exact top 10 of every query over all points.
    truth: Vec<Vec<u32>>,
    /// Per query: the `decile` asked for and the exact top 10 among its points.
    decile_filter: Vec<(u8, Vec<u32>)>,
    centile_filter: Vec<(u8, Vec<u32>)>,
}

impl Fixture {
    fn new(points: usize, queries: usize) -> Fixture {
        let data = dataset::generate(points, queries);
        let mut rng = StdRng::seed_from_u64(PAYLOAD_SEED);
        let (deciles, centiles) = (0..points)
            .map(|_| (rng.gen_range(0..10u8), rng.gen_range(0..100u8)))
            .unzip();
        let mut fixture = Fixture {
            data,
            deciles,
            centiles,
            truth: Vec::new(),
            decile_filter: Vec::new(),
            centile_filter: Vec::new(),
        };
        let mut rng = StdRng::seed_from_u64(FILTER_SEED);
        let asked: Vec<(u8, u8)> = (0..queries)
            .map(|_| (rng.gen_range(0..10u8), rng.gen_range(0..100u8)))
            .collect();
        let store = &fixture.data.store;
        let top = |query: &[f32], accept: &dyn Fn(u32) -> bool| {
            dataset::exact_top(store, query, TOP, accept)
        };
        let queries = &fixture.data.queries;
        let truth = queries.par_iter().map(|q| top(q, &|_| true)).collect();
        let (deciles, centiles) = (&fixture.deciles, &fixture.centiles);
        let decile_filter = queries
            .par_iter()
            .zip(&asked)
            .map(|(q, &(d, _))| (d, top(q, &|o| deciles[o as usize] == d)))
            .collect();
        let centile_filter = queries
            .par_iter()
            .zip(&asked)
            .map(|(q, &(_, c))| (c, top(q, &|o| centiles[o as usize] == c)))
            .collect();
        fixture.truth = truth;
        fixture.decile_filter = decile_filter;
        fixture.centile_filter = centile_filter;
        fixture
    }

    fn row(&self, offset: usize) -> &[f32] {
        self.data
            .store
            .f32_row(offset as u32)
            .expect("a stored row")
    }
}

/// How a query phase searches.
#[derive(Clone, Copy, Debug)]
enum Setting {
    Ef(usize),
    Exact,
    /// ef 128 within one decile.
    Decile,
    /// ef 128 within one centile.
    Centile,
}

impl Setting {
    fn label(self) -> String {
        match self {
            Setting::Ef(ef) => format!("ef {ef}"),
            Setting::Exact => "exact".into(),
            Setting::Decile => "10% filter".into(),
            Setting::Centile => "1% filter".into(),
        }
    }

    fn body(self, fixture: &Fixture, i: usize) -> Value {
        let mut body = json!({"query": fixture.data.queries[i], "limit": TOP});
        match self {
            Setting::Ef(ef) => body["params"] = json!({"hnsw_ef": ef}),
            Setting::Exact => body["params"] = json!({"exact": true}),
            Setting::Decile => {
                body["params"] = json!({"hnsw_ef": EF});
                let d = fixture.decile_filter[i].0;
                body["filter"] =
                    json!({"must": [{"key": "decile", "match": {"value": format!("d{d}")}}]});
            }
            Setting::Centile => {
                body["params"] = json!({"hnsw_ef": EF});
                let c = fixture.centile_filter[i].0;
                body["filter"] =
                    json!({"must": [{"key": "centile", "match": {"value": format!("c{c}")}}]});
            }
        }
        body
    }

    fn bodies(self, fixture: &Fixture) -> Vec<Bytes> {
        (0..fixture.data.queries.len())
            .map(|i| Bytes::from(self.body(fixture, i).to_string()))
            .collect()
    }

    fn truth(self, fixture: &Fixture, i: usize) -> &[u32] {
        match self {
            Setting::Ef(_) | Setting::Exact => &fixture.truth[i],
            Setting::Decile => &fixture.decile_filter[i].1,
            Setting::Centile => &fixture.centile_filter[i].1,
        }
    }
}

/// One answered query: which one, how long it took, and the ids it returned.
struct Answer {
    index: usize,
    latency: Duration,
    ids: Vec<u64>,
}

/// The figures of one query phase.
struct Stats {
    label: String,
    clients: usize,
    answered: usize,
    qps: f64,
    p50: Duration,
    p99: Duration,
    recall: f64,
}

impl Stats {
    fn of(
        label: String,
        clients: usize,
        answers: &[Answer],
        wall: Duration,
        truth: impl Fn(usize) -> Vec<u32>,
    ) -> Stats {
        let mut latencies: Vec<Duration> = answers.iter().map(|a| a.latency).collect();
        latencies.sort();
        let recall_sum: f64 = answers
            .iter()
            .map(|a| {
                let truth = truth(a.index);
                if truth.is_empty() {
                    return 1.0;
                }
                let hits = truth
                    .iter()
                    .filter(|&&o| a.ids.contains(&(o as u64)))
                    .count();
                hits as f64 / truth.len() as f64
            })
            .sum();
        Stats {
            label,
            clients,
            answered: answers.len(),
            qps: answers.len() as f64 / wall.as_secs_f64(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
            recall: recall_sum / answers.len().max(1) as f64,
        }
    }

    fn json(&self) -> Value {
        json!({
            "setting": self.label,
            "clients": self.clients,
            "answered": self.answered,
            "qps": round(self.qps, 1),
            "p50_ms": ms(self.p50),
            "p99_ms": ms(self.p99),
            "recall_at_10": round(self.recall, 4),
        })
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ids_of(body: &[u8]) -> Result<Vec<u64>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("query answer: {e}"))?;
    let points = value["result"]["points"]
        .as_array()
        .ok_or_else(|| format!("query answer without result.points: {value}"))?;
    points
        .iter()
        .map(|p| {
            p["id"]
                .as_u64()
                .ok_or_else(|| format!("point without a numeric id: {p}"))
        })
        .collect()
}

/// Sends `bodies` to the query endpoint from `clients` clients, each taking the next unsent
/// query, until all are answered or `cap` has passed; answers are parsed after the clock stops.
async fn rest_phase(
    client: &reqwest::Client,
    base: &str,
    setting: Setting,
    fixture: &Fixture,
    clients: usize,
    cap: Duration,
) -> Result<Stats, String> {
    let url = format!("{base}/collections/{COLLECTION}/points/query");
    let bodies = Arc::new(setting.bodies(fixture));
    let warm = Arc::new(bodies[..WARM_UP.min(bodies.len())].to_vec());
    send_all(client, &url, warm, clients, cap).await?;
    let started = Instant::now();
    let raw = send_all(client, &url, bodies, clients, cap).await?;
    let wall = started.elapsed();
    let answers = raw
        .into_iter()
        .map(|(index, latency, body)| {
            Ok(Answer {
                index,
                latency,
                ids: ids_of(&body)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let stats = Stats::of(
        format!("REST {}", setting.label()),
        clients,
        &answers,
        wall,
        |i| setting.truth(fixture, i).to_vec(),
    );
    progress(format!(
        "{} x{clients}: {:.0} QPS, recall {:.4}",
        stats.label, stats.qps, stats.recall
    ));
    Ok(stats)
}

async fn send_all(
    client: &reqwest::Client,
    url: &str,
    bodies: Arc<Vec<Bytes>>,
    clients: usize,
    cap: Duration,
) -> Result<Vec<(usize, Duration, Bytes)>, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + cap;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (client, url, bodies, next) = (
            client.clone(),
            url.to_string(),
            bodies.clone(),
            next.clone(),
        );
        workers.spawn(async move {
            let mut answers = Vec::new();
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(index) else { break };
                let sent = Instant::now();
                let answer = call(&client, reqwest::Method::POST, &url, body.clone()).await?;
                answers.push((index, sent.elapsed(), answer));
            }
            Ok::<_, String>(answers)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = workers.join_next().await {
        answers.extend(joined.map_err(|e| format!("query client failed: {e}"))??);
    }
    Ok(answers)
}

/// The same searches through `Engine::query` on this thread: no HTTP, no JSON, no thread hop
/// (the requests are parsed into the engine's query type before the clock starts).
fn engine_phase(
    engine: &Engine,
    setting: Setting,
    fixture: &Fixture,
    cap: Duration,
) -> Result<Stats, String> {
    let queries: Vec<UniversalQuery> = (0..fixture.data.queries.len())
        .map(|i| {
            serde_json::from_value::<QueryRequest>(setting.body(fixture, i))
                .map_err(|e| e.to_string())?
                .into_query("")
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    for query in queries.iter().take(WARM_UP) {
        engine.query(COLLECTION, query).map_err(|e| e.to_string())?;
    }
    let started = Instant::now();
    let deadline = started + cap;
    let mut answers = Vec::with_capacity(queries.len());
    for (index, query) in queries.iter().enumerate() {
        if Instant::now() >= deadline {
            break;
        }
        let sent = Instant::now();
        let points = engine.query(COLLECTION, query).map_err(|e| e.to_string())?;
        let latency = sent.elapsed();
        let ids = points
            .iter()
            .map(|p| match p.id {
                PointId::Num(n) => n,
                PointId::Uuid(_) => u64::MAX,
            })
            .collect();
        answers.push(Answer {
            index,
            latency,
            ids,
        });
    }
    let wall = started.elapsed();
    let stats = Stats::of(
        format!("in-process {}", setting.label()),
        1,
        &answers,
        wall,
        |i| setting.truth(fixture, i).to_vec(),
    );
    progress(format!(
        "{}: {:.0} QPS, recall {:.4}",
        stats.label, stats.qps, stats.recall
    ));
    Ok(stats)
}

struct Upload {
    points: usize,
    /// Time inside requests only; building each batch's JSON is not counted.
    elapsed: Duration,
}

/// Creates the collection and its payload indexes (replacing a collection of the same name).
async fn create_collection(
    client: &reqwest::Client,
    base: &str,
    points: usize,
) -> Result<(), String> {
    let url = format!("{base}/collections/{COLLECTION}");
    call(client, reqwest::Method::DELETE, &url, Bytes::new()).await?;
    let mut create = json!({
        "vectors": {"size": DIM, "distance": "Cosine"},
        "hnsw_config": {"m": M, "ef_construct": EF_CONSTRUCT},
    });
    // Below the default indexing threshold (10 000 kB of vectors) a graph is still wanted, so
    // that small runs measure what large ones do.
    if points * DIM * 4 < 10_000 * 1024 {
        create["optimizers_config"] = json!({"indexing_threshold": 1});
    }
    call(
        client,
        reqwest::Method::PUT,
        &url,
        Bytes::from(create.to_string()),
    )
    .await?;
    for field in ["decile", "centile"] {
        let body = json!({"field_name": field, "field_schema": "keyword"});
        call(
            client,
            reqwest::Method::PUT,
            &format!("{url}/index?wait=true"),
            Bytes::from(body.to_string()),
        )
        .await?;
    }
    Ok(())
}

/// Uploads every point in batches (batch form, `wait=true`), one batch at a time, until done or
/// `cap` has passed.
async fn upload(
    client: &reqwest::Client,
    base: &str,
    fixture: &Fixture,
    cap: Duration,
) -> Result<Upload, String> {
    let url = format!("{base}/collections/{COLLECTION}/points?wait=true");
    let deadline = Instant::now() + cap;
    let mut done = Upload {
        points: 0,
        elapsed: Duration::ZERO,
    };
    let total = fixture.data.store.len();
    for first in (0..total).step_by(UPLOAD_BATCH) {
        if Instant::now() >= deadline {
            break;
        }
        let ids: Vec<usize> = (first..(first + UPLOAD_BATCH).min(total)).collect();
        let vectors: Vec<&[f32]> = ids.iter().map(|&i| fixture.row(i)).collect();
        let payloads: Vec<Value> = ids
            .iter()
            .map(|&i| {
                json!({
                    "decile": format!("d{}", fixture.deciles[i]),
                    "centile": format!("c{}", fixture.centiles[i]),
                })
            })
            .collect();
        let body = json!({"batch": {"ids": ids, "vectors": vectors, "payloads": payloads}});
        let body = Bytes::from(body.to_string());
        let started = Instant::now();
        call(client, reqwest::Method::PUT, &url, body).await?;
        done.elapsed += started.elapsed();
        done.points += ids.len();
    }
    Ok(done)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

fn memory_json(m: Option<Memory>) -> Value {
    m.map_or(
        Value::Null,
        |m| json!({"rss_kb": m.rss_kb, "hwm_kb": m.hwm_kb}),
    )
}

/// What the restart step measured.
struct Restart {
    stop: Duration,
    ready: Duration,
    green: Duration,
    memory: Option<Memory>,
    search: Stats,
}

/// The figures of the in-process step.
struct InProcess {
    engine: Stats,
    rest: Stats,
}

struct Report {
    points: usize,
    upload: Upload,
    indexing: Duration,
    searches: Vec<Stats>,
    concurrent: Stats,
    filtered: Vec<Stats>,
    after_index: Option<Memory>,
    after_queries: Option<Memory>,
    restart: Option<Restart>,
    in_process: Option<InProcess>,
}

async fn run(params: &Params, storage: &Path) -> Result<Report, String> {
    let started = Instant::now();
    let fixture = Fixture::new(params.points, params.queries);
    progress(format!(
        "dataset {} x {DIM}, {} queries, truths in {:.1} s",
        params.points,
        params.queries,
        started.elapsed().as_secs_f64()
    ));
    let client = reqwest::Client::new();
    let target = Target::start(&params.mode, storage, &client).await?;
    let base = target.base.clone();
    create_collection(&client, &base, params.points).await?;
    let upload = upload(&client, &base, &fixture, params.phase_cap).await?;
    if upload.points < params.points {
        return Err(format!(
            "the upload stopped after {:?} with {} of {} points; raise QUIVER_BENCH_PHASE_SECS",
            params.phase_cap, upload.points, params.points
        ));
    }
    progress(format!(
        "uploaded {} points in {:.1} s",
        upload.points,
        upload.elapsed.as_secs_f64()
    ));
    let indexing = wait_indexed(&client, &base, params.points).await?;
    progress(format!("indexed {:.1} s later", indexing.as_secs_f64()));
    let after_index = target.memory();

    let cap = params.phase_cap;
    let mut searches = Vec::new();
    for setting in EFS.map(Setting::Ef).into_iter().chain([Setting::Exact]) {
        searches.push(rest_phase(&client, &base, setting, &fixture, 1, cap).await?);
    }
    let concurrent = rest_phase(
        &client,
        &base,
        Setting::Ef(EF),
        &fixture,
        params.concurrency,
        cap,
    )
    .await?;
    let mut filtered = Vec::new();
    for setting in [Setting::Decile, Setting::Centile] {
        filtered.push(rest_phase(&client, &base, setting, &fixture, 1, cap).await?);
    }
    let after_queries = target.memory();

    let mut report = Report {
        points: params.points,
        upload,
        indexing,
        searches,
        concurrent,
        filtered,
        after_index,
        after_queries,
        restart: None,
        in_process: None,
    };
    if params.mode != Mode::Child && params.mode != Mode::InProcess {
        return Ok(report);
    }

    let stopping = Instant::now();
    target.stop().await?;
    let stop = stopping.elapsed();
    let starting = Instant::now();
    let target = Target::start(&params.mode, storage, &client).await?;
    let ready = starting.elapsed();
    wait_indexed(&client, &target.base, params.points).await?;
    let green = starting.elapsed();
    progress(format!(
        "restart: stopped in {:.2} s, ready {:.2} s and green {:.2} s after the start",
        stop.as_secs_f64(),
        ready.as_secs_f64(),
        green.as_secs_f64()
    ));
    let memory = target.memory();
    let search = rest_phase(&client, &target.base, Setting::Ef(EF), &fixture, 1, cap).await?;
    report.restart = Some(Restart {
        stop,
        ready,
        green,
        memory,
        search,
    });

    // The in-process baseline needs the engine: a child gives way to a server in this process
    // on the same data.
    let target = match target.engine() {
        Some(_) => target,
        None => {
            target.stop().await?;
            let target = Target::start(&Mode::InProcess, storage, &client).await?;
            wait_indexed(&client, &target.base, params.points).await?;
            target
        }
    };
    let engine = target.engine().ok_or("no in-process engine")?;
    let in_engine =
        tokio::task::block_in_place(|| engine_phase(&engine, Setting::Ef(EF), &fixture, cap))?;
    let rest = rest_phase(&client, &target.base, Setting::Ef(EF), &fixture, 1, cap).await?;
    report.in_process = Some(InProcess {
        engine: in_engine,
        rest,
    });
    drop(engine);
    target.stop().await?;
    Ok(report)
}

fn print(report: &Report, params: &Params) {
    let n = report.points;
    let upload_rate = n as f64 / report.upload.elapsed.as_secs_f64();
    println!();
    println!(
        "Quiver load benchmark: {n} x {DIM} Cosine (issue 5's clustered set), m {M}, \
         ef_construct {EF_CONSTRUCT}, {} queries per setting, server: {:?}",
        params.queries, params.mode
    );
    println!(
        "upload       {upload_rate:>9.0} points/s  ({n} points in {:.2} s, batches of \
         {UPLOAD_BATCH}, wait=true)",
        report.upload.elapsed.as_secs_f64()
    );
    println!(
        "indexing     {:>9.2} s after the upload until green with {n} vectors indexed",
        report.indexing.as_secs_f64()
    );
    println!(
        "{:<30} {:>7} {:>9} {:>8} {:>8} {:>10}",
        "search", "clients", "QPS", "p50 ms", "p99 ms", "recall@10"
    );
    let mut rows: Vec<(String, &Stats)> = report
        .searches
        .iter()
        .chain([&report.concurrent])
        .chain(&report.filtered)
        .map(|s| (s.label.clone(), s))
        .collect();
    if let Some(r) = &report.restart {
        rows.push((format!("{} (restarted)", r.search.label), &r.search));
    }
    if let Some(p) = &report.in_process {
        rows.push((p.engine.label.clone(), &p.engine));
        rows.push((format!("{} (same process)", p.rest.label), &p.rest));
    }
    for (label, s) in rows {
        println!(
            "{label:<30} {:>7} {:>9.1} {:>8.2} {:>8.2} {:>10.4}",
            s.clients,
            s.qps,
            ms(s.p50),
            ms(s.p99),
            s.recall
        );
    }
    let rest_ef = report
        .searches
        .iter()
        .find(|s| s.label == format!("REST ef {EF}"));
    if let (Some(p), Some(rest)) = (&report.in_process, rest_ef) {
        println!(
            "REST / in-process QPS at ef {EF}: {:.2} (server child or in-process as above), \
             {:.2} (server in this process)",
            rest.qps / p.engine.qps,
            p.rest.qps / p.engine.qps
        );
    }
    let kb = |m: Option<Memory>| m.map_or("n/a".to_string(), |m| m.rss_kb.to_string());
    let hwm = |m: Option<Memory>| m.map_or("n/a".to_string(), |m| m.hwm_kb.to_string());
    println!(
        "{:<22} {:>10} {:>10}",
        "server memory", "VmRSS kB", "VmHWM kB"
    );
    let restarted = report.restart.as_ref().and_then(|r| r.memory);
    for (label, m) in [
        ("after indexing", report.after_index),
        ("after the searches", report.after_queries),
        ("after the restart", restarted),
    ] {
        println!("{label:<22} {:>10} {:>10}", kb(m), hwm(m));
    }
    if params.mode == Mode::InProcess {
        println!("  (in-process: the bench's own dataset is included)");
    }
    if let Some(r) = &report.restart {
        println!(
            "restart      stop {:.2} s; start to /readyz {:.2} s, to green with {n} indexed {:.2} s",
            r.stop.as_secs_f64(),
            r.ready.as_secs_f64(),
            r.green.as_secs_f64()
        );
    }
    let figures = json!({
        "bench": "load",
        "points": n,
        "dim": DIM,
        "queries": params.queries,
        "server": format!("{:?}", params.mode),
        "upload": {
            "points_per_sec": round(upload_rate, 0),
            "secs": round(report.upload.elapsed.as_secs_f64(), 3),
            "batch": UPLOAD_BATCH,
        },
        "indexing_secs": round(report.indexing.as_secs_f64(), 2),
        "search": report.searches.iter().map(Stats::json).collect::<Vec<_>>(),
        "concurrent": report.concurrent.json(),
        "filtered": report.filtered.iter().map(Stats::json).collect::<Vec<_>>(),
        "memory": {
            "after_indexing": memory_json(report.after_index),
            "after_searches": memory_json(report.after_queries),
            "after_restart": memory_json(restarted),
        },
        "restart": report.restart.as_ref().map(|r| json!({
            "stop_secs": round(r.stop.as_secs_f64(), 3),
            "ready_secs": round(r.ready.as_secs_f64(), 3),
            "green_secs": round(r.green.as_secs_f64(), 3),
            "search": r.search.json(),
        })),
        "in_process": report.in_process.as_ref().map(|p| json!({
            "engine": p.engine.json(),
            "rest_same_process": p.rest.json(),
            "rest_over_engine": rest_ef.map(|r| round(r.qps / p.engine.qps, 3)),
            "rest_same_process_over_engine": round(p.rest.qps / p.engine.qps, 3),
        })),
    });
    println!("{figures}");
}

/// A fresh storage directory for this run, removed at the end.
fn storage_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quiver-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and gets a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let storage = storage_dir();
    let outcome = Params::from_env(smoke).and_then(|params| {
        let report = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?
            .block_on(run(&params, &storage))?;
        print(&report, &params);
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&storage);
    let _ = std::fs::remove_file(storage.with_extension("stderr.log"));
    if let Err(message) = outcome {
        eprintln!("load benchmark failed: {message}");
        std::process::exit(1);
    }
}
