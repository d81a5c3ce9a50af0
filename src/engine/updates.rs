//! Applying point writes to a collection: all-or-nothing, persisted before acknowledged.
//!
//! [`Collection::update`] validates every operation against the collection config, then applies
//! them in order to the in-memory table while journaling each touched point's previous state.
//! If any operation fails (a missing id, say) the journal restores every touched point and the
//! request changes nothing. On success the final state of every touched point is written to sled
//! in one atomic batch; with `wait` the call returns only after a (shared) flush.

use std::collections::HashMap;

use crate::engine::collection::{Collection, State, dimension_error};
use crate::error::{Error, Result};
use crate::index::{distance, element, filter};
use crate::model::PointId;
use crate::model::collection::{CollectionConfig, CollectionParams, VectorKind, VectorParams};
use crate::model::json_path;
use crate::model::operations::{PointOperation, Selector, UpdateMode};
use crate::model::results::{UpdateResult, UpdateStatus};
use crate::model::vectors::{Datatype, NamedVectors, Vector};
use crate::storage::StoredPoint;

/// Previous states of the points an update touched, for rollback and for persistence.
#[derive(Default)]
struct Journal {
    before: HashMap<PointId, Option<StoredPoint>>,
}

impl Journal {
    fn touch(&mut self, state: &State, id: PointId) {
        self.before
            .entry(id)
            .or_insert_with(|| state.points.stored(&id));
    }

    fn rollback(self, state: &mut State) {
        for (id, previous) in self.before {
            state.points.restore(id, previous);
        }
    }
}

impl Collection {
    /// Applies `ops` in order as one all-or-nothing update. Returns one result per operation.
    pub async fn update(
        &self,
        mut ops: Vec<PointOperation>,
        wait: bool,
    ) -> Result<Vec<UpdateResult>> {
        {
            let config = self.config.read();
            for op in ops.iter_mut() {
                prepare(&config, op)?;
            }
        }
        let first_op = {
            let mut state = self.state.write();
            let first_op = state.next_op;
            let mut journal = Journal::default();
            for (i, op) in ops.iter().enumerate() {
                if let Err(e) = apply(&mut state, &mut journal, op, first_op + i as u64) {
                    journal.rollback(&mut state);
                    return Err(e);
                }
            }
            let changes: Vec<(PointId, Option<StoredPoint>)> = journal
                .before
                .keys()
                .map(|id| (*id, state.points.stored(id)))
                .collect();
            let next_op = first_op + ops.len() as u64;
            if let Err(e) = self.storage.write_points(self.uid, &changes, next_op) {
                journal.rollback(&mut state);
                return Err(e);
            }
            state.next_op = next_op;
            let generation = state.points.generation();
            state.points.compact_if_needed();
            let renumbered = state.points.generation() != generation;
            state.index_written(changes.iter().map(|(id, _)| *id), renumbered);
            first_op
        };
        self.schedule_indexing();
        let status = if wait {
            self.storage.flush().await?;
            UpdateStatus::Completed
        } else {
            UpdateStatus::Acknowledged
        };
        Ok((0..ops.len() as u64)
            .map(|i| UpdateResult {
                operation_id: first_op + i,
                status,
            })
            .collect())
    }
}

