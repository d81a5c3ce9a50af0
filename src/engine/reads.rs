//! Reads of one collection: retrieve, scroll, search and the universal query.
//!
//! Every read takes the collection's read lock once, evaluates filters with the one evaluator in
//! `index::filter`, ranks with `index::exact` and selects payload and vector fields on the way
//! out. Results are built while the lock is held and returned as owned values.

use std::collections::HashSet;

use crate::engine::collection::{Collection, State, dimension_error};
use crate::engine::order_by::order_points;
use crate::engine::points::PointTable;
use crate::error::{Error, Result};
use crate::index::exact::ExactScan;
use crate::index::{SearchRequest, VectorIndex, distance, filter};
use crate::model::PointId;
use crate::model::collection::VectorsConfig;
use crate::model::query::{
    PayloadSelection, QueryTarget, RetrieveQuery, ScrollQuery, SearchQuery, VectorSelection,
};
use crate::model::results::{Record, ScoredPoint, ScrollResult};
use crate::model::vectors::{DEFAULT_VECTOR, VectorOutput};

/// Renders a point's vectors for output: the bare unnamed vector in a single-vector collection,
/// a map by name otherwise.
pub(crate) fn vector_output(
    vectors: &VectorsConfig,
    points: &PointTable,
    offset: u32,
    selection: &VectorSelection,
) -> Option<VectorOutput> {
    if selection.is_none() {
        return None;
    }
    if let VectorsConfig::Single(_) = vectors {
        if selection.wants(DEFAULT_VECTOR)
            && let Some(v) = points.vector(offset, DEFAULT_VECTOR)
        {
            return Some(VectorOutput::Single(v.to_vec()));
        }
        return Some(VectorOutput::Named(Default::default()));
    }
    Some(VectorOutput::Named(
        points
            .vectors(offset)
            .into_iter()
            .filter(|(name, _)| selection.wants(name))
            .collect(),
    ))
}

fn record(
    vectors: &VectorsConfig,
    points: &PointTable,
    id: PointId,
    offset: u32,
    with_payload: &PayloadSelection,
    with_vector: &VectorSelection,
) -> Record {
    Record {
        id,
        payload: with_payload.apply(points.payload(offset)),
        vector: vector_output(vectors, points, offset, with_vector),
        order_value: None,
    }
}

impl Collection {
    /// Points by id in request order; missing ids are omitted, duplicates returned once.
    pub fn retrieve(&self, query: &RetrieveQuery) -> Vec<Record> {
        let config = self.config.read();
        let state = self.state.read();
        let mut seen = HashSet::new();
        query
            .ids
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| {
                let offset = state.points.offset(id)?;
                Some(record(
                    &config.params.vectors,
                    &state.points,
                    *id,
                    offset,
                    &query.with_payload,
                    &query.with_vector,
                ))
            })
            .collect()
    }

    /// One page of points in id order, starting at `offset` (inclusive); or, with `order_by`,
    /// the first `limit` entries in that order (and no next page, as in Qdrant).
    pub fn scroll(&self, query: &ScrollQuery) -> Result<ScrollResult> {
        let config = self.config.read();
        let state = self.state.read();
        let points = &state.points;
        if let Some(order_by) = &query.order_by {
            let accept = |offset: u32| {
                query
                    .filter
                    .as_ref()
                    .is_none_or(|f| filter::matches(f, &points.view(offset)))
            };
            let ordered = order_points(&state, order_by, &accept, query.limit)?;
            let records = ordered
                .into_iter()
                .map(|(offset, value)| Record {
                    order_value: Some(value),
                    ..record(
                        &config.params.vectors,
                        points,
                        points.id(offset),
                        offset,
                        &query.with_payload,
                        &query.with_vector,
                    )
                })
                .collect();
            return Ok(ScrollResult {
                points: records,
                next_page_offset: None,
            });
        }
        let mut page = points.iter_from(query.offset).filter(|(_, off)| {
            query
                .filter
                .as_ref()
                .is_none_or(|f| filter::matches(f, &points.view(*off)))
        });
        let result: Vec<Record> = page
            .by_ref()
            .take(query.limit)
            .map(|(id, off)| {
                record(
                    &config.params.vectors,
                    points,
                    id,
                    off,
                    &query.with_payload,
                    &query.with_vector,
                )
            })
            .collect();
        Ok(ScrollResult {
            points: result,
            next_page_offset: page.next().map(|(id, _)| id),
        })
    }

    /// Nearest-neighbour search by exact scan.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<ScoredPoint>> {
        let params = self.search_vector_params(&query.using)?;
        let config = self.config.read();
        let state = self.state.read();
        let points = &state.points;
        let (mut vector, exclude) = match &query.target {
            QueryTarget::Vector(v) => (v.clone(), None),
            QueryTarget::Point(id) => (point_vector(&state, id, &query.using)?, Some(*id)),
        };
        if vector.len() != params.size as usize {
            return Err(dimension_error(params.size as usize, vector.len(), ""));
        }
        distance::preprocess(params.distance, &mut vector);
        let Some(store) = points.store(&query.using) else {
            return Ok(Vec::new());
        };
        let accept = |offset: u32| {
            points.is_live(offset)
                && exclude.is_none_or(|ex| points.id(offset) != ex)
                && query
                    .filter
                    .as_ref()
                    .is_none_or(|f| filter::matches(f, &points.view(offset)))
        };
        let tie_key = |offset: u32| points.id(offset);
        let request = SearchRequest {
            query: &vector,
            distance: params.distance,
            top: query.offset.saturating_add(query.limit),
            accept: &accept,
            score_threshold: query.score_threshold,
            tie_key: &tie_key,
        };
        let hits = ExactScan { store }.search(&request);
        Ok(hits
            .into_iter()
            .skip(query.offset)
            .map(|hit| {
                let id = points.id(hit.offset);
                ScoredPoint {
                    id,
                    version: points.version(hit.offset),
                    score: hit.score,
                    order_value: None,
                    payload: query.with_payload.apply(points.payload(hit.offset)),
                    vector: vector_output(
                        &config.params.vectors,
                        points,
                        hit.offset,
                        &query.with_vector,
                    ),
                }
            })
            .collect())
    }
}

/// The stored vector of point `id` used as a query.
fn point_vector(state: &State, id: &PointId, using: &str) -> Result<Vec<f32>> {
    let offset = state
        .points
        .offset(id)
        .ok_or_else(|| Error::NotFound(format!("No point with id {id} found")))?;
    state
        .points
        .vector(offset, using)
        .map(<[f32]>::to_vec)
        .ok_or_else(|| {
            Error::BadInput(format!(
                "Point {id} has no vector named `{using}` to search with"
            ))
        })
}
