//! Collection endpoints: list, create, get, update, delete, exists.

use axum::Extension;
use axum::extract::{Path, State};
use serde_json::json;

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, Timer, ok};
use crate::auth::Access;
use crate::model::collection::{
    CollectionDescription, CollectionsList, CreateCollection, UpdateCollection,
};

/// `?timeout=` of collection operations (accepted; operations here finish promptly).
#[derive(Debug, Default, serde::Deserialize)]
pub struct TimeoutParams {
    #[serde(default)]
    pub timeout: Option<u64>,
}

pub async fn list(
    timer: Timer,
    State(app): State<AppState>,
    Extension(access): Extension<Access>,
) -> ApiResult {
    let collections = app
        .engine
        .list_collections()
        .into_iter()
        .filter(|name| access.can_see(name))
        .map(|name| CollectionDescription { name })
        .collect();
    Ok(ok(&timer, CollectionsList { collections }))
}

pub async fn create(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<TimeoutParams>,
    JsonBody(body): JsonBody<CreateCollection>,
) -> ApiResult {
    Ok(ok(&timer, app.engine.create_collection(&name, body).await?))
}

pub async fn get(timer: Timer, State(app): State<AppState>, Path(name): Path<String>) -> ApiResult {
    Ok(ok(&timer, app.engine.collection(&name)?.info()))
}

pub async fn update(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<TimeoutParams>,
    JsonBody(body): JsonBody<UpdateCollection>,
) -> ApiResult {
    Ok(ok(&timer, app.engine.update_collection(&name, body).await?))
}

pub async fn delete(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<TimeoutParams>,
) -> ApiResult {
    Ok(ok(&timer, app.engine.delete_collection(&name).await?))
}

pub async fn exists(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult {
    Ok(ok(
        &timer,
        json!({ "exists": app.engine.collection_exists(&name) }),
    ))
}
