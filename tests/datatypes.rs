//! `datatype: float16 | uint8` on dense vectors: values are converted when written (float16
//! rounded to half precision after Cosine normalisation, uint8 truncated and never normalised),
//! reads return the stored values, scores come from the converted values (uint8 Cosine is the
//! true cosine), out-of-range values fail the request with 400 and change nothing, HNSW graphs
//! are built over the compact rows, and the data survives a restart.

mod common;

use std::time::Duration;

use common::process::{call, create_indexed, data_dir, start, upsert};
use common::{TestServer, error_message};
use half::f16;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const DIM: usize = 16;
const DISTANCES: [&str; 4] = ["Cosine", "Dot", "Euclid", "Manhattan"];

/// What the server stores for `v`: the test's own model of the conversion.
fn converted(datatype: &str, distance: &str, v: &[f32]) -> Vec<f32> {
    match datatype {
        "uint8" => v.iter().map(|x| x.trunc()).collect(),
        _ => {
            let mut v = v.to_vec();
            if distance == "Cosine" {
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter_mut().for_each(|x| *x /= norm);
            }
            v.iter().map(|&x| f16::from_f32(x).to_f32()).collect()
        }
    }
}

/// The similarity of two converted vectors in f64, bigger is better: uint8 Cosine is the true
/// cosine of the bytes, float16 Cosine the dot product of the stored (normalised, then rounded)
/// values, Euclid the negated squared distance, Manhattan the negated L1 distance.
fn similarity(datatype: &str, distance: &str, q: &[f32], r: &[f32]) -> f64 {
    let pairs = || q.iter().zip(r).map(|(&a, &b)| (a as f64, b as f64));
    let dot: f64 = pairs().map(|(a, b)| a * b).sum();
    match distance {
        "Cosine" if datatype == "uint8" => {
            let na = q.iter().map(|&a| (a as f64).powi(2)).sum::<f64>().sqrt();
            let nb = r.iter().map(|&b| (b as f64).powi(2)).sum::<f64>().sqrt();
            if na == 0.0 || nb == 0.0 {
                0.0
            } else {
                dot / (na * nb)
            }
        }
        "Cosine" | "Dot" => dot,
        "Euclid" => -pairs().map(|(a, b)| (a - b).powi(2)).sum::<f64>(),
        _ => -pairs().map(|(a, b)| (a - b).abs()).sum::<f64>(),
    }
}

/// A similarity (or a sum of them) as a client sees it: `sqrt(|s|)` for Euclid, `|s|` for
/// Manhattan.
fn reported(distance: &str, similarity: f64) -> f64 {
    match distance {
        "Euclid" => similarity.abs().sqrt(),
        "Manhattan" => similarity.abs(),
        _ => similarity,
    }
}

/// The score a client should see, in f64 from converted values.
fn expected_score(datatype: &str, distance: &str, q: &[f32], r: &[f32]) -> f64 {
    reported(distance, similarity(datatype, distance, q, r))
}

fn random_vector(rng: &mut StdRng, datatype: &str) -> Vec<f32> {
    (0..DIM)
        .map(|_| match datatype {
            "uint8" => rng.gen_range(0.0..255.0f32),
            _ => rng.gen_range(-1.0..1.0),
        })
        .collect()
}

/// The parameters of a dense vector of `DIM` values of `datatype`.
fn dense(datatype: &str, distance: &str) -> Value {
    json!({"size": DIM, "distance": distance, "datatype": datatype})
}

