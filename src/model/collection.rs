//! Collection configuration: what a client sends to create or update a collection, what Quiver
//! keeps for it, and what `GET /collections/{name}` returns.
//!
//! Request types are "diffs" (every field optional); [`CollectionConfig`] is the resolved config
//! with every default filled in. Defaults for HNSW and optimizers come from `storage.hnsw_index`
//! and `storage.optimizers` in the settings, passed in as [`CollectionDefaults`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::payload_index::PayloadIndexInfo;
use crate::model::vectors::{DEFAULT_VECTOR, Datatype, Distance, Modifier, MultiVectorConfig};

/// Parameters of one dense vector. Shared by requests and responses, so it serialises only the
/// keys Qdrant knows (the Python client rejects unknown keys in this model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VectorParams {
    pub size: u64,
    pub distance: Distance,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hnsw_config: Option<HnswConfigDiff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<Datatype>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multivector_config: Option<MultiVectorConfig>,
}

impl VectorParams {
    /// Whether each point stores several sub-vectors under this name.
    pub fn is_multi(&self) -> bool {
        self.multivector_config.is_some()
    }
}

/// `index` of a sparse vector: accepted and reported; Quiver's sparse index is always an
/// in-memory inverted index.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparseIndexParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_scan_threshold: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<Datatype>,
}

/// Parameters of one sparse vector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparseVectorParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<SparseIndexParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<Modifier>,
}

impl SparseVectorParams {
    /// Whether queries are reweighted by inverse document frequency.
    pub fn uses_idf(&self) -> bool {
        self.modifier == Some(Modifier::Idf)
    }

    /// Applies a `PATCH` of one sparse vector's parameters.
    fn merge(&mut self, diff: &SparseVectorParams) {
        if let Some(index) = &diff.index {
            let mine = self.index.get_or_insert_with(Default::default);
            if index.full_scan_threshold.is_some() {
                mine.full_scan_threshold = index.full_scan_threshold;
            }
            if index.on_disk.is_some() {
                mine.on_disk = index.on_disk;
            }
            if index.datatype.is_some() {
                mine.datatype = index.datatype;
            }
        }
        if diff.modifier.is_some() {
            self.modifier = diff.modifier;
        }
    }
}

/// The sparse vectors of a collection by name.
pub type SparseVectorsConfig = BTreeMap<String, SparseVectorParams>;

/// The `vectors` of a collection: one unnamed vector or a map of named ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VectorsConfig {
    Single(Box<VectorParams>),
    Named(BTreeMap<String, VectorParams>),
}

impl Default for VectorsConfig {
    fn default() -> Self {
        VectorsConfig::Named(BTreeMap::new())
    }
}

impl VectorsConfig {
    /// Every dense vector by internal name (`""` for the unnamed one).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&str, &VectorParams)> + '_> {
        match self {
            VectorsConfig::Single(p) => Box::new(std::iter::once((DEFAULT_VECTOR, &**p))),
            VectorsConfig::Named(map) => Box::new(map.iter().map(|(k, v)| (k.as_str(), v))),
        }
    }

    pub fn get(&self, name: &str) -> Option<&VectorParams> {
        match self {
            VectorsConfig::Single(p) => (name == DEFAULT_VECTOR).then_some(p),
            VectorsConfig::Named(map) => map.get(name),
        }
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut VectorParams> {
        match self {
            VectorsConfig::Single(p) => (name == DEFAULT_VECTOR).then_some(p),
            VectorsConfig::Named(map) => map.get_mut(name),
        }
    }

    /// Names for error messages: `a, b`.
    pub fn names(&self) -> String {
        self.iter().map(|(n, _)| n).collect::<Vec<_>>().join(", ")
    }

    pub(crate) fn validate(&self) -> Result<()> {
        for (name, p) in self.iter() {
            let path = if name.is_empty() {
                "vectors.size".to_string()
            } else {
                format!("vectors.{name}.size")
            };
            if p.size == 0 {
                return Err(Error::Format(
                    "vector size must be a positive integer, got 0".into(),
                ));
            }
            if p.size > 65536 {
                return Err(Error::validation(&path, "must be from 1 to 65536"));
            }
            if let Some(h) = &p.hnsw_config {
                h.validate()?;
            }
            if let Some(q) = &p.quantization_config {
                let path = path.trim_end_matches(".size");
                validate_quantization(q, &format!("{path}.quantization_config"), false)?;
            }
        }
        Ok(())
    }
}

