//! The configuration sources and their merge: the built-in `config/config.yaml`, the optional
//! files under `config/`, the `--config-path` file and the `QDRANT__*` environment variables,
//! layered in that order (later wins, key by key) into one tree of config-rs values in which
//! every value remembers the file or variable it came from.
//!
//! This module reads files and, in [`process_environment`], the process environment; it knows
//! nothing of what the keys mean beyond the shape of the built-in defaults.

use std::path::{Path, PathBuf};

use config::{Config, ConfigBuilder, ConfigError, File, FileFormat, Map, Source, Value, ValueKind};

use super::SettingsError;
use super::tree::replace;

/// The repository's documented defaults; every key `Settings` reads is set here.
const BUILT_IN_YAML: &str = include_str!("../../config/config.yaml");
/// Environment variables starting with this (any case) are configuration keys.
const ENV_PREFIX: &str = "QDRANT__";
/// Separates section and key in an environment variable name.
const ENV_SEPARATOR: &str = "__";
const RUN_MODE_VAR: &str = "RUN_MODE";
const DEFAULT_RUN_MODE: &str = "development";

/// Every source layered and merged, with the gaps a source left filled from `defaults` (the
/// [`built_in_tree`]).
pub(super) fn merged_tree(
    base_dir: &Path,
    config_path: Option<&Path>,
    env: &[(String, String)],
    defaults: &Map<String, Value>,
) -> Result<Map<String, Value>, SettingsError> {
    let mut tree = layered_sources(base_dir, config_path, env)?
        .build()
        .and_then(|config| config.collect())
        .map_err(SettingsError::from_source)?;
    fill_gaps(&mut tree, defaults);
    Ok(tree)
}

/// Every file [`merged_tree`] may read, existing or not (for watching them for changes).
pub(super) fn candidate_files(
    base_dir: &Path,
    config_path: Option<&Path>,
    env: &[(String, String)],
) -> Vec<PathBuf> {
    let run_mode = env
        .iter()
        .rev()
        .find(|(name, _)| name == RUN_MODE_VAR)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
        .unwrap_or(DEFAULT_RUN_MODE);
    let config_dir = base_dir.join("config");
    let mut files = Vec::new();
    for stem in ["config", run_mode, "local"] {
        for ext in ["yaml", "yml"] {
            files.push(config_dir.join(format!("{stem}.{ext}")));
        }
    }
    if let Some(path) = config_path {
        files.push(base_dir.join(path));
    }
    files
}

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
pub(super) fn process_environment() -> Result<Vec<(String, String)>, SettingsError> {
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

/// The compiled-in `config/config.yaml` alone: a value for every key `Settings` reads.
pub(super) fn built_in_tree() -> Map<String, Value> {
    Config::builder()
        .add_source(File::from_str(BUILT_IN_YAML, FileFormat::Yaml))
        .build()
        .and_then(|config| config.collect())
        // Compiled-in text, not user input; `built_in_defaults_match_qdrant` proves it parses.
        .expect("built-in config/config.yaml is valid YAML")
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
