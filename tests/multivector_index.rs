//! Multivectors (`multivector_config: {comparator: max_sim}`) get an HNSW graph once past the
//! indexing threshold, walked with `max_sim`: graph results reach recall@10 ≥ 0.95 against the
//! exact scan (`params.exact`) with the same scores, stay complete (points written after the
//! build found, deleted ones never returned), hold under a filter, are reported in collection
//! info, and the graph is saved and taken back after a restart (no second build).

mod common;

use common::process::{
    call, collection_info, create_indexed, data_dir, graph_builds, start, upsert, wait_indexed,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const DIM: usize = 16;
const N: u64 = 2000;
const COLLECTION: &str = "late";

/// One to three sub-vectors, clustered a little so that neighbours mean something.
fn multivector(rng: &mut StdRng, centres: &[Vec<f32>]) -> Vec<Vec<f32>> {
    (0..rng.gen_range(1..=3))
        .map(|_| {
            let centre = &centres[rng.gen_range(0..centres.len())];
            centre
                .iter()
                .map(|c| c + rng.gen_range(-0.4..0.4))
                .collect()
        })
        .collect()
}

fn centres(rng: &mut StdRng) -> Vec<Vec<f32>> {
    (0..20)
        .map(|_| (0..DIM).map(|_| rng.gen_range(-1.0..1.0)).collect())
        .collect()
}

/// `(id, score)` of the best 10 for `query`, through the graph or exactly, under `filter`.
async fn query(base: &str, query: &[Vec<f32>], exact: bool, filter: Value) -> Vec<(u64, f64)> {
    let body = call(
        base,
        "POST",
        &format!("/collections/{COLLECTION}/points/query"),
        json!({
            "query": query,
            "limit": 10,
            "filter": filter,
            "params": {"exact": exact, "hnsw_ef": 128}
        }),
    )
    .await;
    body["result"]["points"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|p| (p["id"].as_u64().unwrap(), p["score"].as_f64().unwrap()))
        .collect()
}

/// Recall@10 of the graph against the exact scan over `queries`; scores of points both
/// return agree.
async fn recall(base: &str, queries: &[Vec<Vec<f32>>], filter: Value) -> f64 {
    let (mut found, mut total) = (0, 0);
    for q in queries {
        let approx = query(base, q, false, filter.clone()).await;
        let truth = query(base, q, true, filter.clone()).await;
        for (id, score) in &approx {
            if let Some((_, exact)) = truth.iter().find(|(t, _)| t == id) {
                assert!((score - exact).abs() < 1e-4, "{id}: {score} vs {exact}");
                found += 1;
            }
        }
        total += truth.len();
    }
    found as f64 / total as f64
}

#[tokio::test]
async fn multivectors_are_searched_through_a_max_sim_graph() {
    let dir = data_dir("multi-graph");
    let server = start(&dir).await;
    let base = server.base.clone();
    create_indexed(
        &base,
        COLLECTION,
        json!({
            "size": DIM,
            "distance": "Dot",
            "multivector_config": {"comparator": "max_sim"}
        }),
        json!({"hnsw_config": {"m": 16, "ef_construct": 100}}),
    )
    .await;
    let mut rng = StdRng::seed_from_u64(42);
    let centres = centres(&mut rng);
    let points: Vec<Value> = (0..N)
        .map(|id| {
            json!({
                "id": id,
                "vector": multivector(&mut rng, &centres),
                "payload": {"tenth": id % 10 == 3}
            })
        })
        .collect();
    upsert(&base, COLLECTION, Value::Array(points)).await;
    wait_indexed(&base, COLLECTION, N).await;
    assert_eq!(
        graph_builds(&base, COLLECTION).await,
        1,
        "one graph built for the multivector"
    );

    let queries: Vec<Vec<Vec<f32>>> = (0..20).map(|_| multivector(&mut rng, &centres)).collect();
    let unfiltered = recall(&base, &queries, Value::Null).await;
    assert!(unfiltered >= 0.95, "recall {unfiltered}");
    let tenth = json!({"must": [{"key": "tenth", "match": {"value": true}}]});
    let filtered = recall(&base, &queries, tenth).await;
    assert!(filtered >= 0.95, "filtered recall {filtered}");

    // Written after the build (too few to rebuild): found at once, by the exact tail scan.
    let newcomer = queries[0].clone();
    upsert(&base, COLLECTION, json!([{"id": N, "vector": newcomer}])).await;
    let best = query(&base, &queries[0], false, Value::Null).await;
    let truth = query(&base, &queries[0], true, Value::Null).await;
    assert!(truth.iter().any(|(id, _)| *id == N), "{truth:?}");
    assert!(best.iter().any(|(id, _)| *id == N), "{best:?}");
    // Deleted from the graph's rows: never returned.
    let gone: Vec<u64> = query(&base, &queries[1], false, Value::Null)
        .await
        .iter()
        .map(|(id, _)| *id)
        .collect();
    call(
        &base,
        "POST",
        &format!("/collections/{COLLECTION}/points/delete?wait=true"),
        json!({ "points": gone }),
    )
    .await;
    let after = query(&base, &queries[1], false, Value::Null).await;
    assert!(after.iter().all(|(id, _)| !gone.contains(id)), "{after:?}");
    assert_eq!(after.len(), 10);

    // Saved on graceful shutdown and taken back: no build after the restart.
    let before = query(&base, &queries[2], false, Value::Null).await;
    server.stop();
    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    let info = collection_info(&base, COLLECTION).await;
    assert_eq!(info["status"], "green", "{info}");
    assert_eq!(
        graph_builds(&base, COLLECTION).await,
        0,
        "the saved graph was reused"
    );
    assert_eq!(query(&base, &queries[2], false, Value::Null).await, before);
    restarted.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