/// Checks a quantization config as Qdrant's schema does: one of `scalar` (`type: int8`,
/// `quantile` in 0.5..=1), `product` (`compression` x4..x64), `binary` (`encoding`,
/// `query_encoding`) or `turbo` (`bits`), each with `always_ram`; in an update also the string
/// `"Disabled"`. Unknown shapes are format errors (400), out-of-range values validation errors.
pub(crate) fn validate_quantization(q: &Value, path: &str, allow_disabled: bool) -> Result<()> {
    if allow_disabled && q.as_str() == Some("Disabled") {
        return Ok(());
    }
    let parsed: Quantization = serde_json::from_value(q.clone())
        .map_err(|e| Error::Format(format!("{path}: not a valid quantization config: {e}")))?;
    if let Quantization::Scalar(ScalarQuantization {
        quantile: Some(quantile),
        ..
    }) = parsed
        && !(0.5..=1.0).contains(&quantile)
    {
        return Err(Error::validation(
            &format!("{path}.scalar.quantile"),
            &format!("value {quantile} invalid, must be from 0.5 to 1"),
        ));
    }
    Ok(())
}

/// The quantization config as Qdrant's schema defines it, parsed only to check its shape (the
/// config is kept and reported as the client sent it).
mod quantization_schema {
    #![allow(dead_code)]

    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    pub(super) enum Quantization {
        Scalar(ScalarQuantization),
        Product(ProductQuantization),
        Binary(BinaryQuantization),
        Turbo(TurboQuantization),
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ScalarQuantization {
        r#type: ScalarType,
        #[serde(default)]
        pub quantile: Option<f64>,
        #[serde(default)]
        always_ram: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub(super) enum ScalarType {
        Int8,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ProductQuantization {
        compression: CompressionRatio,
        #[serde(default)]
        always_ram: Option<bool>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub(super) enum CompressionRatio {
        X4,
        X8,
        X16,
        X32,
        X64,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct BinaryQuantization {
        #[serde(default)]
        always_ram: Option<bool>,
        #[serde(default)]
        encoding: Option<BinaryEncoding>,
        #[serde(default)]
        query_encoding: Option<BinaryQueryEncoding>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum BinaryEncoding {
        OneBit,
        TwoBits,
        OneAndHalfBits,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum BinaryQueryEncoding {
        Default,
        Binary,
        Scalar4bits,
        Scalar8bits,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct TurboQuantization {
        #[serde(default)]
        always_ram: Option<bool>,
        #[serde(default)]
        bits: Option<TurboBits>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub(super) enum TurboBits {
        Bits1,
        #[serde(rename = "bits1_5")]
        Bits1Half,
        Bits2,
        Bits4,
    }
}

use quantization_schema::{Quantization, ScalarQuantization};

/// A quantization change of an update: `null` and `"Disabled"` remove it.
fn quantization_change(q: &Value) -> Option<Value> {
    Some(q.clone()).filter(|v| !v.is_null() && v.as_str() != Some("Disabled"))
}

/// HNSW parameters with every value resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HnswConfig {
    pub m: usize,
    pub ef_construct: usize,
    pub full_scan_threshold: usize,
    pub max_indexing_threads: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_m: Option<usize>,
}

/// A partial HNSW config (create, update, per-vector override).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HnswConfigDiff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ef_construct: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_scan_threshold: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_indexing_threads: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_m: Option<usize>,
}

impl HnswConfigDiff {
    fn validate(&self) -> Result<()> {
        if let Some(ef) = self.ef_construct
            && ef < 4
        {
            return Err(Error::validation(
                "hnsw_config.ef_construct",
                &format!("value {ef} invalid, must be 4 or larger"),
            ));
        }
        if let Some(m) = self.m
            && m > 256
        {
            return Err(Error::validation(
                "hnsw_config.m",
                &format!("value {m} invalid, must be 256 or smaller"),
            ));
        }
        Ok(())
    }

    /// Merges another diff over this one (fields set in `other` win).
    pub fn merge(&mut self, other: &HnswConfigDiff) {
        macro_rules! take {
            ($($f:ident),*) => { $( if other.$f.is_some() { self.$f = other.$f; } )* };
        }
        take!(
            m,
            ef_construct,
            full_scan_threshold,
            max_indexing_threads,
            on_disk,
            payload_m
        );
    }
}

impl HnswConfig {
    /// Overrides the fields `diff` sets (a per-vector override, an update).
    pub(crate) fn apply(&mut self, diff: &HnswConfigDiff) {
        self.m = diff.m.unwrap_or(self.m);
        self.ef_construct = diff.ef_construct.unwrap_or(self.ef_construct);
        self.full_scan_threshold = diff.full_scan_threshold.unwrap_or(self.full_scan_threshold);
        self.max_indexing_threads = diff
            .max_indexing_threads
            .unwrap_or(self.max_indexing_threads);
        if diff.on_disk.is_some() {
            self.on_disk = diff.on_disk;
        }
        if diff.payload_m.is_some() {
            self.payload_m = diff.payload_m;
        }
    }
}

/// Optimizer parameters with every value resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizersConfig {
    pub deleted_threshold: f64,
    pub vacuum_min_vector_number: usize,
    pub default_segment_number: usize,
    pub max_segment_size: Option<usize>,
    pub memmap_threshold: Option<usize>,
    pub indexing_threshold: Option<usize>,
    pub flush_interval_sec: u64,
    pub max_optimization_threads: Option<usize>,
    #[serde(default)]
    pub prevent_unoptimized: Option<bool>,
}

/// A partial optimizer config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OptimizersConfigDiff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vacuum_min_vector_number: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_segment_number: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_segment_size: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memmap_threshold: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexing_threshold: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush_interval_sec: Option<u64>,
    /// `"auto"`, `"disabled"` or a number in Qdrant's schema; kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_optimization_threads: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevent_unoptimized: Option<bool>,
}

impl OptimizersConfigDiff {
    fn validate(&self) -> Result<()> {
        if let Some(t) = self.deleted_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Error::validation(
                "optimizers_config.deleted_threshold",
                &format!("value {t} invalid, must be from 0 to 1"),
            ));
        }
        Ok(())
    }
}

impl OptimizersConfig {
    fn apply(&mut self, d: &OptimizersConfigDiff) {
        self.deleted_threshold = d.deleted_threshold.unwrap_or(self.deleted_threshold);
        self.vacuum_min_vector_number = d
            .vacuum_min_vector_number
            .unwrap_or(self.vacuum_min_vector_number);
        self.default_segment_number = d
            .default_segment_number
            .unwrap_or(self.default_segment_number);
        if d.max_segment_size.is_some() {
            self.max_segment_size = d.max_segment_size;
        }
        if d.memmap_threshold.is_some() {
            self.memmap_threshold = d.memmap_threshold;
        }
        if d.indexing_threshold.is_some() {
            self.indexing_threshold = d.indexing_threshold;
        }
        self.flush_interval_sec = d.flush_interval_sec.unwrap_or(self.flush_interval_sec);
        match &d.max_optimization_threads {
            Some(Value::Number(n)) => {
                self.max_optimization_threads = n.as_u64().map(|n| n as usize)
            }
            Some(Value::String(s)) if s == "auto" => self.max_optimization_threads = None,
            Some(Value::String(s)) if s == "disabled" => self.max_optimization_threads = Some(0),
            _ => {}
        }
        if d.prevent_unoptimized.is_some() {
            self.prevent_unoptimized = d.prevent_unoptimized;
        }
    }
}

/// Write-ahead-log parameters. Quiver has no separate WAL (sled is its log); the values are kept
/// and reported so that clients and configs written for Qdrant keep working.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalConfig {
    pub wal_capacity_mb: usize,
    pub wal_segments_ahead: usize,
    #[serde(default = "one")]
    pub wal_retain_closed: usize,
}

fn one() -> usize {
    1
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            wal_capacity_mb: 32,
            wal_segments_ahead: 0,
            wal_retain_closed: 1,
        }
    }
}

