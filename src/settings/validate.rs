//! The rules types cannot express, each with the message an operator sees: ranges, non-empty
//! paths and keys, and settings that depend on each other. Each bound is Qdrant's unless noted.

use std::fmt;

use config::{Map, Value};

use super::Settings;
use super::tree::{lookup, origin_suffix};

/// Largest HNSW `m`/`payload_m` we accept. Qdrant sets no upper bound; ours keeps a typo
/// (`m: 1600`) from building a graph with thousands of links per node.
const MAX_HNSW_M: usize = 256;
const MIN_EF_CONSTRUCT: usize = 4;
const LOG_LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// Every rule `settings` breaks, as `key: expected …, got …` plus where the value came from
/// (looked up in `tree`).
pub(super) fn validate(settings: &Settings, tree: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |ok: bool, key: &str, expected: &str, got: &dyn fmt::Debug| {
        if !ok {
            problems.push(format!(
                "{key}: expected {expected}, got {got:?}{}",
                origin_suffix(lookup(tree, key))
            ));
        }
    };
    let Settings {
        log_level,
        storage,
        service,
        tls,
        cluster: _,
        telemetry_disabled: _,
    } = settings;

    check(
        is_log_filter(log_level),
        "log_level",
        "a level (trace, debug, info, warn, error, off) or comma-separated [target=]level directives",
        log_level,
    );

    let non_empty = "a non-empty path";
    check(
        !storage.storage_path.as_os_str().is_empty(),
        "storage.storage_path",
        non_empty,
        &storage.storage_path,
    );
    check(
        !storage.snapshots_path.as_os_str().is_empty(),
        "storage.snapshots_path",
        non_empty,
        &storage.snapshots_path,
    );
    if let Some(temp_path) = &storage.temp_path {
        check(
            !temp_path.as_os_str().is_empty(),
            "storage.temp_path",
            "a non-empty path or null",
            temp_path,
        );
    }
    check(
        storage.wal.wal_capacity_mb >= 1,
        "storage.wal.wal_capacity_mb",
        "at least 1",
        &storage.wal.wal_capacity_mb,
    );
    let hnsw = &storage.hnsw_index;
    check(
        hnsw.m <= MAX_HNSW_M,
        "storage.hnsw_index.m",
        &format!("an integer from 0 to {MAX_HNSW_M}"),
        &hnsw.m,
    );
    if let Some(payload_m) = hnsw.payload_m {
        check(
            payload_m <= MAX_HNSW_M,
            "storage.hnsw_index.payload_m",
            &format!("an integer from 0 to {MAX_HNSW_M}, or null"),
            &payload_m,
        );
    }
    check(
        hnsw.ef_construct >= MIN_EF_CONSTRUCT,
        "storage.hnsw_index.ef_construct",
        &format!("at least {MIN_EF_CONSTRUCT}"),
        &hnsw.ef_construct,
    );
    let deleted_threshold = storage.optimizers.deleted_threshold;
    check(
        (0.0..=1.0).contains(&deleted_threshold),
        "storage.optimizers.deleted_threshold",
        "a number from 0 to 1",
        &deleted_threshold,
    );

    check(
        !service.host.trim().is_empty(),
        "service.host",
        "a host name or IP address",
        &service.host,
    );
    if let Some(grpc_port) = service.grpc_port {
        check(
            grpc_port == 0 || grpc_port != service.http_port,
            "service.grpc_port",
            "a port other than service.http_port",
            &grpc_port,
        );
    }
    check(
        service.max_request_size_mb >= 1,
        "service.max_request_size_mb",
        "at least 1",
        &service.max_request_size_mb,
    );
    for (key, value) in [
        ("service.api_key", &service.api_key),
        ("service.alt_api_key", &service.alt_api_key),
        ("service.read_only_api_key", &service.read_only_api_key),
    ] {
        if let Some(api_key) = value {
            // An empty key would let an empty `api-key:` header through.
            check(!api_key.is_empty(), key, "a non-empty key or null", api_key);
        }
    }
    check(
        !service.jwt_rbac || service.api_key.is_some() || service.alt_api_key.is_some(),
        "service.jwt_rbac",
        "false unless service.api_key or service.alt_api_key is set (tokens are signed with it)",
        &service.jwt_rbac,
    );

    for (key, value) in [
        (
            "service.auth_throttle.window_sec",
            service.auth_throttle.window_sec,
        ),
        (
            "service.auth_throttle.cooldown_sec",
            service.auth_throttle.cooldown_sec,
        ),
        (
            "service.auth_throttle.max_failures",
            service.auth_throttle.max_failures,
        ),
    ] {
        check(value >= 1, key, "at least 1", &value);
    }

    if service.enable_tls {
        let needed = "a non-empty path when service.enable_tls is true";
        check(
            !tls.cert.as_os_str().is_empty(),
            "tls.cert",
            needed,
            &tls.cert,
        );
        check(!tls.key.as_os_str().is_empty(), "tls.key", needed, &tls.key);
        if service.verify_https_client_certificate {
            check(
                !tls.ca_cert.as_os_str().is_empty(),
                "tls.ca_cert",
                "a non-empty path when service.verify_https_client_certificate is true",
                &tls.ca_cert,
            );
        }
    }
    if let Some(cert_ttl) = tls.cert_ttl {
        check(
            cert_ttl >= 1,
            "tls.cert_ttl",
            "at least 1 second, or null",
            &cert_ttl,
        );
    }

    problems
}

/// Accepts what `tracing_subscriber::EnvFilter` accepts for levels: comma-separated directives,
/// each `level` or `target=level`. Unlike EnvFilter, a bare word must be a level (EnvFilter
/// would take `inof` as a target name and log nothing useful).
fn is_log_filter(filter: &str) -> bool {
    let is_level = |word: &str| {
        LOG_LEVELS
            .iter()
            .any(|level| level.eq_ignore_ascii_case(word.trim()))
    };
    let mut directives = filter
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .peekable();
    directives.peek().is_some()
        && directives.all(|directive| match directive.rsplit_once('=') {
            Some((target, level)) => !target.trim().is_empty() && is_level(level),
            None => is_level(directive),
        })
}
