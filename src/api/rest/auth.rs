//! The REST auth guard: exempt paths, the credential check, and what each route requires.
//!
//! Runs before every handler (CORS preflights are answered before it). The [`Access`] it
//! decides goes into the request's extensions, where listings read it to show only the
//! collections the caller may see.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiError, ApiResult, Timer, ok};
use crate::auth::{Access, Requirement};
use crate::error::Error;

/// Paths that answer without a key, as in Qdrant: `/` and `/healthz` exactly, `/readyz` and
/// `/livez` as prefixes.
fn exempt(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    matches!(trimmed, "" | "/healthz") || path.starts_with("/readyz") || path.starts_with("/livez")
}

/// What a REST route needs. Unknown routes need only a valid credential (they answer 404).
pub fn requirement<'a>(method: &Method, path: &'a str) -> Requirement<'a> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let read = *method == Method::GET || *method == Method::HEAD;
    match segments.as_slice() {
        ["collections"] | ["aliases"] | ["auth", "key"] => Requirement::Authenticated,
        ["auth", "keys"] => Requirement::GlobalManage,
        ["collections", "aliases"] => Requirement::GlobalManage,
        ["collections", name] if read => Requirement::Read(name),
        ["collections", name] => Requirement::Manage(name),
        ["collections", name, "exists" | "aliases"] => Requirement::Read(name),
        ["collections", name, "points", rest @ ..] => {
            let reading = match rest {
                [] => *method == Method::POST,
                [_id] if read => true,
                [
                    "scroll" | "count" | "search" | "query" | "recommend" | "discover" | "facet",
                    ..,
                ] => true,
                _ => false,
            };
            if reading {
                Requirement::Read(name)
            } else {
                Requirement::Write(name)
            }
        }
        ["collections", name, "facet"] => Requirement::Read(name),
        ["collections", name, "index", ..] | ["collections", name, "vectors", ..] => {
            Requirement::CollectionWrite(name)
        }
        ["collections", name, "snapshots", ..] if read => Requirement::Read(name),
        ["collections", name, "snapshots", ..] => Requirement::CollectionWrite(name),
        ["collections", name, "cluster"] if read => Requirement::Read(name),
        ["collections", _, ..] => Requirement::GlobalManage,
        ["cluster", ..] | ["metrics"] | ["telemetry"] | ["issues"] if read => {
            Requirement::GlobalRead
        }
        ["snapshots", ..] if read => Requirement::GlobalRead,
        [
            "cluster" | "snapshots" | "issues" | "logger" | "stacktrace",
            ..,
        ] => Requirement::GlobalManage,
        _ => Requirement::Authenticated,
    }
}

/// The middleware: authenticate, authorize, then run the handler with the [`Access`].
pub async fn guard(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if exempt(&path) {
        request.extensions_mut().insert(Access::open());
        return next.run(request).await;
    }
    let (api_key, authorization) = {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (header("api-key"), header(header::AUTHORIZATION.as_str()))
    };
    let operation = format!("{} {path}", request.method());
    let access = match crate::api::authenticate(
        &app.auth,
        &app.engine,
        api_key.as_deref(),
        authorization.as_deref(),
        Some(peer.ip()),
        &operation,
    ) {
        Ok(access) => access,
        Err(e) => return refusal(e),
    };
    if let Err(e) = access.require(requirement(request.method(), &path)) {
        crate::api::audit(Some(peer.ip()), &access.key_name, &operation, &e);
        return refusal(e);
    }
    request.extensions_mut().insert(access);
    next.run(request).await
}

/// 401 is plain text (as Qdrant sends it); other refusals use the JSON envelope.
fn refusal(e: Error) -> Response {
    match e {
        Error::Unauthorized(message) => (StatusCode::UNAUTHORIZED, message).into_response(),
        other => ApiError(other).into_response(),
    }
}

/// `GET /auth/keys` (manage access): every key's name, access, scope, window, use count and
/// last use — never key material.
pub async fn list_keys(timer: Timer, State(app): State<AppState>) -> ApiResult {
    Ok(ok(
        &timer,
        serde_json::json!({ "keys": app.auth.key_report() }),
    ))
}

/// `GET /auth/key`: which key the caller authenticated as and what it may do.
pub async fn whoami(timer: Timer, Extension(access): Extension<Access>) -> ApiResult {
    Ok(ok(&timer, access.report()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_what_qdrant_says() {
        let cases = [
            (Method::GET, "/collections", Requirement::Authenticated),
            (Method::GET, "/collections/a", Requirement::Read("a")),
            (Method::PUT, "/collections/a", Requirement::Manage("a")),
            (Method::PATCH, "/collections/a", Requirement::Manage("a")),
            (Method::DELETE, "/collections/a", Requirement::Manage("a")),
            (Method::GET, "/collections/a/exists", Requirement::Read("a")),
            (
                Method::POST,
                "/collections/aliases",
                Requirement::GlobalManage,
            ),
            (
                Method::POST,
                "/collections/a/points",
                Requirement::Read("a"),
            ),
            (
                Method::PUT,
                "/collections/a/points",
                Requirement::Write("a"),
            ),
            (
                Method::GET,
                "/collections/a/points/7",
                Requirement::Read("a"),
            ),
            (
                Method::POST,
                "/collections/a/points/search/batch",
                Requirement::Read("a"),
            ),
            (
                Method::POST,
                "/collections/a/points/query",
                Requirement::Read("a"),
            ),
            (
                Method::POST,
                "/collections/a/points/delete",
                Requirement::Write("a"),
            ),
            (
                Method::PUT,
                "/collections/a/points/payload",
                Requirement::Write("a"),
            ),
            (
                Method::POST,
                "/collections/a/points/batch",
                Requirement::Write("a"),
            ),
            (
                Method::PUT,
                "/collections/a/index",
                Requirement::CollectionWrite("a"),
            ),
            (
                Method::GET,
                "/collections/a/snapshots",
                Requirement::Read("a"),
            ),
            (
                Method::POST,
                "/collections/a/snapshots",
                Requirement::CollectionWrite("a"),
            ),
            (Method::GET, "/metrics", Requirement::GlobalRead),
            (Method::GET, "/auth/keys", Requirement::GlobalManage),
            (Method::GET, "/auth/key", Requirement::Authenticated),
        ];
        for (method, path, want) in cases {
            assert_eq!(requirement(&method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn only_qdrants_exempt_paths_skip_auth() {
        for path in ["/", "/healthz", "/healthz/", "/readyz", "/livez"] {
            assert!(exempt(path), "{path}");
        }
        for path in ["/metrics", "/telemetry", "/collections", "/healthzz"] {
            assert!(!exempt(path), "{path}");
        }
    }
}