/// A partial WAL config.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WalConfigDiff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_capacity_mb: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_segments_ahead: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wal_retain_closed: Option<usize>,
}

/// `config.params` of a collection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionParams {
    #[serde(default)]
    pub vectors: VectorsConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse_vectors: Option<SparseVectorsConfig>,
    pub shard_number: u32,
    pub replication_factor: u32,
    pub write_consistency_factor: u32,
    pub on_disk_payload: bool,
}

/// The resolved configuration of a collection, as stored and as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionConfig {
    pub params: CollectionParams,
    pub hnsw_config: HnswConfig,
    pub optimizer_config: OptimizersConfig,
    pub wal_config: WalConfig,
    pub quantization_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_mode_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, Value>>,
}

/// Server-wide defaults a new collection starts from.
#[derive(Clone, Debug)]
pub struct CollectionDefaults {
    pub hnsw: HnswConfig,
    pub optimizers: OptimizersConfig,
    pub wal: WalConfig,
    pub on_disk_payload: bool,
}

impl Default for CollectionDefaults {
    /// Qdrant's built-in defaults.
    fn default() -> Self {
        CollectionDefaults {
            hnsw: HnswConfig {
                m: 16,
                ef_construct: 100,
                full_scan_threshold: 10000,
                max_indexing_threads: 0,
                on_disk: Some(false),
                payload_m: None,
            },
            optimizers: OptimizersConfig {
                deleted_threshold: 0.2,
                vacuum_min_vector_number: 1000,
                default_segment_number: 0,
                max_segment_size: None,
                memmap_threshold: None,
                indexing_threshold: Some(10000),
                flush_interval_sec: 5,
                max_optimization_threads: None,
                prevent_unoptimized: None,
            },
            wal: WalConfig::default(),
            on_disk_payload: true,
        }
    }
}

