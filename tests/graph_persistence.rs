//! HNSW graphs are saved beside the sled data and taken back at start-up when they still fit the
//! stored points; otherwise they are rebuilt in the background while exact search answers. The
//! server binary runs on a storage directory and is stopped gracefully (SIGTERM) or killed
//! (SIGKILL) between steps; whether a graph was built or loaded is read from `GET /telemetry`
//! (graph builds since start-up) and collection info (status, `indexed_vectors_count`).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::process::{
    self, Running, call, collection_info, create_indexed, data_dir, graph_builds, start, upsert,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const DIM: usize = 8;
const N: u64 = 1500;
const COLLECTION: &str = "docs";

fn random_vector(rng: &mut StdRng) -> Vec<f32> {
    (0..DIM).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

/// A Euclid collection past its indexing threshold (1 kB = 32 vectors), points 0..N written in a
/// shuffled order so that offsets are not id order.
async fn create_indexed_collection(base: &str) {
    create_indexed(
        base,
        COLLECTION,
        json!({"size": DIM, "distance": "Euclid"}),
        json!({"hnsw_config": {"m": 16, "ef_construct": 64}}),
    )
    .await;
    let mut rng = StdRng::seed_from_u64(7);
    let mut ids: Vec<u64> = (0..N).collect();
    ids.shuffle(&mut rng);
    // One request, so that exactly one build follows.
    let points: Vec<Value> = ids
        .iter()
        .map(|&id| json!({"id": id, "vector": random_vector(&mut rng), "payload": {"n": id}}))
        .collect();
    upsert(base, COLLECTION, Value::Array(points)).await;
}

async fn info(base: &str) -> Value {
    collection_info(base, COLLECTION).await
}

async fn builds(base: &str) -> u64 {
    graph_builds(base, COLLECTION).await
}

async fn wait_indexed(base: &str, indexed: u64) {
    process::wait_indexed(base, COLLECTION, indexed).await
}

/// Waits until `count` graph builds have happened and the collection is green.
async fn wait_builds(base: &str, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while builds(base).await < count || info(base).await["status"] != "green" {
        assert!(Instant::now() < deadline, "{count} builds not seen in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(builds(base).await, count);
}

async fn search(base: &str, query: &[f32], exact: bool) -> Vec<u64> {
    let found = call(
        base,
        "POST",
        &format!("/collections/{COLLECTION}/points/search"),
        json!({"vector": query, "limit": 10, "params": {"exact": exact}}),
    )
    .await;
    found["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect()
}

fn queries() -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(99);
    (0..20).map(|_| random_vector(&mut rng)).collect()
}

/// Graph results for every query, and the share of the exact top 10 they found.
async fn graph_results_and_recall(base: &str) -> (Vec<Vec<u64>>, f64) {
    let mut results = Vec::new();
    let (mut found, mut total) = (0, 0);
    for q in queries() {
        let approx = search(base, &q, false).await;
        let truth = search(base, &q, true).await;
        found += approx.iter().filter(|id| truth.contains(id)).count();
        total += truth.len();
        results.push(approx);
    }
    (results, found as f64 / total as f64)
}

/// Graph search finds the exact top 10 (recall ≥ 0.95) and never returns a `deleted` point.
async fn assert_complete_without(base: &str, deleted: &[u64]) {
    let (results, recall) = graph_results_and_recall(base).await;
    assert!(recall >= 0.95, "recall {recall}");
    assert!(
        results.iter().flatten().all(|id| !deleted.contains(id)),
        "a deleted point was returned"
    );
}

/// Every point with payload and vector, in id order.
async fn all_points(base: &str) -> Value {
    call(
        base,
        "POST",
        &format!("/collections/{COLLECTION}/points/scroll"),
        json!({"limit": 10000, "with_payload": true, "with_vector": true}),
    )
    .await["result"]
        .clone()
}

/// The one graph file under the data directory.
fn graph_file(dir: &Path) -> PathBuf {
    let graphs = dir.join("graphs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&graphs)
        .expect("a graphs directory")
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| f.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.pop().unwrap()
}

async fn built_server(dir: &Path) -> Running {
    let server = start(dir).await;
    create_indexed_collection(&server.base).await;
    wait_indexed(&server.base, N).await;
    assert_eq!(builds(&server.base).await, 1);
    server
}

/// Takes `server`'s graph results (recall ≥ 0.95), stops it gracefully and starts again on
/// `dir`; asserts the saved graph is reused: green at once with `indexed` vectors, no build, the
/// same results. Returns the restarted server.
async fn restart_reusing_the_graph(dir: &Path, server: Running, indexed: u64) -> Running {
    let (before, recall) = graph_results_and_recall(&server.base).await;
    assert!(recall >= 0.95, "recall {recall}");
    server.stop();
    let restarted = start(dir).await;
    let info = info(&restarted.base).await;
    assert_eq!(info["status"], "green", "{info}");
    assert_eq!(info["indexed_vectors_count"], indexed);
    assert_eq!(builds(&restarted.base).await, 0);
    let (after, _) = graph_results_and_recall(&restarted.base).await;
    assert_eq!(after, before);
    restarted
}

#[tokio::test]
async fn a_graph_saved_on_graceful_shutdown_is_reused_after_restart() {
    let dir = data_dir("graphs-reuse");
    let server = built_server(&dir).await;
    let restarted = restart_reusing_the_graph(&dir, server, N).await;
    let base = restarted.base.clone();
    // Nothing was scheduled behind the scenes either.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(builds(&base).await, 0);
    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_damaged_missing_or_foreign_graph_file_is_rebuilt() {
    let dir = data_dir("graphs-rebuild");
    let server = built_server(&dir).await;
    let (before, _) = graph_results_and_recall(&server.base).await;
    server.stop();

    // Damaged: one flipped byte in the middle.
    let file = graph_file(&dir);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let server = start(&dir).await;
    wait_builds(&server.base, 1).await;
    wait_indexed(&server.base, N).await;
    let (after, recall) = graph_results_and_recall(&server.base).await;
    assert!(recall >= 0.95, "recall {recall}");
    assert_eq!(after.len(), before.len());
    // The rebuilt graph was saved over the damaged file.
    assert_ne!(std::fs::read(&file).unwrap(), bytes);

    // Missing: killed (nothing saved on the way out), then the file removed.
    server.kill();
    std::fs::remove_file(&file).unwrap();
    let server = start(&dir).await;
    wait_builds(&server.base, 1).await;
    wait_indexed(&server.base, N).await;

    // Built for another configuration: m changed while the graph served.
    call(
        &server.base,
        "PATCH",
        &format!("/collections/{COLLECTION}"),
        json!({"hnsw_config": {"m": 8}}),
    )
    .await;
    server.stop();
    let server = start(&dir).await;
    wait_builds(&server.base, 1).await;
    wait_indexed(&server.base, N).await;
    let (_, recall) = graph_results_and_recall(&server.base).await;
    assert!(recall >= 0.9, "recall {recall}");
    server.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn points_changed_after_the_save_are_served_correctly_after_sigkill() {
    let dir = data_dir("graphs-stale");
    let server = built_server(&dir).await;
    let base = server.base.clone();
    let path = |p: &str| format!("/collections/{COLLECTION}{p}?wait=true");
    let mut rng = StdRng::seed_from_u64(11);
    // 40 deleted, 40 overwritten with new vectors, 40 new; a payload change on 600 points
    // (payloads are not part of a graph, so those rows stay valid).
    let deleted: Vec<u64> = (0..40).map(|i| i * 37).collect();
    let overwritten: Vec<(u64, Vec<f32>)> = (0..40)
        .map(|i| (i * 37 + 5, random_vector(&mut rng)))
        .collect();
    let added: Vec<(u64, Vec<f32>)> = (0..40).map(|i| (N + i, random_vector(&mut rng))).collect();
    let mut old_vectors = Vec::new();
    for id in &deleted {
        let point = call(
            &base,
            "GET",
            &format!("/collections/{COLLECTION}/points/{id}"),
            json!({}),
        )
        .await;
        old_vectors.push(point["result"]["vector"].clone());
    }
    call(
        &base,
        "POST",
        &path("/points/delete"),
        json!({"points": deleted}),
    )
    .await;
    let upserts: Vec<Value> = overwritten
        .iter()
        .chain(&added)
        .map(|(id, v)| json!({"id": id, "vector": v}))
        .collect();
    call(&base, "PUT", &path("/points"), json!({"points": upserts})).await;
    let touched: Vec<u64> = (600..1200).filter(|id| !deleted.contains(id)).collect();
    call(
        &base,
        "POST",
        &path("/points/payload"),
        json!({"payload": {"touched": true}, "points": touched}),
    )
    .await;
    let scroll_before = all_points(&base).await;
    server.kill();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    // The graph is taken back: 80 of its 1500 rows no longer match, under deleted_threshold.
    let info = info(&base).await;
    assert_eq!(info["status"], "green", "{info}");
    assert_eq!(info["points_count"], N);
    assert_eq!(info["indexed_vectors_count"], N - 80);
    assert_eq!(builds(&base).await, 0);
    let scroll_after = all_points(&base).await;
    assert_eq!(scroll_after, scroll_before);
    // Overwritten and new points are found by their new vectors.
    for (id, vector) in overwritten.iter().chain(&added) {
        assert_eq!(search(&base, vector, false).await[0], *id);
    }
    // Deleted points are never returned, even for their own old vectors.
    for (id, vector) in deleted.iter().zip(&old_vectors) {
        let v: Vec<f32> = serde_json::from_value(vector.clone()).unwrap();
        assert!(!search(&base, &v, false).await.contains(id));
    }
    assert_complete_without(&base, &deleted).await;
    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn deleting_past_deleted_threshold_rebuilds_the_graph() {
    let dir = data_dir("graphs-tombstones");
    let server = built_server(&dir).await;
    let base = server.base.clone();
    // 30 % of the indexed points, over the default deleted_threshold of 0.2.
    let deleted: Vec<u64> = (0..N).filter(|id| id % 10 < 3).collect();
    call(
        &base,
        "POST",
        &format!("/collections/{COLLECTION}/points/delete?wait=true"),
        json!({"points": deleted}),
    )
    .await;
    wait_builds(&base, 2).await;
    wait_indexed(&base, N - deleted.len() as u64).await;
    assert_complete_without(&base, &deleted).await;
    server.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn graphs_of_two_named_vectors_are_reused_together() {
    let dir = data_dir("graphs-named");
    let server = start(&dir).await;
    let base = server.base.clone();
    create_indexed(
        &base,
        COLLECTION,
        json!({
            "a": {"size": DIM, "distance": "Dot"},
            "b": {"size": DIM, "distance": "Euclid"}
        }),
        json!({}),
    )
    .await;
    // Every point has `a`, only even ids have `b`.
    let mut rng = StdRng::seed_from_u64(3);
    let points: Vec<Value> = (0..N)
        .map(|id| {
            let mut vector = json!({"a": random_vector(&mut rng)});
            if id % 2 == 0 {
                vector["b"] = json!(random_vector(&mut rng));
            }
            json!({"id": id, "vector": vector})
        })
        .collect();
    upsert(&base, COLLECTION, Value::Array(points)).await;
    let indexed = N + N / 2;
    wait_indexed(&base, indexed).await;
    // Points without `b` are not tombstones of its graph: it is not rebuilt over and over.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(builds(&base).await, 2);
    let search_b = |base: String, q: Vec<f32>, exact: bool| async move {
        call(
            &base,
            "POST",
            &format!("/collections/{COLLECTION}/points/search"),
            json!({"vector": {"name": "b", "vector": q}, "limit": 10, "params": {"exact": exact}}),
        )
        .await["result"]
            .clone()
    };
    let q = queries()[0].clone();
    let before = search_b(base.clone(), q.clone(), false).await;
    server.stop();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    let info = info(&base).await;
    assert_eq!(info["status"], "green", "{info}");
    assert_eq!(info["indexed_vectors_count"], indexed);
    assert_eq!(builds(&base).await, 0);
    assert_eq!(search_b(base.clone(), q.clone(), false).await, before);
    assert_eq!(search_b(base.clone(), q, true).await, before);
    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A collection mixing a dense vector and a multivector (each with a graph) and a sparse vector
/// (scanned exactly, no graph): both graphs are taken back over one graph-ordered point table,
/// and every kind answers exactly as before the restart, including points changed after the
/// save (whose rows become tombstones in every store).
#[tokio::test]
async fn a_graph_is_reused_beside_multivectors_and_sparse_vectors() {
    let dir = data_dir("graphs-kinds");
    let server = start(&dir).await;
    let base = server.base.clone();
    create_indexed(
        &base,
        COLLECTION,
        json!({
            "dense": {"size": DIM, "distance": "Euclid"},
            "multi": {"size": 4, "distance": "Dot", "multivector_config": {"comparator": "max_sim"}}
        }),
        json!({"sparse_vectors": {"text": {"modifier": "idf"}}}),
    )
    .await;
    let mut rng = StdRng::seed_from_u64(5);
    let point = |id: u64, rng: &mut StdRng| {
        let multi: Vec<Vec<f32>> = (0..1 + id % 3)
            .map(|_| (0..4).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        let indices: Vec<u32> = (0..3).map(|k| ((id * 7 + k * 13) % 50) as u32).collect();
        let values: Vec<f32> = (0..3).map(|_| rng.gen_range(0.1..1.0)).collect();
        json!({"id": id, "vector": {
            "dense": random_vector(rng),
            "multi": multi,
            "text": {"indices": indices, "values": values}
        }})
    };
    let points: Vec<Value> = (0..N).map(|id| point(id, &mut rng)).collect();
    upsert(&base, COLLECTION, Value::Array(points)).await;
    // One graph for the dense vector and one for the multivector (sparse vectors have none).
    wait_indexed(&base, 2 * N).await;
    assert_eq!(builds(&base).await, 2);

    let probes = json!([
        {"query": {"indices": [1, 14, 27], "values": [0.5, 1.0, 0.25]}, "using": "text", "limit": 10},
        {"query": [[0.5, -0.5, 0.25, 1.0], [0.1, 0.2, 0.3, 0.4]], "using": "multi", "limit": 10},
        {"query": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], "using": "dense", "limit": 10,
         "params": {"exact": true}}
    ]);
    let answers = |base: String| {
        let probes = probes.clone();
        async move {
            call(
                &base,
                "POST",
                &format!("/collections/{COLLECTION}/points/query/batch"),
                json!({ "searches": probes }),
            )
            .await["result"]
                .clone()
        }
    };
    server.stop();

    // Changed after the save (the graph file is from the graceful stop): a few overwritten,
    // deleted and added, then killed.
    let server = start(&dir).await;
    let base = server.base.clone();
    assert_eq!(builds(&base).await, 0);
    let changed: Vec<Value> = (0..20u64)
        .map(|i| i * 31)
        .chain(N..N + 10)
        .map(|id| point(id, &mut rng))
        .collect();
    upsert(&base, COLLECTION, Value::Array(changed)).await;
    call(
        &base,
        "POST",
        &format!("/collections/{COLLECTION}/points/delete?wait=true"),
        json!({"points": [3, 4, 5]}),
    )
    .await;
    let before = answers(base.clone()).await;
    let scroll_before = all_points(&base).await;
    server.kill();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    assert_eq!(builds(&base).await, 0);
    assert_eq!(info(&base).await["status"], "green");
    assert_eq!(answers(base.clone()).await, before);
    assert_eq!(all_points(&base).await, scroll_before);
    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_graph_extended_with_later_points_is_saved_and_reused() {
    let dir = data_dir("graphs-extended");
    let server = built_server(&dir).await;
    let base = server.base.clone();
    // 20 points overwritten and 300 new: inserted into the graph, not built again.
    let mut rng = StdRng::seed_from_u64(23);
    let points: Vec<Value> = (0..20)
        .map(|i| i * 71)
        .chain(N..N + 300)
        .map(|id| json!({"id": id, "vector": random_vector(&mut rng), "payload": {"n": id}}))
        .collect();
    upsert(&base, COLLECTION, Value::Array(points)).await;
    wait_indexed(&base, N + 300).await;
    assert_eq!(builds(&base).await, 1);
    let restarted = restart_reusing_the_graph(&dir, server, N + 300).await;
    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}
