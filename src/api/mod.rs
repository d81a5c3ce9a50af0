//! Transports. Each converts its wire form into the model, calls the engine, and renders the
//! result; none holds search, filter or validation logic of its own.

pub mod grpc;
pub mod rest;