/// Sparse and dense vectors share one namespace: a name may be only one of them.
fn check_sparse_names(dense: &VectorsConfig, sparse: &SparseVectorsConfig) -> Result<()> {
    for name in sparse.keys() {
        if name.is_empty() {
            return Err(Error::BadInput(
                "a sparse vector needs a non-empty name".into(),
            ));
        }
        if dense.get(name).is_some() {
            return Err(Error::BadInput(format!(
                "Vector name `{name}` is used by both a dense and a sparse vector"
            )));
        }
    }
    Ok(())
}

/// Body of `PUT /collections/{name}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateCollection {
    #[serde(default)]
    pub vectors: Option<VectorsConfig>,
    #[serde(default)]
    pub sparse_vectors: Option<SparseVectorsConfig>,
    #[serde(default)]
    pub shard_number: Option<u32>,
    #[serde(default)]
    pub replication_factor: Option<u32>,
    #[serde(default)]
    pub write_consistency_factor: Option<u32>,
    #[serde(default)]
    pub on_disk_payload: Option<bool>,
    #[serde(default)]
    pub hnsw_config: Option<HnswConfigDiff>,
    #[serde(default)]
    pub wal_config: Option<WalConfigDiff>,
    #[serde(default, alias = "optimizer_config")]
    pub optimizers_config: Option<OptimizersConfigDiff>,
    #[serde(default, alias = "quantization")]
    pub quantization_config: Option<Value>,
    #[serde(default)]
    pub strict_mode_config: Option<Value>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
}

