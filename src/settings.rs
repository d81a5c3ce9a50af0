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

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use config::{Config, ConfigBuilder, ConfigError, File, FileFormat, Map, Source, Value, ValueKind};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The repository's documented defaults; every key `Settings` reads is set here.
const BUILT_IN_YAML: &str = include_str!("../config/config.yaml");
/// Environment variables starting with this (any case) are configuration keys.
const ENV_PREFIX: &str = "QDRANT__";
/// Separates section and key in an environment variable name.
const ENV_SEPARATOR: &str = "__";
const RUN_MODE_VAR: &str = "RUN_MODE";
const DEFAULT_RUN_MODE: &str = "development";
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
    #[serde(deserialize_with = "leaf")]
    pub enable_tls: bool,
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
}

/// The `tls` section, used when `service.enable_tls` is true.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TlsSettings {
    #[serde(deserialize_with = "leaf")]
    pub cert: PathBuf,
    #[serde(deserialize_with = "leaf")]
    pub key: PathBuf,
    #[serde(deserialize_with = "leaf")]
    pub ca_cert: PathBuf,
    /// Seconds between re-reads of `cert`/`key` by the REST server; `None` = never. At least 1.
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
        let mut tree = layered_sources(base_dir, config_path, env)?
            .build()
            .and_then(|config| config.collect())
            .map_err(SettingsError::from_source)?;
        fill_gaps(&mut tree, &defaults);

        let (settings, mut problems) =
            deserialize_reporting_all(&tree, &defaults).map_err(SettingsError::from_problems)?;
        problems.extend(validate(&settings, &tree));
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError::from_problems(problems))
        }
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
            api_key,
            alt_api_key,
            read_only_api_key,
            jwt_rbac,
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
            .field("api_key", &redact(api_key))
            .field("alt_api_key", &redact(alt_api_key))
            .field("read_only_api_key", &redact(read_only_api_key))
            .field("jwt_rbac", jwt_rbac)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Sources and merging

fn layered_sources(
    base_dir: &Path,
    config_path: Option<&Path>,
    env: &[(String, String)],
) -> Result<ConfigBuilder<config::builder::DefaultState>, SettingsError> {
    let run_mode = env
        .iter()
        .rev()
        .find(|(name, _)| name == RUN_MODE_VAR)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
        .unwrap_or(DEFAULT_RUN_MODE);
    let config_dir = base_dir.join("config");

    let mut builder = Config::builder()
        .add_source(File::from_str(BUILT_IN_YAML, FileFormat::Yaml))
        .add_source(YamlFile::optional(&config_dir, "config"))
        .add_source(YamlFile::optional(&config_dir, run_mode))
        .add_source(YamlFile::optional(&config_dir, "local"));

    if let Some(path) = config_path {
        let path = base_dir.join(path); // `join` keeps an absolute `path` as it is.
        if !path.is_file() {
            let what = if path.exists() {
                "is not a file"
            } else {
                "does not exist"
            };
            return Err(SettingsError(format!(
                "config file {} (given with --config-path) {what}",
                path.display()
            )));
        }
        builder = builder.add_source(YamlFile { path });
    }
    Ok(builder.add_source(QdrantEnvironment(env.to_vec())))
}

/// One YAML config file, read whatever its extension (JSON parses as YAML too). A file that does
/// not exist contributes nothing; one that cannot be read or parsed is an error naming it. Every
/// value remembers the file's full path, for error messages. (config-rs's own `File` would skip
/// unreadable optional files silently and name files relative to the process directory.)
#[derive(Clone, Debug)]
struct YamlFile {
    path: PathBuf,
}

impl YamlFile {
    /// `dir/stem.yaml`, or `dir/stem.yml` if only that exists.
    fn optional(dir: &Path, stem: &str) -> Self {
        let yaml = dir.join(format!("{stem}.yaml"));
        let yml = dir.join(format!("{stem}.yml"));
        let path = if !yaml.exists() && yml.exists() {
            yml
        } else {
            yaml
        };
        Self { path }
    }
}

