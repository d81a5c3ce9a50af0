//! Read endpoints that select or rank points: scroll, count, search (+ batch), query (+ batch),
//! the legacy recommend and discover (+ batch), and the groups variants.

use axum::extract::{Path, State};

use crate::api::rest::AppState;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, ReadParams, Timer, ok};
use crate::model::legacy::{
    Batch, DiscoverRequest, GroupsResult, QueryGroupsRequest, RecommendGroupsRequest,
    RecommendRequest, SearchGroupsRequest,
};
use crate::model::query::UniversalQuery;
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
    Ok(ok(
        &timer,
        app.engine.read(move |e| e.query(&name, &query)).await?,
    ))
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
    let results = app
        .engine
        .read(move |e| e.query_batch(&name, &queries))
        .await?;
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
    let points = app.engine.read(move |e| e.query(&name, &query)).await?;
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
    let results: Vec<QueryResponse> = app
        .engine
        .read(move |e| e.query_batch(&name, &queries))
        .await?
        .into_iter()
        .map(|points| QueryResponse { points })
        .collect();
    Ok(ok(&timer, results))
}

pub async fn recommend(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<RecommendRequest>,
) -> ApiResult {
    let query = body.into_query("")?;
    Ok(ok(
        &timer,
        app.engine.read(move |e| e.query(&name, &query)).await?,
    ))
}

pub async fn recommend_batch(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<Batch<RecommendRequest>>,
) -> ApiResult {
    let queries = body
        .searches
        .into_iter()
        .enumerate()
        .map(|(i, s)| s.into_query(&format!("searches[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    run_batch(&timer, &app, name, queries).await
}

pub async fn discover(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<DiscoverRequest>,
) -> ApiResult {
    let query = body.into_query("")?;
    Ok(ok(
        &timer,
        app.engine.read(move |e| e.query(&name, &query)).await?,
    ))
}

pub async fn discover_batch(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<Batch<DiscoverRequest>>,
) -> ApiResult {
    let queries = body
        .searches
        .into_iter()
        .enumerate()
        .map(|(i, s)| s.into_query(&format!("searches[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    run_batch(&timer, &app, name, queries).await
}

/// One result list per query, in request order; the first failure fails the batch.
async fn run_batch(
    timer: &Timer,
    app: &AppState,
    name: String,
    queries: Vec<UniversalQuery>,
) -> ApiResult {
    let results = app
        .engine
        .read(move |e| e.query_batch(&name, &queries))
        .await?;
    Ok(ok(timer, results))
}

pub async fn search_groups(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<SearchGroupsRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let groups = app
        .engine
        .read(move |e| e.query_groups(&name, &query))
        .await?;
    Ok(ok(&timer, GroupsResult { groups }))
}

pub async fn recommend_groups(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<RecommendGroupsRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let groups = app
        .engine
        .read(move |e| e.query_groups(&name, &query))
        .await?;
    Ok(ok(&timer, GroupsResult { groups }))
}

pub async fn query_groups(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
    Params(_): Params<ReadParams>,
    JsonBody(body): JsonBody<QueryGroupsRequest>,
) -> ApiResult {
    let query = body.into_query()?;
    let groups = app
        .engine
        .read(move |e| e.query_groups(&name, &query))
        .await?;
    Ok(ok(&timer, GroupsResult { groups }))
}
