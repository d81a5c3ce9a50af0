//! The server binary as a child process on a storage directory: start it, call it, stop it
//! gracefully (SIGTERM) or kill it (SIGKILL), start it again on the same data.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// An empty data directory for one test: `quiver-{label}-{pid}` under the temp dir, anything
/// left there by an earlier run removed.
pub fn data_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quiver-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running server binary and its REST base URL.
pub struct Running {
    pub child: Child,
    pub base: String,
}

impl Running {
    /// SIGKILL: nothing is saved on the way out.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the process to exit (it saves what it keeps on shutdown).
    pub fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The server binary with its data in `storage`, REST on `127.0.0.1:port` and gRPC on any free
/// port (so that it can never clash with the REST port).
pub fn command(storage: &Path, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quiver"));
    command
        .env("QDRANT__SERVICE__HOST", "127.0.0.1")
        .env("QDRANT__SERVICE__HTTP_PORT", port.to_string())
        .env("QDRANT__SERVICE__GRPC_PORT", "0")
        .env("QDRANT__STORAGE__STORAGE_PATH", storage);
    command
}

/// Starts the binary with its data in `storage` and waits until `/readyz` answers. A child that
/// exits before it is ready (say, its free port was taken by another test in between) is started
/// again on another port; its stderr is kept in a file beside the data for the failure message.
pub async fn start(storage: &Path) -> Running {
    let log = storage.with_extension("stderr.log");
    for _attempt in 0..3 {
        let port = free_port();
        let mut child = command(storage, port)
            .env("QDRANT__LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("the quiver binary starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
                && r.status().is_success()
            {
                return Running { child, base };
            }
            if child.try_wait().expect("child status").is_some() {
                break; // exited: try again on another port
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not become ready: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!(
        "server exited before it was ready, three times: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// Sends `body` with `method`, asserts success and returns the parsed reply.
pub async fn call(base: &str, method: &str, path: &str, body: Value) -> Value {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = client
        .request(method, format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("answered");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.expect("json")
}

/// Creates `collection` from [`super::indexed_collection`]`(vectors, config)`.
pub async fn create_indexed(base: &str, collection: &str, vectors: Value, config: Value) {
    let body = super::indexed_collection(vectors, config);
    call(base, "PUT", &format!("/collections/{collection}"), body).await;
}

/// Upserts `points` (a JSON array) into `collection` with `wait=true`.
pub async fn upsert(base: &str, collection: &str, points: Value) {
    let path = format!("/collections/{collection}/points?wait=true");
    call(base, "PUT", &path, serde_json::json!({ "points": points })).await;
}

/// The `result` of `GET /collections/{collection}`.
pub async fn collection_info(base: &str, collection: &str) -> Value {
    call(
        base,
        "GET",
        &format!("/collections/{collection}"),
        json!({}),
    )
    .await["result"]
        .clone()
}

/// Graph builds of `collection` since the server started, from `GET /telemetry`.
pub async fn graph_builds(base: &str, collection: &str) -> u64 {
    let telemetry = call(base, "GET", "/telemetry", json!({})).await;
    let collections = telemetry["result"]["collections"]["collections"]
        .as_array()
        .expect("collections listed")
        .clone();
    let entry = collections
        .iter()
        .find(|c| c["id"] == collection)
        .expect("the collection is reported");
    entry["shards"][0]["local"]["optimizations"]["optimizations"]["count"]
        .as_u64()
        .expect("a build count")
}

/// Waits (up to three minutes) until `collection` is green with `indexed` vectors in graphs.
pub async fn wait_indexed(base: &str, collection: &str, indexed: u64) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let info = collection_info(base, collection).await;
        if info["status"] == "green" && info["indexed_vectors_count"] == indexed {
            return;
        }
        assert!(Instant::now() < deadline, "not indexed in time: {info}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
