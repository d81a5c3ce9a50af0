//! REST behaviours pinned from Rust: envelope, write acknowledgements, point lookups, aliases.

mod common;

use common::{TestServer, error_message};
use serde_json::json;

#[tokio::test]
async fn success_envelope_has_result_status_and_time() {
    let s = TestServer::start().await;
    let (status, body) = s.call("GET", "/collections", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert!(body["time"].is_f64());
    assert_eq!(body["result"], json!({"collections": []}));
}

#[tokio::test]
async fn wait_false_is_acknowledged_and_wait_true_is_completed() {
    let s = TestServer::start().await;
    s.create_collection("c", 2, "Dot").await;
    let (_, first) = s
        .call(
            "PUT",
            "/collections/c/points",
            Some(json!({"points": [{"id": 1, "vector": [1.0, 0.0]}]})),
        )
        .await;
    assert_eq!(
        first["result"],
        json!({"operation_id": 0, "status": "acknowledged"})
    );
    let (_, second) = s
        .call(
            "PUT",
            "/collections/c/points?wait=true",
            Some(json!({"points": [{"id": 2, "vector": [0.0, 1.0]}]})),
        )
        .await;
    assert_eq!(
        second["result"],
        json!({"operation_id": 1, "status": "completed"})
    );
}

#[tokio::test]
async fn missing_point_lookup_is_404_with_qdrant_message() {
    let s = TestServer::start().await;
    s.create_collection("c", 2, "Dot").await;
    let (status, body) = s.call("GET", "/collections/c/points/7", None).await;
    assert_eq!(status, 404);
    assert_eq!(
        error_message(&body),
        "Not found: Point with id 7 does not exists!"
    );
}

#[tokio::test]
async fn point_lookup_returns_payload_and_normalised_cosine_vector() {
    let s = TestServer::start().await;
    s.create_collection("c", 2, "Cosine").await;
    s.upsert(
        "c",
        json!([{"id": "550E8400E29B41D4A716446655440000", "vector": [3.0, 4.0], "payload": {"k": 1}}]),
    )
    .await;
    let (status, body) = s
        .call(
            "GET",
            "/collections/c/points/550e8400-e29b-41d4-a716-446655440000",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["id"], "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(body["result"]["payload"], json!({"k": 1}));
    let v = body["result"]["vector"].as_array().unwrap();
    assert!((v[0].as_f64().unwrap() - 0.6).abs() < 1e-6);
    assert!((v[1].as_f64().unwrap() - 0.8).abs() < 1e-6);
}

#[tokio::test]
async fn deleting_a_collection_removes_its_aliases_but_an_alias_name_deletes_nothing() {
    let s = TestServer::start().await;
    s.create_collection("c", 2, "Dot").await;
    s.create_alias("c", "a").await;
    let (_, by_alias) = s.call("DELETE", "/collections/a", None).await;
    assert_eq!(by_alias["result"], false);
    let (_, exists) = s.call("GET", "/collections/c/exists", None).await;
    assert_eq!(exists["result"]["exists"], true);
    let (_, deleted) = s.call("DELETE", "/collections/c", None).await;
    assert_eq!(deleted["result"], true);
    let (_, aliases) = s.call("GET", "/aliases", None).await;
    assert_eq!(aliases["result"]["aliases"], json!([]));
}

#[tokio::test]
async fn collection_cannot_take_an_alias_name() {
    let s = TestServer::start().await;
    s.create_collection("c", 2, "Dot").await;
    s.create_alias("c", "a").await;
    let (status, body) = s
        .call(
            "PUT",
            "/collections/a",
            Some(json!({"vectors": {"size": 2, "distance": "Dot"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_message(&body),
        "Wrong input: Can't create collection with name a. Alias with the same name already exists"
    );
}

#[tokio::test]
async fn unknown_vector_name_in_query_lists_available_names() {
    let s = TestServer::start().await;
    let (status, _) = s
        .call(
            "PUT",
            "/collections/c",
            Some(json!({"vectors": {"a": {"size": 2, "distance": "Dot"}, "b": {"size": 2, "distance": "Dot"}}})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = s
        .call(
            "POST",
            "/collections/c/points/query",
            Some(json!({"query": [1.0, 0.0], "using": "x"})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_message(&body),
        "Wrong input: Vector with name `x` is not configured in this collection, available names: a, b"
    );
}

#[tokio::test]
async fn query_without_query_lists_points_in_id_order() {
    let s = TestServer::start().await;
    s.create_collection("c", 2, "Dot").await;
    s.upsert(
        "c",
        json!([
            {"id": "5c56c793-69f3-4fbf-87e6-c4bf54c28c26", "vector": [1.0, 0.0]},
            {"id": 10, "vector": [1.0, 0.0]},
            {"id": 2, "vector": [1.0, 0.0]}
        ]),
    )
    .await;
    let (status, body) = s
        .call("POST", "/collections/c/points/query", Some(json!({})))
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<_> = body["result"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(
        ids,
        vec![
            json!(2),
            json!(10),
            json!("5c56c793-69f3-4fbf-87e6-c4bf54c28c26")
        ]
    );
}
