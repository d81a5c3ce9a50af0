//! The REST envelope and the extractors that turn request bytes into model types.
//!
//! Success bodies are `{"result": …, "status": "ok", "time": seconds}`; errors are
//! `{"status": {"error": message}, "time": seconds}` with the status code chosen by
//! [`Error::http_status`]. [`JsonBody`] enforces `service.max_request_size_mb` and renders parse
//! failures in Qdrant's words (`Format error in JSON body: …`), so that no malformed request
//! reaches a handler.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Query, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::api::rest::AppState;
use crate::error::Error;

/// When the handler started, for the envelope's `time`.
pub struct Timer(pub Instant);

impl<S: Send + Sync> FromRequestParts<S> for Timer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Timer(Instant::now()))
    }
}

/// A successful answer: `result` wrapped in the envelope.
pub fn ok<T: Serialize>(timer: &Timer, result: T) -> Response {
    Json(json!({
        "result": result,
        "status": "ok",
        "time": timer.0.elapsed().as_secs_f64(),
    }))
    .into_response()
}

/// An error answer in the envelope, with the status code the error kind maps to.
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.http_status();
        let body = Json(json!({
            "status": { "error": self.0.to_string() },
            "time": 0.0,
        }));
        (status, body).into_response()
    }
}

/// What every handler returns.
pub type ApiResult = Result<Response, ApiError>;

/// A JSON body parsed into `T`, with Qdrant's size limit and error messages.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = AppState::from_ref(state).max_body_bytes;
        if let Some(ct) = req.headers().get(CONTENT_TYPE)
            && !ct
                .to_str()
                .map(|s| s.to_ascii_lowercase().contains("json"))
                .unwrap_or(false)
        {
            return Err(Error::Format("Content type error".into()).into());
        }
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if let Some(n) = declared
            && n > limit
        {
            return Err(Error::PayloadTooLarge(format!(
                "JSON payload ({n} bytes) is larger than allowed (limit: {limit} bytes)."
            ))
            .into());
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                Error::PayloadTooLarge(format!("JSON payload has exceeded limit ({limit} bytes)."))
            })?;
        // An empty body means "all defaults" for endpoints whose fields are all optional.
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(JsonBody)
            .map_err(|e| ApiError(Error::Format(e.to_string())))
    }
}

/// Query-string parameters parsed into `T`, with Qdrant's error message.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|e| ApiError(Error::QueryParams(e.body_text())))
    }
}

/// `?wait=&ordering=&timeout=` of write endpoints.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WriteParams {
    #[serde(default)]
    pub wait: Option<bool>,
    #[serde(default)]
    pub ordering: Option<String>,
    #[serde(default)]
    pub timeout: Option<u64>,
}

impl WriteParams {
    pub fn wait(&self) -> bool {
        self.wait.unwrap_or(false)
    }
}

/// `?consistency=&timeout=` of read endpoints (accepted; one node has nothing to tune).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReadParams {
    #[serde(default)]
    pub consistency: Option<serde_json::Value>,
    #[serde(default)]
    pub timeout: Option<u64>,
}