impl CreateCollection {
    /// Resolves the request against the server defaults, rejecting what Quiver cannot serve.
    pub fn resolve(self, defaults: &CollectionDefaults) -> Result<CollectionConfig> {
        let vectors = self.vectors.unwrap_or_default();
        vectors.validate()?;
        if let Some(q) = self.quantization_config.as_ref().filter(|q| !q.is_null()) {
            validate_quantization(q, "quantization_config", false)?;
        }
        let sparse_vectors = self.sparse_vectors.filter(|s| !s.is_empty());
        if let Some(sparse) = &sparse_vectors {
            check_sparse_names(&vectors, sparse)?;
        }
        if self.shard_number.is_some_and(|n| n == 0) {
            return Err(Error::validation(
                "shard_number",
                "value 0 invalid, must be 1 or larger",
            ));
        }
        let mut hnsw = defaults.hnsw.clone();
        if let Some(d) = &self.hnsw_config {
            d.validate()?;
            hnsw.apply(d);
        }
        let mut optimizers = defaults.optimizers.clone();
        if let Some(d) = &self.optimizers_config {
            d.validate()?;
            optimizers.apply(d);
        }
        let mut wal = defaults.wal.clone();
        if let Some(d) = &self.wal_config {
            wal.wal_capacity_mb = d.wal_capacity_mb.unwrap_or(wal.wal_capacity_mb);
            wal.wal_segments_ahead = d.wal_segments_ahead.unwrap_or(wal.wal_segments_ahead);
            wal.wal_retain_closed = d.wal_retain_closed.unwrap_or(wal.wal_retain_closed);
        }
        Ok(CollectionConfig {
            params: CollectionParams {
                vectors,
                sparse_vectors,
                // One node serves one shard; Qdrant reports what was asked for.
                shard_number: self.shard_number.unwrap_or(1),
                replication_factor: self.replication_factor.unwrap_or(1),
                write_consistency_factor: self.write_consistency_factor.unwrap_or(1),
                on_disk_payload: self.on_disk_payload.unwrap_or(defaults.on_disk_payload),
            },
            hnsw_config: hnsw,
            optimizer_config: optimizers,
            wal_config: wal,
            quantization_config: self.quantization_config.filter(|v| !v.is_null()),
            strict_mode_config: self.strict_mode_config.filter(|v| !v.is_null()),
            metadata: self.metadata,
        })
    }
}

/// Per-vector changes allowed by `PATCH /collections/{name}` (size and distance are fixed).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct VectorParamsDiff {
    #[serde(default)]
    pub hnsw_config: Option<HnswConfigDiff>,
    #[serde(default)]
    pub quantization_config: Option<Value>,
    #[serde(default)]
    pub on_disk: Option<bool>,
}

/// `params` changes allowed by `PATCH /collections/{name}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CollectionParamsDiff {
    #[serde(default)]
    pub replication_factor: Option<u32>,
    #[serde(default)]
    pub write_consistency_factor: Option<u32>,
    #[serde(default)]
    pub read_fan_out_factor: Option<u32>,
    #[serde(default)]
    pub read_fan_out_delay_ms: Option<u64>,
    #[serde(default)]
    pub on_disk_payload: Option<bool>,
}

/// Body of `PATCH /collections/{name}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UpdateCollection {
    #[serde(default)]
    pub vectors: Option<BTreeMap<String, VectorParamsDiff>>,
    #[serde(default, alias = "optimizer_config")]
    pub optimizers_config: Option<OptimizersConfigDiff>,
    #[serde(default)]
    pub params: Option<CollectionParamsDiff>,
    #[serde(default)]
    pub hnsw_config: Option<HnswConfigDiff>,
    #[serde(default, alias = "quantization")]
    pub quantization_config: Option<Value>,
    #[serde(default)]
    pub sparse_vectors: Option<SparseVectorsConfig>,
    #[serde(default)]
    pub strict_mode_config: Option<Value>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
}

