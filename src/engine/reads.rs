//! Reads of one collection: retrieve, scroll, search and the universal query.
//!
//! Every read takes the collection's read lock once, evaluates filters with the one evaluator in
//! `index::filter`, ranks with `index::exact` and selects payload and vector fields on the way
//! out. Results are built while the lock is held and returned as owned values.
//!
//! Count and scroll look only at the points a filter's payload indexes leave
//! (`State::filter_candidates`, a superset; scroll only when those are few) and decide each with
//! `State::admits` (the filter evaluated, unless the indexes answer it exactly): the answers are
//! the same as a pass over every point, in the same id order.

use std::collections::HashSet;

use crate::engine::collection::Collection;
use crate::engine::order_by::order_points;
use crate::engine::points::PointTable;
use crate::error::Result;
use crate::index::filter;
use crate::model::PointId;
use crate::model::filter::Filter;
use crate::model::query::{PayloadSelection, RetrieveQuery, ScrollQuery, VectorSelection};
use crate::model::results::{Record, ScrollResult};
use crate::model::vectors::{DEFAULT_VECTOR, NamedVectors, Vector, VectorOutput};

/// Renders a point's vectors for output: the bare unnamed vector in a single-vector collection,
/// a map by name otherwise.
pub(crate) fn vector_output(
    points: &PointTable,
    offset: u32,
    selection: &VectorSelection,
) -> Option<VectorOutput> {
    if selection.is_none() {
        return None;
    }
    let mut named: NamedVectors = points
        .vectors(offset)
        .into_iter()
        .filter(|(name, _)| selection.wants(name))
        .collect();
    // As in Qdrant: the unnamed dense (or multi-dense) vector alone is returned bare.
    if named.len() == 1
        && let Some(v) = named.get(DEFAULT_VECTOR)
        && !matches!(v, Vector::Sparse(_))
    {
        return named.remove(DEFAULT_VECTOR).map(VectorOutput::Single);
    }
    Some(VectorOutput::Named(named))
}

fn record(
    points: &PointTable,
    id: PointId,
    offset: u32,
    with_payload: &PayloadSelection,
    with_vector: &VectorSelection,
) -> Record {
    Record {
        id,
        payload: with_payload.apply(points.payload(offset)),
        vector: vector_output(points, offset, with_vector),
        order_value: None,
    }
}

/// Scroll uses index candidates when they are at most this part of the points (1/4).
const SCROLL_CANDIDATE_SHARE: usize = 4;

impl Collection {
    /// Counts points matching `filter` (all points without one), looking only at the index
    /// candidates when the filter's indexes bound it.
    pub fn count(&self, filter: Option<&Filter>) -> u64 {
        let state = self.state.read();
        let Some(f) = filter else {
            return state.points.len() as u64;
        };
        state.matching_points(Some(f)).len() as u64
    }

    /// Points by id in request order; missing ids are omitted, duplicates returned once.
    pub fn retrieve(&self, query: &RetrieveQuery) -> Vec<Record> {
        let state = self.state.read();
        let mut seen = HashSet::new();
        query
            .ids
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| {
                let offset = state.points.offset(id)?;
                Some(record(
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
        let state = self.state.read();
        let points = &state.points;
        if let Some(order_by) = &query.order_by {
            let accept = |offset: u32| {
                query
                    .filter
                    .as_ref()
                    .is_none_or(|f| filter::matches(f, &state.view(offset)))
            };
            let ordered = order_points(&state, order_by, &accept, query.limit)?;
            let records = ordered
                .into_iter()
                .map(|(offset, value)| Record {
                    order_value: Some(value),
                    ..record(
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
        // A page stops at `limit` matches, so a scan in id order is cheap when matches are
        // common; the index candidates (sorted by id) pay off when they are a small part.
        let candidates = query
            .filter
            .as_ref()
            .and_then(|f| state.filter_candidates(f))
            .filter(|c| c.len() <= points.len() / SCROLL_CANDIDATE_SHARE);
        let start = query.offset;
        let scope: Box<dyn Iterator<Item = (PointId, u32)>> = match &candidates {
            Some(c) => Box::new(
                state
                    .live_by_id(&c.offsets)
                    .into_iter()
                    .filter(move |(id, _)| start.is_none_or(|s| *id >= s)),
            ),
            None => Box::new(points.iter_from(start)),
        };
        let mut page = scope.filter(|(_, off)| {
            query
                .filter
                .as_ref()
                .is_none_or(|f| state.admits(f, candidates.as_ref(), *off))
        });
        let result: Vec<Record> = page
            .by_ref()
            .take(query.limit)
            .map(|(id, off)| record(points, id, off, &query.with_payload, &query.with_vector))
            .collect();
        Ok(ScrollResult {
            points: result,
            next_page_offset: page.next().map(|(id, _)| id),
        })
    }
}
