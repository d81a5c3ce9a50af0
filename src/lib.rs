//! # Quiver
//!
//! An embedded, Qdrant-compatible vector server. One binary (and this library) serves Qdrant's
//! REST API for collections, points, payloads, filters and search, keeping data in sled.
//!
//! ## Map of the code
//!
//! A request flows `api::rest` → `engine::Engine` → `engine::Collection` → `index` / `storage`:
//!
//! | module | owns |
//! |---|---|
//! | [`settings`] | `config/config.yaml` layering, `QDRANT__…` overrides, validation |
//! | [`server`] | binding the listener, start-up, graceful shutdown; [`Server`] is the embedding API |
//! | [`error`] | the one [`Error`] type and its HTTP status mapping |
//! | [`model`] | domain types whose JSON shape is Qdrant's: ids, vectors, payloads, filters, configs, operations, queries, results |
//! | [`engine`] | the registry of collections and aliases; per collection: all-or-nothing updates (`updates.rs`), reads (`reads.rs`), the point table (`points.rs`) |
//! | [`index`] | distance kernels and score conventions, vector stores, the exact scan (behind [`index::VectorIndex`], where HNSW will plug in), the one filter evaluator |
//! | [`storage`] | sled layout, value encoding with format versions, group-commit flushes |
//! | [`api::rest`] | axum router, one file per API area, the envelope and body limits |
//!
//! Not yet here (each has its own issue): gRPC, API keys and TLS, HNSW and payload indexes,
//! the rest of the query family (recommend, discover, fusion, groups, facets).
//!
//! ## Embedding
//!
//! ```no_run
//! # async fn demo() -> quiver::error::Result<()> {
//! let server = quiver::Server::start_in_memory().await?;
//! println!("REST API at {}", server.rest_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod api;
pub mod engine;
pub mod error;
pub mod index;
pub mod model;
pub mod server;
pub mod settings;
pub mod storage;

pub use error::Error;
pub use server::Server;
pub use settings::Settings;
