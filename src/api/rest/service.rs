//! Service endpoints: `GET /` (version), `/healthz`, `/livez`, `/readyz`.

use axum::Json;
use axum::response::IntoResponse;
use serde_json::json;

/// The Qdrant version Quiver reports. Quiver implements the 1.18 REST schema; official clients
/// warn when the server's minor version is more than one away from theirs, so reporting 1.19
/// keeps clients 1.18, 1.19 and 1.20 (the one our compatibility suite pins) free of warnings.
pub const QDRANT_API_VERSION: &str = "1.19.0";

/// The `title` Qdrant reports from `GET /` and `HealthCheck`.
pub const TITLE: &str = "qdrant - vector search engine";

/// `GET /`: no envelope, as in Qdrant.
pub async fn root() -> impl IntoResponse {
    Json(json!({
        "title": TITLE,
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
