//! API keys from Rust, over HTTP (reqwest) and gRPC (the `qdrant-client` crate), on an embedded
//! server: Qdrant's keys, a scoped named key, exempt paths, and a key-file reload through
//! [`quiver::Server::reload`] that leaves a client on the new key with no failed call.
//!
//! The Python suite (`tests/compat/test_auth.py`) covers the full matrix through the official
//! client; these tests show the embedding API and the Rust client see the same rules.

mod common;

use std::time::Duration;

use common::TestServer;
use qdrant_client::qdrant::{
    CountPointsBuilder, CreateCollectionBuilder, Distance, PointStruct, UpsertPointsBuilder,
    VectorParamsBuilder,
};
use qdrant_client::{Qdrant, QdrantError};
use quiver::server::SettingsSource;
use quiver::{Server, Settings};
use serde_json::json;
use tonic::Code;

const MANAGE: &str = "rust-test-manage-key-0123456789";
const READ_ONLY: &str = "rust-test-read-only-key-0123456789";
const SCOPED: &str = "rust-test-scoped-key-0123456789";

fn secured_settings() -> Settings {
    let mut settings = Settings::in_memory();
    settings.service.api_key = Some(MANAGE.into());
    settings.service.read_only_api_key = Some(READ_ONLY.into());
    settings.service.api_keys = json!([
        { "name": "docs-app", "key": SCOPED, "access": "read-write", "collections": ["docs-*"] }
    ]);
    settings
}

fn grpc_client(s: &TestServer, key: Option<&str>) -> Qdrant {
    let mut builder = Qdrant::from_url(&s.grpc_url())
        .timeout(Duration::from_secs(30))
        .skip_compatibility_check();
    if let Some(key) = key {
        builder = builder.api_key(key);
    }
    builder.build().expect("client builds")
}

fn code(err: QdrantError) -> (Code, String) {
    match err {
        QdrantError::ResponseError { status } => (status.code(), status.message().to_string()),
        QdrantError::ResourceExhaustedError { status, .. } => {
            (status.code(), status.message().to_string())
        }
        other => panic!("expected a gRPC status, got: {other}"),
    }
}

