//! What reads and writes return: records, scored points, update results and page wrappers, in
//! Qdrant's JSON shapes.

use serde::Serialize;

use crate::model::order_by::OrderValue;
use crate::model::vectors::VectorOutput;
use crate::model::{Payload, PointId};

/// A point as returned by retrieve and scroll. `payload`/`vector` appear only when requested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub id: PointId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Payload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<VectorOutput>,
    /// The value the point was ordered by (scroll with `order_by` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_value: Option<OrderValue>,
}

/// A search hit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredPoint {
    pub id: PointId,
    pub version: u64,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Payload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<VectorOutput>,
    /// The value a point was ordered by (an `order_by` query).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_value: Option<OrderValue>,
}

/// `{"points": [...]}` of the universal query.
#[derive(Clone, Debug, Serialize)]
pub struct QueryResponse {
    pub points: Vec<ScoredPoint>,
}

/// One page of a scroll.
#[derive(Clone, Debug, Serialize)]
pub struct ScrollResult {
    pub points: Vec<Record>,
    pub next_page_offset: Option<PointId>,
}

/// `{"count": N}`.
#[derive(Clone, Debug, Serialize)]
pub struct CountResult {
    pub count: u64,
}

/// Whether a write was only accepted or already applied and durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    Acknowledged,
    Completed,
}

/// The result of one write operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateResult {
    pub operation_id: u64,
    pub status: UpdateStatus,
}
