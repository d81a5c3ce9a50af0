//! Explore-the-data messages: facet counts and the distance matrix.

use crate::api::grpc::convert::{json_path, opt_filter, point_id_out};
use crate::api::grpc::proto;
use crate::error::Result;
use crate::model::facet::{FacetHit, FacetRequest, FacetValue};
use crate::model::matrix::{DistanceMatrix, SearchMatrixRequest};

fn usize_from(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

pub fn facet(r: proto::FacetCounts) -> Result<FacetRequest> {
    Ok(FacetRequest {
        key: json_path(r.key)?,
        limit: r.limit.map(usize_from),
        filter: opt_filter(r.filter)?,
        exact: r.exact,
    })
}

pub fn facet_hit_out(hit: &FacetHit) -> proto::FacetHit {
    use proto::facet_value::Variant;
    let variant = match &hit.value {
        FacetValue::String(s) => Variant::StringValue(s.clone()),
        FacetValue::Integer(i) => Variant::IntegerValue(*i),
        FacetValue::Bool(b) => Variant::BoolValue(*b),
    };
    proto::FacetHit {
        value: Some(proto::FacetValue {
            variant: Some(variant),
        }),
        count: hit.count,
    }
}

pub fn search_matrix(r: proto::SearchMatrixPoints) -> Result<SearchMatrixRequest> {
    Ok(SearchMatrixRequest {
        filter: opt_filter(r.filter)?,
        sample: r.sample.map(usize_from),
        limit: r.limit.map(usize_from),
        using: r.using,
    })
}

pub fn matrix_pairs_out(m: &DistanceMatrix) -> proto::SearchMatrixPairs {
    proto::SearchMatrixPairs {
        pairs: m
            .pairs()
            .pairs
            .into_iter()
            .map(|p| proto::SearchMatrixPair {
                a: Some(point_id_out(p.a)),
                b: Some(point_id_out(p.b)),
                score: p.score,
            })
            .collect(),
    }
}

pub fn matrix_offsets_out(m: &DistanceMatrix) -> proto::SearchMatrixOffsets {
    let o = m.offsets();
    proto::SearchMatrixOffsets {
        offsets_row: o.offsets_row,
        offsets_col: o.offsets_col,
        scores: o.scores,
        ids: o.ids.into_iter().map(point_id_out).collect(),
    }
}
