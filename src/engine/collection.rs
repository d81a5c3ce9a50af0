//! One collection: its configuration, its point table, and the persistence of both.
//!
//! Writes ([`Collection::update`], in `updates.rs`) and reads (`reads.rs`) are methods of
//! [`Collection`]; this file holds the type, start-up loading and the helpers both sides use to
//! resolve vector names and check dimensions.

use std::sync::{Arc, OnceLock, Weak};

use parking_lot::RwLock;

use crate::engine::graph_persistence::{self, GraphStats};
use crate::engine::indexing::Graphs;
use crate::engine::payload_index::PayloadIndexes;

use crate::engine::points::PointTable;
use crate::error::{Error, Result};
use crate::model::PointId;
use crate::model::collection::{
    CollectionConfig, CollectionInfo, CollectionParams, CollectionStatus, VectorKind, VectorParams,
};
use crate::model::payload_index::PayloadIndexRegistry;
use crate::storage::{LoadedCollection, Storage, StoredCollection, StoredPoint};

/// A collection and everything in it.
pub struct Collection {
    pub(crate) name: String,
    pub(crate) uid: u64,
    pub(crate) config: RwLock<CollectionConfig>,
    /// Points and the next operation number, locked together so that op numbers follow the
    /// order in which writes are applied and persisted.
    pub(crate) state: RwLock<State>,
    pub(crate) storage: Storage,
    /// The collection's own handle, set when the engine registers it, so background index
    /// builds can reach it without keeping it alive.
    pub(crate) this: OnceLock<Weak<Collection>>,
    /// Graph builds and loads since start-up (`graph_persistence.rs`, telemetry).
    pub(crate) graph_stats: GraphStats,
}

pub(crate) struct State {
    pub points: PointTable,
    pub next_op: u64,
    /// Indexed payload fields (`payload_index.rs`).
    pub payload_index: PayloadIndexRegistry,
    /// The index structures of those fields (`payload_index.rs`).
    pub payload_indexes: PayloadIndexes,
    /// HNSW graphs by vector name (`indexing.rs`).
    pub graphs: Graphs,
}

impl Collection {
    pub(crate) fn new(name: &str, uid: u64, config: CollectionConfig, storage: Storage) -> Self {
        let points = PointTable::new(&config.params);
        Collection {
            name: name.to_string(),
            uid,
            config: RwLock::new(config),
            state: RwLock::new(State {
                points,
                next_op: 0,
                payload_index: PayloadIndexRegistry::new(),
                payload_indexes: PayloadIndexes::default(),
                graphs: Graphs::new(),
            }),
            storage,
            this: OnceLock::new(),
            graph_stats: GraphStats::default(),
        }
    }

    /// Rebuilds a collection from what storage read back at start-up, taking back the saved
    /// HNSW graphs that still fit its points: their rows come first, in graph order, the other
    /// points after them in id order (`graph_persistence.rs` explains why).
    pub(crate) fn from_loaded(loaded: LoadedCollection, storage: Storage) -> Self {
        let layout = graph_persistence::plan_layout(
            &storage,
            &loaded.name,
            loaded.uid,
            &loaded.config,
            &loaded.points,
        );
        let collection = Collection::new(&loaded.name, loaded.uid, loaded.config, storage);
        {
            let mut state = collection.state.write();
            state.next_op = loaded.next_op;
            state.payload_index = loaded.payload_index;
            let mut points: Vec<_> = loaded.points.into_iter().map(Some).collect();
            let insert = |state: &mut State, (id, p): (PointId, StoredPoint)| {
                let vectors = p.vectors.into_iter().collect();
                state.points.insert(id, &vectors, p.payload, p.version);
            };
            for row in layout.rows {
                match row.and_then(|i| points[i].take()) {
                    Some(point) => insert(&mut state, point),
                    None => state.points.push_tombstone(),
                }
            }
            for point in points.into_iter().flatten() {
                insert(&mut state, point);
            }
            state.rebuild_payload_indexes();
        }
        graph_persistence::install_loaded(&collection, layout.graphs);
        collection
    }

    /// Registers the collection's own handle and starts any index build its data needs.
    pub(crate) fn register(self: &Arc<Self>) {
        let _ = self.this.set(Arc::downgrade(self));
        self.schedule_indexing();
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> CollectionConfig {
        self.config.read().clone()
    }

    pub(crate) fn stored_record(&self) -> StoredCollection {
        StoredCollection {
            uid: self.uid,
            config: self.config(),
        }
    }

    /// `GET /collections/{name}`.
    pub fn info(&self) -> CollectionInfo {
        let config = self.config();
        let (points_count, payload_schema) = {
            let state = self.state.read();
            (state.points.len() as u64, state.payload_schema())
        };
        let (indexed_vectors_count, pending) = self.indexing_status();
        CollectionInfo {
            // Yellow while a graph is missing or building, as Qdrant reports optimizations.
            status: if pending {
                CollectionStatus::Yellow
            } else {
                CollectionStatus::Green
            },
            optimizer_status: serde_json::Value::String("ok".into()),
            indexed_vectors_count,
            points_count,
            segments_count: 1,
            config,
            payload_schema,
            update_queue: serde_json::json!({ "length": 0 }),
        }
    }

    /// Parameters of the vector `name` for a search or a query, with Qdrant's messages.
    pub(crate) fn search_vector_params(&self, name: &str) -> Result<VectorParams> {
        vector_params(&self.config.read().params, name)
    }
}

/// Qdrant's dimension message, naming the vector when it is not the unnamed one.
pub(crate) fn dimension_error(expected: usize, got: usize, name: &str) -> Error {
    if name.is_empty() {
        Error::BadInput(format!(
            "Vector dimension error: expected dim: {expected}, got {got}"
        ))
    } else {
        Error::BadInput(format!(
            "Vector dimension error: expected dim: {expected}, got {got} for vector '{name}'"
        ))
    }
}

/// What vector `name` (`""` = unnamed) of a collection holds, or Qdrant's error naming what
/// exists.
pub(crate) fn vector_kind<'a>(params: &'a CollectionParams, name: &str) -> Result<VectorKind<'a>> {
    if let Some(kind) = params.vector_kind(name) {
        return Ok(kind);
    }
    let available = params.vector_names();
    let is_unnamed = params.vectors.get("").is_some();
    Err(Error::BadInput(if name.is_empty() {
        format!(
            "Vector with name `` is not configured in this collection. Collection requires specified vector name in the request, available names: {available}"
        )
    } else if is_unnamed {
        format!("Vector with name {name} is not configured in this collection")
    } else {
        format!(
            "Vector with name `{name}` is not configured in this collection, available names: {available}"
        )
    }))
}

/// The parameters of dense vector `name`; a sparse or multivector name is refused naming why.
pub(crate) fn vector_params(params: &CollectionParams, name: &str) -> Result<VectorParams> {
    match vector_kind(params, name)? {
        VectorKind::Dense(p) => Ok(p.clone()),
        VectorKind::Multi(_) => Err(Error::BadInput(format!(
            "Vector `{name}` is a multivector; this operation needs a single dense vector"
        ))),
        VectorKind::Sparse(_) => Err(Error::BadInput(format!(
            "Vector `{name}` is a sparse vector; this operation needs a dense vector"
        ))),
    }
}
