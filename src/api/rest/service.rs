//! Service endpoints: `GET /` (version), `/healthz`, `/livez`, `/readyz`, `/telemetry`.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::json;

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, Timer, ok};

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

/// `GET /telemetry` (`details_level` and `anonymize` are accepted and change nothing: every
/// collection is always reported, and nothing in it is personal).
pub async fn telemetry(timer: Timer, State(app): State<AppState>) -> ApiResult {
    Ok(ok(&timer, app.engine.telemetry(QDRANT_API_VERSION)))
}
