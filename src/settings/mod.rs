//! Server configuration: where it comes from, what it may contain, and the typed [`Settings`] the
//! rest of Quiver reads.
//!
//! Contract:
//! - Configuration is read once, at startup, by [`Settings::load`] (or [`Settings::load_from`] in
//!   tests). Nothing else in Quiver reads config files or `QDRANT__*` variables.
//! - Sources are layered, later winning key by key: the built-in `config/config.yaml` (compiled
//!   in, so every key has a default), then relative to the working directory `config/config.yaml`,
//!   `config/{RUN_MODE}.yaml` (`RUN_MODE` defaults to `development`), `config/local.yaml` (all
//!   optional; `.yml` also works), then the `--config-path` file (must exist), then environment
//!   variables `QDRANT__SECTION__KEY`.
//! - Key names are Qdrant's; unknown keys are ignored so Qdrant config files load unchanged.
//! - Environment values are text. Keys that need a number or boolean parse it from the text;
//!   string keys keep it verbatim (an API key `0123` stays `0123`); the exact word `null` sets a
//!   key to null. A section that is empty or null (`tls:` with its keys commented out) keeps its
//!   defaults.
//! - A returned [`Settings`] is valid. Otherwise the [`SettingsError`] lists every problem found,
//!   each as `key: expected …, got …` plus the file or variable that set the value.
//!
//! This module never logs and never touches the process environment beyond reading it in
//! [`Settings::load`].
//!
//! This file holds the contract, the public types and the load sequence. The steps live beside
//! it: `sources` reads the layers and merges them into one tree, `deserialize` turns that tree
//! into `Settings` (every scalar field through one conversion, in our words), `validate` applies
//! the rules types cannot express, and `tree` is the dotted-key access all three share.

mod deserialize;
mod sources;
#[cfg(test)]
mod tests;
mod tree;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use config::ConfigError;
use serde::Deserialize;

use deserialize::{any_json, deserialize_reporting_all, leaf};
use sources::{built_in_tree, merged_tree, process_environment};
use validate::validate;

/// `storage.storage_path` value that keeps all data in memory.
const IN_MEMORY_STORAGE: &str = ":memory:";

/// Everything configurable about a Quiver server. Build it with [`Settings::load`],
/// [`Settings::load_from`] or [`Settings::in_memory`]; field docs give the meaning, the
/// built-in `config/config.yaml` gives defaults.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Settings {
    /// A `tracing_subscriber::EnvFilter` string: a level, optionally followed by `target=level`
    /// directives (`info,quiver::index=debug`).
    #[serde(deserialize_with = "leaf")]
    pub log_level: String,
    pub storage: StorageSettings,
    pub service: ServiceSettings,
    pub tls: TlsSettings,
    pub cluster: ClusterSettings,
    /// Accepted for compatibility; Quiver sends no telemetry.
    #[serde(deserialize_with = "leaf")]
    pub telemetry_disabled: bool,
}

/// The `storage` section: where data lives and the defaults for new collections.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StorageSettings {
    /// Data directory, or `:memory:` (see [`Settings::is_in_memory`]).
    #[serde(deserialize_with = "leaf")]
    pub storage_path: PathBuf,
    #[serde(deserialize_with = "leaf")]
    pub snapshots_path: PathBuf,
    /// Scratch directory for snapshots; `None` = inside `storage_path`.
    #[serde(deserialize_with = "leaf")]
    pub temp_path: Option<PathBuf>,
    #[serde(deserialize_with = "leaf")]
    pub on_disk_payload: bool,
    pub wal: WalSettings,
    pub hnsw_index: HnswIndexSettings,
    pub optimizers: OptimizersSettings,
    pub performance: PerformanceSettings,
    /// `None` = no limit.
    #[serde(deserialize_with = "leaf")]
    pub max_collections: Option<usize>,
}

/// `storage.wal`: write-ahead log defaults for new collections.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WalSettings {
    /// At least 1.
    #[serde(deserialize_with = "leaf")]
    pub wal_capacity_mb: usize,
    #[serde(deserialize_with = "leaf")]
    pub wal_segments_ahead: usize,
}

/// `storage.hnsw_index`: HNSW defaults for new collections.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HnswIndexSettings {
    /// 0..=256; 0 = no graph over the whole collection.
    #[serde(deserialize_with = "leaf")]
    pub m: usize,
    /// At least 4.
    #[serde(deserialize_with = "leaf")]
    pub ef_construct: usize,
    #[serde(deserialize_with = "leaf")]
    pub full_scan_threshold_kb: usize,
    /// 0 = automatic.
    #[serde(deserialize_with = "leaf")]
    pub max_indexing_threads: usize,
    #[serde(deserialize_with = "leaf")]
    pub on_disk: bool,
    /// 0..=256; `None` = use `m`.
    #[serde(deserialize_with = "leaf")]
    pub payload_m: Option<usize>,
}

