//! Scalar int8 and binary quantization for real: once a vector has a graph, its quantized codes
//! are kept beside the originals; searches walk the graph on the codes and rescore the
//! candidates with the originals (`params.quantization`: `ignore`, `rescore`, `oversampling`).

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn oversampling_below_one_is_rejected() {
    let server = TestServer::start().await;
    let (status, body) = server
        .call(
            "PUT",
            "/collections/c",
            Some(json!({"vectors": {"size": 2, "distance": "Dot"}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
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
