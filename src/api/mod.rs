//! Transports. Each converts its wire form into the model, calls the engine, and renders the
//! result; none holds search, filter or validation logic of its own.
//!
//! Both call [`authenticate`] before anything else, so a credential is judged the same way
//! whichever transport carried it.

pub mod grpc;
pub mod rest;

use std::net::IpAddr;

use crate::auth::{Access, Auth};
use crate::engine::Engine;
use crate::error::Error;

/// Authenticates one request: the credential (`api-key`, else `Authorization: Bearer …`) and
/// the client address go to [`Auth::authenticate`]; a token's `value_exists` condition is
/// checked against the engine. Each refusal is logged once with the client, the key's name (or
/// `unknown`), the operation and the reason — never the credential.
pub fn authenticate(
    auth: &Auth,
    engine: &Engine,
    api_key: Option<&str>,
    authorization: Option<&str>,
    client: Option<IpAddr>,
    operation: &str,
) -> Result<Access, Error> {
    let credential = crate::auth::credential(api_key, authorization);
    let result = auth
        .authenticate(credential, client, chrono::Utc::now())
        .and_then(|access| check_value_exists(engine, access));
    if let Err(e) = &result {
        let key = credential
            .and_then(|c| auth.ring().lookup(c).map(|k| k.name.clone()))
            .unwrap_or_else(|| "unknown".into());
        audit(client, &key, operation, e);
    }
    result
}

/// One log line for a refused request.
pub fn audit(client: Option<IpAddr>, key: &str, operation: &str, reason: &Error) {
    let client = client.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    tracing::warn!(
        target: "quiver::audit",
        client = %client,
        key = %key,
        operation = %operation,
        reason = %reason,
        "request denied"
    );
}

/// A token that names a `value_exists` condition is valid only while a point in that
/// collection matches it.
fn check_value_exists(engine: &Engine, access: Access) -> Result<Access, Error> {
    let Some(cond) = &access.value_exists else {
        return Ok(access);
    };
    let must: Vec<serde_json::Value> = cond
        .matches
        .iter()
        .map(|(key, value)| serde_json::json!({ "key": key, "match": { "value": value } }))
        .collect();
    let filter = serde_json::from_value(serde_json::json!({ "must": must }))
        .map_err(|_| Error::Forbidden("Invalid value_exists condition in the token".into()))?;
    let holds = engine
        .collection(&cond.collection)
        .map(|c| c.count(Some(&filter)) > 0)
        .unwrap_or(false);
    if holds {
        Ok(access)
    } else {
        Err(Error::Forbidden(
            "The token's value_exists condition does not hold".into(),
        ))
    }
}
