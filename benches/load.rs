//! The load benchmark: a whole in-process server driven over loopback HTTP, the way a client
//! sees it.
//!
//! It starts an in-memory server, creates a collection, uploads seeded points in batches of
//! 500 (upload throughput), then sends seeded queries through `POST /points/query` from several
//! concurrent clients (QPS, latency percentiles), once plain and once filtered on a keyword
//! payload with ten values. Recall@10 is checked against a brute-force top 10 computed here in
//! `f64`, independently of the server's kernels; process memory (VmRSS, VmHWM) is read after
//! upload and after the queries. It ends with a table and one line of JSON holding every figure,
//! to paste into a commit message as the before or after of a change.
//!
//! ```text
//! cargo bench --bench load
//! QUIVER_BENCH_POINTS=100000 QUIVER_BENCH_DIM=768 cargo bench --bench load
//! ```
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `QUIVER_BENCH_POINTS` | 20000 | points uploaded |
//! | `QUIVER_BENCH_DIM` | 128 | vector dimension |
//! | `QUIVER_BENCH_QUERIES` | 500 | queries per query phase |
//! | `QUIVER_BENCH_CONCURRENCY` | 4 | concurrent clients |
//! | `QUIVER_BENCH_DISTANCE` | Cosine | Cosine, Dot, Euclid or Manhattan |
//! | `QUIVER_BENCH_PHASE_SECS` | 60 | each phase (upload, search, filtered) stops after this |
//! | `QUIVER_BENCH_WAIT_INDEXED` | 0 | 1: after the upload, wait (at most 10 minutes) until the collection is green with every vector in its HNSW graph, and report how long that took |
//!
//! Server and clients share one tokio runtime (one worker per core), so client work — sending,
//! receiving, and nothing else: request bodies are serialised before the clock starts and
//! responses parsed after it stops — competes with the server for the same cores. Memory
//! figures are for the whole process, including the bench's own copy of the data (about
//! `points × dim × 4` bytes), which the `baseline` row shows before the server starts.
//!
//! Run without `--bench` (as `cargo test --benches` does), it does a small smoke run instead.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use quiver::Server;
use quiver::model::vectors::Distance;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

const COLLECTION: &str = "bench";
const TOP: usize = 10;
const UPLOAD_BATCH: usize = 500;
/// Point `i` carries `{"group": "g{i % GROUPS}"}`; a filtered query asks for one group.
const GROUPS: usize = 10;
const DATA_SEED: u64 = 0x5155_4956_4552;
const QUERY_SEED: u64 = 0x5155_4552_5953;
/// Recall is checked on at most this many answers per phase: the brute force costs
/// `points × dim` per query, which must not outgrow the run for large point or query counts.
const RECALL_SAMPLE: usize = 1_000;

/// What one run measures, read from the environment.
struct Params {
    points: usize,
    dim: usize,
    queries: usize,
    concurrency: usize,
    distance: Distance,
    phase_cap: Duration,
    wait_indexed: bool,
}

