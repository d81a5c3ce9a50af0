//! Read endpoints that select or rank points: scroll, count, search (+ batch), query (+ batch).

use axum::extract::{Path, State};

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, ReadParams, Timer, ok};
use crate::model::query::{
    CountRequest, QueryRequest, QueryRequestBatch, ScrollRequest, SearchRequest, SearchRequestBatch,
};
use crate::model::results::{CountResult, QueryResponse};

pub async fn scroll(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<ScrollRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.scroll(&query)?))
}

pub async fn count(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<CountRequest>,
) -> ApiResult {
    if let Some(f) = &body.filter {
        f.validate()?;
    }
    let collection = app.engine.collection(&name)?;
    let count = collection.count(body.filter.as_ref());
    Ok(ok(&timer, CountResult { count }))
}

pub async fn search(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<SearchRequest>,
) -> ApiResult {
    let query = body.into_query("")?;
    let collection = app.engine.collection(&name)?;
    Ok(ok(&timer, collection.search(&query)?))
}

pub async fn search_batch(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<SearchRequestBatch>,
) -> ApiResult {
    let queries = body
        .searches
        .into_iter()
        .enumerate()
        .map(|(i, s)| s.into_query(&format!("searches[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let collection = app.engine.collection(&name)?;
    let results = queries
        .iter()
        .map(|q| collection.search(q))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(&timer, results))
}

pub async fn query(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<QueryRequest>,
) -> ApiResult {
    let query = body.into_query("")?;
    let collection = app.engine.collection(&name)?;
    let points = collection.query(&query)?;
    Ok(ok(&timer, QueryResponse { points }))
}

pub async fn query_batch(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<QueryRequestBatch>,
) -> ApiResult {
    let queries = body
        .searches
        .into_iter()
        .enumerate()
        .map(|(i, s)| s.into_query(&format!("searches[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let collection = app.engine.collection(&name)?;
    let results = queries
        .iter()
        .map(|q| collection.query(q).map(|points| QueryResponse { points }))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(&timer, results))
}