/// `storage.optimizers`: optimizer defaults for new collections.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct OptimizersSettings {
    /// Fraction in [0, 1].
    #[serde(deserialize_with = "leaf")]
    pub deleted_threshold: f64,
    #[serde(deserialize_with = "leaf")]
    pub vacuum_min_vector_number: usize,
    /// 0 = automatic.
    #[serde(deserialize_with = "leaf")]
    pub default_segment_number: usize,
    #[serde(deserialize_with = "leaf")]
    pub max_segment_size_kb: Option<usize>,
    #[serde(deserialize_with = "leaf")]
    pub memmap_threshold_kb: Option<usize>,
    /// 0 = never index.
    #[serde(deserialize_with = "leaf")]
    pub indexing_threshold_kb: usize,
    #[serde(deserialize_with = "leaf")]
    pub flush_interval_sec: u64,
    /// `None` = automatic, 0 = no optimization.
    #[serde(deserialize_with = "leaf")]
    pub max_optimization_threads: Option<usize>,
}

/// `storage.performance`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PerformanceSettings {
    /// 0 = automatic.
    #[serde(deserialize_with = "leaf")]
    pub max_search_threads: usize,
}

/// The `service` section: listeners, limits and API keys. Its `Debug` output hides the keys.
#[derive(Clone, PartialEq, Deserialize)]
pub struct ServiceSettings {
    #[serde(deserialize_with = "leaf")]
    pub host: String,
    /// 0 = any free port.
    #[serde(deserialize_with = "leaf")]
    pub http_port: u16,
    /// `None` disables gRPC; 0 = any free port.
    #[serde(deserialize_with = "leaf")]
    pub grpc_port: Option<u16>,
    /// At least 1.
    #[serde(deserialize_with = "leaf")]
    pub max_request_size_mb: usize,
    /// 0 = number of CPUs minus one.
    #[serde(deserialize_with = "leaf")]
    pub max_workers: usize,
    #[serde(deserialize_with = "leaf")]
    pub enable_cors: bool,
    /// Serve REST and gRPC over TLS with the files in [`TlsSettings`].
    #[serde(deserialize_with = "leaf")]
    pub enable_tls: bool,
    /// With `enable_tls`: require a client certificate signed by `tls.ca_cert` (REST and gRPC).
    #[serde(deserialize_with = "leaf")]
    pub verify_https_client_certificate: bool,
    /// Full access. Auth is on when any of the three keys is `Some`; none is ever empty.
    #[serde(deserialize_with = "leaf")]
    pub api_key: Option<String>,
    /// Second full-access key, for rotation.
    #[serde(deserialize_with = "leaf")]
    pub alt_api_key: Option<String>,
    #[serde(deserialize_with = "leaf")]
    pub read_only_api_key: Option<String>,
    /// JWT access tokens signed with `api_key`/`alt_api_key`; only true when one of them is set.
    #[serde(deserialize_with = "leaf")]
    pub jwt_rbac: bool,
    /// Named keys (Quiver's extension): a list of entries, or a YAML/JSON string holding one
    /// (as `QDRANT__SERVICE__API_KEYS` delivers it). Parsed and checked by `auth::KeyRing`.
    #[serde(deserialize_with = "any_json")]
    pub api_keys: serde_json::Value,
    /// A YAML/JSON file with more named keys (a list, or `{api_keys: [...]}`), re-read on change.
    #[serde(deserialize_with = "leaf")]
    pub api_keys_file: Option<PathBuf>,
    /// CIDR networks every keyed request must come from (a list or a comma-separated string);
    /// null allows any address.
    #[serde(deserialize_with = "any_json")]
    pub allowed_networks: serde_json::Value,
    /// Failed-authentication throttling.
    pub auth_throttle: AuthThrottleSettings,
}

/// `service.auth_throttle`: after `max_failures` failed authentications from one address within
/// `window_sec`, further failures from it get 429 for `cooldown_sec`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AuthThrottleSettings {
    #[serde(deserialize_with = "leaf")]
    pub enabled: bool,
    /// At least 1.
    #[serde(deserialize_with = "leaf")]
    pub max_failures: u64,
    /// At least 1.
    #[serde(deserialize_with = "leaf")]
    pub window_sec: u64,
    /// At least 1.
    #[serde(deserialize_with = "leaf")]
    pub cooldown_sec: u64,
}

/// The `tls` section, used when `service.enable_tls` is true. The files are PEM; the server
/// watches them and picks up changes without a restart (see `server::tls`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TlsSettings {
    /// Certificate chain, server certificate first.
    #[serde(deserialize_with = "leaf")]
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(deserialize_with = "leaf")]
    pub key: PathBuf,
    /// CA certificates that client certificates must chain to, used when
    /// `service.verify_https_client_certificate` is true.
    #[serde(deserialize_with = "leaf")]
    pub ca_cert: PathBuf,
    /// Seconds after which the files are re-read even if they look unchanged; `None` = only on
    /// change. At least 1.
    #[serde(deserialize_with = "leaf")]
    pub cert_ttl: Option<u64>,
}

/// The `cluster` section. Quiver is single-node; `enabled` is accepted so Qdrant files load.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ClusterSettings {
    #[serde(deserialize_with = "leaf")]
    pub enabled: bool,
}

