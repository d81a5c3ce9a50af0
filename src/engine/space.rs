//! The vector a query stage reads — dense, multi-dense or sparse — and how example vectors are
//! prepared and scored against it.
//!
//! [`Space::resolve`] looks up the stage's `using` name once; [`Space::probe`] checks an example
//! or query vector against that kind (dimension, Cosine normalisation, sparse indices sorted and,
//! with `modifier: idf`, reweighted by Qdrant's IDF over the points that have the vector); and
//! [`Space::similarity`] scores a stored row with Qdrant's internal similarity, the one recommend,
//! discover and context queries combine: the distance's similarity for dense vectors, `max_sim`
//! for multivectors, the dot product over shared indices (0 when none) for sparse vectors.

use crate::engine::points::PointTable;
use crate::engine::updates::prepare_vector;
use crate::error::{Error, Result};
use crate::index::multi::MultiStore;
use crate::index::sparse::{self, SparseStore};
use crate::index::vector_store::VectorStore;
use crate::model::collection::{CollectionParams, SparseVectorParams, VectorKind, VectorParams};
use crate::model::vectors::{self, SparseVector, Vector};

/// A stage's vector name, resolved against the collection.
#[derive(Clone, Copy)]
pub(crate) enum Space<'a> {
    Dense {
        params: &'a VectorParams,
        store: Option<&'a VectorStore>,
    },
    Multi {
        params: &'a VectorParams,
        store: Option<&'a MultiStore>,
    },
    Sparse {
        params: &'a SparseVectorParams,
        store: Option<&'a SparseStore>,
    },
}

/// An example or query vector prepared for one space.
#[derive(Clone, Debug)]
pub(crate) enum Probe {
    Dense(Vec<f32>),
    /// Sub-vectors end to end.
    Multi(Vec<f32>),
    Sparse(SparseVector),
}

