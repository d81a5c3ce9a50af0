//! Scalar int8 and binary quantization for real: once a vector has a graph, its quantized codes
//! are kept beside the originals; searches walk the graph on the codes and rescore the
//! candidates with the originals (`params.quantization`: `ignore`, `rescore`, `oversampling`).

mod common;

use common::TestServer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const DIM: usize = 32;
const N: u64 = 3000;

fn random_vector(rng: &mut StdRng) -> Vec<f32> {
    (0..DIM).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

/// Creates `name` (`distance`, `quantization`, indexed from the first point), writes `N` seeded
/// points and waits until they are all in the graph.
async fn create(server: &TestServer, name: &str, distance: &str, quantization: Value) {
    server
        .create_indexed(
            name,
            json!({"size": DIM, "distance": distance}),
            json!({ "quantization_config": quantization }),
        )
        .await;
    let mut rng = StdRng::seed_from_u64(8);
    let points: Vec<Value> = (0..N)
        .map(|id| json!({"id": id, "vector": random_vector(&mut rng)}))
        .collect();
    server.upsert(name, Value::Array(points)).await;
    server.wait_indexed(name, N).await;
}

fn queries() -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(77);
    (0..20).map(|_| random_vector(&mut rng)).collect()
}

/// Over the queries: recall@10 against exact search, whether every returned score equals the
/// exact score of that point (1e-4), and whether any differed.
async fn compare(server: &TestServer, name: &str, params: Value) -> (f64, bool, bool) {
    let (mut found, mut total) = (0, 0);
    let (mut all_exact, mut any_differs) = (true, false);
    for q in queries() {
        let exact = server.search_top10(name, &q, json!({"exact": true})).await;
        let approx = server.search_top10(name, &q, params.clone()).await;
        total += exact.len();
        for (id, score) in &approx {
            match exact.iter().find(|(e, _)| e == id) {
                Some((_, s)) => {
                    found += 1;
                    let same = (s - score).abs() <= 1e-4;
                    all_exact &= same;
                    any_differs |= !same;
                }
                None => any_differs = true,
            }
        }
    }
    (found as f64 / total as f64, all_exact, any_differs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scalar_int8_walks_the_codes_and_rescores_with_the_originals() {
    let server = TestServer::start().await;
    for distance in ["Cosine", "Dot", "Euclid", "Manhattan"] {
        let name = format!("scalar_{distance}");
        create(
            &server,
            &name,
            distance,
            json!({"scalar": {"type": "int8", "quantile": 0.99, "always_ram": true}}),
        )
        .await;
        // Default: codes first, then exact scores from the originals.
        let (recall, exact_scores, _) = compare(&server, &name, json!({})).await;
        assert!(recall >= 0.95, "{distance}: recall {recall}");
        assert!(exact_scores, "{distance}: rescored scores are exact");
        // Without rescoring the scores are the codes' approximations.
        let (recall, _, differs) =
            compare(&server, &name, json!({"quantization": {"rescore": false}})).await;
        assert!(recall >= 0.8, "{distance}: recall without rescore {recall}");
        assert!(
            differs,
            "{distance}: scores without rescoring come from the codes"
        );
        // `ignore`: the originals only, exact scores again.
        let (_, exact_scores, _) = compare(
            &server,
            &name,
            json!({"quantization": {"ignore": true, "rescore": false}}),
        )
        .await;
        assert!(exact_scores, "{distance}: ignore searches the originals");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_codes_with_oversampling_and_config_changes() {
    let server = TestServer::start().await;
    create(
        &server,
        "bin",
        "Cosine",
        json!({"binary": {"always_ram": true}}),
    )
    .await;
    // One bit per dimension of 32-dimensional uniform noise is coarse: rescoring the walk's
    // candidates with the originals is what brings the neighbours back.
    let (plain, _, _) = compare(&server, "bin", json!({"quantization": {"rescore": false}})).await;
    let (recall, exact_scores, _) = compare(&server, "bin", json!({})).await;
    assert!(
        recall >= 0.7 && recall > plain + 0.2,
        "binary: {plain} -> {recall}"
    );
    assert!(exact_scores);
    // With a narrow beam, oversampling widens it: limit × oversampling candidates are walked
    // and rescored.
    let (narrow, _, _) = compare(&server, "bin", json!({"hnsw_ef": 10})).await;
    let (oversampled, exact_scores, _) = compare(
        &server,
        "bin",
        json!({"hnsw_ef": 10, "quantization": {"oversampling": 10.0}}),
    )
    .await;
    assert!(
        oversampled >= 0.7 && oversampled > narrow + 0.2,
        "binary at ef 10: {narrow} -> {oversampled} with oversampling"
    );
    assert!(exact_scores);
    let (_, _, differs) =
        compare(&server, "bin", json!({"quantization": {"rescore": false}})).await;
    assert!(differs, "binary scores without rescoring are Hamming-based");

    // Switched to scalar, then removed: codes follow the config without a graph rebuild.
    for (config, codes) in [
        (json!({"scalar": {"type": "int8"}}), true),
        (json!("Disabled"), false),
    ] {
        let (status, body) = server
            .call(
                "PATCH",
                "/collections/bin",
                Some(json!({ "quantization_config": config })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        server.wait_indexed("bin", N).await;
        let (recall, _, differs) =
            compare(&server, "bin", json!({"quantization": {"rescore": false}})).await;
        if codes {
            assert!(recall >= 0.8 && differs, "scalar codes in use: {recall}");
        } else {
            assert!(!differs, "no codes: every score exact");
        }
    }
}

#[tokio::test]
async fn oversampling_below_one_is_rejected() {
    let server = TestServer::start().await;
    server.create_collection("c", 2, "Dot").await;
    for path in [
        "/collections/c/points/search",
        "/collections/c/points/query",
    ] {
        let body = match path.ends_with("search") {
            true => json!({"vector": [1.0, 0.0], "limit": 3,
                           "params": {"quantization": {"oversampling": 0.5}}}),
            false => json!({"query": [1.0, 0.0], "limit": 3,
                            "params": {"quantization": {"oversampling": 0.5}}}),
        };
        let (status, body) = server.call("POST", path, Some(body)).await;
        assert_eq!(status, 422, "{body}");
        let message = body["status"]["error"].as_str().unwrap();
        assert!(
            message.contains("params.quantization.oversampling"),
            "{message}"
        );
    }
}