impl Settings {
    /// Loads configuration relative to the current directory, reading `RUN_MODE` and
    /// `QDRANT__*` from the process environment. `config_path` is `--config-path`.
    pub fn load(config_path: Option<&Path>) -> Result<Settings, SettingsError> {
        let cwd = std::env::current_dir()
            .map_err(|e| SettingsError(format!("cannot read the current directory: {e}")))?;
        Self::load_from(&cwd, config_path, &process_environment()?)
    }

    /// Loads configuration with `base_dir` standing in for the current directory (a relative
    /// `config_path` is resolved against it too) and `env` for the process environment, where a
    /// later pair wins over an earlier one with the same name.
    pub fn load_from(
        base_dir: &Path,
        config_path: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Settings, SettingsError> {
        let defaults = built_in_tree();
        let tree = merged_tree(base_dir, config_path, env, &defaults)?;
        let (settings, mut problems) =
            deserialize_reporting_all(&tree, &defaults).map_err(SettingsError::from_problems)?;
        problems.extend(validate(&settings, &tree));
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError::from_problems(problems))
        }
    }

    /// The config files [`Settings::load`] reads (or would read, if they existed), for watching:
    /// `config/config.yaml`, `config/{RUN_MODE}.yaml`, `config/local.yaml` (or `.yml`) and
    /// `config_path`.
    pub fn config_files(config_path: Option<&Path>) -> Vec<PathBuf> {
        let Ok(cwd) = std::env::current_dir() else {
            return Vec::new();
        };
        let env = process_environment().unwrap_or_default();
        sources::candidate_files(&cwd, config_path, &env)
    }

    /// The built-in defaults, adjusted for tests and embedding: storage in memory, listening on
    /// 127.0.0.1, and port 0 for REST and gRPC, meaning "pick a free port".
    pub fn in_memory() -> Settings {
        let mut settings = built_in_settings();
        settings.storage.storage_path = PathBuf::from(IN_MEMORY_STORAGE);
        settings.service.host = "127.0.0.1".to_owned();
        settings.service.http_port = 0;
        settings.service.grpc_port = Some(0);
        settings
    }

    /// True when `storage.storage_path` is `:memory:`: nothing is written to disk.
    pub fn is_in_memory(&self) -> bool {
        self.storage.storage_path == Path::new(IN_MEMORY_STORAGE)
    }
}

/// The built-in `config/config.yaml` as `Settings`.
fn built_in_settings() -> Settings {
    let defaults = built_in_tree();
    match deserialize_reporting_all(&defaults, &defaults) {
        Ok((settings, problems)) if problems.is_empty() => settings,
        // Compiled-in text; `built_in_defaults_match_qdrant` proves this cannot happen.
        other => panic!("built-in config/config.yaml does not fit Settings: {other:?}"),
    }
}

/// Why configuration could not be loaded; `Display` is the full message for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError(String);

impl SettingsError {
    /// Problems sorted, so they group by key and read the same on every run.
    fn from_problems(mut problems: Vec<String>) -> Self {
        problems.sort();
        match problems.as_slice() {
            [one] => Self(format!("invalid configuration: {one}")),
            many => Self(format!(
                "invalid configuration ({} problems):\n  - {}",
                many.len(),
                many.join("\n  - ")
            )),
        }
    }

    /// Errors from reading or parsing the sources themselves (not from their values).
    fn from_source(error: ConfigError) -> Self {
        match error {
            ConfigError::FileParse { uri, cause } => Self(format!(
                "cannot parse config file {}: {cause}",
                uri.as_deref().unwrap_or("config/config.yaml (built in)")
            )),
            ConfigError::Message(message) => Self(message),
            other => Self(format!("cannot read configuration: {other}")),
        }
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// Written by hand so that `{:?}` of `Settings` (say, in a startup log) never prints API keys.
impl fmt::Debug for ServiceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured without `..` so a new field cannot be left out silently.
        let Self {
            host,
            http_port,
            grpc_port,
            max_request_size_mb,
            max_workers,
            enable_cors,
            enable_tls,
            verify_https_client_certificate,
            api_key,
            alt_api_key,
            read_only_api_key,
            jwt_rbac,
            api_keys,
            api_keys_file,
            allowed_networks,
            auth_throttle,
        } = self;
        let redact = |key: &Option<String>| key.as_ref().map(|_| "<redacted>");
        f.debug_struct("ServiceSettings")
            .field("host", host)
            .field("http_port", http_port)
            .field("grpc_port", grpc_port)
            .field("max_request_size_mb", max_request_size_mb)
            .field("max_workers", max_workers)
            .field("enable_cors", enable_cors)
            .field("enable_tls", enable_tls)
            .field(
                "verify_https_client_certificate",
                verify_https_client_certificate,
            )
            .field("api_key", &redact(api_key))
            .field("alt_api_key", &redact(alt_api_key))
            .field("read_only_api_key", &redact(read_only_api_key))
            .field("jwt_rbac", jwt_rbac)
            .field("api_keys", &(!api_keys.is_null()).then_some("<redacted>"))
            .field("api_keys_file", api_keys_file)
            .field("allowed_networks", allowed_networks)
            .field("auth_throttle", auth_throttle)
            .finish()
    }
}