impl Source for YamlFile {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        let shown = self.path.display().to_string();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
            Err(e) => {
                return Err(ConfigError::Message(format!(
                    "cannot read config file {shown}: {e}"
                )));
            }
        };
        let keys =
            File::from_str(&text, FileFormat::Yaml)
                .collect()
                .map_err(|error| match error {
                    ConfigError::FileParse { cause, .. } => ConfigError::FileParse {
                        uri: Some(shown.clone()),
                        cause,
                    },
                    other => other,
                })?;
        Ok(keys
            .into_iter()
            .map(|(key, value)| (key, with_origin(value, &shown)))
            .collect())
    }
}

/// `value` and everything inside it, marked as coming from `origin`.
fn with_origin(value: Value, origin: &String) -> Value {
    let kind = match value.kind {
        ValueKind::Table(section) => ValueKind::Table(
            section
                .into_iter()
                .map(|(key, inner)| (key, with_origin(inner, origin)))
                .collect(),
        ),
        ValueKind::Array(items) => ValueKind::Array(
            items
                .into_iter()
                .map(|inner| with_origin(inner, origin))
                .collect(),
        ),
        scalar => scalar,
    };
    Value::new(Some(origin), kind)
}

/// `QDRANT__SECTION__KEY=value` variables as a config source. Written here rather than using
/// `config::Environment` so that values stay strings (its `try_parsing` would turn an API key
/// `0123` into the number 123), `null` means null, each value remembers its variable name for
/// error messages, and variables apply in a fixed order: a section (`QDRANT__SERVICE=null`)
/// before the keys inside it, then later variables over earlier ones.
#[derive(Clone, Debug)]
struct QdrantEnvironment(Vec<(String, String)>);

impl QdrantEnvironment {
    /// (dotted key, value) pairs in the order they must be applied.
    fn entries(&self) -> Vec<(String, Value)> {
        let mut entries: Vec<(String, Value)> = self
            .0
            .iter()
            .filter_map(|(name, text)| {
                let key = strip_env_prefix(name)?
                    .to_lowercase()
                    .replace(ENV_SEPARATOR, ".");
                if key.is_empty() {
                    return None;
                }
                let kind = if text == "null" {
                    ValueKind::Nil
                } else {
                    ValueKind::String(text.clone())
                };
                let origin = format!("environment variable {name}");
                Some((key, Value::new(Some(&origin), kind)))
            })
            .collect();
        // Stable: equal depths keep the caller's order, so a later duplicate wins.
        entries.sort_by_key(|(key, _)| key.split('.').count());
        entries
    }
}

impl Source for QdrantEnvironment {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    /// Unordered view, for callers of the trait other than the builder.
    fn collect(&self) -> Result<Map<String, Value>, ConfigError> {
        Ok(self.entries().into_iter().collect())
    }

    /// What the builder calls: applies the entries in order (the default implementation goes
    /// through an unordered map).
    fn collect_to(&self, cache: &mut Value) -> Result<(), ConfigError> {
        if !matches!(cache.kind, ValueKind::Table(_)) {
            cache.kind = ValueKind::Table(Map::new());
        }
        if let ValueKind::Table(tree) = &mut cache.kind {
            for (key, value) in self.entries() {
                replace(tree, &key, value);
            }
        }
        Ok(())
    }
}

fn strip_env_prefix(name: &str) -> Option<&str> {
    let head = name.get(..ENV_PREFIX.len())?;
    head.eq_ignore_ascii_case(ENV_PREFIX)
        .then(|| &name[ENV_PREFIX.len()..])
}

/// The process environment as UTF-8 pairs. A variable we would read that is not UTF-8 is an
/// error rather than being skipped or mangled.
fn process_environment() -> Result<Vec<(String, String)>, SettingsError> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Ok(name) = name.into_string() else {
            continue;
        };
        match value.into_string() {
            Ok(value) => vars.push((name, value)),
            Err(_) if name == RUN_MODE_VAR || strip_env_prefix(&name).is_some() => {
                return Err(SettingsError(format!(
                    "environment variable {name} is not valid UTF-8"
                )));
            }
            Err(_) => {}
        }
    }
    Ok(vars)
}

fn built_in_tree() -> Map<String, Value> {
    Config::builder()
        .add_source(File::from_str(BUILT_IN_YAML, FileFormat::Yaml))
        .build()
        .and_then(|config| config.collect())
        // Compiled-in text, not user input; `built_in_defaults_match_qdrant` proves it parses.
        .expect("built-in config/config.yaml is valid YAML")
}

