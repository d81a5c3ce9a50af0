//! The domain model: one set of Rust types for collections, points, vectors, payloads, filters,
//! operations, queries and results.
//!
//! REST JSON maps onto these types with serde — their JSON shape *is* Qdrant's JSON shape — and
//! gRPC maps onto them in `api::grpc::convert`. The model depends on nothing else in the crate
//! except the error type; it validates what can be checked without a collection at hand
//! (`validate` methods), while checks that need a collection (dimensions, vector names) live in
//! the engine.

pub mod collection;
pub mod facet;
pub mod filter;
pub mod formula;
pub mod json_path;
pub mod legacy;
pub mod matrix;
pub mod operations;
pub mod order_by;
pub mod payload_index;
pub mod point_id;
pub mod query;
pub mod results;
pub mod telemetry;
pub mod universal;
pub mod vectors;

pub use point_id::PointId;

/// A point's payload: a JSON object. Key order is preserved as the client sent it.
pub type Payload = serde_json::Map<String, serde_json::Value>;
