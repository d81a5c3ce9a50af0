//! Point endpoints: upsert, retrieve, delete, payload and vector operations, batch updates.
//!
//! Every write handler has the same shape: parse the body into a `PointOperation`, hand it to
//! `Collection::update`, return the `UpdateResult` (a list for batch).

use axum::extract::{Path, State};

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, ReadParams, Timer, WriteParams, ok};
use crate::error::Error;
use crate::model::PointId;
use crate::model::operations::{
    DeletePayload, DeleteVectors, PointInsertOperations, PointOperation, PointsSelector,
    SetPayload, UpdateOperations, UpdateVectors,
};
use crate::model::query::{PointRequest, RetrieveQuery};

/// Applies one operation and answers with its single `UpdateResult`.
async fn write_one(
    timer: Timer,
    app: &AppState,
    name: &str,
    params: &WriteParams,
    op: PointOperation,
) -> ApiResult {
    let collection = app.engine.collection(name)?;
    let results = collection.update(vec![op], params.wait()).await?;
    Ok(ok(&timer, results[0]))
}

pub async fn upsert(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<PointInsertOperations>,
) -> ApiResult {
    write_one(timer, &app, &name, &params, PointOperation::upsert(body)?).await
}

pub async fn delete(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<PointsSelector>,
) -> ApiResult {
    write_one(timer, &app, &name, &params, PointOperation::delete(body)?).await
}

pub async fn set_payload(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<SetPayload>,
) -> ApiResult {
    write_one(
        timer,
        &app,
        &name,
        &params,
        PointOperation::set_payload(body)?,
    )
    .await
}

pub async fn overwrite_payload(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<SetPayload>,
) -> ApiResult {
    let op = PointOperation::overwrite_payload(body)?;
    write_one(timer, &app, &name, &params, op).await
}

pub async fn delete_payload(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<DeletePayload>,
) -> ApiResult {
    let op = PointOperation::delete_payload(body)?;
    write_one(timer, &app, &name, &params, op).await
}

pub async fn clear_payload(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<PointsSelector>,
) -> ApiResult {
    let op = PointOperation::clear_payload(body)?;
    write_one(timer, &app, &name, &params, op).await
}

pub async fn update_vectors(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<UpdateVectors>,
) -> ApiResult {
    let op = PointOperation::update_vectors(body)?;
    write_one(timer, &app, &name, &params, op).await
}

pub async fn delete_vectors(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<DeleteVectors>,
) -> ApiResult {
    let op = PointOperation::delete_vectors(body)?;
    write_one(timer, &app, &name, &params, op).await
}

pub async fn batch(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(params): Params<WriteParams>,
    JsonBody(body): JsonBody<UpdateOperations>,
) -> ApiResult {
    let ops = body
        .operations
        .into_iter()
        .map(PointOperation::from_json)
        .collect::<Result<Vec<_>, _>>()?;
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.update(ops, params.wait()).await?))
}

pub async fn get_one(
    timer: Timer,
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
    Params(_): Params<ReadParams>,
) -> ApiResult {
    let collection = app.engine.collection(&name)?;
    let id = PointId::parse_path(&id)
        .ok_or_else(|| Error::BadInput(format!("Can not recognize \"{id}\" as point id")))?;
    let mut found = collection.retrieve(&RetrieveQuery::one(id));
    match found.pop() {
        Some(record) => Ok(ok(&timer, record)),
        None => Err(Error::NotFound(format!("Point with id {id} does not exists!")).into()),
    }
}

pub async fn retrieve(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<PointRequest>,
) -> ApiResult {
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.retrieve(&body.into_query())))
}