impl<'a> Space<'a> {
    pub fn resolve(
        params: &'a CollectionParams,
        points: &'a PointTable,
        name: &'a str,
    ) -> Result<Space<'a>> {
        Ok(
            match crate::engine::collection::vector_kind(params, name)? {
                VectorKind::Dense(p) => Space::Dense {
                    params: p,
                    store: points.store(name),
                },
                VectorKind::Multi(p) => Space::Multi {
                    params: p,
                    store: points.multi_store(name),
                },
                VectorKind::Sparse(p) => Space::Sparse {
                    params: p,
                    store: points.sparse_store(name),
                },
            },
        )
    }

    /// Number of rows to scan (offsets, present or not).
    pub fn len(&self) -> usize {
        match self {
            Space::Dense { store, .. } => store.map_or(0, VectorStore::len),
            Space::Multi { store, .. } => store.map_or(0, MultiStore::len),
            Space::Sparse { store, .. } => store.map_or(0, SparseStore::len),
        }
    }

    /// Whether the point at `offset` has this vector.
    pub fn present(&self, offset: u32) -> bool {
        match self {
            Space::Dense { store, .. } => store.is_some_and(|s| s.contains(offset)),
            Space::Multi { store, .. } => store.is_some_and(|s| s.contains(offset)),
            Space::Sparse { store, .. } => store.and_then(|s| s.get(offset)).is_some(),
        }
    }

    /// Checks `vector` against this space (`name` for messages) and prepares it for scoring.
    pub fn probe(&self, params: &CollectionParams, name: &str, vector: Vector) -> Result<Probe> {
        let mut vector = vector;
        prepare_vector(params, name, &mut vector)?;
        Ok(match vector {
            Vector::Dense(d) => Probe::Dense(d),
            Vector::Multi(m) => Probe::Multi(m.concat()),
            Vector::Sparse(s) => Probe::Sparse(self.weigh(s)),
        })
    }

    /// Applies `modifier: idf` to a sparse query: each value times the IDF of its dimension
    /// among the points that have this vector.
    fn weigh(&self, mut query: SparseVector) -> SparseVector {
        if let Space::Sparse {
            params,
            store: Some(store),
        } = self
            && params.uses_idf()
        {
            let n = store.present();
            for (i, x) in query.indices.iter().zip(query.values.iter_mut()) {
                *x *= vectors::idf(store.document_frequency(*i, None), n);
            }
        }
        query
    }

    /// Qdrant's internal similarity of the row at `offset` (present) to `probe`; bigger is
    /// better.
    pub fn similarity(&self, probe: &Probe, offset: u32) -> f32 {
        match (self, probe) {
            (Space::Dense { params, store }, Probe::Dense(q)) => store
                .and_then(|s| s.similarity(params.distance, q, offset))
                .unwrap_or(f32::NEG_INFINITY),
            (Space::Multi { params, store }, Probe::Multi(q)) => store
                .and_then(|s| s.max_sim(params.distance, q, offset))
                .unwrap_or(f32::NEG_INFINITY),
            (Space::Sparse { store, .. }, Probe::Sparse(q)) => store
                .and_then(|s| s.get(offset))
                .map_or(f32::NEG_INFINITY, |row| sparse::dot(q, row).unwrap_or(0.0)),
            _ => f32::NEG_INFINITY,
        }
    }

    /// The `average_vector` recommend target: `avg(pos) + (avg(pos) - avg(neg))` (just
    /// `avg(pos)` without negatives) for dense and sparse vectors; for multivectors, as in
    /// Qdrant, the positives' sub-vectors together with the negatives' negated.
    pub fn average(&self, positive: Vec<Vector>, negative: Vec<Vector>) -> Result<Vector> {
        let wrong = |v: &Vector| {
            Error::BadInput(format!(
                "a {} example for a {} vector",
                v.kind(),
                self.kind()
            ))
        };
        match self {
            Space::Dense { .. } => {
                let pick = |vs: Vec<Vector>| -> Result<Vec<Vec<f32>>> {
                    vs.into_iter()
                        .map(|v| match v {
                            Vector::Dense(d) => Ok(d),
                            other => Err(wrong(&other)),
                        })
                        .collect()
                };
                Ok(Vector::Dense(average_dense(
                    &pick(positive)?,
                    &pick(negative)?,
                )))
            }
            Space::Sparse { .. } => {
                let pick = |vs: Vec<Vector>| -> Result<Vec<SparseVector>> {
                    vs.into_iter()
                        .map(|v| match v {
                            Vector::Sparse(s) => Ok(s.sorted()),
                            other => Err(wrong(&other)),
                        })
                        .collect()
                };
                let (pos, neg) = (pick(positive)?, pick(negative)?);
                let mean = sparse::average(&pos);
                Ok(Vector::Sparse(if neg.is_empty() {
                    mean
                } else {
                    sparse::combine(&mean, &sparse::average(&neg), |p, n| p + p - n)
                }))
            }
            Space::Multi { .. } => {
                let mut out = Vec::new();
                for (vs, sign) in [(positive, 1.0f32), (negative, -1.0)] {
                    for v in vs {
                        match v {
                            Vector::Multi(m) => out.extend(
                                m.into_iter()
                                    .map(|d| d.into_iter().map(|x| x * sign).collect::<Vec<_>>()),
                            ),
                            other => return Err(wrong(&other)),
                        }
                    }
                }
                Ok(Vector::Multi(out))
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Space::Dense { .. } => "dense",
            Space::Multi { .. } => "multi-dense",
            Space::Sparse { .. } => "sparse",
        }
    }
}

/// `avg(positive) + (avg(positive) - avg(negative))`, or `avg(positive)` without negatives.
pub(crate) fn average_dense(positive: &[Vec<f32>], negative: &[Vec<f32>]) -> Vec<f32> {
    let mean = |vs: &[Vec<f32>]| -> Vec<f32> {
        let dim = vs.iter().map(Vec::len).max().unwrap_or(0);
        let mut sum = vec![0.0f32; dim];
        for v in vs {
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
        }
        let n = vs.len().max(1) as f32;
        sum.iter().map(|s| s / n).collect()
    };
    let pos = mean(positive);
    if negative.is_empty() {
        return pos;
    }
    let neg = mean(negative);
    pos.iter().zip(&neg).map(|(p, n)| p + p - n).collect()
}