fn built_in_settings() -> Settings {
    let defaults = built_in_tree();
    match deserialize_reporting_all(&defaults, &defaults) {
        Ok((settings, problems)) if problems.is_empty() => settings,
        // Compiled-in text; `built_in_defaults_match_qdrant` proves this cannot happen.
        other => panic!("built-in config/config.yaml does not fit Settings: {other:?}"),
    }
}

/// Puts defaults back where a source removed them: config-rs replaces a whole section with the
/// null from an empty `tls:`, and a section rebuilt from a single environment variable lacks its
/// other keys. A missing key or null section therefore means "keep the default".
fn fill_gaps(tree: &mut Map<String, Value>, defaults: &Map<String, Value>) {
    for (key, default) in defaults {
        match tree.get_mut(key) {
            None => {
                tree.insert(key.clone(), default.clone());
            }
            Some(value) => match (&mut value.kind, &default.kind) {
                (ValueKind::Nil, ValueKind::Table(_)) => *value = default.clone(),
                (ValueKind::Table(section), ValueKind::Table(section_defaults)) => {
                    fill_gaps(section, section_defaults)
                }
                _ => {}
            },
        }
    }
}

/// Deserializes `tree`, collecting every type error instead of stopping at the first: each bad
/// value is reported, replaced by its default, and deserialization retried. Returns the settings
/// built with those replacements plus the problems, or only problems if no repair was possible.
fn deserialize_reporting_all(
    tree: &Map<String, Value>,
    defaults: &Map<String, Value>,
) -> Result<(Settings, Vec<String>), Vec<String>> {
    let mut repaired = tree.clone();
    let mut problems = Vec::new();
    let mut replaced = HashSet::new();
    loop {
        let root = Value::new(None, ValueKind::Table(repaired.clone()));
        let error = match Settings::deserialize(root) {
            Ok(settings) => return Ok((settings, problems)),
            Err(error) => error,
        };
        let Some((key, detail)) = key_and_detail(&error) else {
            problems.push(error.to_string());
            return Err(problems);
        };
        let Some(default) = lookup(defaults, &key) else {
            problems.push(format!("{key}: {detail}"));
            return Err(problems);
        };
        if !replaced.insert(key.clone()) {
            // The default itself failed: only possible if config.yaml and Settings disagree.
            problems.push(format!("{key}: {detail} (built-in default)"));
            return Err(problems);
        }
        let current = lookup(tree, &key);
        let message = if matches!(default.kind, ValueKind::Table(_)) {
            let got = current.map_or("nothing".to_owned(), describe);
            format!("{key}: expected a section of settings, got {got}")
        } else {
            format!("{key}: {detail}")
        };
        problems.push(message + &origin_suffix(current));
        replace(&mut repaired, &key, default.clone());
    }
}

/// The dotted key and key-less message of a deserialization error from a config-rs `Value`.
fn key_and_detail(error: &ConfigError) -> Option<(String, String)> {
    match error {
        ConfigError::At {
            error,
            key: Some(key),
            ..
        } => Some((key.clone(), error.to_string())),
        ConfigError::Type {
            unexpected,
            expected,
            key: Some(key),
            ..
        } => Some((
            key.clone(),
            format!("expected {expected}, got {unexpected}"),
        )),
        ConfigError::NotFound(key) => Some((key.clone(), "missing".to_owned())),
        _ => None,
    }
}

fn lookup<'a>(tree: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut value = tree.get(parts.next()?)?;
    for part in parts {
        match &value.kind {
            ValueKind::Table(section) => value = section.get(part)?,
            _ => return None,
        }
    }
    Some(value)
}

fn replace(tree: &mut Map<String, Value>, key: &str, new: Value) {
    let (parents, last) = match key.rsplit_once('.') {
        Some((parents, last)) => (Some(parents), last),
        None => (None, key),
    };
    let mut section = tree;
    for part in parents.into_iter().flat_map(|p| p.split('.')) {
        let entry = section
            .entry(part.to_owned())
            .or_insert_with(|| Value::new(None, ValueKind::Table(Map::new())));
        if !matches!(entry.kind, ValueKind::Table(_)) {
            entry.kind = ValueKind::Table(Map::new());
        }
        let ValueKind::Table(inner) = &mut entry.kind else {
            unreachable!("made a table just above")
        };
        section = inner;
    }
    section.insert(last.to_owned(), new);
}

