//! What `GET /telemetry` reports about the engine's collections (shape in `model::telemetry`).

use std::sync::atomic::Ordering;

use crate::engine::{Collection, Engine};
use crate::model::telemetry::{
    AppTelemetry, CollectionTelemetry, CollectionsTelemetry, LocalShardTelemetry,
    OperationDurationStatistics, OptimizerTelemetry, ReplicaSetTelemetry, Telemetry,
};

impl Engine {
    /// The telemetry of this server, `version` being the Qdrant version it reports.
    pub fn telemetry(&self, version: &str) -> Telemetry {
        let collections: Vec<_> = self.registry.read().collections.values().cloned().collect();
        Telemetry {
            id: self.started.id.clone(),
            app: AppTelemetry {
                name: "quiver".into(),
                version: version.into(),
                startup: self.started.at.clone(),
            },
            collections: CollectionsTelemetry {
                number_of_collections: collections.len(),
                collections: collections.iter().map(|c| c.telemetry()).collect(),
            },
        }
    }
}

impl Collection {
    fn telemetry(&self) -> CollectionTelemetry {
        let info = self.info();
        let stats = &self.graph_stats;
        CollectionTelemetry {
            id: self.name.clone(),
            shards: vec![ReplicaSetTelemetry {
                id: 0,
                local: LocalShardTelemetry {
                    variant_name: "local".into(),
                    status: info.status,
                    total_optimized_points: stats.vectors_indexed.load(Ordering::Relaxed),
                    num_points: info.points_count,
                    optimizations: OptimizerTelemetry {
                        status: info.optimizer_status,
                        optimizations: OperationDurationStatistics {
                            count: stats.builds.load(Ordering::Relaxed),
                        },
                    },
                },
                remote: Vec::new(),
                replicate_states: serde_json::Map::new(),
            }],
        }
    }
}
