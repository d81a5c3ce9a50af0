//! The distance matrix: `POST /points/search/matrix/pairs` and `/offsets` — a random sample of
//! points and, for each, its nearest neighbours among the other sampled points.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::PointId;
use crate::model::filter::Filter;

/// Body of both matrix endpoints.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SearchMatrixRequest {
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub sample: Option<usize>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub using: Option<String>,
}

/// A matrix request with defaults applied and validated.
#[derive(Clone, Debug)]
pub struct MatrixQuery {
    pub filter: Option<Filter>,
    pub sample: usize,
    pub limit: usize,
    pub using: String,
}

impl SearchMatrixRequest {
    pub fn into_query(self) -> Result<MatrixQuery> {
        let sample = self.sample.unwrap_or(10);
        let limit = self.limit.unwrap_or(3);
        if sample < 2 {
            return Err(Error::validation(
                "sample",
                &format!("value {sample} invalid, must be 2 or larger"),
            ));
        }
        if limit == 0 {
            return Err(Error::validation(
                "limit",
                "value 0 invalid, must be 1 or larger",
            ));
        }
        if let Some(f) = &self.filter {
            f.validate()?;
        }
        Ok(MatrixQuery {
            filter: self.filter,
            sample,
            limit,
            using: self.using.unwrap_or_default(),
        })
    }
}

/// The engine's answer: sampled ids in id order and, per sampled id (same order), its nearest
/// other samples as (index into `ids`, score), best first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DistanceMatrix {
    pub ids: Vec<PointId>,
    pub rows: Vec<Vec<(usize, f32)>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchMatrixPair {
    pub a: PointId,
    pub b: PointId,
    pub score: f32,
}

/// `{"pairs": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchMatrixPairsResponse {
    pub pairs: Vec<SearchMatrixPair>,
}

/// `{"offsets_row", "offsets_col", "scores", "ids"}`: entry k says `ids[offsets_row[k]]` has
/// `ids[offsets_col[k]]` among its nearest with `scores[k]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchMatrixOffsetsResponse {
    pub offsets_row: Vec<u64>,
    pub offsets_col: Vec<u64>,
    pub scores: Vec<f32>,
    pub ids: Vec<PointId>,
}

impl DistanceMatrix {
    pub fn pairs(&self) -> SearchMatrixPairsResponse {
        let pairs = self
            .rows
            .iter()
            .enumerate()
            .flat_map(|(row, hits)| {
                hits.iter().map(move |&(col, score)| SearchMatrixPair {
                    a: self.ids[row],
                    b: self.ids[col],
                    score,
                })
            })
            .collect();
        SearchMatrixPairsResponse { pairs }
    }

    pub fn offsets(&self) -> SearchMatrixOffsetsResponse {
        let mut out = SearchMatrixOffsetsResponse {
            offsets_row: Vec::new(),
            offsets_col: Vec::new(),
            scores: Vec::new(),
            ids: self.ids.clone(),
        };
        for (row, hits) in self.rows.iter().enumerate() {
            for &(col, score) in hits {
                out.offsets_row.push(row as u64);
                out.offsets_col.push(col as u64);
                out.scores.push(score);
            }
        }
        out
    }
}
