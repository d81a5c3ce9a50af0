//! Alias endpoints: change aliases, list all aliases, list a collection's aliases.

use axum::Extension;
use axum::extract::{Path, State};

use crate::api::rest::AppState;
use crate::api::rest::collections::TimeoutParams;
use crate::api::rest::envelope::{ApiResult, JsonBody, Params, Timer, ok};
use crate::auth::Access;
use crate::model::collection::{AliasesList, ChangeAliases};

pub async fn update(
    timer: Timer,
    State(app): State<AppState>,
    Params(_): Params<TimeoutParams>,
    JsonBody(body): JsonBody<ChangeAliases>,
) -> ApiResult {
    Ok(ok(&timer, app.engine.update_aliases(body.actions).await?))
}

pub async fn list_all(
    timer: Timer,
    State(app): State<AppState>,
    Extension(access): Extension<Access>,
) -> ApiResult {
    let mut aliases = app.engine.list_aliases(None)?;
    aliases.retain(|a| access.can_see(&a.collection_name));
    Ok(ok(&timer, AliasesList { aliases }))
}

pub async fn list_for_collection(
    timer: Timer,
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult {
    let aliases = app.engine.list_aliases(Some(&name))?;
    Ok(ok(&timer, AliasesList { aliases }))
}
