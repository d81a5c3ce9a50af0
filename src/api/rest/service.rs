//! Service endpoints: `GET /` (version), `/healthz`, `/livez`, `/readyz`.

use axum::Json;
use axum::response::IntoResponse;
use serde_json::json;

/// The Qdrant REST API version Quiver implements; clients compare it with their own.
pub const QDRANT_API_VERSION: &str = "1.18.1";

/// `GET /`: no envelope, as in Qdrant.
pub async fn root() -> impl IntoResponse {
    Json(json!({
        "title": "qdrant - vector search engine",
        "version": QDRANT_API_VERSION,
        "quiver_version": env!("CARGO_PKG_VERSION"),
    }))
}

pub async fn healthz() -> &'static str {
    "healthz check passed"
}

pub async fn readyz() -> &'static str {
    "all shards are ready"
}
