//! While an HNSW graph builds in the background, collection info tells the truth (`yellow`,
//! `indexed_vectors_count` counting the vectors in the graph, `green` once no build is pending) and searches stay complete: points written or deleted during the build are found or
//! left out at once, because searches combine the graph with an exact scan of the points not yet
//! in it.

mod common;

use common::TestServer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const DIM: usize = 32;
const N: u64 = 5_000;

fn random_vector(rng: &mut StdRng) -> Vec<f32> {
    (0..DIM).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

/// The top-10 ids for `vector`, by graph or exact search.
async fn search(server: &TestServer, vector: &[f32], exact: bool) -> Vec<u64> {
    let found = server
        .search_top10("c", vector, json!({ "exact": exact }))
        .await;
    found.into_iter().map(|(id, _)| id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_and_results_stay_true_while_a_graph_builds() {
    let server = TestServer::start().await;
    server
        .create_indexed(
            "c",
            json!({"size": DIM, "distance": "Euclid"}),
            json!({"hnsw_config": {"m": 16, "ef_construct": 100}}),
        )
        .await;
    let mut rng = StdRng::seed_from_u64(21);
    let points: Vec<Value> = (0..N)
        .map(|id| json!({"id": id, "vector": random_vector(&mut rng)}))
        .collect();
    server.upsert("c", Value::Array(points)).await;

    // Written and deleted while the build runs (the first time the collection is seen yellow).
    let added: Vec<(u64, Vec<f32>)> = (0..30).map(|i| (N + i, random_vector(&mut rng))).collect();
    let deleted: Vec<u64> = (0..30).map(|i| i * 101).collect();
    let queries: Vec<Vec<f32>> = (0..5).map(|_| random_vector(&mut rng)).collect();

    let mut seen_yellow = false;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let info = server.info("c").await;
        let points = info["points_count"].as_u64().unwrap();
        let indexed = info["indexed_vectors_count"].as_u64().unwrap();
        assert_eq!(info["optimizer_status"], "ok", "{info}");
        assert!(indexed <= points, "{info}");
        match info["status"].as_str().unwrap() {
            "green" => {
                // Green: no build pending; only points written after the build (fewer than
                // trigger a rebuild) may be outside the graph, scanned exactly.
                assert!(
                    indexed + 30 >= points,
                    "green, most vectors outside a graph: {info}"
                );
                if seen_yellow {
                    break;
                }
                panic!("the build of {N} vectors was never seen in progress: {info}");
            }
            "yellow" if !seen_yellow => {
                seen_yellow = true;
                assert!(indexed < points, "{info}");
                let upserts: Vec<Value> = added
                    .iter()
                    .map(|(id, v)| json!({"id": id, "vector": v}))
                    .collect();
                let (status, body) = server
                    .call(
                        "PUT",
                        "/collections/c/points?wait=true",
                        Some(json!({ "points": upserts })),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
                let (status, body) = server
                    .call(
                        "POST",
                        "/collections/c/points/delete?wait=true",
                        Some(json!({ "points": deleted })),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
            }
            "yellow" => {}
            other => panic!("unexpected status {other}: {info}"),
        }
        if seen_yellow {
            // Complete at every moment: each new point is its own nearest neighbour, no deleted
            // point is returned, and a graph-or-scan search agrees with an exact one.
            for (id, vector) in &added {
                assert_eq!(search(&server, vector, false).await[0], *id);
            }
            for q in &queries {
                let approx = search(&server, q, false).await;
                let exact = search(&server, q, true).await;
                assert!(approx.iter().all(|id| !deleted.contains(id)));
                let found = approx.iter().filter(|id| exact.contains(id)).count();
                assert!(found >= 8, "approx {approx:?} exact {exact:?}");
            }
        }
        assert!(Instant::now() < deadline, "the graph was not built in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let info = server.info("c").await;
    // The deleted points left the graph; the 30 written during the build are scanned exactly
    // until enough points arrive for a rebuild.
    assert_eq!(info["points_count"], N);
    assert_eq!(info["indexed_vectors_count"], N - 30);
}

/// Graph builds from scratch since start-up (`GET /telemetry`); extensions are not counted.
async fn graph_builds(server: &TestServer) -> u64 {
    let (status, telemetry) = server.call("GET", "/telemetry", None).await;
    assert_eq!(status, 200, "{telemetry}");
    telemetry["result"]["collections"]["collections"][0]["shards"][0]["local"]["optimizations"]
        ["optimizations"]["count"]
        .as_u64()
        .expect("a build count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_written_after_the_build_join_the_graph_without_a_rebuild() {
    const FIRST: u64 = 2_000;
    let server = TestServer::start().await;
    server
        .create_indexed(
            "c",
            json!({"size": DIM, "distance": "Euclid"}),
            json!({"hnsw_config": {"m": 16, "ef_construct": 100, "max_indexing_threads": 1}}),
        )
        .await;
    let mut rng = StdRng::seed_from_u64(5);
    let points: Vec<Value> = (0..FIRST)
        .map(|id| json!({"id": id, "vector": random_vector(&mut rng)}))
        .collect();
    server.upsert("c", Value::Array(points)).await;
    server.wait_indexed("c", FIRST).await;
    assert_eq!(graph_builds(&server).await, 1);

    // 40 points overwritten (their old rows become tombstones in the graph) and 300 new ones:
    // 340 rows past the graph, enough to insert them into it.
    let written: Vec<(u64, Vec<f32>)> = (0..40)
        .map(|i| i * 47)
        .chain(FIRST..FIRST + 300)
        .map(|id| (id, random_vector(&mut rng)))
        .collect();
    let upserts: Vec<Value> = written
        .iter()
        .map(|(id, v)| json!({"id": id, "vector": v}))
        .collect();
    server.upsert("c", Value::Array(upserts)).await;
    // Every point in the graph again (nothing scanned past it), and no build from scratch.
    server.wait_indexed("c", FIRST + 300).await;
    let info = server.info("c").await;
    assert_eq!(info["points_count"], FIRST + 300, "{info}");
    assert_eq!(info["status"], "green", "{info}");
    assert_eq!(graph_builds(&server).await, 1);

    // Found by the graph walk: each written point is its own nearest neighbour, and graph
    // search agrees with exact search.
    for (id, vector) in &written {
        assert_eq!(search(&server, vector, false).await[0], *id);
    }
    let mut found = 0;
    for _ in 0..20 {
        let q = random_vector(&mut rng);
        let approx = search(&server, &q, false).await;
        let exact = search(&server, &q, true).await;
        found += approx.iter().filter(|id| exact.contains(id)).count();
    }
    assert!(found >= 190, "recall {found}/200");
}

/// Ids of the top 10 for `vector` under `filter`, through the graph (ef 256).
async fn filtered_top10(server: &TestServer, vector: &[f32], filter: Value) -> Vec<u64> {
    let body = json!({"query": vector, "filter": filter, "limit": 10, "params": {"hnsw_ef": 256}});
    let (status, reply) = server
        .call("POST", "/collections/c/points/query", Some(body))
        .await;
    assert_eq!(status, 200, "query: {reply}");
    reply["result"]["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_filters_on_a_graph_follow_payloads_changed_in_place() {
    // Payload indexes answer a lone keyword or integer match exactly, so searches decide most
    // points without their payloads; payloads changed in place must still be read. `color`
    // leaves ~500 points (past full_scan_threshold: the graph is walked with the filter), `tag`
    // ~20 (scored exactly).
    const POINTS: u64 = 2_000;
    let server = TestServer::start().await;
    server
        .create_indexed(
            "c",
            json!({"size": DIM, "distance": "Euclid"}),
            json!({"hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10}}),
        )
        .await;
    for (field, schema) in [("color", "keyword"), ("tag", "integer")] {
        let body = json!({"field_name": field, "field_schema": schema});
        let (status, reply) = server
            .call("PUT", "/collections/c/index?wait=true", Some(body))
            .await;
        assert_eq!(status, 200, "{reply}");
    }
    const COLORS: [&str; 4] = ["red", "green", "blue", "cyan"];
    let mut rng = StdRng::seed_from_u64(77);
    let vectors: Vec<Vec<f32>> = (0..POINTS).map(|_| random_vector(&mut rng)).collect();
    // What the test expects each point's payload to be: (color, tag).
    let mut model: Vec<(Option<&str>, Option<u64>)> = (0..POINTS)
        .map(|i| (Some(COLORS[i as usize % 4]), Some(i % 100)))
        .collect();
    let points: Vec<Value> = (0..POINTS)
        .map(|i| {
            let (color, tag) = model[i as usize];
            json!({"id": i, "vector": vectors[i as usize], "payload": {"color": color, "tag": tag}})
        })
        .collect();
    server.upsert("c", Value::Array(points)).await;
    server.wait_indexed("c", POINTS).await;

    // Changed in place: recoloured red, overwritten without a colour, colour and tag deleted.
    let recoloured: Vec<u64> = (0..POINTS).filter(|i| i % 9 == 1).collect();
    let overwritten: Vec<u64> = (0..POINTS).filter(|i| i % 4 == 0 && i % 3 == 0).collect();
    let stripped: Vec<u64> = (0..POINTS).filter(|i| i % 100 == 5 && i % 2 == 1).collect();
    let writes = [
        (
            "POST",
            "/points/payload",
            json!({"payload": {"color": "red"}, "points": recoloured}),
        ),
        (
            "PUT",
            "/points/payload",
            json!({"payload": {"tag": 5}, "points": overwritten}),
        ),
        (
            "POST",
            "/points/payload/delete",
            json!({"keys": ["color", "tag"], "points": stripped}),
        ),
    ];
    for (method, path, body) in writes {
        let path = format!("/collections/c{path}?wait=true");
        let (status, reply) = server.call(method, &path, Some(body)).await;
        assert_eq!(status, 200, "{path}: {reply}");
    }
    for &i in &recoloured {
        model[i as usize].0 = Some("red");
    }
    for &i in &overwritten {
        model[i as usize] = (None, Some(5));
    }
    for &i in &stripped {
        model[i as usize] = (None, None);
    }

    let red = |i: usize| model[i].0 == Some("red");
    let tag_5 = |i: usize| model[i].1 == Some(5);
    let cases: [(Value, &dyn Fn(usize) -> bool); 2] = [
        (
            json!({"must": [{"key": "color", "match": {"value": "red"}}]}),
            &red,
        ),
        (
            json!({"must": [{"key": "tag", "match": {"value": 5}}]}),
            &tag_5,
        ),
    ];
    for (filter, passes) in &cases {
        let matching: Vec<usize> = (0..POINTS as usize).filter(|&i| passes(i)).collect();
        let (mut hits, mut total) = (0, 0);
        for _ in 0..10 {
            let query = random_vector(&mut rng);
            let found = filtered_top10(&server, &query, filter.clone()).await;
            for id in &found {
                assert!(passes(*id as usize), "{id} does not match {filter}");
            }
            let mut truth: Vec<(f32, usize)> = matching
                .iter()
                .map(|&i| {
                    let d: f32 = vectors[i]
                        .iter()
                        .zip(&query)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum();
                    (d, i)
                })
                .collect();
            truth.sort_by(|a, b| a.0.total_cmp(&b.0));
            let truth: Vec<u64> = truth.iter().take(10).map(|&(_, i)| i as u64).collect();
            assert_eq!(found.len(), truth.len(), "{filter}");
            hits += found.iter().filter(|id| truth.contains(id)).count();
            total += truth.len();
        }
        let recall = hits as f64 / total as f64;
        assert!(recall >= 0.95, "recall {recall} for {filter}");
    }
}