/// Checks vector names, kinds and dimensions against the config and prepares vectors for
/// storage (Cosine normalisation, sparse indices sorted), before anything is applied.
fn prepare(config: &CollectionConfig, op: &mut PointOperation) -> Result<()> {
    let check = |vectors: &mut NamedVectors| -> Result<()> {
        for (name, v) in vectors.iter_mut() {
            prepare_vector(&config.params, name, v)?;
        }
        Ok(())
    };
    match op {
        PointOperation::Upsert(u) => {
            for p in u.points.iter_mut() {
                check(&mut p.vectors)?;
            }
        }
        PointOperation::UpdateVectors { points, .. } => {
            for (_, vectors) in points.iter_mut() {
                check(vectors)?;
            }
        }
        PointOperation::DeleteVectors { names, .. } => {
            for name in names.iter() {
                if config.params.vector_kind(name).is_none() {
                    return Err(Error::BadInput(format!(
                        "Not existing vector name error: {name}"
                    )));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks one vector against what its name holds and prepares it: a query vector goes through
/// the same as a stored one.
pub(crate) fn prepare_vector(params: &CollectionParams, name: &str, v: &mut Vector) -> Result<()> {
    let Some(kind) = params.vector_kind(name) else {
        return Err(Error::BadInput(format!(
            "Not existing vector name error: {name}"
        )));
    };
    match (kind, v) {
        (VectorKind::Dense(p), Vector::Dense(d)) => {
            if d.len() != p.size as usize {
                return Err(dimension_error(p.size as usize, d.len(), name));
            }
            prepare_dense(p, name, d)?;
        }
        (VectorKind::Multi(p), Vector::Multi(m)) => {
            for d in m.iter_mut() {
                if d.len() != p.size as usize {
                    return Err(dimension_error(p.size as usize, d.len(), name));
                }
                prepare_dense(p, name, d)?;
            }
        }
        (VectorKind::Sparse(_), Vector::Sparse(s)) => {
            *s = std::mem::take(s).sorted();
        }
        // Qdrant's words for a vector of the wrong kind.
        (VectorKind::Sparse(_), _) | (_, Vector::Sparse(_)) => {
            return Err(Error::BadInput(
                "Conversion between sparse and regular vectors failed".into(),
            ));
        }
        _ => {
            return Err(Error::BadInput(
                "Conversion between multi and regular vectors failed".into(),
            ));
        }
    }
    Ok(())
}

/// Normalises a dense (sub-)vector for Cosine and rounds it to the vector's datatype, so that
/// it holds exactly what the store will keep and a read will return. uint8 vectors are never
/// normalised: Qdrant keeps (and returns) the bytes and scores Cosine on them as the true
/// cosine. A value the datatype cannot hold fails the whole request.
fn prepare_dense(p: &VectorParams, name: &str, d: &mut [f32]) -> Result<()> {
    let datatype = p.datatype.unwrap_or(Datatype::Float32);
    if datatype != Datatype::Uint8 {
        distance::preprocess(p.distance, d);
    }
    element::round_to(datatype, d).map_err(|problem| match name {
        "" => Error::BadInput(format!("vector: {problem}")),
        _ => Error::BadInput(format!("vector '{name}': {problem}")),
    })
}

fn missing_point(id: &PointId) -> Error {
    Error::NotFound(format!("No point with id {id} found"))
}

/// The ids a selector addresses. With `require_existing`, a listed id that does not exist fails
/// the whole update (Qdrant answers 404 for payload and vector operations on missing points).
fn select(state: &State, selector: &Selector, require_existing: bool) -> Result<Vec<PointId>> {
    match selector {
        Selector::Ids(ids) => {
            if require_existing && let Some(id) = ids.iter().find(|id| !state.points.contains(id)) {
                return Err(missing_point(id));
            }
            Ok(ids
                .iter()
                .filter(|id| state.points.contains(id))
                .copied()
                .collect())
        }
        Selector::Filter(f) => Ok(state
            .matching_points(Some(f))
            .into_iter()
            .map(|(id, _)| id)
            .collect()),
    }
}

fn matches_filter(state: &State, id: &PointId, f: &Option<crate::model::filter::Filter>) -> bool {
    match (f, state.points.offset(id)) {
        (None, _) => true,
        (Some(f), Some(off)) => filter::matches(f, &state.view(off)),
        (Some(_), None) => false,
    }
}

fn apply(
    state: &mut State,
    journal: &mut Journal,
    op: &PointOperation,
    version: u64,
) -> Result<()> {
    match op {
        PointOperation::Upsert(u) => {
            for p in &u.points {
                let exists = state.points.contains(&p.id);
                let skip = match u.mode {
                    UpdateMode::Upsert => false,
                    UpdateMode::InsertOnly => exists,
                    UpdateMode::UpdateOnly => !exists,
                } || (exists && !matches_filter(state, &p.id, &u.update_filter));
                if skip {
                    continue;
                }
                journal.touch(state, p.id);
                state
                    .points
                    .insert(p.id, &p.vectors, p.payload.clone(), version);
            }
        }
        PointOperation::Delete(selector) => {
            for id in select(state, selector, false)? {
                journal.touch(state, id);
                state.points.remove(&id);
            }
        }
        PointOperation::SetPayload {
            selector,
            payload,
            key,
        } => {
            for id in select(state, selector, true)? {
                journal.touch(state, id);
                if let Some(target) = state.points.payload_mut(&id, version) {
                    json_path::set_payload_at(target, key.as_ref(), payload);
                }
            }
        }
        PointOperation::OverwritePayload { selector, payload } => {
            for id in select(state, selector, true)? {
                journal.touch(state, id);
                if let Some(target) = state.points.payload_mut(&id, version) {
                    *target = payload.clone();
                }
            }
        }
        PointOperation::DeletePayload { selector, keys } => {
            for id in select(state, selector, true)? {
                journal.touch(state, id);
                if let Some(target) = state.points.payload_mut(&id, version) {
                    for key in keys {
                        json_path::delete_at(target, key);
                    }
                }
            }
        }
        PointOperation::ClearPayload(selector) => {
            for id in select(state, selector, true)? {
                journal.touch(state, id);
                if let Some(target) = state.points.payload_mut(&id, version) {
                    target.clear();
                }
            }
        }
        PointOperation::UpdateVectors {
            points,
            update_filter,
        } => {
            if let Some((id, _)) = points.iter().find(|(id, _)| !state.points.contains(id)) {
                return Err(missing_point(id));
            }
            for (id, vectors) in points {
                if !matches_filter(state, id, update_filter) {
                    continue;
                }
                let Some(offset) = state.points.offset(id) else {
                    continue;
                };
                journal.touch(state, *id);
                let mut merged = state.points.vectors(offset);
                merged.extend(vectors.iter().map(|(k, v)| (k.clone(), v.clone())));
                let payload = state.points.payload(offset).clone();
                state.points.insert(*id, &merged, payload, version);
            }
        }
        PointOperation::DeleteVectors { selector, names } => {
            for id in select(state, selector, true)? {
                journal.touch(state, id);
                for name in names {
                    state.points.remove_vector(&id, name, version);
                }
            }
        }
    }
    Ok(())
}
