//! Shared helpers for the Rust integration tests: start an in-process server and talk JSON to it.
#![allow(dead_code)]

pub mod process;

use std::time::{Duration, Instant};

use quiver::{Server, Settings};
use serde_json::{Value, json};

/// A running in-memory server and an HTTP client pointed at it.
pub struct TestServer {
    pub server: Server,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Settings::in_memory()).await
    }

    pub async fn start_with(settings: Settings) -> TestServer {
        let server = Server::start(&settings).await.expect("server starts");
        TestServer {
            server,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.rest_url(), path)
    }

    /// `http://127.0.0.1:PORT` of the gRPC API (test servers always serve it).
    pub fn grpc_url(&self) -> String {
        self.server.grpc_url().expect("the test server serves gRPC")
    }

    /// Sends `body` (JSON) with `method` and returns the status and the parsed body
    /// (`Value::Null` when the body is not JSON).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request is answered");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends a raw body with a JSON content type.
    pub async fn call_raw(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let resp = self
            .http
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request is answered");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a collection with one unnamed vector.
    pub async fn create_collection(&self, name: &str, size: usize, distance: &str) {
        let (status, body) = self
            .call(
                "PUT",
                &format!("/collections/{name}"),
                Some(json!({"vectors": {"size": size, "distance": distance}})),
            )
            .await;
        assert_eq!(status, 200, "create collection: {body}");
    }

    /// Creates a collection from [`indexed_collection`]`(vectors, config)`.
    pub async fn create_indexed(&self, name: &str, vectors: Value, config: Value) {
        let body = indexed_collection(vectors, config);
        let (status, reply) = self
            .call("PUT", &format!("/collections/{name}"), Some(body))
            .await;
        assert_eq!(status, 200, "create collection: {reply}");
    }

    /// Points the alias `alias` at `collection`.
    pub async fn create_alias(&self, collection: &str, alias: &str) {
        let action = json!({"create_alias": {"collection_name": collection, "alias_name": alias}});
        let (status, body) = self
            .call(
                "POST",
                "/collections/aliases",
                Some(json!({ "actions": [action] })),
            )
            .await;
        assert_eq!(status, 200, "create alias: {body}");
    }

    /// Upserts points with `wait=true`.
    pub async fn upsert(&self, name: &str, points: Value) {
        let (status, body) = self
            .call(
                "PUT",
                &format!("/collections/{name}/points?wait=true"),
                Some(json!({ "points": points })),
            )
            .await;
        assert_eq!(status, 200, "upsert: {body}");
    }

    /// The collection's info (`result` of `GET /collections/{name}`).
    pub async fn info(&self, name: &str) -> Value {
        let (status, body) = self
            .call("GET", &format!("/collections/{name}"), None)
            .await;
        assert_eq!(status, 200, "collection info: {body}");
        body["result"].clone()
    }

    /// Waits (three minutes at most) until the collection is green with `indexed` vectors in its
    /// graphs.
    pub async fn wait_indexed(&self, name: &str, indexed: u64) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let info = self.info(name).await;
            if info["status"] == "green" && info["indexed_vectors_count"] == indexed {
                return;
            }
            assert!(Instant::now() < deadline, "not indexed in time: {info}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `(id, score)` of the top 10 for `query` (a dense vector) with search `params`.
    pub async fn search_top10(&self, name: &str, query: &[f32], params: Value) -> Vec<(u64, f64)> {
        let (status, body) = self
            .call(
                "POST",
                &format!("/collections/{name}/points/search"),
                Some(json!({"vector": query, "limit": 10, "params": params})),
            )
            .await;
        assert_eq!(status, 200, "search: {body}");
        body["result"]
            .as_array()
            .expect("a list of points")
            .iter()
            .map(|p| (p["id"].as_u64().unwrap(), p["score"].as_f64().unwrap()))
            .collect()
    }

    /// All points of a collection (ids, payloads, vectors) in id order.
    pub async fn all_points(&self, name: &str) -> Value {
        let (status, body) = self
            .call(
                "POST",
                &format!("/collections/{name}/points/scroll"),
                Some(json!({"limit": 100000, "with_payload": true, "with_vector": true})),
            )
            .await;
        assert_eq!(status, 200, "scroll: {body}");
        body["result"]["points"].clone()
    }
}

/// The body that creates a collection with `vectors` whose graphs are built from the first point
/// on (`indexing_threshold: 1`), with `config`'s fields (`hnsw_config`, `quantization_config`,
/// `sparse_vectors`, …) added.
pub fn indexed_collection(vectors: Value, config: Value) -> Value {
    let mut body = json!({"vectors": vectors, "optimizers_config": {"indexing_threshold": 1}});
    if let (Value::Object(body), Value::Object(config)) = (&mut body, config) {
        body.extend(config);
    }
    body
}

/// The error message of an error envelope.
pub fn error_message(body: &Value) -> String {
    body["status"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
