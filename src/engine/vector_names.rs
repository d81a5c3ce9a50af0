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
use crate::model::collection::{NewVectorName, VectorsConfig};
use crate::model::results::{UpdateResult, UpdateStatus};
use crate::model::vectors::DEFAULT_VECTOR;
use crate::storage::StoredCollection;

impl Engine {
    /// Adds vector `vector` (dense or sparse) to collection `name`. Creating a vector that
    /// exists with the same config (size, distance and multivector config for a dense one)
    /// changes nothing; another config is refused.
    pub async fn create_vector_name(
        &self,
        name: &str,
        vector: &str,
        new: NewVectorName,
        wait: bool,
    ) -> Result<UpdateResult> {
        let _guard = self.structure.lock().await;
        let collection = self.collection(name)?;
        let current = collection.config();
        let existing_dense = current.params.vectors.get(vector);
        let existing_sparse = current.params.sparse().find(|(n, _)| *n == vector);
        let same = match (&new, existing_dense, existing_sparse) {
            (NewVectorName::Dense(p), Some(e), _) => Some(
                e.size == p.size
                    && e.distance == p.distance
                    && e.multivector_config == p.multivector_config,
            ),
            (NewVectorName::Sparse(_), _, Some(_)) => Some(true),
            (_, None, None) => None,
            _ => Some(false),
        };
        match same {
            Some(true) => return self.vector_op_result(&collection, wait).await,
            Some(false) => {
                return Err(Error::BadInput(format!(
                    "Vector {vector} already exists with a different configuration"
                )));
            }
            None => {}
        }
        let mut next = current;
        let params = match new {
            NewVectorName::Dense(p) => p,
            NewVectorName::Sparse(p) => {
                next.params
                    .sparse_vectors
                    .get_or_insert_with(Default::default)
                    .insert(vector.to_string(), p);
                return self
                    .install_vector_name(&collection, vector, next, wait)
                    .await;
            }
        };
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
        self.install_vector_name(&collection, vector, next, wait)
            .await
    }

    /// Saves the config with the new vector, then gives the points an empty store for it.
    async fn install_vector_name(
        &self,
        collection: &crate::engine::collection::Collection,
        vector: &str,
        next: crate::model::collection::CollectionConfig,
        wait: bool,
    ) -> Result<UpdateResult> {
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
            state.points.add_store(vector, &next.params);
            *config = next;
        }
        self.vector_op_result(collection, wait).await
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
        let mut next = current.clone();
        let is_sparse = next
            .params
            .sparse_vectors
            .as_mut()
            .is_some_and(|s| s.remove(vector).is_some());
        let mut map = match current.params.vectors.clone() {
            _ if is_sparse => {
                let map = current.params.vectors.clone();
                next.params.sparse_vectors = next.params.sparse_vectors.filter(|s| !s.is_empty());
                return self
                    .remove_vector_name(&collection, vector, next, map, wait)
                    .await;
            }
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
        self.remove_vector_name(&collection, vector, next, VectorsConfig::Named(map), wait)
            .await
    }

    /// Drops the store of `vector`, rewrites the points that had it, then saves `next` with
    /// `vectors` as its dense vectors.
    async fn remove_vector_name(
        &self,
        collection: &crate::engine::collection::Collection,
        vector: &str,
        mut next: crate::model::collection::CollectionConfig,
        vectors: VectorsConfig,
        wait: bool,
    ) -> Result<UpdateResult> {
        next.params.vectors = vectors;
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
