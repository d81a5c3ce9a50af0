//! The payload index registry of a collection: which payload keys are indexed, as what.
//!
//! No index structure exists yet (filters scan payloads); the registry is what Qdrant makes
//! observable: `payload_schema` in collection info, and the index checks of `order_by` and
//! facets. An index change is an operation like a point write: it takes the next operation
//! number, is persisted with it in one batch before the in-memory registry changes, and with
//! `wait` is flushed before it is acknowledged.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::engine::collection::{Collection, State};
use crate::error::Result;
use crate::model::Payload;
use crate::model::json_path::JsonPath;
use crate::model::payload_index::{PayloadFieldSchema, PayloadIndexInfo, PayloadSchemaType};
use crate::model::results::{UpdateResult, UpdateStatus};

impl Collection {
    /// Indexes `field` as `schema`, replacing any index the field had.
    pub async fn create_field_index(
        &self,
        field: &JsonPath,
        schema: PayloadFieldSchema,
        wait: bool,
    ) -> Result<UpdateResult> {
        self.change_payload_index(wait, |registry| {
            registry.insert(field.to_string(), schema);
        })
        .await
    }

    /// Drops the index of `field`; a field without one is left as it is.
    pub async fn delete_field_index(&self, field: &JsonPath, wait: bool) -> Result<UpdateResult> {
        self.change_payload_index(wait, |registry| {
            registry.remove(&field.to_string());
        })
        .await
    }

    async fn change_payload_index(
        &self,
        wait: bool,
        change: impl FnOnce(&mut crate::model::payload_index::PayloadIndexRegistry),
    ) -> Result<UpdateResult> {
        let operation_id = {
            let mut state = self.state.write();
            let mut next = state.payload_index.clone();
            change(&mut next);
            let operation_id = state.next_op;
            self.storage
                .write_payload_index(self.uid, &next, operation_id + 1)?;
            state.payload_index = next;
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

impl State {
    /// The index declared for `key`, if any.
    pub(crate) fn field_index(&self, key: &JsonPath) -> Option<&PayloadFieldSchema> {
        self.payload_index.get(&key.to_string())
    }

    /// `payload_schema` of collection info: every indexed field with the number of points that
    /// have a value its index holds.
    pub(crate) fn payload_schema(&self) -> BTreeMap<String, PayloadIndexInfo> {
        self.payload_index
            .iter()
            .map(|(key, schema)| {
                let data_type = schema.data_type();
                let points = match JsonPath::parse(key) {
                    Ok(path) => self
                        .points
                        .iter_from(None)
                        .filter(|(_, off)| {
                            indexed_values(self.points.payload(*off), &path, data_type)
                                .next()
                                .is_some()
                        })
                        .count() as u64,
                    Err(_) => 0,
                };
                let info = PayloadIndexInfo {
                    data_type,
                    params: schema.params().cloned(),
                    points,
                };
                (key.clone(), info)
            })
            .collect()
    }
}

/// The values an index of `data_type` on `key` holds for one payload: the values at the path,
/// arrays flattened one level (as Qdrant indexes them), filtered to what the type holds.
pub(crate) fn indexed_values<'a>(
    payload: &'a Payload,
    key: &JsonPath,
    data_type: PayloadSchemaType,
) -> impl Iterator<Item = &'a Value> {
    key.select(payload)
        .into_iter()
        .flat_map(|value| match value {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .filter(move |value| data_type.holds(value))
}