fn origin_suffix(value: Option<&Value>) -> String {
    match value.and_then(Value::origin) {
        Some(origin) => format!(" (from {origin})"),
        None => String::new(),
    }
}

fn describe(value: &Value) -> String {
    match &value.kind {
        ValueKind::Nil => "null".to_owned(),
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::I64(n) => n.to_string(),
        ValueKind::I128(n) => n.to_string(),
        ValueKind::U64(n) => n.to_string(),
        ValueKind::U128(n) => n.to_string(),
        ValueKind::Float(n) => n.to_string(),
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Table(_) => "a section".to_owned(),
        ValueKind::Array(_) => "a list".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Leaf values
//
// Every scalar field goes through `leaf` rather than serde's own conversions, for two reasons:
// environment values arrive as strings and must become numbers and booleans, while string
// fields must refuse YAML numbers (YAML reads `api_key: 0123` as 123, silently changing the key);
// and errors must say `expected an integer from 0 to 65535, got "abc"`, in our words.

/// A scalar as a source delivered it, before conversion to the field's type.
enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
    List,
    Section,
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Null => f.write_str("null"),
            Raw::Bool(b) => write!(f, "{b}"),
            Raw::Int(n) => write!(f, "{n}"),
            Raw::Float(n) => write!(f, "{n}"),
            Raw::Text(s) => write!(f, "{s:?}"),
            Raw::List => f.write_str("a list"),
            Raw::Section => f.write_str("a section"),
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a configuration value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        // Beyond i128 is out of range for every field anyway.
        Ok(Raw::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Text(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Text(v))
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Raw, A::Error> {
        Ok(Raw::List)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Raw, A::Error> {
        Ok(Raw::Section)
    }
}

/// A field type that can be read from a [`Raw`] value.
trait Leaf: Sized {
    /// Completes "expected …" in error messages.
    fn expected() -> String;
    fn from_raw(raw: &Raw) -> Option<Self>;
    /// Extra advice appended to the error for this raw value, if any.
    fn hint(_raw: &Raw) -> &'static str {
        ""
    }
}

/// `deserialize_with` target for every scalar field.
fn leaf<'de, D: Deserializer<'de>, T: Leaf>(deserializer: D) -> Result<T, D::Error> {
    let raw = deserializer.deserialize_any(RawVisitor)?;
    T::from_raw(&raw).ok_or_else(|| {
        de::Error::custom(format!(
            "expected {}, got {raw}{}",
            T::expected(),
            T::hint(&raw)
        ))
    })
}

macro_rules! integer_leaf {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl Leaf for $ty {
            fn expected() -> String {
                $expected.to_owned()
            }
            fn from_raw(raw: &Raw) -> Option<Self> {
                let n = match raw {
                    Raw::Int(n) => *n,
                    Raw::Text(text) => text.trim().parse::<i128>().ok()?,
                    _ => return None,
                };
                Self::try_from(n).ok()
            }
        }
    )*};
}

integer_leaf! {
    u16 => "an integer from 0 to 65535",
    u64 => "a non-negative integer",
    usize => "a non-negative integer",
}

impl Leaf for f64 {
    fn expected() -> String {
        "a number".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Float(n) => Some(*n),
            Raw::Int(n) => Some(*n as f64),
            Raw::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }
}

impl Leaf for bool {
    fn expected() -> String {
        "true or false".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Bool(b) => Some(*b),
            Raw::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

impl Leaf for String {
    fn expected() -> String {
        "a string".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
    fn hint(raw: &Raw) -> &'static str {
        match raw {
            Raw::Int(_) | Raw::Float(_) | Raw::Bool(_) => {
                " (YAML read it as a number or boolean: put it in quotes)"
            }
            _ => "",
        }
    }
}

impl Leaf for PathBuf {
    fn expected() -> String {
        "a path".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        String::from_raw(raw).map(PathBuf::from)
    }
    fn hint(raw: &Raw) -> &'static str {
        String::hint(raw)
    }
}

impl<T: Leaf> Leaf for Option<T> {
    fn expected() -> String {
        format!("{} or null", T::expected())
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Null => Some(None),
            other => T::from_raw(other).map(Some),
        }
    }
    fn hint(raw: &Raw) -> &'static str {
        T::hint(raw)
    }
}