/// Creates the collection `name` with one unnamed vector of parameters `vectors`.
async fn create(server: &TestServer, name: &str, vectors: Value) {
    let (status, reply) = server
        .call(
            "PUT",
            &format!("/collections/{name}"),
            Some(json!({ "vectors": vectors })),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
}

/// The stored vector of point `id` of `name`, as `T`: `Vec<f32>` for a dense vector,
/// `Vec<Vec<f32>>` for a multivector.
async fn retrieve<T: DeserializeOwned>(server: &TestServer, name: &str, id: u64) -> T {
    let (status, body) = server
        .call("GET", &format!("/collections/{name}/points/{id}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    vector_of(&body)
}

/// The vector in a `GET .../points/{id}` reply, as `T`.
fn vector_of<T: DeserializeOwned>(reply: &Value) -> T {
    serde_json::from_value(reply["result"]["vector"].clone())
        .unwrap_or_else(|e| panic!("a vector ({e}): {reply}"))
}

#[tokio::test]
async fn uint8_vectors_read_back_as_whole_numbers() {
    let server = TestServer::start().await;
    create(&server, "bytes", dense("uint8", "Cosine")).await;
    let mut v = vec![0.0f32; DIM];
    v[..4].copy_from_slice(&[1.7, 0.0, 255.0, 3.2]);
    server
        .upsert("bytes", json!([{"id": 1, "vector": v}]))
        .await;
    // Not normalised, fractions truncated.
    assert_eq!(
        retrieve::<Vec<f32>>(&server, "bytes", 1).await[..4],
        [1.0, 0.0, 255.0, 3.0]
    );
    // update_vectors converts the same way.
    let (status, body) = server
        .call(
            "PUT",
            "/collections/bytes/points/vectors?wait=true",
            Some(json!({"points": [{"id": 1, "vector": vec![9.99f32; DIM]}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        retrieve::<Vec<f32>>(&server, "bytes", 1).await,
        vec![9.0; DIM]
    );
    // Collection info reports the datatype as given.
    let (_, info) = server.call("GET", "/collections/bytes", None).await;
    assert_eq!(
        info["result"]["config"]["params"]["vectors"]["datatype"],
        "uint8"
    );
}

#[tokio::test]
async fn float16_vectors_read_back_at_half_precision() {
    let server = TestServer::start().await;
    create(&server, "halves", dense("float16", "Euclid")).await;
    create(&server, "unit", dense("float16", "Cosine")).await;
    let mut v = vec![0.0f32; DIM];
    v[..4].copy_from_slice(&[0.1, 2049.0, -2.71, 65504.0]);
    server
        .upsert("halves", json!([{"id": 1, "vector": v}]))
        .await;
    server.upsert("unit", json!([{"id": 1, "vector": v}])).await;
    let stored = retrieve::<Vec<f32>>(&server, "halves", 1).await;
    assert_eq!(stored, converted("float16", "Euclid", &v));
    assert_eq!(stored[..2], [0.099975586, 2048.0]);
    // Cosine: normalised in f32 first, then rounded.
    assert_eq!(
        retrieve::<Vec<f32>>(&server, "unit", 1).await,
        converted("float16", "Cosine", &v)
    );
    let (_, info) = server.call("GET", "/collections/halves", None).await;
    assert_eq!(
        info["result"]["config"]["params"]["vectors"]["datatype"],
        "float16"
    );
}

#[tokio::test]
async fn exact_scores_come_from_the_converted_values() {
    let server = TestServer::start().await;
    let mut rng = StdRng::seed_from_u64(3);
    for datatype in ["uint8", "float16"] {
        for distance in DISTANCES {
            let name = format!("{datatype}_{distance}");
            create(&server, &name, dense(datatype, distance)).await;
            let vectors: Vec<Vec<f32>> =
                (0..40).map(|_| random_vector(&mut rng, datatype)).collect();
            let points: Vec<Value> = vectors
                .iter()
                .enumerate()
                .map(|(id, v)| json!({"id": id, "vector": v}))
                .collect();
            server.upsert(&name, Value::Array(points)).await;
            let query = random_vector(&mut rng, datatype);
            let q = converted(datatype, distance, &query);
            let found = server
                .search_top10(&name, &query, json!({"exact": true}))
                .await;
            assert_eq!(found.len(), 10);
            let mut expected: Vec<(u64, f64)> = vectors
                .iter()
                .enumerate()
                .map(|(id, v)| {
                    let r = converted(datatype, distance, v);
                    (id as u64, expected_score(datatype, distance, &q, &r))
                })
                .collect();
            let higher_first = matches!(distance, "Cosine" | "Dot");
            expected.sort_by(|a, b| match higher_first {
                true => b.1.total_cmp(&a.1),
                false => a.1.total_cmp(&b.1),
            });
            for ((id, score), (eid, escore)) in found.iter().zip(&expected) {
                let tolerance = 1e-5 * escore.abs().max(1.0);
                assert!(
                    (score - escore).abs() <= tolerance,
                    "{name}: point {id} scored {score}, expected {escore} (point {eid})"
                );
            }
        }
    }
}

#[tokio::test]
async fn uint8_cosine_is_the_true_cosine_of_the_bytes() {
    let server = TestServer::start().await;
    create(&server, "bytes", dense("uint8", "Cosine")).await;
    let mut a = vec![0.0f32; DIM];
    a[0] = 3.0;
    a[1] = 4.0;
    server
        .upsert(
            "bytes",
            json!([{"id": 1, "vector": a}, {"id": 2, "vector": vec![0.0; DIM]}]),
        )
        .await;
    let mut q = vec![0.0f32; DIM];
    q[0] = 4.0;
    q[1] = 3.0;
    let found = server
        .search_top10("bytes", &q, json!({"exact": true}))
        .await;
    // cos = 24 / 25; a zero vector scores 0.
    assert_eq!(found[0].0, 1);
    assert!((found[0].1 - 0.96).abs() < 1e-6, "{found:?}");
    assert_eq!(found[1], (2, 0.0));
}

#[tokio::test]
async fn out_of_range_values_are_rejected_and_change_nothing() {
    let server = TestServer::start().await;
    create(&server, "bytes", dense("uint8", "Dot")).await;
    create(&server, "halves", dense("float16", "Dot")).await;
    let ones = vec![1.0f32; DIM];
    server
        .upsert("bytes", json!([{"id": 1, "vector": ones}]))
        .await;
    server
        .upsert("halves", json!([{"id": 1, "vector": ones}]))
        .await;
    for (name, bad) in [
        ("bytes", 256.0f32),
        ("bytes", -1.0),
        ("halves", 70000.0),
        ("halves", -65600.0),
    ] {
        let mut v = vec![2.0f32; DIM];
        v[5] = bad;
        let message = assert_refused(&server, name, bad, &v, &ones).await;
        assert!(message.starts_with("Wrong input: vector"), "{message}");
    }
}

/// Writes `vector` (which holds the out-of-range `value`) over point 1 of `name`, stored as
/// `kept`: by an upsert batched with a new point 2, and by `update_vectors`. Asserts both are
/// refused with 400 (the upsert's message naming the value) and change nothing; returns the
/// upsert's message.
async fn assert_refused<T>(
    server: &TestServer,
    name: &str,
    value: f32,
    vector: &T,
    kept: &T,
) -> String
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let (status, body) = server
        .call(
            "PUT",
            &format!("/collections/{name}/points?wait=true"),
            Some(json!({"points": [{"id": 1, "vector": vector}, {"id": 2, "vector": kept}]})),
        )
        .await;
    assert_eq!(status, 400, "{name} {value}: {body}");
    let message = error_message(&body);
    assert!(message.contains(&value.to_string()), "{name}: {message}");
    let (status, _) = server
        .call(
            "PUT",
            &format!("/collections/{name}/points/vectors?wait=true"),
            Some(json!({"points": [{"id": 1, "vector": vector}]})),
        )
        .await;
    assert_eq!(status, 400, "{name} {value}: update_vectors");
    assert_eq!(
        &retrieve::<T>(server, name, 1).await,
        kept,
        "{name}: unchanged"
    );
    let (status, _) = server
        .call("GET", &format!("/collections/{name}/points/2"), None)
        .await;
    assert_eq!(status, 404, "{name}: the batch was not applied");
    message
}

/// Creates `name` (`datatype`, `distance`, indexed from the first point), writes 2000 seeded
/// points of `data`'s kind, waits for the graph and returns the graph search's recall@10
/// against exact search over 20 queries (graph scores checked against exact ones).
async fn graph_recall(
    server: &TestServer,
    name: &str,
    datatype: &str,
    data: &str,
    distance: &str,
) -> f64 {
    const N: u64 = 2000;
    server
        .create_indexed(name, dense(datatype, distance), json!({}))
        .await;
    let mut rng = StdRng::seed_from_u64(11);
    let points: Vec<Value> = (0..N)
        .map(|id| json!({"id": id, "vector": converted(data, "Dot", &random_vector(&mut rng, data))}))
        .collect();
    server.upsert(name, Value::Array(points)).await;
    server.wait_indexed(name, N).await;
    let (mut found, mut total) = (0, 0);
    for _ in 0..20 {
        let query = random_vector(&mut rng, data);
        let exact = server
            .search_top10(name, &query, json!({"exact": true}))
            .await;
        let graph = server.search_top10(name, &query, json!({})).await;
        total += exact.len();
        for (id, score) in &graph {
            if let Some((_, s)) = exact.iter().find(|(e, _)| e == id) {
                found += 1;
                assert!(
                    (s - score).abs() <= 1e-4 * s.abs().max(1.0),
                    "{name}: {s} vs {score}"
                );
            }
        }
    }
    found as f64 / total as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hnsw_over_compact_rows_finds_the_exact_neighbours() {
    let server = TestServer::start().await;
    for datatype in ["uint8", "float16"] {
        for distance in DISTANCES {
            let name = format!("{datatype}_{distance}");
            let recall = graph_recall(&server, &name, datatype, datatype, distance).await;
            if (datatype, distance) == ("uint8", "Dot") {
                // Maximum inner product over non-negative vectors is hard for any graph (long
                // vectors win every query): float32 rows holding the same bytes reach 0.84
                // here. The byte graph must do as well as that.
                let twin = graph_recall(&server, "twin", "float32", "uint8", distance).await;
                assert!(
                    recall >= twin - 0.02,
                    "{name}: recall {recall}, float32 {twin}"
                );
                continue;
            }
            assert!(recall >= 0.95, "{name}: recall {recall}");
        }
    }
}

#[tokio::test]
async fn multivectors_convert_their_values_too() {
    let server = TestServer::start().await;
    for datatype in ["uint8", "float16"] {
        let (status, body) = server
            .call(
                "PUT",
                &format!("/collections/multi_{datatype}"),
                Some(
                    json!({"vectors": {"size": 2, "distance": "Cosine", "datatype": datatype,
                    "multivector_config": {"comparator": "max_sim"}}}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    server
        .upsert(
            "multi_uint8",
            json!([{"id": 1, "vector": [[3.9, 4.0], [0.0, 1.5]]}]),
        )
        .await;
    let (_, body) = server
        .call("GET", "/collections/multi_uint8/points/1", None)
        .await;
    assert_eq!(body["result"]["vector"], json!([[3.0, 4.0], [0.0, 1.0]]));
    // The true cosine of the bytes: [4, 3] against [3, 4] is 24/25, against [0, 1] 3/5.
    let (status, body) = server
        .call(
            "POST",
            "/collections/multi_uint8/points/query",
            Some(json!({"query": [[4.0, 3.0]]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let score = body["result"]["points"][0]["score"].as_f64().unwrap();
    assert!((score - 0.96).abs() < 1e-6, "{body}");
    let (status, _) = server
        .call(
            "PUT",
            "/collections/multi_uint8/points?wait=true",
            Some(json!({"points": [{"id": 2, "vector": [[1.0, 300.0]]}]})),
        )
        .await;
    assert_eq!(status, 400);
    server
        .upsert("multi_float16", json!([{"id": 1, "vector": [[0.1, 0.0]]}]))
        .await;
    let (_, body) = server
        .call("GET", "/collections/multi_float16/points/1", None)
        .await;
    // Normalised ([1, 0]) then rounded: exact in f16.
    assert_eq!(body["result"]["vector"], json!([[1.0, 0.0]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_vectors_survive_restart() {
    let dir = data_dir("datatypes");
    let first = start(&dir).await;
    let mut rng = StdRng::seed_from_u64(5);
    let mut written = Vec::new();
    for datatype in ["uint8", "float16"] {
        call(
            &first.base,
            "PUT",
            &format!("/collections/{datatype}"),
            json!({"vectors": dense(datatype, "Dot")}),
        )
        .await;
        let vectors: Vec<Vec<f32>> = (0..5).map(|_| random_vector(&mut rng, datatype)).collect();
        let points: Vec<Value> = vectors
            .iter()
            .enumerate()
            .map(|(id, v)| json!({"id": id, "vector": v}))
            .collect();
        upsert(&first.base, datatype, Value::Array(points)).await;
        written.push((datatype, vectors));
    }
    first.kill();
    let second = start(&dir).await;
    for (datatype, vectors) in written {
        for (id, v) in vectors.iter().enumerate() {
            let body = call(
                &second.base,
                "GET",
                &format!("/collections/{datatype}/points/{id}"),
                Value::Null,
            )
            .await;
            assert_eq!(
                vector_of::<Vec<f32>>(&body),
                converted(datatype, "Dot", v),
                "{datatype} point {id}"
            );
        }
        let info = call(
            &second.base,
            "GET",
            &format!("/collections/{datatype}"),
            Value::Null,
        )
        .await;
        assert_eq!(
            info["result"]["config"]["params"]["vectors"]["datatype"],
            datatype
        );
    }
    second.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_writes_convert_and_check_values() {
    use qdrant_client::Qdrant;
    use qdrant_client::qdrant::{
        CreateCollectionBuilder, Datatype, Distance, GetPointsBuilder, PointStruct,
        UpsertPointsBuilder, VectorParamsBuilder,
    };
    let server = TestServer::start().await;
    let client = Qdrant::from_url(&server.grpc_url())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    for (name, datatype) in [("bytes", Datatype::Uint8), ("halves", Datatype::Float16)] {
        client
            .create_collection(CreateCollectionBuilder::new(name).vectors_config(
                VectorParamsBuilder::new(DIM as u64, Distance::Dot).datatype(datatype),
            ))
            .await
            .expect("created over gRPC");
        let mut v = vec![0.0f32; DIM];
        v[..2].copy_from_slice(&[7.9, 0.1]);
        client
            .upsert_points(
                UpsertPointsBuilder::new(
                    name,
                    vec![PointStruct::new(
                        1,
                        v.clone(),
                        qdrant_client::Payload::new(),
                    )],
                )
                .wait(true),
            )
            .await
            .expect("upserted over gRPC");
        let got = client
            .get_points(GetPointsBuilder::new(name, vec![1.into()]).with_vectors(true))
            .await
            .unwrap();
        let expected = match datatype {
            Datatype::Uint8 => converted("uint8", "Dot", &v),
            _ => converted("float16", "Dot", &v),
        };
        // The same stored values over REST.
        assert_eq!(retrieve::<Vec<f32>>(&server, name, 1).await, expected);
        assert_eq!(got.result.len(), 1);
        v[0] = 1e6;
        let err = client
            .upsert_points(
                UpsertPointsBuilder::new(
                    name,
                    vec![PointStruct::new(1, v, qdrant_client::Payload::new())],
                )
                .wait(true),
            )
            .await
            .expect_err("out of range");
        assert!(err.to_string().contains("does not fit datatype"), "{err}");
        assert_eq!(retrieve::<Vec<f32>>(&server, name, 1).await, expected);
    }
    let (_, info) = server.call("GET", "/collections/bytes", None).await;
    assert_eq!(
        info["result"]["config"]["params"]["vectors"]["datatype"],
        "uint8"
    );
}

// ---------------------------------------------------------------------------------------------
// Multivectors (`multivector_config: {comparator: max_sim}`) of datatype float16 and uint8: kept
// compactly like dense vectors, read back as stored, scored by `max_sim` over the stored values,
// and indexed by a graph over the compact rows. Helpers here are this section's own.

const MULTI_DIM: usize = 8;

/// The parameters of a `max_sim` multivector of `MULTI_DIM`-value sub-vectors of `datatype`.
fn multi(datatype: &str, distance: &str) -> Value {
    json!({
        "size": MULTI_DIM, "distance": distance, "datatype": datatype,
        "multivector_config": {"comparator": "max_sim"}
    })
}

/// One to three seeded sub-vectors in `datatype`'s range, clustered around `centres` so that
/// neighbours mean something (uint8: around 0..=255 centres, fractions left for truncation, clamped to the range).
fn seeded_multivector(rng: &mut StdRng, datatype: &str, centres: &[Vec<f32>]) -> Vec<Vec<f32>> {
    (0..rng.gen_range(1..=3))
        .map(|_| {
            let centre = &centres[rng.gen_range(0..centres.len())];
            centre
                .iter()
                .map(|&c| match datatype {
                    "uint8" => (c + rng.gen_range(-40.0..40.0f32)).clamp(0.0, 255.0),
                    _ => c + rng.gen_range(-0.4..0.4f32),
                })
                .collect()
        })
        .collect()
}

fn multi_centres(rng: &mut StdRng, datatype: &str) -> Vec<Vec<f32>> {
    (0..12)
        .map(|_| {
            (0..MULTI_DIM)
                .map(|_| match datatype {
                    "uint8" => rng.gen_range(0.0..255.0f32),
                    _ => rng.gen_range(-1.0..1.0),
                })
                .collect()
        })
        .collect()
}

/// What the server stores for each sub-vector: float16 rounded after Cosine normalisation,
/// uint8 truncated (never normalised).
fn stored_multi(datatype: &str, distance: &str, m: &[Vec<f32>]) -> Vec<Vec<f32>> {
    m.iter().map(|v| converted(datatype, distance, v)).collect()
}

/// The `max_sim` score a client should see, in f64 from stored values: the sum over query
/// sub-vectors of the best similarity to a stored one (uint8 Cosine the true cosine of the
/// bytes), reported as `sqrt(|sum|)` for Euclid and `|sum|` for Manhattan.
fn expected_max_sim(datatype: &str, distance: &str, query: &[Vec<f32>], row: &[Vec<f32>]) -> f64 {
    let sum: f64 = query
        .iter()
        .map(|q| {
            row.iter()
                .map(|r| similarity(datatype, distance, q, r))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .sum();
    reported(distance, sum)
}

/// `(id, score)` of the best `limit` for `query`, exactly or through the graph.
async fn query_multi(
    server: &TestServer,
    name: &str,
    query: &[Vec<f32>],
    exact: bool,
    limit: usize,
) -> Vec<(u64, f64)> {
    let (status, body) = server
        .call(
            "POST",
            &format!("/collections/{name}/points/query"),
            Some(json!({"query": query, "limit": limit,
                        "params": {"exact": exact, "hnsw_ef": 128}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["result"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_u64().unwrap(), p["score"].as_f64().unwrap()))
        .collect()
}

#[tokio::test]
async fn compact_multivectors_read_back_as_stored_and_score_from_those_values() {
    let server = TestServer::start().await;
    for datatype in ["float16", "uint8"] {
        for distance in DISTANCES {
            let name = format!("m_{datatype}_{distance}");
            create(&server, &name, multi(datatype, distance)).await;
            let mut rng = StdRng::seed_from_u64(5);
            let centres = multi_centres(&mut rng, datatype);
            let written: Vec<Vec<Vec<f32>>> = (0..40)
                .map(|_| seeded_multivector(&mut rng, datatype, &centres))
                .collect();
            let points: Vec<Value> = (0..written.len())
                .map(|id| json!({"id": id, "vector": written[id]}))
                .collect();
            server.upsert(&name, Value::Array(points)).await;
            let stored: Vec<Vec<Vec<f32>>> = written
                .iter()
                .map(|m| stored_multi(datatype, distance, m))
                .collect();
            for id in [0u64, 17, 39] {
                let read: Vec<Vec<f32>> = retrieve(&server, &name, id).await;
                assert_eq!(read, stored[id as usize], "{name}: point {id}");
            }
            for _ in 0..5 {
                let query = seeded_multivector(&mut rng, datatype, &centres);
                let rounded = stored_multi(datatype, distance, &query);
                let found = query_multi(&server, &name, &query, true, written.len()).await;
                assert_eq!(found.len(), written.len(), "{name}");
                for (id, score) in found {
                    let want = expected_max_sim(datatype, distance, &rounded, &stored[id as usize]);
                    assert!(
                        (score - want).abs() <= 1e-4 * want.abs().max(1.0),
                        "{name}: point {id} scored {score}, expected {want}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn out_of_range_multivectors_are_rejected_and_change_nothing() {
    let server = TestServer::start().await;
    create(&server, "m_bytes", multi("uint8", "Dot")).await;
    create(&server, "m_halves", multi("float16", "Dot")).await;
    let ones = vec![vec![1.0f32; MULTI_DIM]; 2];
    for name in ["m_bytes", "m_halves"] {
        server
            .upsert(name, json!([{"id": 1, "vector": ones}]))
            .await;
    }
    for (name, bad) in [
        ("m_bytes", 256.0f32),
        ("m_bytes", -1.0),
        ("m_halves", 70000.0),
        ("m_halves", -65600.0),
    ] {
        // The bad value sits in the second sub-vector.
        let mut m = vec![vec![2.0f32; MULTI_DIM]; 2];
        m[1][3] = bad;
        assert_refused(&server, name, bad, &m, &ones).await;
        // A query out of the datatype's range is refused too, not truncated.
        let (status, body) = server
            .call(
                "POST",
                &format!("/collections/{name}/points/query"),
                Some(json!({"query": m})),
            )
            .await;
        assert_eq!(status, 400, "{name} {bad}: query {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_multivector_graphs_find_the_exact_neighbours() {
    const N: u64 = 1500;
    let server = TestServer::start().await;
    for (datatype, distance) in [
        ("float16", "Cosine"),
        ("uint8", "Cosine"),
        ("uint8", "Euclid"),
    ] {
        let name = format!("mg_{datatype}_{distance}");
        server
            .create_indexed(
                &name,
                multi(datatype, distance),
                json!({"hnsw_config": {"m": 16, "ef_construct": 100}}),
            )
            .await;
        let mut rng = StdRng::seed_from_u64(23);
        let centres = multi_centres(&mut rng, datatype);
        let points: Vec<Value> = (0..N)
            .map(|id| json!({"id": id, "vector": seeded_multivector(&mut rng, datatype, &centres)}))
            .collect();
        server.upsert(&name, Value::Array(points)).await;
        server.wait_indexed(&name, N).await;
        let (mut found, mut total) = (0, 0);
        for _ in 0..20 {
            let query = seeded_multivector(&mut rng, datatype, &centres);
            let exact = query_multi(&server, &name, &query, true, 10).await;
            let graph = query_multi(&server, &name, &query, false, 10).await;
            total += exact.len();
            for (id, score) in &graph {
                if let Some((_, s)) = exact.iter().find(|(e, _)| e == id) {
                    found += 1;
                    // The graph's scores are the exact scan's, to the bit.
                    assert_eq!(s, score, "{name}: point {id}");
                }
            }
        }
        let recall = found as f64 / total as f64;
        assert!(recall >= 0.95, "{name}: recall {recall}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_multivector_graphs_are_saved_and_reused_after_a_restart() {
    // The saved graph names its rows by fingerprints of the stored values widened to f32: a
    // restart must find them equal to the reloaded points' and take the graph back.
    const N: u64 = 600;
    let dir = data_dir("multi-datatypes");
    let first = start(&dir).await;
    let mut rng = StdRng::seed_from_u64(31);
    let mut queries = Vec::new();
    for datatype in ["uint8", "float16"] {
        let name = format!("saved_{datatype}");
        create_indexed(&first.base, &name, multi(datatype, "Cosine"), json!({})).await;
        let centres = multi_centres(&mut rng, datatype);
        let points: Vec<Value> = (0..N)
            .map(|id| json!({"id": id, "vector": seeded_multivector(&mut rng, datatype, &centres)}))
            .collect();
        upsert(&first.base, &name, Value::Array(points)).await;
        common::process::wait_indexed(&first.base, &name, N).await;
        queries.push((name, seeded_multivector(&mut rng, datatype, &centres)));
    }
    let search = |base: String, name: String, query: Vec<Vec<f32>>| async move {
        call(
            &base,
            "POST",
            &format!("/collections/{name}/points/query"),
            json!({"query": query, "limit": 10}),
        )
        .await["result"]["points"]
            .clone()
    };
    let mut before = Vec::new();
    for (name, query) in &queries {
        before.push(search(first.base.clone(), name.clone(), query.clone()).await);
    }
    first.stop();
    let second = start(&dir).await;
    for ((name, query), before) in queries.iter().zip(before) {
        let info = common::process::collection_info(&second.base, name).await;
        assert_eq!(info["status"], "green", "{name}: {info}");
        assert_eq!(
            common::process::graph_builds(&second.base, name).await,
            0,
            "{name}: the saved graph was reused"
        );
        let after = search(second.base.clone(), name.clone(), query.clone()).await;
        assert_eq!(after, before, "{name}");
    }
    second.kill();
    let _ = std::fs::remove_dir_all(&dir);
}