impl UpdateCollection {
    /// Applies the changes to a copy of `config`; the caller swaps it in only on success, so a
    /// rejected update changes nothing.
    pub fn apply_to(&self, config: &CollectionConfig) -> Result<CollectionConfig> {
        let mut next = config.clone();
        if let Some(vectors) = &self.vectors {
            for (name, diff) in vectors {
                let Some(params) = next.params.vectors.get_mut(name) else {
                    return Err(Error::BadInput(format!(
                        "Vector with name {name} is not configured in this collection, available names: {}",
                        config.params.vectors.names()
                    )));
                };
                if let Some(h) = &diff.hnsw_config {
                    h.validate()?;
                    params
                        .hnsw_config
                        .get_or_insert_with(Default::default)
                        .merge(h);
                }
                if let Some(q) = &diff.quantization_config {
                    if !q.is_null() {
                        validate_quantization(
                            q,
                            &format!("vectors.{name}.quantization_config"),
                            true,
                        )?;
                    }
                    params.quantization_config = quantization_change(q);
                }
                if diff.on_disk.is_some() {
                    params.on_disk = diff.on_disk;
                }
            }
        }
        if let Some(d) = &self.optimizers_config {
            d.validate()?;
            next.optimizer_config.apply(d);
        }
        if let Some(d) = &self.hnsw_config {
            d.validate()?;
            next.hnsw_config.apply(d);
        }
        if let Some(p) = &self.params {
            let params = &mut next.params;
            params.replication_factor = p.replication_factor.unwrap_or(params.replication_factor);
            params.write_consistency_factor = p
                .write_consistency_factor
                .unwrap_or(params.write_consistency_factor);
            params.on_disk_payload = p.on_disk_payload.unwrap_or(params.on_disk_payload);
        }
        if let Some(q) = &self.quantization_config {
            if !q.is_null() {
                validate_quantization(q, "quantization_config", true)?;
            }
            next.quantization_config = quantization_change(q);
        }
        if let Some(changes) = &self.sparse_vectors {
            for (name, diff) in changes {
                let Some(params) = next
                    .params
                    .sparse_vectors
                    .as_mut()
                    .and_then(|s| s.get_mut(name))
                else {
                    return Err(Error::BadInput(format!(
                        "Sparse vector with name {name} is not configured in this collection"
                    )));
                };
                params.merge(diff);
            }
        }
        if let Some(s) = &self.strict_mode_config {
            next.strict_mode_config = Some(s.clone()).filter(|v| !v.is_null());
        }
        if let Some(changes) = &self.metadata {
            // Shallow merge; a null value deletes the key.
            let meta = next.metadata.get_or_insert_with(Default::default);
            for (k, v) in changes {
                if v.is_null() {
                    meta.remove(k);
                } else {
                    meta.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(next)
    }
}

/// Health of a collection as reported in its info.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CollectionStatus {
    Green,
    Yellow,
    Grey,
    Red,
}

/// `GET /collections/{name}`.
#[derive(Clone, Debug, Serialize)]
pub struct CollectionInfo {
    pub status: CollectionStatus,
    pub optimizer_status: Value,
    pub indexed_vectors_count: u64,
    pub points_count: u64,
    pub segments_count: u64,
    pub config: CollectionConfig,
    pub payload_schema: BTreeMap<String, PayloadIndexInfo>,
    pub update_queue: Value,
}

/// `GET /collections`.
#[derive(Clone, Debug, Serialize)]
pub struct CollectionsList {
    pub collections: Vec<CollectionDescription>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CollectionDescription {
    pub name: String,
}

/// Checks a collection name as Qdrant does on create (422 on failure).
pub fn validate_collection_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 255 {
        return Err(Error::validation(
            "collection_name",
            "length must be from 1 to 255",
        ));
    }
    for c in ['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0', '\u{1f}'] {
        if name.contains(c) {
            return Err(Error::validation(
                "collection_name",
                &format!("collection name cannot contain \"{c}\" char"),
            ));
        }
    }
    Ok(())
}

/// One action of `POST /collections/aliases`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasOperation {
    CreateAlias {
        collection_name: String,
        alias_name: String,
    },
    DeleteAlias {
        alias_name: String,
    },
    RenameAlias {
        old_alias_name: String,
        new_alias_name: String,
    },
}

/// Body of `POST /collections/aliases`.
#[derive(Clone, Debug, Deserialize)]
pub struct ChangeAliases {
    pub actions: Vec<AliasOperation>,
}

/// One alias in a listing.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AliasDescription {
    pub alias_name: String,
    pub collection_name: String,
}