// ---------------------------------------------------------------------------------------------
// Validation: the rules types cannot express. Each bound is Qdrant's unless noted.

/// Largest HNSW `m`/`payload_m` we accept. Qdrant sets no upper bound; ours keeps a typo
/// (`m: 1600`) from building a graph with thousands of links per node.
const MAX_HNSW_M: usize = 256;
const MIN_EF_CONSTRUCT: usize = 4;
const LOG_LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

fn validate(settings: &Settings, tree: &Map<String, Value>) -> Vec<String> {
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

    if service.enable_tls {
        let needed = "a non-empty path when service.enable_tls is true";
        check(
            !tls.cert.as_os_str().is_empty(),
            "tls.cert",
            needed,
            &tls.cert,
        );
        check(!tls.key.as_os_str().is_empty(), "tls.key", needed, &tls.key);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory standing in for the working directory; removed on drop.
    struct ScratchDir(PathBuf);

    impl ScratchDir {
        fn new() -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "quiver-settings-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(dir.join("config")).unwrap();
            Self(dir)
        }

        fn write(&self, relative: &str, text: &str) -> PathBuf {
            let path = self.0.join(relative);
            std::fs::write(&path, text).unwrap();
            path
        }

        fn load(
            &self,
            config_path: Option<&Path>,
            env: &[(&str, &str)],
        ) -> Result<Settings, SettingsError> {
            let env: Vec<(String, String)> = env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Settings::load_from(&self.0, config_path, &env)
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn load_error(dir: &ScratchDir, config_path: Option<&Path>, env: &[(&str, &str)]) -> String {
        dir.load(config_path, env).unwrap_err().to_string()
    }

    #[test]
    fn built_in_defaults_match_qdrant() {
        let s = ScratchDir::new().load(None, &[]).unwrap();
        assert_eq!(s.log_level, "INFO");
        assert_eq!(s.storage.storage_path, Path::new("./storage"));
        assert_eq!(s.storage.snapshots_path, Path::new("./snapshots"));
        assert_eq!(s.storage.temp_path, None);
        assert!(s.storage.on_disk_payload);
        assert_eq!(
            (
                s.storage.wal.wal_capacity_mb,
                s.storage.wal.wal_segments_ahead
            ),
            (32, 0)
        );
        let hnsw = &s.storage.hnsw_index;
        assert_eq!(
            (hnsw.m, hnsw.ef_construct, hnsw.full_scan_threshold_kb),
            (16, 100, 10000)
        );
        assert_eq!(
            (hnsw.max_indexing_threads, hnsw.on_disk, hnsw.payload_m),
            (0, false, None)
        );
        let opt = &s.storage.optimizers;
        assert_eq!(opt.deleted_threshold, 0.2);
        assert_eq!(
            (opt.vacuum_min_vector_number, opt.default_segment_number),
            (1000, 0)
        );
        assert_eq!(
            (opt.max_segment_size_kb, opt.memmap_threshold_kb),
            (None, None)
        );
        assert_eq!(
            (opt.indexing_threshold_kb, opt.flush_interval_sec),
            (10000, 5)
        );
        assert_eq!(opt.max_optimization_threads, None);
        assert_eq!(s.storage.performance.max_search_threads, 0);
        assert_eq!(s.storage.max_collections, None);
        let svc = &s.service;
        assert_eq!(
            (svc.host.as_str(), svc.http_port, svc.grpc_port),
            ("0.0.0.0", 6333, Some(6334))
        );
        assert_eq!((svc.max_request_size_mb, svc.max_workers), (32, 0));
        assert_eq!(
            (svc.enable_cors, svc.enable_tls, svc.jwt_rbac),
            (true, false, false)
        );
        assert_eq!(
            (&svc.api_key, &svc.alt_api_key, &svc.read_only_api_key),
            (&None, &None, &None)
        );
        assert_eq!(s.tls.cert, Path::new("./tls/cert.pem"));
        assert_eq!(s.tls.key, Path::new("./tls/key.pem"));
        assert_eq!(s.tls.ca_cert, Path::new("./tls/cacert.pem"));
        assert_eq!(s.tls.cert_ttl, Some(3600));
        assert!(!s.cluster.enabled);
        assert!(!s.telemetry_disabled);
        assert!(!s.is_in_memory());
    }

    #[test]
    fn in_memory_settings_store_nothing_and_pick_free_ports() {
        let s = Settings::in_memory();
        assert!(s.is_in_memory());
        assert_eq!(
            (s.service.host.as_str(), s.service.http_port),
            ("127.0.0.1", 0)
        );
        assert_eq!(s.service.grpc_port, Some(0));
        assert_eq!(s.storage.hnsw_index.m, 16);
    }

    #[test]
    fn config_yaml_in_working_directory_overrides_built_in() {
        let dir = ScratchDir::new();
        dir.write("config/config.yaml", "service:\n  http_port: 7000\n");
        let s = dir.load(None, &[]).unwrap();
        assert_eq!(s.service.http_port, 7000);
        assert_eq!(
            s.service.grpc_port,
            Some(6334),
            "sibling keys keep their defaults"
        );
    }

    #[test]
    fn run_mode_file_applies() {
        let dir = ScratchDir::new();
        dir.write("config/config.yaml", "log_level: warn\n");
        dir.write("config/production.yaml", "log_level: error\n");
        let s = dir.load(None, &[("RUN_MODE", "production")]).unwrap();
        assert_eq!(s.log_level, "error");
    }

    #[test]
    fn run_mode_defaults_to_development() {
        let dir = ScratchDir::new();
        dir.write("config/development.yml", "log_level: debug\n");
        assert_eq!(dir.load(None, &[]).unwrap().log_level, "debug");
    }

    #[test]
    fn local_yaml_overrides_run_mode_file() {
        let dir = ScratchDir::new();
        dir.write("config/development.yaml", "log_level: debug\n");
        dir.write("config/local.yaml", "log_level: trace\n");
        assert_eq!(dir.load(None, &[]).unwrap().log_level, "trace");
    }

    #[test]
    fn config_path_overrides_local_yaml() {
        let dir = ScratchDir::new();
        dir.write(
            "config/local.yaml",
            "service:\n  http_port: 7000\n  max_workers: 3\n",
        );
        dir.write("custom.yaml", "service:\n  http_port: 7100\n");
        let s = dir.load(Some(Path::new("custom.yaml")), &[]).unwrap();
        assert_eq!(s.service.http_port, 7100);
        assert_eq!(s.service.max_workers, 3);
    }

    #[test]
    fn env_overrides_config_files() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "service:\n  http_port: 7000\n");
        let custom = dir.write("custom.yaml", "log_level: warn\n");
        let s = dir
            .load(
                Some(&custom),
                &[
                    ("QDRANT__SERVICE__HTTP_PORT", "7333"),
                    ("QDRANT__LOG_LEVEL", "debug"),
                ],
            )
            .unwrap();
        assert_eq!(s.service.http_port, 7333);
        assert_eq!(s.log_level, "debug");
    }

    #[test]
    fn env_strings_become_numbers_booleans_and_paths() {
        let s = ScratchDir::new()
            .load(
                None,
                &[
                    ("QDRANT__STORAGE__STORAGE_PATH", "/data"),
                    ("QDRANT__STORAGE__OPTIMIZERS__DELETED_THRESHOLD", "0.5"),
                    ("QDRANT__STORAGE__HNSW_INDEX__ON_DISK", "true"),
                    ("QDRANT__SERVICE__ENABLE_CORS", "FALSE"),
                    ("QDRANT__STORAGE__MAX_COLLECTIONS", "10"),
                ],
            )
            .unwrap();
        assert_eq!(s.storage.storage_path, Path::new("/data"));
        assert_eq!(s.storage.optimizers.deleted_threshold, 0.5);
        assert!(s.storage.hnsw_index.on_disk);
        assert!(!s.service.enable_cors);
        assert_eq!(s.storage.max_collections, Some(10));
    }

    #[test]
    fn env_names_are_matched_case_insensitively_and_others_ignored() {
        let s = ScratchDir::new()
            .load(
                None,
                &[
                    ("qdrant__service__http_port", "7001"),
                    ("QDRANT_BOOTSTRAP", "x"),
                    ("HTTP_PORT", "1"),
                ],
            )
            .unwrap();
        assert_eq!(s.service.http_port, 7001);
    }

    #[test]
    fn numeric_looking_api_key_stays_a_string() {
        let s = ScratchDir::new()
            .load(
                None,
                &[
                    ("QDRANT__SERVICE__API_KEY", "0123"),
                    ("QDRANT__SERVICE__READ_ONLY_API_KEY", "1e5"),
                ],
            )
            .unwrap();
        assert_eq!(s.service.api_key.as_deref(), Some("0123"));
        assert_eq!(s.service.read_only_api_key.as_deref(), Some("1e5"));
    }

    #[test]
    fn unquoted_numeric_api_key_in_yaml_is_rejected_with_a_hint() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "service:\n  api_key: 0123\n");
        let message = load_error(&dir, None, &[]);
        assert!(
            message.contains("service.api_key: expected a string or null, got 123"),
            "{message}"
        );
        assert!(message.contains("put it in quotes"), "{message}");
    }

    #[test]
    fn bad_port_names_the_key_and_the_variable() {
        let message = load_error(
            &ScratchDir::new(),
            None,
            &[("QDRANT__SERVICE__HTTP_PORT", "abc")],
        );
        assert_eq!(
            message,
            "invalid configuration: service.http_port: expected an integer from 0 to 65535, \
             got \"abc\" (from environment variable QDRANT__SERVICE__HTTP_PORT)"
        );
    }

    #[test]
    fn out_of_range_port_names_the_key_and_the_file() {
        let dir = ScratchDir::new();
        let local = dir.write("config/local.yaml", "service:\n  grpc_port: 70000\n");
        let message = load_error(&dir, None, &[]);
        assert!(
            message.contains(
                "service.grpc_port: expected an integer from 0 to 65535 or null, got 70000"
            ),
            "{message}"
        );
        assert!(message.contains(&local.display().to_string()), "{message}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let dir = ScratchDir::new();
        dir.write(
            "config/local.yaml",
            "log_level: verbose\nstorage:\n  hnsw_index:\n    m: 300\n    ef_construct: 2\n  optimizers:\n    deleted_threshold: 1.5\n",
        );
        let message = load_error(
            &dir,
            None,
            &[
                ("QDRANT__SERVICE__HTTP_PORT", "abc"),
                ("QDRANT__SERVICE__MAX_REQUEST_SIZE_MB", "0"),
                ("QDRANT__SERVICE__ENABLE_TLS", "maybe"),
            ],
        );
        for expected in [
            "7 problems",
            "service.http_port: expected an integer from 0 to 65535",
            "service.enable_tls: expected true or false, got \"maybe\"",
            "log_level: expected a level",
            "storage.hnsw_index.m: expected an integer from 0 to 256, got 300",
            "storage.hnsw_index.ef_construct: expected at least 4, got 2",
            "storage.optimizers.deleted_threshold: expected a number from 0 to 1, got 1.5",
            "service.max_request_size_mb: expected at least 1, got 0",
        ] {
            assert!(
                message.contains(expected),
                "missing {expected:?} in:\n{message}"
            );
        }
    }

    #[test]
    fn missing_explicit_config_file_is_an_error_naming_it() {
        let dir = ScratchDir::new();
        let missing = dir.0.join("nope.yaml");
        let message = load_error(&dir, Some(&missing), &[]);
        assert!(
            message.contains(&missing.display().to_string()),
            "{message}"
        );
        assert!(message.contains("does not exist"), "{message}");
    }

    #[test]
    fn malformed_yaml_names_the_file() {
        let dir = ScratchDir::new();
        let local = dir.write("config/local.yaml", "service: [unclosed\n");
        let message = load_error(&dir, None, &[]);
        assert!(message.starts_with("cannot parse config file"), "{message}");
        assert!(message.contains(&local.display().to_string()), "{message}");
    }

    #[test]
    fn yaml_file_that_is_not_a_mapping_is_an_error() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "- a\n- b\n");
        let message = load_error(&dir, None, &[]);
        assert!(message.starts_with("cannot parse config file"), "{message}");
        assert!(message.contains("expected a map"), "{message}");
    }

    #[test]
    fn config_file_with_only_comments_changes_nothing() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "# service:\n#   http_port: 1\n");
        let untouched = ScratchDir::new().load(None, &[]).unwrap();
        assert_eq!(dir.load(None, &[]).unwrap(), untouched);
    }

    #[test]
    fn grpc_port_null_in_a_file_disables_grpc() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "service:\n  grpc_port: null\n");
        assert_eq!(dir.load(None, &[]).unwrap().service.grpc_port, None);
    }

    #[test]
    fn grpc_port_null_in_the_environment_disables_grpc() {
        let s = ScratchDir::new()
            .load(None, &[("QDRANT__SERVICE__GRPC_PORT", "null")])
            .unwrap();
        assert_eq!(s.service.grpc_port, None);
    }

    #[test]
    fn empty_section_keeps_its_defaults() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "tls:\nstorage:\n  hnsw_index:\n");
        let s = dir.load(
            None,
            &[
                ("QDRANT__SERVICE", "null"),
                ("QDRANT__SERVICE__HTTP_PORT", "7002"),
            ],
        );
        let s = s.unwrap();
        assert_eq!(s.tls.cert_ttl, Some(3600));
        assert_eq!(s.storage.hnsw_index.m, 16);
        assert_eq!(s.service.http_port, 7002);
    }

    #[test]
    fn section_replaced_by_a_scalar_names_the_section() {
        let dir = ScratchDir::new();
        dir.write("config/local.yaml", "storage: 5\n");
        let message = load_error(&dir, None, &[]);
        assert!(
            message.contains("storage: expected a section of settings, got 5"),
            "{message}"
        );
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let dir = ScratchDir::new();
        dir.write(
            "config/local.yaml",
            "service:\n  metrics_port: 9090\n  http_port: 7003\nstorage:\n  collection:\n    replication_factor: 2\ngpu:\n  indexing: true\n",
        );
        assert_eq!(dir.load(None, &[]).unwrap().service.http_port, 7003);
    }

    #[test]
    fn log_level_accepts_target_directives() {
        let s = ScratchDir::new()
            .load(None, &[("QDRANT__LOG_LEVEL", "info,quiver::index=DEBUG")])
            .unwrap();
        assert_eq!(s.log_level, "info,quiver::index=DEBUG");
    }

    #[test]
    fn log_level_rejects_a_misspelt_level() {
        let message = load_error(&ScratchDir::new(), None, &[("QDRANT__LOG_LEVEL", "inof")]);
        assert!(message.contains("log_level: expected a level"), "{message}");
        assert!(message.contains("got \"inof\""), "{message}");
    }

    #[test]
    fn empty_api_key_is_rejected() {
        let message = load_error(
            &ScratchDir::new(),
            None,
            &[("QDRANT__SERVICE__API_KEY", "")],
        );
        assert!(
            message.contains("service.api_key: expected a non-empty key or null"),
            "{message}"
        );
    }

    #[test]
    fn jwt_rbac_without_api_key_is_rejected() {
        let message = load_error(
            &ScratchDir::new(),
            None,
            &[("QDRANT__SERVICE__JWT_RBAC", "true")],
        );
        assert!(
            message.contains("service.jwt_rbac: expected false unless"),
            "{message}"
        );
    }

    #[test]
    fn same_http_and_grpc_port_is_rejected() {
        let message = load_error(
            &ScratchDir::new(),
            None,
            &[("QDRANT__SERVICE__GRPC_PORT", "6333")],
        );
        assert!(
            message.contains("service.grpc_port: expected a port other than service.http_port"),
            "{message}"
        );
    }

    #[test]
    fn api_keys_are_redacted_in_debug_output() {
        let s = ScratchDir::new()
            .load(None, &[("QDRANT__SERVICE__API_KEY", "hunter2")])
            .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("api_key: Some(\"<redacted>\")"), "{debug}");
    }
}
