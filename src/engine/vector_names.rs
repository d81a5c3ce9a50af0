//! Adding and removing a named vector of an existing collection (`PUT` / `DELETE
//! /collections/{c}/vectors/{name}`).
//!
//! A new vector starts absent on every existing point. Removing one drops its store and
//! rewrites the points that had it, so a later vector of the same name never sees old data.
//! Persistence order keeps the stored state consistent at every step: a new vector's config is
//! saved before its store exists; a removed vector leaves the points before the config.

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::collection::{VectorParams, VectorsConfig};
use crate::model::results::{UpdateResult, UpdateStatus};
use crate::model::vectors::DEFAULT_VECTOR;
use crate::storage::StoredCollection;

impl Engine {
    /// Adds vector `vector` to collection `name`. Creating a vector that exists with the same
    /// size, distance and multivector config changes nothing; another config is refused.
    pub async fn create_vector_name(
        &self,
        name: &str,
        vector: &str,
        params: VectorParams,
        wait: bool,
    ) -> Result<UpdateResult> {
        let _guard = self.structure.lock().await;
        let collection = self.collection(name)?;
        let current = collection.config();
        if let Some(existing) = current.params.vectors.get(vector) {
            if existing.size == params.size
                && existing.distance == params.distance
                && existing.multivector_config == params.multivector_config
            {
                return self.vector_op_result(&collection, wait).await;
            }
            return Err(Error::BadInput(format!(
                "Vector {vector} already exists with a different configuration"
            )));
        }
        let mut next = current;
        let dim = params.size as usize;
        next.params.vectors = match next.params.vectors {
            VectorsConfig::Single(unnamed) => VectorsConfig::Named(BTreeMap::from([
                (DEFAULT_VECTOR.to_string(), *unnamed),
                (vector.to_string(), params),
            ])),
            VectorsConfig::Named(mut map) => {
                map.insert(vector.to_string(), params);
                VectorsConfig::Named(map)
            }
        };
        self.storage
            .save_collection(
                &collection.name,
                &StoredCollection {
                    uid: collection.uid,
                    config: next.clone(),
                },
            )
            .await?;
        {
            let mut config = collection.config.write();
            let mut state = collection.state.write();
            state.points.add_store(vector, dim);
            *config = next;
        }
        self.vector_op_result(&collection, wait).await
    }

    /// Removes vector `vector` from collection `name` and from every point. A name that does
    /// not exist changes nothing; the unnamed vector of a single-vector collection cannot go.
    pub async fn delete_vector_name(
        &self,
        name: &str,
        vector: &str,
        wait: bool,
    ) -> Result<UpdateResult> {
        let _guard = self.structure.lock().await;
        let collection = self.collection(name)?;
        let current = collection.config();
        let mut map = match current.params.vectors.clone() {
            _ if current.params.vectors.get(vector).is_none() => {
                return self.vector_op_result(&collection, wait).await;
            }
            VectorsConfig::Single(_) => {
                return Err(Error::BadInput(
                    "Cannot delete the unnamed vector when it is the only dense vector in the \
                     collection"
                        .into(),
                ));
            }
            VectorsConfig::Named(map) => map,
        };
        map.remove(vector);
        let mut next = current;
        next.params.vectors = VectorsConfig::Named(map);
        let operation_id = {
            let mut config = collection.config.write();
            let mut state = collection.state.write();
            let affected = state.points.drop_store(vector);
            state.graphs.remove(vector);
            let changed: Vec<_> = affected
                .into_iter()
                .map(|id| (id, state.points.stored(&id)))
                .collect();
            // Written under the lock, so no concurrent write can be overtaken by this one.
            let operation_id = state.next_op;
            self.storage
                .write_points(collection.uid, &changed, operation_id + 1)?;
            state.next_op = operation_id + 1;
            *config = next.clone();
            operation_id
        };
        self.storage
            .save_collection(
                &collection.name,
                &StoredCollection {
                    uid: collection.uid,
                    config: next,
                },
            )
            .await?;
        // Its saved graph goes too (a file left behind would be refused anyway: its rows name
        // vectors the points no longer have).
        if let Err(e) = self.storage.remove_graph_file(collection.uid, vector) {
            tracing::warn!("{e}");
        }
        Ok(UpdateResult {
            operation_id,
            status: if wait {
                UpdateStatus::Completed
            } else {
                UpdateStatus::Acknowledged
            },
        })
    }

    /// Takes (and persists) an operation number, and waits for durability when asked.
    async fn vector_op_result(
        &self,
        collection: &crate::engine::collection::Collection,
        wait: bool,
    ) -> Result<UpdateResult> {
        let operation_id = {
            let mut state = collection.state.write();
            let operation_id = state.next_op;
            self.storage
                .write_points(collection.uid, &[], operation_id + 1)?;
            state.next_op = operation_id + 1;
            operation_id
        };
        let status = if wait {
            self.storage.flush().await?;
            UpdateStatus::Completed
        } else {
            UpdateStatus::Acknowledged
        };
        Ok(UpdateResult {
            operation_id,
            status,
        })
    }
}
