//! Shared helpers for the Rust integration tests: start an in-process server and talk JSON to it.
#![allow(dead_code)]

pub mod process;

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

/// The error message of an error envelope.
pub fn error_message(body: &Value) -> String {
    body["status"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