/// `GET /aliases` and `GET /collections/{name}/aliases`.
#[derive(Clone, Debug, Serialize)]
pub struct AliasesList {
    pub aliases: Vec<AliasDescription>,
}

/// Body of `PUT /collections/{c}/vectors/{name}`: `{"dense": {...}}` or `{"sparse": {...}}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum VectorNameConfig {
    Dense(DenseVectorNameConfig),
    Sparse(SparseVectorParams),
}

/// The immutable properties of a new dense vector.
#[derive(Clone, Debug, Deserialize)]
pub struct DenseVectorNameConfig {
    pub size: u64,
    pub distance: Distance,
    #[serde(default)]
    pub multivector_config: Option<MultiVectorConfig>,
    #[serde(default)]
    pub datatype: Option<Datatype>,
}

/// What `PUT /collections/{c}/vectors/{name}` adds.
#[derive(Clone, Debug, PartialEq)]
pub enum NewVectorName {
    Dense(VectorParams),
    Sparse(SparseVectorParams),
}

impl VectorNameConfig {
    /// The new vector's parameters, checked as collection creation checks them.
    pub fn into_params(self, name: &str) -> Result<NewVectorName> {
        if name.is_empty() {
            return Err(Error::BadInput(
                "a new vector needs a non-empty name".into(),
            ));
        }
        let dense = match self {
            VectorNameConfig::Dense(d) => d,
            VectorNameConfig::Sparse(s) => return Ok(NewVectorName::Sparse(s)),
        };
        let params = VectorParams {
            size: dense.size,
            distance: dense.distance,
            hnsw_config: None,
            quantization_config: None,
            on_disk: None,
            datatype: dense.datatype,
            multivector_config: dense.multivector_config,
        };
        VectorsConfig::Named(BTreeMap::from([(name.to_string(), params.clone())])).validate()?;
        Ok(NewVectorName::Dense(params))
    }
}

/// What a vector name of a collection holds.
#[derive(Clone, Copy, Debug)]
pub enum VectorKind<'a> {
    /// One dense vector per point (`multivector_config` unset).
    Dense(&'a VectorParams),
    /// Any number of dense sub-vectors per point, compared by `max_sim`.
    Multi(&'a VectorParams),
    Sparse(&'a SparseVectorParams),
}

impl CollectionParams {
    /// The kind of vector `name` names, if the collection has it.
    pub fn vector_kind(&self, name: &str) -> Option<VectorKind<'_>> {
        if let Some(p) = self.vectors.get(name) {
            return Some(if p.is_multi() {
                VectorKind::Multi(p)
            } else {
                VectorKind::Dense(p)
            });
        }
        self.sparse_vectors
            .as_ref()?
            .get(name)
            .map(VectorKind::Sparse)
    }

    /// The sparse vectors, by name (none when the collection has none).
    pub fn sparse(&self) -> impl Iterator<Item = (&str, &SparseVectorParams)> {
        self.sparse_vectors
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Every vector name, dense and sparse, for error messages: `a, b`.
    pub fn vector_names(&self) -> String {
        self.vectors
            .iter()
            .map(|(n, _)| n)
            .chain(self.sparse().map(|(n, _)| n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
