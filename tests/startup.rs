//! Start-up: the embedding API, and settings the server must refuse rather than half-honour.

mod common;

use common::{TestServer, process};
use quiver::{Server, Settings};

#[tokio::test]
async fn in_memory_server_starts_on_a_free_loopback_port_and_shuts_down() {
    let s = TestServer::start().await;
    let addr = s.server.rest_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    let (status, body) = s.call("GET", "/", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["title"], "qdrant - vector search engine");
    s.server.shutdown().await;
    assert!(reqwest::get(format!("http://{addr}/")).await.is_err());
}

#[tokio::test]
async fn invalid_key_entry_stops_startup_naming_the_entry_not_the_key() {
    let mut settings = Settings::in_memory();
    settings.service.api_keys = serde_json::json!([
        { "name": "ci", "key": "secret-key-material", "access": "write-everything" }
    ]);
    let err = Server::start(&settings).await.err().expect("refused");
    let message = err.to_string();
    assert!(message.contains("ci"), "{message}");
    assert!(message.contains("access"), "{message}");
    assert!(
        !message.contains("secret-key-material"),
        "the key must never be echoed: {message}"
    );
}

#[tokio::test]
async fn enabled_tls_with_a_missing_cert_file_stops_startup_naming_the_file() {
    let mut settings = Settings::in_memory();
    settings.service.enable_tls = true;
    let missing =
        std::env::temp_dir().join(format!("quiver-no-such-cert-{}.pem", std::process::id()));
    settings.tls.cert = missing.clone();
    let err = Server::start(&settings).await.err().expect("refused");
    let message = err.to_string();
    assert!(message.contains("tls.cert"), "{message}");
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
}

#[test]
fn bad_setting_stops_the_binary_with_a_message_naming_the_key() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_quiver"))
        .arg("--in-memory")
        .env("QDRANT__SERVICE__HTTP_PORT", "not-a-port")
        .output()
        .expect("the quiver binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("service.http_port"), "{stderr}");
    assert!(stderr.contains("not-a-port"), "{stderr}");
}

#[test]
fn startup_prints_where_it_listens_and_where_data_lives() {
    use std::io::{BufRead, BufReader};
    let port = process::free_port();
    let dir = process::data_dir("banner");
    let mut child = process::command(&dir, port)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the quiver binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains(&dir.display().to_string()), "{line}");
}

#[tokio::test]
async fn cors_preflight_is_answered_for_any_origin() {
    let s = TestServer::start().await;
    let resp = s
        .http
        .request(reqwest::Method::OPTIONS, s.url("/collections"))
        .header("origin", "http://example.test")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert!(
        resp.headers().get("access-control-allow-origin").is_some(),
        "{:?}",
        resp.headers()
    );
}
