//! Proto ⇄ model for recommend, discover and the groups rpcs. Requests become the REST bodies
//! of `model::legacy` (so both transports share one set of checks); groups results become
//! proto `GroupsResult`s.

use serde_json::{Value as Json, json};

use crate::api::grpc::convert::points::{
    named_vector, query, search_params, strategy_name, usize_from,
};
use crate::api::grpc::convert::{
    opt_filter, record_out, scored_point_out, vector_input, with_payload, with_vectors,
};
use crate::api::grpc::proto;
use crate::error::{Error, Result};
use crate::model::PointId;
use crate::model::legacy::{
    DiscoverRequest, LookupLocation, PointGroup, QueryGroupsRequest, RecommendGroupsRequest,
    RecommendRequest, SearchGroupsRequest, WithLookupInterface,
};

fn id_json(id: proto::PointId) -> Result<Json> {
    let id: PointId = crate::api::grpc::convert::point_id(Some(id))?;
    serde_json::to_value(id).map_err(|e| Error::Internal(e.to_string()))
}

fn vector_json(v: proto::Vector) -> Result<Json> {
    serde_json::to_value(vector_input(v)?).map_err(|e| Error::Internal(e.to_string()))
}

fn examples(ids: Vec<proto::PointId>, vectors: Vec<proto::Vector>) -> Result<Vec<Json>> {
    let mut out = ids.into_iter().map(id_json).collect::<Result<Vec<_>>>()?;
    for v in vectors {
        out.push(vector_json(v)?);
    }
    Ok(out)
}

fn lookup_location(l: Option<proto::LookupLocation>) -> Option<LookupLocation> {
    l.map(|l| LookupLocation {
        collection: l.collection_name,
        vector: l.vector_name,
    })
}

fn with_lookup(w: Option<proto::WithLookup>) -> Result<Option<WithLookupInterface>> {
    w.map(|w| {
        Ok(WithLookupInterface::Full {
            collection: w.collection,
            with_payload: with_payload(w.with_payload)?,
            with_vectors: with_vectors(w.with_vectors),
        })
    })
    .transpose()
}

pub fn recommend(r: proto::RecommendPoints) -> Result<RecommendRequest> {
    Ok(RecommendRequest {
        positive: examples(r.positive, r.positive_vectors)?,
        negative: examples(r.negative, r.negative_vectors)?,
        strategy: r
            .strategy
            .map(strategy_name)
            .transpose()?
            .map(str::to_string),
        filter: opt_filter(r.filter)?,
        params: search_params(r.params),
        limit: usize_from(r.limit),
        offset: r.offset.map(usize_from),
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
        score_threshold: r.score_threshold,
        using: r.using,
        lookup_from: lookup_location(r.lookup_from),
    })
}

pub fn recommend_groups(r: proto::RecommendPointGroups) -> Result<RecommendGroupsRequest> {
    Ok(RecommendGroupsRequest {
        recommend: RecommendRequest {
            positive: examples(r.positive, r.positive_vectors)?,
            negative: examples(r.negative, r.negative_vectors)?,
            strategy: r
                .strategy
                .map(strategy_name)
                .transpose()?
                .map(str::to_string),
            filter: opt_filter(r.filter)?,
            params: search_params(r.params),
            limit: r.limit as usize,
            offset: None,
            with_payload: with_payload(r.with_payload)?,
            with_vector: with_vectors(r.with_vectors),
            score_threshold: r.score_threshold,
            using: r.using,
            lookup_from: lookup_location(r.lookup_from),
        },
        group_by: r.group_by,
        group_size: r.group_size as usize,
        with_lookup: with_lookup(r.with_lookup)?,
    })
}

fn example_json(e: Option<proto::VectorExample>, what: &str) -> Result<Json> {
    use proto::vector_example::Example as E;
    match e.and_then(|e| e.example) {
        Some(E::Id(id)) => id_json(id),
        Some(E::Vector(v)) => vector_json(v),
        None => Err(Error::InvalidMessage(format!("{what} is not specified"))),
    }
}

pub fn discover(r: proto::DiscoverPoints) -> Result<DiscoverRequest> {
    use proto::target_vector::Target;
    let target = match r.target.and_then(|t| t.target) {
        Some(Target::Single(example)) => Some(example_json(Some(example), "TargetVector")?),
        None => None,
    };
    let context = r
        .context
        .into_iter()
        .map(|pair| {
            Ok(json!({
                "positive": example_json(pair.positive, "ContextExamplePair.positive")?,
                "negative": example_json(pair.negative, "ContextExamplePair.negative")?,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DiscoverRequest {
        target,
        context: Some(Json::Array(context)),
        filter: opt_filter(r.filter)?,
        params: search_params(r.params),
        limit: usize_from(r.limit),
        offset: r.offset.map(usize_from),
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
        using: r.using,
        lookup_from: lookup_location(r.lookup_from),
    })
}

pub fn search_groups(r: proto::SearchPointGroups) -> Result<SearchGroupsRequest> {
    Ok(SearchGroupsRequest {
        vector: named_vector(r.vector_name, r.sparse_indices, r.vector),
        filter: opt_filter(r.filter)?,
        params: search_params(r.params),
        with_payload: with_payload(r.with_payload)?,
        with_vector: with_vectors(r.with_vectors),
        score_threshold: r.score_threshold,
        group_by: r.group_by,
        group_size: r.group_size as usize,
        limit: r.limit as usize,
        with_lookup: with_lookup(r.with_lookup)?,
    })
}

pub fn query_groups(r: proto::QueryPointGroups) -> Result<QueryGroupsRequest> {
    let group_by = r.group_by.clone();
    let group_size = r.group_size.map(usize_from);
    let lookup = with_lookup(r.with_lookup.clone())?;
    let points = proto::QueryPoints {
        collection_name: r.collection_name,
        prefetch: r.prefetch,
        query: r.query,
        using: r.using,
        filter: r.filter,
        params: r.params,
        score_threshold: r.score_threshold,
        limit: r.limit,
        offset: None,
        with_vectors: r.with_vectors,
        with_payload: r.with_payload,
        read_consistency: None,
        shard_key_selector: None,
        lookup_from: r.lookup_from,
        timeout: None,
    };
    Ok(QueryGroupsRequest {
        query: query(points)?,
        group_by,
        group_size,
        with_lookup: lookup,
    })
}

fn group_id_out(id: &Json) -> proto::GroupId {
    use proto::group_id::Kind;
    let kind = match id {
        Json::String(s) => Some(Kind::StringValue(s.clone())),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Some(Kind::UnsignedValue(u)),
            (None, Some(i)) => Some(Kind::IntegerValue(i)),
            _ => None,
        },
        _ => None,
    };
    proto::GroupId { kind }
}

pub fn groups_out(groups: &[PointGroup]) -> proto::GroupsResult {
    proto::GroupsResult {
        groups: groups
            .iter()
            .map(|g| proto::PointGroup {
                id: Some(group_id_out(&g.id)),
                hits: g.hits.iter().map(scored_point_out).collect(),
                lookup: g.lookup.as_ref().map(record_out),
            })
            .collect(),
    }
}
