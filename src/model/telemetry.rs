//! `GET /telemetry`: Qdrant's `TelemetryData` shape, with the parts a single-node, single-segment
//! server can fill truthfully.
//!
//! One collection is one local shard (id 0) with no remote replicas. Its `optimizations` report
//! Quiver's only optimization, HNSW graph builds: `optimizations.count` is the number of graphs
//! built and installed since start-up (first builds, rebuilds after growth, compaction or past
//! `deleted_threshold`), `total_optimized_points` the vectors they indexed. A graph taken back
//! from its saved file at start-up is not a build, so after a restart that reused every graph the
//! count is 0 while the collection is green with all its vectors indexed.

use serde::Serialize;

use crate::model::collection::CollectionStatus;

#[derive(Clone, Debug, Serialize)]
pub struct Telemetry {
    /// Random per process, as Qdrant's is per node.
    pub id: String,
    pub app: AppTelemetry,
    pub collections: CollectionsTelemetry,
}

#[derive(Clone, Debug, Serialize)]
pub struct AppTelemetry {
    pub name: String,
    pub version: String,
    /// RFC 3339 start-up time.
    pub startup: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CollectionsTelemetry {
    pub number_of_collections: usize,
    pub collections: Vec<CollectionTelemetry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CollectionTelemetry {
    /// The collection's name.
    pub id: String,
    pub shards: Vec<ReplicaSetTelemetry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReplicaSetTelemetry {
    pub id: u32,
    pub local: LocalShardTelemetry,
    pub remote: Vec<serde_json::Value>,
    pub replicate_states: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LocalShardTelemetry {
    pub variant_name: String,
    pub status: CollectionStatus,
    /// Vectors indexed by the graph builds counted in `optimizations`.
    pub total_optimized_points: u64,
    pub num_points: u64,
    pub optimizations: OptimizerTelemetry,
}

#[derive(Clone, Debug, Serialize)]
pub struct OptimizerTelemetry {
    /// `"ok"`, as in collection info.
    pub status: serde_json::Value,
    pub optimizations: OperationDurationStatistics,
}

#[derive(Clone, Debug, Serialize)]
pub struct OperationDurationStatistics {
    /// Graph builds installed since start-up.
    pub count: u64,
}
