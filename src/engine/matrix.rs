//! The distance matrix: a random sample of the filtered points that have the vector, and for
//! each sampled point its `limit` nearest among the other sampled points.
//!
//! Scores are what a search reports (the same exact scan, the same conventions). Samples are
//! listed in id order, so when the sample covers every matching point the answer is fully
//! determined (as in the client's local mode).

use std::collections::HashMap;

use crate::engine::collection::Collection;
use crate::error::{Error, Result};
use crate::index::exact::ExactScan;
use crate::index::{SearchRequest, VectorIndex};
use crate::model::matrix::{DistanceMatrix, MatrixQuery};

/// SplitMix64: a small, well-mixed generator; sampling needs no cryptographic strength.
struct SplitMix(u64);

impl SplitMix {
    fn seeded() -> Result<SplitMix> {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::Internal(format!("the OS random generator failed: {e}")))?;
        Ok(SplitMix(u64::from_le_bytes(seed)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (n > 0); the modulo bias is negligible for collection sizes.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl Collection {
    pub fn search_matrix(&self, query: &MatrixQuery) -> Result<DistanceMatrix> {
        let params = self.search_vector_params(&query.using)?;
        let state = self.state.read();
        let points = &state.points;
        let Some(store) = points.store(&query.using) else {
            return Ok(DistanceMatrix::default());
        };
        let mut candidates: Vec<u32> = state
            .matching_points(query.filter.as_ref())
            .into_iter()
            .map(|(_, offset)| offset)
            .filter(|&offset| store.contains(offset))
            .collect();
        if candidates.len() > query.sample {
            // Partial Fisher–Yates: the first `sample` slots become a uniform random sample.
            let mut rng = SplitMix::seeded()?;
            for i in 0..query.sample {
                let j = i + rng.below(candidates.len() - i);
                candidates.swap(i, j);
            }
            candidates.truncate(query.sample);
        }
        if candidates.len() < 2 {
            return Ok(DistanceMatrix::default());
        }
        candidates.sort_by_key(|&offset| points.id(offset));
        let position: HashMap<u32, usize> = candidates
            .iter()
            .enumerate()
            .map(|(i, &offset)| (offset, i))
            .collect();
        let tie_key = |offset: u32| points.id(offset);
        let scan = ExactScan { store };
        let mut rows = Vec::with_capacity(candidates.len());
        for &sampled in &candidates {
            let Some(vector) = store.vector(sampled) else {
                rows.push(Vec::new());
                continue;
            };
            let accept = |offset: u32| offset != sampled && position.contains_key(&offset);
            let request = SearchRequest {
                query: &vector,
                distance: params.distance,
                top: query.limit,
                accept: &accept,
                score_threshold: None,
                tie_key: &tie_key,
            };
            rows.push(
                scan.search(&request)
                    .into_iter()
                    .filter_map(|hit| Some((*position.get(&hit.offset)?, hit.score)))
                    .collect(),
            );
        }
        Ok(DistanceMatrix {
            ids: candidates.iter().map(|&offset| points.id(offset)).collect(),
            rows,
        })
    }
}