async fn get(s: &TestServer, path: &str, key: Option<&str>) -> (u16, String) {
    let mut request = s.http.get(s.url(path));
    if let Some(key) = key {
        request = request.header("api-key", key);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn create(client: &Qdrant, name: &str) -> Result<(), QdrantError> {
    client
        .create_collection(
            CreateCollectionBuilder::new(name)
                .vectors_config(VectorParamsBuilder::new(2, Distance::Dot)),
        )
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_enforces_qdrants_keys_and_leaves_exempt_paths_open() {
    let s = TestServer::start_with(secured_settings()).await;

    let (status, body) = get(&s, "/collections", None).await;
    assert_eq!(
        (status, body.as_str()),
        (
            401,
            "Must provide an API key or an Authorization bearer token"
        )
    );
    let (status, body) = get(&s, "/collections", Some("wrong-key")).await;
    assert_eq!((status, body.as_str()), (401, "Invalid API key or JWT"));
    for path in ["/", "/healthz", "/readyz", "/livez"] {
        assert_eq!(get(&s, path, None).await.0, 200, "{path}");
    }

    let create = s
        .http
        .put(s.url("/collections/docs-a"))
        .header("api-key", READ_ONLY)
        .json(&json!({ "vectors": { "size": 2, "distance": "Dot" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status().as_u16(), 403);
    let body: serde_json::Value = create.json().await.unwrap();
    assert_eq!(
        body["status"]["error"],
        "Forbidden: Global manage access is required"
    );

    let create = s
        .http
        .put(s.url("/collections/docs-a"))
        .header("authorization", format!("Bearer {MANAGE}"))
        .json(&json!({ "vectors": { "size": 2, "distance": "Dot" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status().as_u16(), 200);
    assert_eq!(get(&s, "/collections/docs-a", Some(READ_ONLY)).await.0, 200);
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn grpc_enforces_the_same_keys_and_scopes() {
    let s = TestServer::start_with(secured_settings()).await;
    let admin = grpc_client(&s, Some(MANAGE));
    create(&admin, "docs-grpc")
        .await
        .expect("manage key creates");
    create(&admin, "private").await.expect("manage key creates");

    let (code_, message) = code(
        grpc_client(&s, None)
            .list_collections()
            .await
            .expect_err("no key"),
    );
    assert_eq!(code_, Code::Unauthenticated);
    assert_eq!(
        message,
        "Must provide an API key or an Authorization bearer token"
    );
    grpc_client(&s, None)
        .health_check()
        .await
        .expect("the health check needs no key");

    let reader = grpc_client(&s, Some(READ_ONLY));
    assert_eq!(
        reader.list_collections().await.unwrap().collections.len(),
        2
    );
    let (code_, message) = code(create(&reader, "docs-b").await.expect_err("read-only"));
    assert_eq!(code_, Code::PermissionDenied);
    assert_eq!(message, "Forbidden: Global manage access is required");

    let scoped = grpc_client(&s, Some(SCOPED));
    let names: Vec<String> = scoped
        .list_collections()
        .await
        .unwrap()
        .collections
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["docs-grpc"]);
    scoped
        .upsert_points(
            UpsertPointsBuilder::new(
                "docs-grpc",
                vec![PointStruct::new(1, vec![1.0, 0.0], [("k", 1.into())])],
            )
            .wait(true),
        )
        .await
        .expect("the scoped key writes points in its collections");
    let (code_, message) = code(
        scoped
            .count(CountPointsBuilder::new("private"))
            .await
            .expect_err("outside the scope"),
    );
    assert_eq!(code_, Code::PermissionDenied);
    assert_eq!(
        message,
        "Forbidden: Access to collection private is required"
    );
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_swaps_the_key_file_and_a_bad_file_keeps_the_old_keys() {
    let dir = std::env::temp_dir().join(format!("quiver-auth-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dir.join("keys.yaml");
    let entry =
        |name: &str, key: &str| format!("  - {{ name: {name}, key: {key}, access: read-only }}\n");
    std::fs::write(
        &keys,
        format!("api_keys:\n{}", entry("old", "old-key-0001")),
    )
    .unwrap();

    let mut settings = Settings::in_memory();
    settings.service.api_keys_file = Some(keys.clone());
    let server = Server::start_with_source(&settings, SettingsSource::fixed(&settings))
        .await
        .expect("starts");
    let s = TestServer {
        server,
        http: reqwest::Client::new(),
    };
    assert_eq!(get(&s, "/auth/key", Some("old-key-0001")).await.0, 200);

    std::fs::write(
        &keys,
        format!(
            "api_keys:\n{}{}",
            entry("old", "old-key-0001"),
            entry("new", "new-key-0002")
        ),
    )
    .unwrap();
    assert_eq!(s.server.reload(), Ok(2));
    let (status, body) = get(&s, "/auth/key", Some("new-key-0002")).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"name\":\"new\""), "{body}");
    assert_eq!(get(&s, "/auth/key", Some("old-key-0001")).await.0, 200);

    std::fs::write(&keys, "api_keys:\n  - { name: broken, access: manage }\n").unwrap();
    let error = s.server.reload().expect_err("a key without key or sha256");
    assert!(error.contains("broken"), "{error}");
    assert_eq!(get(&s, "/auth/key", Some("new-key-0002")).await.0, 200);

    std::fs::write(
        &keys,
        format!("api_keys:\n{}", entry("new", "new-key-0002")),
    )
    .unwrap();
    assert_eq!(s.server.reload(), Ok(1));
    assert_eq!(get(&s, "/auth/key", Some("old-key-0001")).await.0, 401);
    s.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
