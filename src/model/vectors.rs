//! Vector shapes: what a client may send for a point's vectors, what a collection declares, and
//! what a read returns.
//!
//! A collection has dense vectors (one unnamed vector, internal name `""`, or any number of named
//! ones; each optionally a multivector of several sub-vectors per point) and sparse vectors
//! (always named). [`Vector`] is one vector of any kind as sent and as stored; which kind a name
//! takes is the collection's config, checked by the engine.

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

/// A sparse vector: `values[i]` is the weight of dimension `indices[i]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    /// Checks the vector as Qdrant does: as many values as indices, no index twice, finite
    /// values. `path` names the field in the message (`points[0].vector.text`).
    pub fn validate(&self, path: &str) -> Result<()> {
        let mut problems = Vec::new();
        if self.indices.len() != self.values.len() {
            problems.push(format!(
                "{}: must be the same length as indices",
                join(path, "values")
            ));
        }
        let mut seen = self.indices.clone();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            problems.push(format!("{}: must be unique", join(path, "indices")));
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems.join("; ")));
        }
        if self.values.iter().any(|x| !x.is_finite()) {
            return Err(Error::BadInput(format!(
                "{path}: vector components must be finite numbers (NaN or infinity found)"
            )));
        }
        Ok(())
    }

    /// The same vector with its indices in ascending order (how it is stored and returned).
    pub fn sorted(mut self) -> SparseVector {
        if self.indices.windows(2).all(|w| w[0] < w[1]) {
            return self;
        }
        let mut pairs: Vec<(u32, f32)> = self.indices.into_iter().zip(self.values).collect();
        pairs.sort_by_key(|p| p.0);
        (self.indices, self.values) = pairs.into_iter().unzip();
        self
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// One vector of any kind, as a request carries it and as a point stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Vector {
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
    Named(BTreeMap<String, Vector>),
}

/// Vectors of one point by name (`""` for the unnamed vector).
pub type NamedVectors = BTreeMap<String, Vector>;

impl Vector {
    /// Checks what can be checked without the collection: non-empty, finite, well-formed.
    pub fn validate(&self, path: &str) -> Result<()> {
        match self {
            Vector::Dense(v) => validate_dense(path, v),
            Vector::Multi(m) => {
                if m.is_empty() {
                    return Err(Error::validation(path, "multivector must not be empty"));
                }
                let dim = m[0].len();
                for v in m {
                    validate_dense(path, v)?;
                    if v.len() != dim {
                        return Err(Error::validation(
                            path,
                            "all vectors of a multivector must have the same dimension",
                        ));
                    }
                }
                Ok(())
            }
            Vector::Sparse(s) => s.validate(path),
        }
    }

    /// What kind of vector this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Vector::Dense(_) => "dense",
            Vector::Multi(_) => "multi-dense",
            Vector::Sparse(_) => "sparse",
        }
    }
}

impl VectorStruct {
    /// The vectors by name; the unnamed vector becomes `""`.
    pub fn into_named(self) -> NamedVectors {
        match self {
            VectorStruct::Single(v) => {
                BTreeMap::from([(DEFAULT_VECTOR.to_string(), Vector::Dense(v))])
            }
            VectorStruct::MultiDense(m) => {
                BTreeMap::from([(DEFAULT_VECTOR.to_string(), Vector::Multi(m))])
            }
            VectorStruct::Named(map) => map,
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
    Single(Vector),
    Named(NamedVectors),
}

/// Storage datatype of a dense vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    Float32,
    Float16,
    Uint8,
}

/// How a multivector's sub-vectors are compared with a query's: `max_sim` is the only comparator
/// (Σ over query sub-vectors of the best similarity among the point's sub-vectors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiVectorComparator {
    MaxSim,
}

/// `multivector_config` of a dense vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiVectorConfig {
    pub comparator: MultiVectorComparator,
}

/// `modifier` of a sparse vector: `idf` reweights query values by inverse document frequency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    #[default]
    None,
    Idf,
}

/// Qdrant's inverse document frequency of a dimension present in `df` of `n` documents.
pub fn idf(df: usize, n: usize) -> f32 {
    let (df, n) = (df as f64, n as f64);
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln() as f32
}
