//! Bad input gets Qdrant's status code and a message naming the problem, and changes nothing.

mod common;

use common::{TestServer, error_message};
use serde_json::json;

async fn seeded() -> (TestServer, serde_json::Value) {
    let s = TestServer::start().await;
    s.create_collection("docs", 4, "Dot").await;
    s.upsert(
        "docs",
        json!([{"id": 1, "vector": [1.0, 0.0, 0.0, 0.0], "payload": {"city": "Berlin"}}]),
    )
    .await;
    let before = s.all_points("docs").await;
    (s, before)
}

#[tokio::test]
async fn wrong_dimension_upsert_is_400_and_changes_nothing() {
    let (s, before) = seeded().await;
    let (status, body) = s
        .call(
            "PUT",
            "/collections/docs/points?wait=true",
            Some(json!({"points": [
                {"id": 2, "vector": [1.0, 2.0, 3.0, 4.0]},
                {"id": 3, "vector": [1.0, 2.0, 3.0]}
            ]})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_message(&body),
        "Wrong input: Vector dimension error: expected dim: 4, got 3"
    );
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn wrong_dimension_query_is_400() {
    let (s, _) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/query",
            Some(json!({"query": [1.0, 2.0]})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        error_message(&body),
        "Wrong input: Vector dimension error: expected dim: 4, got 2"
    );
}

#[tokio::test]
async fn malformed_json_is_400_format_error_and_changes_nothing() {
    let (s, before) = seeded().await;
    let (status, body) = s
        .call_raw(
            "PUT",
            "/collections/docs/points?wait=true",
            b"{\"points\": [{\"id\": 5, \"vector\": [1,2,3,4]".to_vec(),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error_message(&body).starts_with("Format error in JSON body: "),
        "{body}"
    );
    assert!(error_message(&body).contains("line 1 column"), "{body}");
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn unknown_collection_is_404_with_its_name() {
    let s = TestServer::start().await;
    for (method, path, body) in [
        ("GET", "/collections/nope", None),
        ("POST", "/collections/nope/points/scroll", Some(json!({}))),
        (
            "POST",
            "/collections/nope/points/query",
            Some(json!({"query": [1.0]})),
        ),
        (
            "PUT",
            "/collections/nope/points",
            Some(json!({"points": [{"id": 1, "vector": [1.0]}]})),
        ),
    ] {
        let (status, reply) = s.call(method, path, body).await;
        assert_eq!(status, 404, "{method} {path}");
        assert_eq!(
            error_message(&reply),
            "Not found: Collection `nope` doesn't exist!"
        );
    }
}

#[tokio::test]
async fn oversized_body_is_rejected_with_the_limit_and_changes_nothing() {
    let mut settings = quiver::Settings::in_memory();
    settings.service.max_request_size_mb = 1;
    let s = TestServer::start_with(settings).await;
    s.create_collection("docs", 4, "Dot").await;
    let points: Vec<_> = (0..40_000)
        .map(|i| json!({"id": i, "vector": [0.25, 0.5, 0.75, 1.0]}))
        .collect();
    let body = serde_json::to_vec(&json!({ "points": points })).unwrap();
    assert!(body.len() > 1024 * 1024);
    let (status, reply) = s
        .call_raw("PUT", "/collections/docs/points?wait=true", body)
        .await;
    // Qdrant answers 400 (not 413) for a body over `max_request_size_mb`.
    assert_eq!(status, 400);
    assert!(
        error_message(&reply).contains("is larger than allowed (limit: 1048576 bytes)"),
        "{reply}"
    );
    assert_eq!(s.all_points("docs").await, json!([]));
}

#[tokio::test]
async fn invalid_filter_is_400_and_deletes_nothing() {
    let (s, before) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/delete?wait=true",
            Some(json!({"filter": {"must": [{"key": "city", "match": {"value": "Berlin"}}], "bogus": []}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error_message(&body).contains("unknown field `bogus`"),
        "{body}"
    );
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn invalid_json_path_in_filter_is_400() {
    let (s, _) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/count",
            Some(json!({"filter": {"must": [{"key": "a..b", "match": {"value": 1}}]}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(error_message(&body).contains("Invalid json path"), "{body}");
}

#[tokio::test]
async fn nan_in_vector_is_400_and_changes_nothing() {
    let (s, before) = seeded().await;
    // JSON has no NaN; clients that serialise one send the bare token.
    let (status, body) = s
        .call_raw(
            "PUT",
            "/collections/docs/points?wait=true",
            br#"{"points": [{"id": 9, "vector": [NaN, 1, 2, 3]}]}"#.to_vec(),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error_message(&body).starts_with("Format error in JSON body"),
        "{body}"
    );
    // A number too large for f32 becomes infinity: also refused.
    let (status, body) = s
        .call_raw(
            "PUT",
            "/collections/docs/points?wait=true",
            br#"{"points": [{"id": 9, "vector": [1e39, 1, 2, 3]}]}"#.to_vec(),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(error_message(&body).contains("finite"), "{body}");
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn bad_point_id_is_400() {
    let (s, before) = seeded().await;
    let (status, body) = s
        .call(
            "PUT",
            "/collections/docs/points?wait=true",
            Some(json!({"points": [{"id": -1, "vector": [1.0, 0.0, 0.0, 0.0]}]})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error_message(&body).contains("value -1 is not a valid point ID"),
        "{body}"
    );
    let (status, body) = s.call("GET", "/collections/docs/points/abc", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        error_message(&body),
        "Wrong input: Can not recognize \"abc\" as point id"
    );
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn unknown_distance_is_400_and_creates_nothing() {
    let s = TestServer::start().await;
    let (status, body) = s
        .call(
            "PUT",
            "/collections/c",
            Some(json!({"vectors": {"size": 4, "distance": "Hamming"}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error_message(&body).starts_with("Format error in JSON body"),
        "{body}"
    );
    let (_, exists) = s.call("GET", "/collections/c/exists", None).await;
    assert_eq!(exists["result"]["exists"], false);
}

#[tokio::test]
async fn duplicate_collection_is_409() {
    let s = TestServer::start().await;
    s.create_collection("c", 4, "Dot").await;
    let (status, body) = s
        .call(
            "PUT",
            "/collections/c",
            Some(json!({"vectors": {"size": 8, "distance": "Dot"}})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        error_message(&body),
        "Wrong input: Collection `c` already exists!"
    );
    let (_, info) = s.call("GET", "/collections/c", None).await;
    assert_eq!(info["result"]["config"]["params"]["vectors"]["size"], 4);
}

#[tokio::test]
async fn payload_update_on_missing_point_is_404_and_changes_nothing() {
    let (s, before) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/payload?wait=true",
            Some(json!({"payload": {"x": 1}, "points": [1, 77]})),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(error_message(&body), "Not found: No point with id 77 found");
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn failing_batch_rolls_back_earlier_operations() {
    let (s, before) = seeded().await;
    let (status, _) = s
        .call(
            "POST",
            "/collections/docs/points/batch?wait=true",
            Some(json!({"operations": [
                {"upsert": {"points": [{"id": 2, "vector": [0.0, 1.0, 0.0, 0.0]}]}},
                {"delete": {"points": [1]}},
                {"set_payload": {"payload": {"x": 1}, "points": [404]}}
            ]})),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(s.all_points("docs").await, before);
}

#[tokio::test]
async fn zero_limit_is_422() {
    let (s, _) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/query",
            Some(json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 0})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        error_message(&body),
        "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]"
    );
}

#[tokio::test]
async fn unsupported_query_variant_is_400_naming_it() {
    let (s, _) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/query",
            Some(json!({"query": {"relevance_feedback": {"target": [1.0, 0.0, 0.0, 0.0]}}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error_message(&body).contains("`relevance_feedback`"),
        "{body}"
    );
}

#[tokio::test]
async fn huge_limit_and_offset_do_not_break_search() {
    let (s, _) = seeded().await;
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/query",
            Some(json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": u64::MAX, "offset": u64::MAX})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["points"], json!([]));
    let (status, body) = s
        .call(
            "POST",
            "/collections/docs/points/search",
            Some(json!({"vector": [1.0, 0.0, 0.0, 0.0], "limit": u64::MAX})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"].as_array().map(Vec::len), Some(1));
}
