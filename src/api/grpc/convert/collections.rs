//! Collection messages: create / update requests become the REST body types; collection info,
//! configs and alias listings go back out.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use crate::api::grpc::convert::{json_map, map_out};
use crate::api::grpc::proto;
use crate::error::{Error, Result};
use crate::model::collection::{
    AliasDescription, AliasOperation, CollectionConfig, CollectionInfo, CollectionParamsDiff,
    CollectionStatus, CreateCollection, HnswConfig, HnswConfigDiff, OptimizersConfig,
    OptimizersConfigDiff, SparseIndexParams, SparseVectorParams, SparseVectorsConfig,
    UpdateCollection, VectorParams, VectorParamsDiff, VectorsConfig, WalConfig, WalConfigDiff,
};
use crate::model::vectors::{
    DEFAULT_VECTOR, Datatype, Distance, Modifier, MultiVectorComparator, MultiVectorConfig,
};

fn usize_from(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

// ---- requests -------------------------------------------------------------------------------

pub(crate) fn distance(d: i32) -> Result<Distance> {
    match proto::Distance::try_from(d) {
        Ok(proto::Distance::Cosine) => Ok(Distance::Cosine),
        Ok(proto::Distance::Euclid) => Ok(Distance::Euclid),
        Ok(proto::Distance::Dot) => Ok(Distance::Dot),
        Ok(proto::Distance::Manhattan) => Ok(Distance::Manhattan),
        _ => Err(Error::InvalidMessage(format!(
            "Malformed distance parameter: {d}"
        ))),
    }
}

pub(crate) fn datatype(d: Option<i32>) -> Result<Option<Datatype>> {
    let Some(d) = d else { return Ok(None) };
    match proto::Datatype::try_from(d) {
        Ok(proto::Datatype::Default) => Ok(None),
        Ok(proto::Datatype::Float32) => Ok(Some(Datatype::Float32)),
        Ok(proto::Datatype::Float16) => Ok(Some(Datatype::Float16)),
        Ok(proto::Datatype::Uint8) => Ok(Some(Datatype::Uint8)),
        Ok(other) => Err(Error::BadInput(format!(
            "vector datatype {} is not supported by Quiver; use float32, float16 or uint8",
            other.as_str_name()
        ))),
        Err(_) => Err(Error::InvalidMessage(format!(
            "Malformed datatype parameter: {d}"
        ))),
    }
}

fn hnsw_diff(h: proto::HnswConfigDiff) -> HnswConfigDiff {
    #[allow(deprecated)]
    let on_disk = h.on_disk;
    HnswConfigDiff {
        m: h.m.map(usize_from),
        ef_construct: h.ef_construct.map(usize_from),
        full_scan_threshold: h.full_scan_threshold.map(usize_from),
        max_indexing_threads: h.max_indexing_threads.map(usize_from),
        on_disk,
        payload_m: h.payload_m.map(usize_from),
    }
}

fn wal_diff(w: proto::WalConfigDiff) -> WalConfigDiff {
    WalConfigDiff {
        wal_capacity_mb: w.wal_capacity_mb.map(usize_from),
        wal_segments_ahead: w.wal_segments_ahead.map(usize_from),
        wal_retain_closed: w.wal_retain_closed.map(usize_from),
    }
}

fn optimizers_diff(o: proto::OptimizersConfigDiff) -> OptimizersConfigDiff {
    use proto::max_optimization_threads::Variant;
    let threads = match o.max_optimization_threads.and_then(|t| t.variant) {
        Some(Variant::Value(n)) => Some(json!(n)),
        Some(Variant::Setting(_)) => Some(json!("auto")),
        None => o.deprecated_max_optimization_threads.map(|n| json!(n)),
    };
    OptimizersConfigDiff {
        deleted_threshold: o.deleted_threshold,
        vacuum_min_vector_number: o.vacuum_min_vector_number.map(usize_from),
        default_segment_number: o.default_segment_number.map(usize_from),
        max_segment_size: o.max_segment_size.map(usize_from),
        memmap_threshold: o.memmap_threshold.map(usize_from),
        indexing_threshold: o.indexing_threshold.map(usize_from),
        flush_interval_sec: o.flush_interval_sec,
        max_optimization_threads: threads,
        prevent_unoptimized: o.prevent_unoptimized,
    }
}

fn scalar_json(s: &proto::ScalarQuantization) -> Json {
    #[allow(deprecated)]
    let always_ram = s.always_ram;
    let mut m = Map::new();
    m.insert("type".into(), json!("int8"));
    if let Some(q) = s.quantile {
        m.insert("quantile".into(), json!(q));
    }
    if let Some(a) = always_ram {
        m.insert("always_ram".into(), json!(a));
    }
    json!({ "scalar": m })
}

fn product_json(p: &proto::ProductQuantization) -> Json {
    #[allow(deprecated)]
    let always_ram = p.always_ram;
    let compression = proto::CompressionRatio::try_from(p.compression)
        .map(|c| c.as_str_name())
        .unwrap_or("x4");
    let mut m = Map::new();
    m.insert("compression".into(), json!(compression));
    if let Some(a) = always_ram {
        m.insert("always_ram".into(), json!(a));
    }
    json!({ "product": m })
}

fn binary_json(b: &proto::BinaryQuantization) -> Json {
    #[allow(deprecated)]
    let always_ram = b.always_ram;
    let mut m = Map::new();
    if let Some(a) = always_ram {
        m.insert("always_ram".into(), json!(a));
    }
    if let Some(e) = b.encoding {
        let name = match proto::BinaryQuantizationEncoding::try_from(e) {
            Ok(proto::BinaryQuantizationEncoding::TwoBits) => "two_bits",
            Ok(proto::BinaryQuantizationEncoding::OneAndHalfBits) => "one_and_half_bits",
            _ => "one_bit",
        };
        m.insert("encoding".into(), json!(name));
    }
    json!({ "binary": m })
}

/// A quantization config in its REST JSON form (kept as given, as the REST API keeps it).
fn quantization_json(q: proto::QuantizationConfig) -> Option<Json> {
    use proto::quantization_config::Quantization as Q;
    Some(match q.quantization? {
        Q::Scalar(s) => scalar_json(&s),
        Q::Product(p) => product_json(&p),
        Q::Binary(b) => binary_json(&b),
        Q::Turboquant(t) => json!({ "turbo": { "bits": t.bits } }),
    })
}

fn quantization_diff_json(q: proto::QuantizationConfigDiff) -> Option<Json> {
    use proto::quantization_config_diff::Quantization as Q;
    Some(match q.quantization? {
        Q::Scalar(s) => scalar_json(&s),
        Q::Product(p) => product_json(&p),
        Q::Binary(b) => binary_json(&b),
        Q::Turboquant(t) => json!({ "turbo": { "bits": t.bits } }),
        // "Disabled" removes quantization.
        Q::Disabled(_) => Json::Null,
    })
}

fn vector_params(p: proto::VectorParams) -> Result<VectorParams> {
    #[allow(deprecated)]
    let on_disk = p.on_disk;
    Ok(VectorParams {
        size: p.size,
        distance: distance(p.distance)?,
        hnsw_config: p.hnsw_config.map(hnsw_diff),
        quantization_config: p.quantization_config.and_then(quantization_json),
        on_disk,
        datatype: datatype(p.datatype)?,
        multivector_config: p.multivector_config.map(|_| MAX_SIM),
    })
}

/// `max_sim` is the only comparator a multivector can have.
const MAX_SIM: MultiVectorConfig = MultiVectorConfig {
    comparator: MultiVectorComparator::MaxSim,
};

fn vectors_config(v: Option<proto::VectorsConfig>) -> Result<Option<VectorsConfig>> {
    use proto::vectors_config::Config;
    Ok(match v.and_then(|v| v.config) {
        None => None,
        Some(Config::Params(p)) => Some(VectorsConfig::Single(Box::new(vector_params(p)?))),
        Some(Config::ParamsMap(m)) => Some(VectorsConfig::Named(
            m.map
                .into_iter()
                .map(|(k, p)| Ok((k, vector_params(p)?)))
                .collect::<Result<BTreeMap<_, _>>>()?,
        )),
    })
}

fn sparse_params(p: proto::SparseVectorParams) -> Result<SparseVectorParams> {
    #[allow(deprecated)]
    let index = p
        .index
        .map(|i| {
            Ok::<_, Error>(SparseIndexParams {
                full_scan_threshold: i.full_scan_threshold.map(|t| t as usize),
                on_disk: i.on_disk,
                datatype: datatype(i.datatype)?,
            })
        })
        .transpose()?;
    let modifier = match p.modifier.map(proto::Modifier::try_from) {
        None => None,
        Some(Ok(proto::Modifier::None)) => Some(Modifier::None),
        Some(Ok(proto::Modifier::Idf)) => Some(Modifier::Idf),
        Some(Err(_)) => {
            return Err(Error::InvalidMessage(
                "Unknown sparse vector modifier".into(),
            ));
        }
    };
    Ok(SparseVectorParams { index, modifier })
}

fn sparse_config(s: Option<proto::SparseVectorConfig>) -> Result<Option<SparseVectorsConfig>> {
    let Some(s) = s else {
        return Ok(None);
    };
    Ok(Some(
        s.map
            .into_iter()
            .map(|(k, p)| Ok((k, sparse_params(p)?)))
            .collect::<Result<_>>()?,
    ))
}

fn sparse_params_out(p: &SparseVectorParams) -> proto::SparseVectorParams {
    #[allow(deprecated)]
    proto::SparseVectorParams {
        index: p.index.as_ref().map(|i| proto::SparseIndexConfig {
            full_scan_threshold: i.full_scan_threshold.map(|t| t as u64),
            on_disk: i.on_disk,
            datatype: i.datatype.map(datatype_out),
            memory: None,
        }),
        modifier: p.modifier.map(|m| {
            (match m {
                Modifier::None => proto::Modifier::None,
                Modifier::Idf => proto::Modifier::Idf,
            }) as i32
        }),
    }
}

macro_rules! strict_mode_fields {
    ($mac:ident) => {
        $mac!(
            enabled,
            max_query_limit,
            max_timeout,
            unindexed_filtering_retrieve,
            unindexed_filtering_update,
            search_max_hnsw_ef,
            search_allow_exact,
            search_max_oversampling,
            upsert_max_batchsize,
            search_max_batchsize,
            max_collection_vector_size_bytes,
            read_rate_limit,
            write_rate_limit,
            max_collection_payload_size_bytes,
            filter_max_conditions,
            condition_max_size,
            max_points_count,
            max_payload_index_count
        )
    };
}

fn strict_mode_json(s: proto::StrictModeConfig) -> Json {
    let mut m = Map::new();
    macro_rules! put {
        ($($f:ident),*) => { $( if let Some(v) = s.$f { m.insert(stringify!($f).into(), json!(v)); } )* };
    }
    strict_mode_fields!(put);
    Json::Object(m)
}

fn strict_mode_out(v: &Json) -> proto::StrictModeConfig {
    let mut s = proto::StrictModeConfig::default();
    macro_rules! get {
        ($($f:ident),*) => { $( s.$f = v.get(stringify!($f)).and_then(|x| serde_json::from_value(x.clone()).ok()); )* };
    }
    strict_mode_fields!(get);
    s
}

pub fn create(r: proto::CreateCollection) -> Result<(String, CreateCollection)> {
    #[allow(deprecated)]
    let on_disk_payload = r.on_disk_payload;
    let body = CreateCollection {
        vectors: vectors_config(r.vectors_config)?,
        sparse_vectors: sparse_config(r.sparse_vectors_config)?,
        shard_number: r.shard_number,
        replication_factor: r.replication_factor,
        write_consistency_factor: r.write_consistency_factor,
        on_disk_payload,
        hnsw_config: r.hnsw_config.map(hnsw_diff),
        wal_config: r.wal_config.map(wal_diff),
        optimizers_config: r.optimizers_config.map(optimizers_diff),
        quantization_config: r.quantization_config.and_then(quantization_json),
        strict_mode_config: r.strict_mode_config.map(strict_mode_json),
        metadata: (!r.metadata.is_empty())
            .then(|| json_map(r.metadata))
            .transpose()?,
    };
    Ok((r.collection_name, body))
}

fn vector_params_diff(p: proto::VectorParamsDiff) -> VectorParamsDiff {
    #[allow(deprecated)]
    let on_disk = p.on_disk;
    VectorParamsDiff {
        hnsw_config: p.hnsw_config.map(hnsw_diff),
        quantization_config: p
            .quantization_config
            .map(|q| quantization_diff_json(q).unwrap_or(Json::Null)),
        on_disk,
    }
}

pub fn update(r: proto::UpdateCollection) -> Result<(String, UpdateCollection)> {
    use proto::vectors_config_diff::Config;
    let vectors = r.vectors_config.and_then(|v| v.config).map(|c| match c {
        Config::Params(p) => BTreeMap::from([(DEFAULT_VECTOR.to_string(), vector_params_diff(p))]),
        Config::ParamsMap(m) => m
            .map
            .into_iter()
            .map(|(k, p)| (k, vector_params_diff(p)))
            .collect(),
    });
    let params = r.params.map(|p| {
        #[allow(deprecated)]
        let on_disk_payload = p.on_disk_payload;
        CollectionParamsDiff {
            replication_factor: p.replication_factor,
            write_consistency_factor: p.write_consistency_factor,
            read_fan_out_factor: p.read_fan_out_factor,
            read_fan_out_delay_ms: p.read_fan_out_delay_ms,
            on_disk_payload,
        }
    });
    let body = UpdateCollection {
        vectors,
        optimizers_config: r.optimizers_config.map(optimizers_diff),
        params,
        hnsw_config: r.hnsw_config.map(hnsw_diff),
        quantization_config: r
            .quantization_config
            .map(|q| quantization_diff_json(q).unwrap_or(Json::Null)),
        sparse_vectors: sparse_config(r.sparse_vectors_config)?,
        strict_mode_config: r.strict_mode_config.map(strict_mode_json),
        metadata: (!r.metadata.is_empty())
            .then(|| json_map(r.metadata))
            .transpose()?,
    };
    Ok((r.collection_name, body))
}

pub fn alias_actions(r: proto::ChangeAliases) -> Result<Vec<AliasOperation>> {
    use proto::alias_operations::Action;
    r.actions
        .into_iter()
        .map(|a| match a.action {
            Some(Action::CreateAlias(c)) => Ok(AliasOperation::CreateAlias {
                collection_name: c.collection_name,
                alias_name: c.alias_name,
            }),
            Some(Action::RenameAlias(r)) => Ok(AliasOperation::RenameAlias {
                old_alias_name: r.old_alias_name,
                new_alias_name: r.new_alias_name,
            }),
            Some(Action::DeleteAlias(d)) => Ok(AliasOperation::DeleteAlias {
                alias_name: d.alias_name,
            }),
            None => Err(Error::InvalidMessage(
                "Alias action is not specified".into(),
            )),
        })
        .collect()
}

// ---- responses ------------------------------------------------------------------------------

pub fn aliases_out(list: Vec<AliasDescription>) -> Vec<proto::AliasDescription> {
    list.into_iter()
        .map(|a| proto::AliasDescription {
            alias_name: a.alias_name,
            collection_name: a.collection_name,
        })
        .collect()
}

fn distance_out(d: Distance) -> i32 {
    (match d {
        Distance::Cosine => proto::Distance::Cosine,
        Distance::Euclid => proto::Distance::Euclid,
        Distance::Dot => proto::Distance::Dot,
        Distance::Manhattan => proto::Distance::Manhattan,
    }) as i32
}

fn datatype_out(d: Datatype) -> i32 {
    (match d {
        Datatype::Float32 => proto::Datatype::Float32,
        Datatype::Float16 => proto::Datatype::Float16,
        Datatype::Uint8 => proto::Datatype::Uint8,
    }) as i32
}

fn hnsw_diff_out(h: &HnswConfigDiff) -> proto::HnswConfigDiff {
    #[allow(deprecated)]
    proto::HnswConfigDiff {
        m: h.m.map(|v| v as u64),
        ef_construct: h.ef_construct.map(|v| v as u64),
        full_scan_threshold: h.full_scan_threshold.map(|v| v as u64),
        max_indexing_threads: h.max_indexing_threads.map(|v| v as u64),
        on_disk: h.on_disk,
        payload_m: h.payload_m.map(|v| v as u64),
        inline_storage: None,
        memory: None,
    }
}

fn hnsw_out(h: &HnswConfig) -> proto::HnswConfigDiff {
    hnsw_diff_out(&HnswConfigDiff {
        m: Some(h.m),
        ef_construct: Some(h.ef_construct),
        full_scan_threshold: Some(h.full_scan_threshold),
        max_indexing_threads: Some(h.max_indexing_threads),
        on_disk: h.on_disk,
        payload_m: h.payload_m,
    })
}

fn optimizers_out(o: &OptimizersConfig) -> proto::OptimizersConfigDiff {
    use proto::max_optimization_threads::{Setting, Variant};
    let threads = match o.max_optimization_threads {
        Some(n) => Variant::Value(n as u64),
        None => Variant::Setting(Setting::Auto as i32),
    };
    proto::OptimizersConfigDiff {
        deleted_threshold: Some(o.deleted_threshold),
        vacuum_min_vector_number: Some(o.vacuum_min_vector_number as u64),
        default_segment_number: Some(o.default_segment_number as u64),
        max_segment_size: o.max_segment_size.map(|v| v as u64),
        memmap_threshold: o.memmap_threshold.map(|v| v as u64),
        indexing_threshold: o.indexing_threshold.map(|v| v as u64),
        flush_interval_sec: Some(o.flush_interval_sec),
        deprecated_max_optimization_threads: None,
        max_optimization_threads: Some(proto::MaxOptimizationThreads {
            variant: Some(threads),
        }),
        prevent_unoptimized: o.prevent_unoptimized,
    }
}

fn wal_out(w: &WalConfig) -> proto::WalConfigDiff {
    proto::WalConfigDiff {
        wal_capacity_mb: Some(w.wal_capacity_mb as u64),
        wal_segments_ahead: Some(w.wal_segments_ahead as u64),
        wal_retain_closed: Some(w.wal_retain_closed as u64),
    }
}

/// A stored quantization config (REST JSON form) as proto; shapes it does not know are left out.
fn quantization_out(q: &Json) -> Option<proto::QuantizationConfig> {
    use proto::quantization_config::Quantization as Q;
    let always_ram = |m: &Json| m.get("always_ram").and_then(Json::as_bool);
    #[allow(deprecated)]
    let q = if let Some(s) = q.get("scalar") {
        Q::Scalar(proto::ScalarQuantization {
            r#type: proto::QuantizationType::Int8 as i32,
            quantile: s.get("quantile").and_then(Json::as_f64).map(|v| v as f32),
            always_ram: always_ram(s),
            memory: None,
        })
    } else if let Some(p) = q.get("product") {
        let compression = p
            .get("compression")
            .and_then(Json::as_str)
            .and_then(proto::CompressionRatio::from_str_name)
            .unwrap_or(proto::CompressionRatio::X4);
        Q::Product(proto::ProductQuantization {
            compression: compression as i32,
            always_ram: always_ram(p),
            memory: None,
        })
    } else if let Some(b) = q.get("binary") {
        let encoding = b.get("encoding").and_then(Json::as_str).map(|e| {
            (match e {
                "two_bits" => proto::BinaryQuantizationEncoding::TwoBits,
                "one_and_half_bits" => proto::BinaryQuantizationEncoding::OneAndHalfBits,
                _ => proto::BinaryQuantizationEncoding::OneBit,
            }) as i32
        });
        Q::Binary(proto::BinaryQuantization {
            always_ram: always_ram(b),
            encoding,
            query_encoding: None,
            memory: None,
        })
    } else {
        return None;
    };
    Some(proto::QuantizationConfig {
        quantization: Some(q),
    })
}

fn vector_params_out(p: &VectorParams) -> proto::VectorParams {
    #[allow(deprecated)]
    proto::VectorParams {
        size: p.size,
        distance: distance_out(p.distance),
        hnsw_config: p.hnsw_config.as_ref().map(hnsw_diff_out),
        quantization_config: p.quantization_config.as_ref().and_then(quantization_out),
        on_disk: p.on_disk,
        datatype: p.datatype.map(datatype_out),
        multivector_config: p.multivector_config.map(|_| proto::MultiVectorConfig {
            comparator: proto::MultiVectorComparator::MaxSim as i32,
        }),
        memory: None,
    }
}

fn vectors_config_out(v: &VectorsConfig) -> proto::VectorsConfig {
    use proto::vectors_config::Config;
    proto::VectorsConfig {
        config: Some(match v {
            VectorsConfig::Single(p) => Config::Params(vector_params_out(p)),
            VectorsConfig::Named(map) => Config::ParamsMap(proto::VectorParamsMap {
                map: map
                    .iter()
                    .map(|(k, p)| (k.clone(), vector_params_out(p)))
                    .collect(),
            }),
        }),
    }
}

fn config_out(c: &CollectionConfig) -> proto::CollectionConfig {
    #[allow(deprecated)]
    let params = proto::CollectionParams {
        shard_number: c.params.shard_number,
        on_disk_payload: c.params.on_disk_payload,
        vectors_config: Some(vectors_config_out(&c.params.vectors)),
        replication_factor: Some(c.params.replication_factor),
        write_consistency_factor: Some(c.params.write_consistency_factor),
        read_fan_out_factor: None,
        sharding_method: None,
        sparse_vectors_config: c.params.sparse_vectors.as_ref().map(|s| {
            proto::SparseVectorConfig {
                map: s
                    .iter()
                    .map(|(k, p)| (k.clone(), sparse_params_out(p)))
                    .collect(),
            }
        }),
        read_fan_out_delay_ms: None,
        payload: None,
        id_tracker: None,
    };
    proto::CollectionConfig {
        params: Some(params),
        hnsw_config: Some(hnsw_out(&c.hnsw_config)),
        optimizer_config: Some(optimizers_out(&c.optimizer_config)),
        wal_config: Some(wal_out(&c.wal_config)),
        quantization_config: c.quantization_config.as_ref().and_then(quantization_out),
        strict_mode_config: c.strict_mode_config.as_ref().map(strict_mode_out),
        metadata: c.metadata.as_ref().map(map_out).unwrap_or_default(),
    }
}

pub fn info_out(info: &CollectionInfo) -> proto::CollectionInfo {
    let status = match info.status {
        CollectionStatus::Green => proto::CollectionStatus::Green,
        CollectionStatus::Yellow => proto::CollectionStatus::Yellow,
        CollectionStatus::Grey => proto::CollectionStatus::Grey,
        CollectionStatus::Red => proto::CollectionStatus::Red,
    };
    let optimizer_error = info
        .optimizer_status
        .get("error")
        .and_then(Json::as_str)
        .map(str::to_string);
    proto::CollectionInfo {
        status: status as i32,
        optimizer_status: Some(proto::OptimizerStatus {
            ok: optimizer_error.is_none(),
            error: optimizer_error.unwrap_or_default(),
        }),
        segments_count: info.segments_count,
        config: Some(config_out(&info.config)),
        payload_schema: super::payload_index::payload_schema_out(&info.payload_schema),
        points_count: Some(info.points_count),
        indexed_vectors_count: Some(info.indexed_vectors_count),
        warnings: Vec::new(),
        update_queue: Some(proto::UpdateQueueInfo {
            length: info
                .update_queue
                .get("length")
                .and_then(Json::as_u64)
                .unwrap_or(0),
            deferred_points: None,
        }),
        created_at: None,
    }
}

/// `CreateVectorName`'s config as the REST body's.
pub fn vector_name_config(
    c: Option<proto::create_vector_name_request::VectorConfig>,
) -> Result<crate::model::collection::VectorNameConfig> {
    use crate::model::collection::{DenseVectorNameConfig, VectorNameConfig};
    use proto::create_vector_name_request::VectorConfig as C;
    match c {
        Some(C::DenseConfig(d)) => Ok(VectorNameConfig::Dense(DenseVectorNameConfig {
            size: d.size,
            distance: distance(d.distance)?,
            multivector_config: d.multivector_config.map(|_| MAX_SIM),
            datatype: datatype(d.datatype)?,
        })),
        Some(C::SparseConfig(p)) => Ok(VectorNameConfig::Sparse(sparse_params(
            proto::SparseVectorParams {
                index: p.datatype.map(|d| proto::SparseIndexConfig {
                    datatype: Some(d),
                    ..Default::default()
                }),
                modifier: p.modifier,
            },
        )?)),
        None => Err(Error::InvalidMessage(
            "vector_config is not specified".into(),
        )),
    }
}
