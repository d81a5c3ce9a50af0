//! Search structures over one collection's data: distance kernels, vector stores, the exact scan,
//! HNSW graphs and filter evaluation.
//!
//! `index` knows vectors, offsets and payloads; it never calls the engine or storage. Every
//! search structure answers the same question through [`VectorIndex`]: the best `k` offsets for a
//! query among those a predicate accepts. The exact scan ([`exact::ExactScan`]) and the HNSW
//! graph walk ([`hnsw::HnswSearch`]) both implement it.

pub mod distance;
pub mod element;
pub mod exact;
pub mod filter;
pub mod geo;
pub mod hnsw;
pub mod huge_pages;
pub mod multi;
pub mod multi_graph;
pub mod payload;
pub mod quantized;
pub mod sparse;
pub mod text;
pub mod vector_store;

use crate::model::PointId;
use crate::model::vectors::Distance;

/// A scored candidate: a dense offset into the collection's stores and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoredOffset {
    pub offset: u32,
    pub score: f32,
}

/// What a search structure needs to answer one query.
pub struct SearchRequest<'a> {
    /// The query vector, already preprocessed for the distance (normalised for Cosine).
    pub query: &'a [f32],
    pub distance: Distance,
    /// How many results to return (the caller's `offset + limit`).
    pub top: usize,
    /// Offsets a result may have (filter, tombstones, excluded ids); `true` = eligible.
    pub accept: &'a dyn Fn(u32) -> bool,
    /// Scores that do not pass are dropped before ranking.
    pub score_threshold: Option<f32>,
    /// Tie-break for equal scores: the smaller key ranks first (the engine passes point-id order).
    pub tie_key: &'a dyn Fn(u32) -> PointId,
}

/// A structure that finds the nearest vectors to a query.
pub trait VectorIndex {
    fn search(&self, request: &SearchRequest<'_>) -> Vec<ScoredOffset>;
}
