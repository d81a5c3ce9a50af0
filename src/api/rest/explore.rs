//! Explore-the-data endpoints: facet counts and the distance matrix (pairs and offsets).

use axum::extract::{Path, State};

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, ReadParams, Timer, ok};
use crate::model::facet::FacetRequest;
use crate::model::matrix::SearchMatrixRequest;

pub async fn facet(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<FacetRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.facet(&query)?))
}

pub async fn matrix_pairs(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<SearchMatrixRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.search_matrix(&query)?.pairs()))
}

pub async fn matrix_offsets(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<SearchMatrixRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.search_matrix(&query)?.offsets()))
}
