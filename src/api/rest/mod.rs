//! The REST API (axum): Qdrant's paths, one file per area, all sharing [`AppState`].
//!
//! Handlers parse with the extractors in [`envelope`], call one engine method and wrap the
//! result in the envelope. Every route that takes `{name}` accepts an alias as well, because the
//! engine resolves names.

pub mod aliases;
pub mod auth;
pub mod collections;
pub mod envelope;
pub mod explore;
pub mod payload_index;
pub mod points;
pub mod search;
pub mod service;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;

use crate::auth::Auth;
use crate::engine::Engine;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub auth: Arc<Auth>,
    /// `service.max_request_size_mb` in bytes.
    pub max_body_bytes: usize,
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    envelope::ApiError(crate::error::Error::Internal(
        "the server hit a bug while handling this request".into(),
    ))
    .into_response()
}

/// Builds the router for all served endpoints.
pub fn router(state: AppState, enable_cors: bool) -> Router {
    let router = Router::new()
        .route("/", get(service::root))
        .route("/healthz", get(service::healthz))
        .route("/livez", get(service::healthz))
        .route("/readyz", get(service::readyz))
        .route("/telemetry", get(service::telemetry))
        .route("/auth/keys", get(auth::list_keys))
        .route("/auth/key", get(auth::whoami))
        .route("/collections", get(collections::list))
        .route("/aliases", get(aliases::list_all))
        .route("/collections/aliases", post(aliases::update))
        .route(
            "/collections/{name}",
            get(collections::get)
                .put(collections::create)
                .patch(collections::update)
                .delete(collections::delete),
        )
        .route("/collections/{name}/exists", get(collections::exists))
        .route(
            "/collections/{name}/aliases",
            get(aliases::list_for_collection),
        )
        .route(
            "/collections/{name}/points",
            put(points::upsert).post(points::retrieve),
        )
        .route("/collections/{name}/points/{id}", get(points::get_one))
        .route("/collections/{name}/points/delete", post(points::delete))
        .route(
            "/collections/{name}/points/payload",
            post(points::set_payload).put(points::overwrite_payload),
        )
        .route(
            "/collections/{name}/points/payload/delete",
            post(points::delete_payload),
        )
        .route(
            "/collections/{name}/points/payload/clear",
            post(points::clear_payload),
        )
        .route(
            "/collections/{name}/points/vectors",
            put(points::update_vectors),
        )
        .route(
            "/collections/{name}/points/vectors/delete",
            post(points::delete_vectors),
        )
        .route("/collections/{name}/points/batch", post(points::batch))
        .route("/collections/{name}/points/scroll", post(search::scroll))
        .route("/collections/{name}/points/count", post(search::count))
        .route("/collections/{name}/points/search", post(search::search))
        .route(
            "/collections/{name}/points/search/batch",
            post(search::search_batch),
        )
        .route("/collections/{name}/points/query", post(search::query))
        .route(
            "/collections/{name}/points/query/groups",
            post(search::query_groups),
        )
        .route(
            "/collections/{name}/points/search/groups",
            post(search::search_groups),
        )
        .route(
            "/collections/{name}/points/recommend",
            post(search::recommend),
        )
        .route(
            "/collections/{name}/points/recommend/batch",
            post(search::recommend_batch),
        )
        .route(
            "/collections/{name}/points/recommend/groups",
            post(search::recommend_groups),
        )
        .route(
            "/collections/{name}/points/discover",
            post(search::discover),
        )
        .route(
            "/collections/{name}/points/discover/batch",
            post(search::discover_batch),
        )
        .route(
            "/collections/{name}/points/query/batch",
            post(search::query_batch),
        )
        .route("/collections/{name}/index", put(payload_index::create))
        .route(
            "/collections/{name}/vectors/{vector}",
            put(payload_index::create_vector).delete(payload_index::delete_vector),
        )
        .route(
            "/collections/{name}/index/{field_name}",
            delete(payload_index::delete),
        )
        .route("/collections/{name}/facet", post(explore::facet))
        .route(
            "/collections/{name}/points/search/matrix/pairs",
            post(explore::matrix_pairs),
        )
        .route(
            "/collections/{name}/points/search/matrix/offsets",
            post(explore::matrix_offsets),
        )
        // JsonBody enforces the configured limit itself, with Qdrant's message.
        .layer(DefaultBodyLimit::disable())
        // A panic is a bug; the client still gets an answer (500) instead of a dropped connection.
        .layer(CatchPanicLayer::custom(panic_response))
        // Every request is authenticated first (CORS preflights, outside, are not).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .with_state(state);
    if enable_cors {
        router.layer(CorsLayer::permissive())
    } else {
        router
    }
}
