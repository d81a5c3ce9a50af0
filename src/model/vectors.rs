//! Vector shapes: what a client may send for a point's vectors, what a collection declares, and
//! what a read returns.
//!
//! Quiver stores dense `f32` vectors, one unnamed vector (internal name `""`) or any number of
//! named ones. Sparse and multi-vectors parse (so the client gets a clear message rather than a
//! format error) but are rejected by [`VectorStruct::into_dense`] until they are implemented.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the unnamed (default) vector.
pub const DEFAULT_VECTOR: &str = "";

/// How two vectors are compared. Serialised in Qdrant's PascalCase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Distance {
    Cosine,
    Euclid,
    Dot,
    Manhattan,
}

/// A sparse vector as sent by a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// One vector in a request, before Quiver decides whether it can store it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VectorInput {
    Dense(Vec<f32>),
    Multi(Vec<Vec<f32>>),
    Sparse(SparseVector),
}

/// The `vector` field of a point: one unnamed vector or a map of named ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VectorStruct {
    Single(Vec<f32>),
    MultiDense(Vec<Vec<f32>>),
    Named(BTreeMap<String, VectorInput>),
}

/// Dense vectors of one point by name (`""` for the unnamed vector).
pub type NamedDense = BTreeMap<String, Vec<f32>>;

impl VectorInput {
    /// The dense vector, or a clear error for kinds Quiver does not store yet.
    pub fn into_dense(self) -> Result<Vec<f32>> {
        match self {
            VectorInput::Dense(v) => Ok(v),
            VectorInput::Multi(_) => Err(Error::BadInput(
                "multi-vectors are not supported by Quiver yet".into(),
            )),
            VectorInput::Sparse(_) => Err(Error::BadInput(
                "sparse vectors are not supported by Quiver yet".into(),
            )),
        }
    }
}

impl VectorStruct {
    /// Converts to dense vectors by name; the unnamed vector becomes `""`.
    pub fn into_dense(self) -> Result<NamedDense> {
        match self {
            VectorStruct::Single(v) => Ok(BTreeMap::from([(DEFAULT_VECTOR.to_string(), v)])),
            VectorStruct::MultiDense(_) => Err(Error::BadInput(
                "multi-vectors are not supported by Quiver yet".into(),
            )),
            VectorStruct::Named(map) => map
                .into_iter()
                .map(|(name, v)| Ok((name, v.into_dense()?)))
                .collect(),
        }
    }
}

/// Checks that a vector is usable: non-empty and every component finite.
/// `path` names the field in the message (`points[0].vector`).
pub fn validate_dense(path: &str, v: &[f32]) -> Result<()> {
    if v.is_empty() {
        return Err(Error::validation(path, "dense vector must not be empty"));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(Error::BadInput(format!(
            "{path}: vector components must be finite numbers (NaN or infinity found)"
        )));
    }
    Ok(())
}

/// Vectors of a point as returned by reads: the bare unnamed vector or a map of named ones.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum VectorOutput {
    Single(Vec<f32>),
    Named(NamedDense),
}

/// Storage datatype of a dense vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    Float32,
    Float16,
    Uint8,
}
