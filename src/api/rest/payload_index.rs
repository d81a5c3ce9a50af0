//! Schema endpoints of an existing collection: payload indexes (`PUT /collections/{c}/index`,
//! `DELETE /collections/{c}/index/{key}`) and named vectors (`PUT` / `DELETE
//! /collections/{c}/vectors/{name}`). All answer an `UpdateResult`, like point writes.

use axum::extract::{Path, State};

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, Timer, WriteParams, ok};
use crate::error::Error;
use crate::model::collection::VectorNameConfig;
use crate::model::json_path::JsonPath;
use crate::model::payload_index::CreateFieldIndex;

pub async fn create(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<CreateFieldIndex>,
) -> ApiResult {
    let (field, schema) = body.into_parts()?;
    let collection = app.engine.collection(&name)?;
    let result = collection
        .create_field_index(&field, schema, params.wait())
        .await?;
    Ok(ok(&timer, result))
}

pub async fn delete(
    timer: Timer,
    State(app): State<AppState>,
    Path((name, field)): Path<(String, String)>,
    Params(params): Params<WriteParams>,
) -> ApiResult {
    let field = JsonPath::parse(&field).map_err(|e| Error::BadInput(e.to_string()))?;
    let collection = app.engine.collection(&name)?;
    let result = collection.delete_field_index(&field, params.wait()).await?;
    Ok(ok(&timer, result))
}

pub async fn create_vector(
    timer: Timer,
    State(app): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<VectorNameConfig>,
) -> ApiResult {
    let vector_params = body.into_params(&vector)?;
    let result = app
        .engine
        .create_vector_name(&name, &vector, vector_params, params.wait())
        .await?;
    Ok(ok(&timer, result))
}

pub async fn delete_vector(
    timer: Timer,
    State(app): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    Params(params): Params<WriteParams>,
) -> ApiResult {
    let result = app
        .engine
        .delete_vector_name(&name, &vector, params.wait())
        .await?;
    Ok(ok(&timer, result))
}