impl Params {
    fn from_env(smoke: bool) -> Result<Params, String> {
        let (points, queries) = if smoke { (1_000, 20) } else { (20_000, 500) };
        Ok(Params {
            points: env_count("QUIVER_BENCH_POINTS", points)?,
            dim: env_count("QUIVER_BENCH_DIM", 128)?,
            queries: env_count("QUIVER_BENCH_QUERIES", queries)?,
            concurrency: env_count("QUIVER_BENCH_CONCURRENCY", 4)?,
            distance: env_distance("QUIVER_BENCH_DISTANCE")?,
            phase_cap: Duration::from_secs(env_count("QUIVER_BENCH_PHASE_SECS", 60)? as u64),
            wait_indexed: std::env::var("QUIVER_BENCH_WAIT_INDEXED").is_ok_and(|v| v.trim() == "1"),
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

fn env_distance(name: &str) -> Result<Distance, String> {
    match std::env::var(name) {
        Err(_) => Ok(Distance::Cosine),
        Ok(text) => serde_json::from_value(Value::String(text.trim().to_string())).map_err(|_| {
            format!("{name}={text:?}: expected one of Cosine, Dot, Euclid, Manhattan")
        }),
    }
}

fn random_vectors(seed: u64, count: usize, dim: usize) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| (0..dim).map(|_| rng.gen_range(-1.0f32..1.0)).collect())
        .collect()
}

fn group_of(id: usize) -> String {
    format!("g{}", id % GROUPS)
}

/// Resident and peak resident memory of this process, in kB (Linux only).
#[derive(Clone, Copy)]
struct Memory {
    rss_kb: u64,
    hwm_kb: u64,
}

fn memory() -> Option<Memory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
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

/// Sends one JSON request and insists on a 2xx answer.
/// Polls collection info until it is green with `points` vectors indexed (at most 10 minutes).
async fn wait_indexed(
    client: &reqwest::Client,
    base: &str,
    points: usize,
) -> Result<Duration, String> {
    let started = Instant::now();
    let url = format!("{base}/collections/{COLLECTION}");
    while started.elapsed() < Duration::from_secs(600) {
        let info: Value =
            serde_json::from_slice(&call(client, reqwest::Method::GET, &url, Bytes::new()).await?)
                .map_err(|e| format!("{url}: {e}"))?;
        let result = &info["result"];
        if result["status"] == "green"
            && result["indexed_vectors_count"].as_u64().unwrap_or(0) >= points as u64
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("the collection was not indexed within 10 minutes".into())
}

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

struct Upload {
    points: usize,
    /// Time inside requests only; building each batch's JSON is not counted.
    elapsed: Duration,
}

/// Uploads points `0..vectors.len()` in batches (batch form, `wait=true`), one batch at a time,
/// until done or `cap` has passed.
async fn upload(
    client: &reqwest::Client,
    base: &str,
    vectors: &[Vec<f32>],
    cap: Duration,
) -> Result<Upload, String> {
    let url = format!("{base}/collections/{COLLECTION}/points?wait=true");
    let deadline = Instant::now() + cap;
    let mut done = Upload {
        points: 0,
        elapsed: Duration::ZERO,
    };
    for (batch, chunk) in vectors.chunks(UPLOAD_BATCH).enumerate() {
        if Instant::now() >= deadline {
            break;
        }
        let first = batch * UPLOAD_BATCH;
        let ids: Vec<usize> = (first..first + chunk.len()).collect();
        let payloads: Vec<Value> = ids.iter().map(|&i| json!({"group": group_of(i)})).collect();
        let body = json!({"batch": {"ids": ids, "vectors": chunk, "payloads": payloads}});
        let body = Bytes::from(serde_json::to_vec(&body).map_err(|e| e.to_string())?);
        let started = Instant::now();
        call(client, reqwest::Method::PUT, &url, body).await?;
        done.elapsed += started.elapsed();
        done.points += chunk.len();
    }
    Ok(done)
}

/// One answered query: which one, how long it took, and the raw answer (parsed after timing).
struct Answer {
    index: usize,
    latency: Duration,
    body: Bytes,
}

struct Phase {
    answers: Vec<Answer>,
    wall: Duration,
}

/// Sends `bodies` to the query endpoint from `concurrency` clients, each taking the next unsent
/// query, until all are answered or `cap` has passed.
async fn run_queries(
    client: &reqwest::Client,
    url: &str,
    bodies: Arc<Vec<Bytes>>,
    concurrency: usize,
    cap: Duration,
) -> Result<Phase, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + cap;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
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
                let body = call(&client, reqwest::Method::POST, &url, body.clone()).await?;
                answers.push(Answer {
                    index,
                    latency: sent.elapsed(),
                    body,
                });
            }
            Ok::<_, String>(answers)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = workers.join_next().await {
        answers.extend(joined.map_err(|e| format!("query client failed: {e}"))??);
    }
    Ok(Phase {
        answers,
        wall: started.elapsed(),
    })
}

/// Ranks `id` for `query`: smaller is better for every distance, computed in `f64`.
fn true_key(distance: Distance, query: &[f32], vector: &[f32]) -> f64 {
    let pairs = || {
        query
            .iter()
            .zip(vector)
            .map(|(&a, &b)| (a as f64, b as f64))
    };
    match distance {
        Distance::Cosine => {
            let (dot, qq, vv) = pairs().fold((0.0, 0.0, 0.0), |(d, q, v), (a, b)| {
                (d + a * b, q + a * a, v + b * b)
            });
            -dot / (qq.sqrt() * vv.sqrt())
        }
        Distance::Dot => -pairs().map(|(a, b)| a * b).sum::<f64>(),
        Distance::Euclid => pairs().map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt(),
        Distance::Manhattan => pairs().map(|(a, b)| (a - b).abs()).sum(),
    }
}

/// The fraction of the true top `TOP` (among points `accept` admits) that `found` holds.
///
/// A found id counts when the point is admitted and ranks no worse than the true `TOP`-th
/// point, within a rounding margin: the server scores in `f32`, so two points whose `f64` keys
/// differ by a few ulps may legitimately trade places at the cut-off.
fn recall(
    distance: Distance,
    query: &[f32],
    vectors: &[Vec<f32>],
    accept: impl Fn(usize) -> bool,
    found: &[u64],
) -> f64 {
    let mut keys: Vec<f64> = (0..vectors.len())
        .filter(|&i| accept(i))
        .map(|i| true_key(distance, query, &vectors[i]))
        .collect();
    let wanted = TOP.min(keys.len());
    if wanted == 0 {
        return 1.0;
    }
    keys.select_nth_unstable_by(wanted - 1, f64::total_cmp);
    let cutoff = keys[wanted - 1];
    let margin = 1e-5 * cutoff.abs().max(1.0);
    let distinct: HashSet<u64> = found.iter().copied().collect();
    let hits = distinct
        .into_iter()
        .filter(|&id| {
            let i = id as usize;
            i < vectors.len()
                && accept(i)
                && true_key(distance, query, &vectors[i]) <= cutoff + margin
        })
        .count();
    hits.min(wanted) as f64 / wanted as f64
}

/// The figures of one query phase.
struct QueryStats {
    sent: usize,
    answered: usize,
    qps: f64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    /// How many answers recall was checked on (at most `RECALL_SAMPLE`).
    recall_sample: usize,
    recall: f64,
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

fn summarise(
    phase: &Phase,
    sent: usize,
    distance: Distance,
    queries: &[Vec<f32>],
    vectors: &[Vec<f32>],
    filter_group: impl Fn(usize) -> Option<usize>,
) -> Result<QueryStats, String> {
    let mut latencies: Vec<Duration> = phase.answers.iter().map(|a| a.latency).collect();
    latencies.sort();
    // Recall comes from the lowest-numbered answers, so the sample does not depend on timing.
    let mut sample: Vec<&Answer> = phase.answers.iter().collect();
    sample.sort_by_key(|a| a.index);
    sample.truncate(RECALL_SAMPLE);
    let mut recall_sum = 0.0;
    for answer in &sample {
        let found = ids_of(&answer.body)?;
        let group = filter_group(answer.index);
        let accept = |i: usize| group.is_none_or(|g| i % GROUPS == g);
        recall_sum += recall(distance, &queries[answer.index], vectors, accept, &found);
    }
    let answered = phase.answers.len();
    Ok(QueryStats {
        sent,
        answered,
        qps: answered as f64 / phase.wall.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p95: percentile(&latencies, 0.95),
        p99: percentile(&latencies, 0.99),
        recall_sample: sample.len(),
        recall: if sample.is_empty() {
            0.0
        } else {
            recall_sum / sample.len() as f64
        },
    })
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

fn stats_json(s: &QueryStats) -> Value {
    json!({
        "queries": s.sent,
        "answered": s.answered,
        "qps": round(s.qps, 1),
        "p50_ms": ms(s.p50),
        "p95_ms": ms(s.p95),
        "p99_ms": ms(s.p99),
        "recall_at_10": round(s.recall, 4),
        "recall_sample": s.recall_sample,
    })
}

fn memory_json(m: Option<Memory>) -> Value {
    m.map_or(
        Value::Null,
        |m| json!({"rss_kb": m.rss_kb, "hwm_kb": m.hwm_kb}),
    )
}

fn query_body(vector: &[f32], filter_group: Option<usize>) -> Result<Bytes, String> {
    let mut body = json!({"query": vector, "limit": TOP, "with_payload": false});
    if let Some(g) = filter_group {
        body["filter"] = json!({"must": [{"key": "group", "match": {"value": format!("g{g}")}}]});
    }
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .map_err(|e| e.to_string())
}

async fn run(params: Params) -> Result<(), String> {
    let vectors = random_vectors(DATA_SEED, params.points, params.dim);
    let queries = random_vectors(QUERY_SEED, params.queries, params.dim);
    // Query `i` of the filtered phase asks for group `i % GROUPS`.
    let filtered_group = |i: usize| Some(i % GROUPS);
    let plain_bodies = Arc::new(
        queries
            .iter()
            .map(|q| query_body(q, None))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let filtered_bodies = Arc::new(
        queries
            .iter()
            .enumerate()
            .map(|(i, q)| query_body(q, filtered_group(i)))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let baseline = memory();

    let server = Server::start_in_memory()
        .await
        .map_err(|e| format!("server start: {e}"))?;
    let base = server.rest_url();
    let client = reqwest::Client::new();
    let create = json!({"vectors": {"size": params.dim, "distance": params.distance}});
    call(
        &client,
        reqwest::Method::PUT,
        &format!("{base}/collections/{COLLECTION}"),
        Bytes::from(create.to_string()),
    )
    .await?;
    // A client would index the filtered field; until payload indexes exist the server refuses
    // (or ignores) this, and the figures say which case they measured.
    let payload_index = call(
        &client,
        reqwest::Method::PUT,
        &format!("{base}/collections/{COLLECTION}/index?wait=true"),
        Bytes::from(json!({"field_name": "group", "field_schema": "keyword"}).to_string()),
    )
    .await
    .is_ok();

    let uploaded = upload(&client, &base, &vectors, params.phase_cap).await?;
    let indexing = if params.wait_indexed {
        Some(wait_indexed(&client, &base, uploaded.points).await?)
    } else {
        None
    };
    let after_upload = memory();
    // Only what was uploaded can be found.
    let vectors = &vectors[..uploaded.points];

    let url = format!("{base}/collections/{COLLECTION}/points/query");
    // Warm-up: open one connection per client and touch the data once.
    let warm = Arc::new(plain_bodies[..params.concurrency.min(params.queries)].to_vec());
    run_queries(&client, &url, warm, params.concurrency, params.phase_cap).await?;
    let plain = run_queries(
        &client,
        &url,
        plain_bodies,
        params.concurrency,
        params.phase_cap,
    )
    .await?;
    let filtered = run_queries(
        &client,
        &url,
        filtered_bodies,
        params.concurrency,
        params.phase_cap,
    )
    .await?;
    let after_queries = memory();
    server.shutdown().await;

    let plain = summarise(
        &plain,
        params.queries,
        params.distance,
        &queries,
        vectors,
        |_| None,
    )?;
    let filtered = summarise(
        &filtered,
        params.queries,
        params.distance,
        &queries,
        vectors,
        filtered_group,
    )?;
    let upload_rate = uploaded.points as f64 / uploaded.elapsed.as_secs_f64();

    println!();
    println!(
        "Quiver load benchmark: {} points x {} dims, {:?}, {} queries per phase, {} clients",
        uploaded.points, params.dim, params.distance, params.queries, params.concurrency
    );
    if uploaded.points < params.points {
        println!(
            "  upload stopped after {:?}: {} of {} points",
            params.phase_cap, uploaded.points, params.points
        );
    }
    println!(
        "upload     {:>9.0} points/s  ({} points in {:.2} s, batches of {UPLOAD_BATCH}, wait=true)",
        upload_rate,
        uploaded.points,
        uploaded.elapsed.as_secs_f64()
    );
    if let Some(took) = indexing {
        println!(
            "indexing   {:>9.2} s until every vector was in the HNSW graph",
            took.as_secs_f64()
        );
    }
    println!(
        "{:<10} {:>12} {:>9} {:>8} {:>8} {:>8} {:>10}",
        "phase", "answered", "QPS", "p50 ms", "p95 ms", "p99 ms", "recall@10"
    );
    let filtered_label = if payload_index {
        "filtered"
    } else {
        "filtered*"
    };
    for (label, s) in [("search", &plain), (filtered_label, &filtered)] {
        println!(
            "{label:<10} {:>12} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>10.4}",
            format!("{}/{}", s.answered, s.sent),
            s.qps,
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            s.recall
        );
    }
    if plain.recall_sample < plain.answered || filtered.recall_sample < filtered.answered {
        println!("  recall@10 over the first {RECALL_SAMPLE} answers of each phase");
    }
    if !payload_index {
        println!("  * no payload index: the server did not accept PUT /collections/{{c}}/index");
    }
    println!("{:<14} {:>10} {:>10}", "memory", "VmRSS kB", "VmHWM kB");
    for (label, m) in [
        ("baseline", baseline),
        ("after upload", after_upload),
        ("after queries", after_queries),
    ] {
        match m {
            Some(m) => println!("{label:<14} {:>10} {:>10}", m.rss_kb, m.hwm_kb),
            None => println!("{label:<14} {:>10} {:>10}", "n/a", "n/a"),
        }
    }
    let mut filtered_json = stats_json(&filtered);
    filtered_json["payload_index"] = json!(payload_index);
    filtered_json["groups"] = json!(GROUPS);
    let figures = json!({
        "bench": "load",
        "points": uploaded.points,
        "dim": params.dim,
        "distance": params.distance,
        "concurrency": params.concurrency,
        "upload": {
            "points_per_sec": round(upload_rate, 0),
            "secs": round(uploaded.elapsed.as_secs_f64(), 3),
            "batch": UPLOAD_BATCH,
        },
        "indexing_secs": indexing.map(|d| round(d.as_secs_f64(), 2)),
        "search": stats_json(&plain),
        "filtered": filtered_json,
        "memory": {
            "baseline": memory_json(baseline),
            "after_upload": memory_json(after_upload),
            "after_queries": memory_json(after_queries),
        },
    });
    println!("{figures}");
    Ok(())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and gets a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let outcome = Params::from_env(smoke).and_then(|params| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?
            .block_on(run(params))
    });
    if let Err(message) = outcome {
        eprintln!("load benchmark failed: {message}");
        std::process::exit(1);
    }
}
