//! The gRPC API driven with the official Rust client (`qdrant-client`): collections, points,
//! payloads, search/query, errors with Qdrant's status codes, and the transport extras (health,
//! gzip, unserved rpcs, shutdown). Every test also reads the same data over REST, to show both
//! transports share one engine.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{TestServer, error_message};
use qdrant_client::qdrant::point_id::PointIdOptions;
use qdrant_client::qdrant::value::Kind;
use qdrant_client::qdrant::vector_output::Vector as VectorKind;
use qdrant_client::qdrant::vectors_config::Config as VectorsConfigKind;
use qdrant_client::qdrant::vectors_output::VectorsOptions;
use qdrant_client::qdrant::{
    ClearPayloadPointsBuilder, CollectionInfo, CollectionStatus, Condition, CountPointsBuilder,
    CreateAliasBuilder, CreateCollectionBuilder, DeletePayloadPointsBuilder,
    DeletePointVectorsBuilder, DeletePointsBuilder, Distance, Filter, GetPointsBuilder,
    PayloadIncludeSelector, PointId, PointStruct, PointVectors, PointsIdsList,
    PointsOperationResponse, Query, QueryPointsBuilder, Range, RetrievedPoint, ScoredPoint,
    ScrollPointsBuilder, SearchPointsBuilder, SetPayloadPointsBuilder, UpdatePointVectorsBuilder,
    UpdateStatus, UpsertPointsBuilder, Value, VectorInput, VectorParams, VectorParamsBuilder,
    VectorsConfigBuilder, VectorsOutput, VectorsSelector,
};
use qdrant_client::{Payload, Qdrant, QdrantError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tonic::Code;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A client for the server's gRPC port, built the way the crate's documentation shows (this
/// runs the client's version check, a `qdrant.Qdrant/HealthCheck`, on a helper thread, so the
/// tests use the multi-threaded runtime).
fn client(s: &TestServer) -> Qdrant {
    Qdrant::from_url(&s.grpc_url())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client builds")
}

/// The gRPC status inside a client error.
fn status(err: QdrantError) -> tonic::Status {
    match err {
        QdrantError::ResponseError { status } => status,
        QdrantError::ResourceExhaustedError { status, .. } => status,
        other => panic!("expected a gRPC status, got: {other}"),
    }
}

/// The status of a call that must fail.
fn expect_status<T: std::fmt::Debug>(result: Result<T, QdrantError>) -> tonic::Status {
    status(result.expect_err("the call must fail"))
}

fn payload(value: serde_json::Value) -> Payload {
    Payload::try_from(value).expect("a JSON object")
}

/// A proto payload as JSON (integers stay integers, doubles stay doubles).
fn to_json(map: &HashMap<String, Value>) -> serde_json::Value {
    serde_json::Value::from(Payload::from(map.clone()))
}

fn num(id: &Option<PointId>) -> u64 {
    match id.as_ref().and_then(|p| p.point_id_options.as_ref()) {
        Some(PointIdOptions::Num(n)) => *n,
        other => panic!("expected an integer id, got {other:?}"),
    }
}

/// An id for comparisons with REST: a number, or the UUID text.
fn id_json(id: &Option<PointId>) -> serde_json::Value {
    match id.as_ref().and_then(|p| p.point_id_options.as_ref()) {
        Some(PointIdOptions::Num(n)) => json!(n),
        Some(PointIdOptions::Uuid(u)) => json!(u),
        None => panic!("a point without id"),
    }
}

fn scored_ids(points: &[ScoredPoint]) -> Vec<u64> {
    points.iter().map(|p| num(&p.id)).collect()
}

fn retrieved_ids(points: &[RetrievedPoint]) -> Vec<serde_json::Value> {
    points.iter().map(|p| id_json(&p.id)).collect()
}

/// A dense vector as the server emits it: the `dense` oneof, never the deprecated `data`.
#[allow(deprecated)]
fn dense_of(v: &qdrant_client::qdrant::VectorOutput) -> Vec<f32> {
    assert!(
        v.data.is_empty(),
        "deprecated VectorOutput.data must be left empty: {v:?}"
    );
    match &v.vector {
        Some(VectorKind::Dense(d)) => d.data.clone(),
        other => panic!("expected the dense oneof, got {other:?}"),
    }
}

/// The unnamed vector of a point.
fn unnamed_vector(v: &Option<VectorsOutput>) -> Vec<f32> {
    match v.as_ref().and_then(|v| v.vectors_options.as_ref()) {
        Some(VectorsOptions::Vector(v)) => dense_of(v),
        other => panic!("expected the unnamed vector, got {other:?}"),
    }
}

/// The named vectors of a point.
fn named_vectors(v: &Option<VectorsOutput>) -> HashMap<String, Vec<f32>> {
    match v.as_ref().and_then(|v| v.vectors_options.as_ref()) {
        Some(VectorsOptions::Vectors(named)) => named
            .vectors
            .iter()
            .map(|(name, v)| (name.clone(), dense_of(v)))
            .collect(),
        other => panic!("expected named vectors, got {other:?}"),
    }
}

fn assert_completed(response: &PointsOperationResponse) {
    let result = response.result.as_ref().expect("an UpdateResult");
    assert_eq!(
        result.status,
        UpdateStatus::Completed as i32,
        "wait=true answers Completed: {response:?}"
    );
}

fn normalised(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    normalised(a)
        .iter()
        .zip(normalised(b))
        .map(|(x, y)| x * y)
        .sum()
}

fn assert_close(actual: &[f32], expected: &[f32]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-5, "{actual:?} vs {expected:?}");
    }
}

async fn create_cosine(client: &Qdrant, name: &str) {
    let reply = client
        .create_collection(
            CreateCollectionBuilder::new(name)
                .vectors_config(VectorParamsBuilder::new(4, Distance::Cosine)),
        )
        .await
        .expect("create collection");
    assert!(reply.result);
}

/// A collection with two named vectors, `img` (3, Euclid) and `txt` (2, Dot).
async fn create_named(client: &Qdrant, name: &str) {
    let mut vectors = VectorsConfigBuilder::default();
    vectors.add_named_vector_params("img", VectorParamsBuilder::new(3, Distance::Euclid));
    vectors.add_named_vector_params("txt", VectorParamsBuilder::new(2, Distance::Dot));
    let reply = client
        .create_collection(CreateCollectionBuilder::new(name).vectors_config(vectors))
        .await
        .expect("create named collection");
    assert!(reply.result);
}

async fn info(client: &Qdrant, name: &str) -> CollectionInfo {
    client
        .collection_info(name)
        .await
        .expect("collection info")
        .result
        .expect("info present")
}

fn city(i: u64) -> &'static str {
    ["Berlin", "Paris", "Rome"][(i % 3) as usize]
}

/// Twenty points with seeded random vectors and mixed payloads, plus one UUID point.
fn seeded_points() -> Vec<(u64, Vec<f32>)> {
    let mut rng = StdRng::seed_from_u64(20240611);
    (1..=20)
        .map(|i| (i, (0..4).map(|_| rng.gen_range(-1.0f32..1.0)).collect()))
        .collect()
}

const UUID: &str = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";

fn seeded_payload(i: u64) -> serde_json::Value {
    json!({
        "city": city(i),
        "price": i * 10,
        "rating": i as f64 + 0.5,
        "tags": [format!("t{}", i % 2), "all"],
        "meta": {"owner": {"name": format!("u{i}")}, "active": i.is_multiple_of(2)},
        "note": null
    })
}

/// Creates `docs` (4-dim Cosine) and fills it over gRPC with `wait=true`.
async fn seeded(client: &Qdrant) -> Vec<(u64, Vec<f32>)> {
    create_cosine(client, "docs").await;
    let data = seeded_points();
    let mut points: Vec<PointStruct> = data
        .iter()
        .map(|(i, v)| PointStruct::new(*i, v.clone(), payload(seeded_payload(*i))))
        .collect();
    // The UUID in its simple upper-case form: it must come back lower-case hyphenated.
    points.push(PointStruct::new(
        "5C56C79369F34FBF87E6C4BF54C28C26",
        vec![0.5, 0.5, 0.5, 0.5],
        payload(json!({"city": "Oslo", "price": 5})),
    ));
    let reply = client
        .upsert_points(UpsertPointsBuilder::new("docs", points).wait(true))
        .await
        .expect("upsert");
    assert_completed(&reply);
    data
}

/// Every point (ids, payloads, vectors) over gRPC, page by page.
async fn grpc_snapshot(client: &Qdrant, name: &str) -> Vec<RetrievedPoint> {
    let mut all = Vec::new();
    let mut offset: Option<PointId> = None;
    loop {
        let mut request = ScrollPointsBuilder::new(name)
            .limit(7)
            .with_payload(true)
            .with_vectors(true);
        if let Some(o) = offset.take() {
            request = request.offset(o);
        }
        let page = client.scroll(request).await.expect("scroll");
        all.extend(page.result);
        match page.next_page_offset {
            Some(next) => offset = Some(next),
            None => return all,
        }
    }
}

async fn grpc_count(client: &Qdrant, name: &str, filter: Option<Filter>) -> u64 {
    let mut request = CountPointsBuilder::new(name).exact(true);
    if let Some(f) = filter {
        request = request.filter(f);
    }
    client
        .count(request)
        .await
        .expect("count")
        .result
        .expect("count result")
        .count
}

// ---------------------------------------------------------------------------------------------
// 1. Happy path
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_lifecycle_over_grpc_is_seen_over_rest() {
    let s = TestServer::start().await;
    let c = client(&s);
    create_cosine(&c, "docs").await;
    create_named(&c, "multi").await;

    // Unnamed vector config.
    let docs = info(&c, "docs").await;
    assert_eq!(docs.status, CollectionStatus::Green as i32);
    assert_eq!(docs.points_count, Some(0));
    let params = docs.config.as_ref().unwrap().params.as_ref().unwrap();
    match params
        .vectors_config
        .as_ref()
        .and_then(|v| v.config.as_ref())
    {
        Some(VectorsConfigKind::Params(p)) => {
            assert_eq!((p.size, p.distance), (4, Distance::Cosine as i32));
        }
        other => panic!("expected unnamed params, got {other:?}"),
    }
    // Named vectors config.
    let multi = info(&c, "multi").await;
    let params = multi.config.as_ref().unwrap().params.as_ref().unwrap();
    let map: HashMap<String, VectorParams> = match params
        .vectors_config
        .as_ref()
        .and_then(|v| v.config.as_ref())
    {
        Some(VectorsConfigKind::ParamsMap(m)) => m.map.clone(),
        other => panic!("expected a params map, got {other:?}"),
    };
    assert_eq!(map.len(), 2);
    assert_eq!(
        (map["img"].size, map["img"].distance),
        (3, Distance::Euclid as i32)
    );
    assert_eq!(
        (map["txt"].size, map["txt"].distance),
        (2, Distance::Dot as i32)
    );

    // List, over both transports.
    let mut names: Vec<String> = c
        .list_collections()
        .await
        .expect("list")
        .collections
        .into_iter()
        .map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(names, ["docs", "multi"]);
    let (code, body) = s.call("GET", "/collections", None).await;
    assert_eq!(code, 200);
    assert_eq!(
        body["result"]["collections"],
        json!([{"name": "docs"}, {"name": "multi"}])
    );
    let (_, body) = s.call("GET", "/collections/multi", None).await;
    assert_eq!(
        body["result"]["config"]["params"]["vectors"],
        json!({"img": {"size": 3, "distance": "Euclid"}, "txt": {"size": 2, "distance": "Dot"}})
    );

    // Exists.
    assert!(c.collection_exists("docs").await.expect("exists"));
    assert!(!c.collection_exists("nope").await.expect("exists"));

    // Aliases: create, list (all and per collection), use, delete.
    let reply = c
        .create_alias(CreateAliasBuilder::new("docs", "current"))
        .await
        .expect("create alias");
    assert!(reply.result);
    let aliases = c.list_aliases().await.expect("list aliases").aliases;
    assert_eq!(aliases.len(), 1);
    assert_eq!(
        (
            aliases[0].alias_name.as_str(),
            aliases[0].collection_name.as_str()
        ),
        ("current", "docs")
    );
    let per = c
        .list_collection_aliases("docs")
        .await
        .expect("collection aliases")
        .aliases;
    assert_eq!(per, aliases);
    assert!(
        c.list_collection_aliases("multi")
            .await
            .expect("collection aliases")
            .aliases
            .is_empty()
    );
    let (_, body) = s.call("GET", "/aliases", None).await;
    assert_eq!(
        body["result"]["aliases"],
        json!([{"alias_name": "current", "collection_name": "docs"}])
    );
    // The alias resolves wherever a collection name is accepted.
    assert!(c.collection_exists("current").await.expect("exists"));
    let via_alias = info(&c, "current").await;
    assert_eq!(via_alias.config, docs.config);
    // An alias made over REST is visible over gRPC.
    s.create_alias("multi", "rest-made").await;
    let mut all: Vec<(String, String)> = c
        .list_aliases()
        .await
        .expect("list aliases")
        .aliases
        .into_iter()
        .map(|a| (a.alias_name, a.collection_name))
        .collect();
    all.sort();
    assert_eq!(
        all,
        [
            ("current".to_string(), "docs".to_string()),
            ("rest-made".to_string(), "multi".to_string())
        ]
    );
    let reply = c.delete_alias("current").await.expect("delete alias");
    assert!(reply.result);
    assert!(!c.collection_exists("current").await.expect("exists"));
    let (_, body) = s.call("GET", "/collections/docs/aliases", None).await;
    assert_eq!(body["result"]["aliases"], json!([]));

    // Delete.
    let reply = c.delete_collection("multi").await.expect("delete");
    assert!(reply.result);
    assert!(!c.collection_exists("multi").await.expect("exists"));
    let (code, _) = s.call("GET", "/collections/multi", None).await;
    assert_eq!(code, 404);
    let (_, body) = s.call("GET", "/aliases", None).await;
    assert_eq!(
        body["result"]["aliases"],
        json!([]),
        "deleting a collection drops its aliases"
    );
    // A collection created over REST is listed over gRPC.
    s.create_collection("from-rest", 2, "Dot").await;
    let mut names: Vec<String> = c
        .list_collections()
        .await
        .expect("list")
        .collections
        .into_iter()
        .map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(names, ["docs", "from-rest"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upserted_points_keep_ids_payload_types_and_normalised_vectors() {
    let s = TestServer::start().await;
    let c = client(&s);
    let data = seeded(&c).await;

    // Collection info counts them.
    assert_eq!(info(&c, "docs").await.points_count, Some(21));

    // Get by id: request order, missing ids omitted, the UUID back in canonical form.
    let got = c
        .get_points(
            GetPointsBuilder::new(
                "docs",
                vec![PointId::from(3), PointId::from(999), UUID.into(), 1.into()],
            )
            .with_payload(true)
            .with_vectors(true),
        )
        .await
        .expect("get")
        .result;
    assert_eq!(retrieved_ids(&got), [json!(3), json!(UUID), json!(1)]);

    let p3 = &got[0];
    assert_close(&unnamed_vector(&p3.vectors), &normalised(&data[2].1));
    // Integer and double payload values stay distinct kinds.
    assert_eq!(p3.payload["price"].kind, Some(Kind::IntegerValue(30)));
    assert_eq!(p3.payload["rating"].kind, Some(Kind::DoubleValue(3.5)));
    assert_eq!(p3.payload["note"].kind, Some(Kind::NullValue(0)));
    assert_eq!(
        p3.payload["city"].kind,
        Some(Kind::StringValue("Berlin".into()))
    );
    assert_eq!(to_json(&p3.payload), seeded_payload(3));
    assert_eq!(
        to_json(&got[1].payload),
        json!({"city": "Oslo", "price": 5})
    );

    // REST sees the same point, payload types included.
    let (code, body) = s.call("GET", "/collections/docs/points/3", None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["result"]["payload"], seeded_payload(3));
    assert!(body["result"]["payload"]["price"].is_u64());
    assert!(body["result"]["payload"]["rating"].is_f64());
    let rest_vector: Vec<f32> = serde_json::from_value(body["result"]["vector"].clone()).unwrap();
    assert_close(&rest_vector, &unnamed_vector(&p3.vectors));
    let (code, body) = s
        .call(
            "GET",
            "/collections/docs/points/5c56c79369f34fbf87e6c4bf54c28c26",
            None,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["result"]["id"], json!(UUID));

    // A point written over REST with 7 and 7.0 reads back over gRPC as integer and double.
    s.upsert(
        "docs",
        json!([{"id": 100, "vector": [1.0, 2.0, 3.0, 4.0], "payload": {"n": 7, "x": 7.0, "big": -9007199254740993_i64}}]),
    )
    .await;
    let got = c
        .get_points(GetPointsBuilder::new("docs", vec![PointId::from(100)]).with_payload(true))
        .await
        .expect("get")
        .result;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload["n"].kind, Some(Kind::IntegerValue(7)));
    assert_eq!(got[0].payload["x"].kind, Some(Kind::DoubleValue(7.0)));
    assert_eq!(
        got[0].payload["big"].kind,
        Some(Kind::IntegerValue(-9007199254740993))
    );
    assert!(got[0].vectors.is_none(), "vectors were not asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_with_filter_ranks_by_cosine_and_matches_rest() {
    let s = TestServer::start().await;
    let c = client(&s);
    let data = seeded(&c).await;
    let query = vec![0.3f32, -0.2, 0.9, 0.1];
    let filter = Filter::must([
        Condition::matches("city", "Berlin".to_string()),
        Condition::range(
            "price",
            Range {
                gte: Some(50.0),
                lt: Some(170.0),
                ..Default::default()
            },
        ),
    ]);
    // Berlin is every third id; price 50..170 keeps 6, 9, 12, 15.
    let mut expected: Vec<(u64, f32)> = data
        .iter()
        .filter(|(i, _)| [6, 9, 12, 15].contains(i))
        .map(|(i, v)| (*i, cosine(&query, v)))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));

    let found = c
        .search_points(
            SearchPointsBuilder::new("docs", query.clone(), 3)
                .filter(filter.clone())
                .with_payload(PayloadIncludeSelector::new(vec!["city".to_string()])),
        )
        .await
        .expect("search")
        .result;
    assert_eq!(
        scored_ids(&found),
        expected.iter().take(3).map(|e| e.0).collect::<Vec<_>>()
    );
    for (point, (_, score)) in found.iter().zip(&expected) {
        assert!((point.score - score).abs() < 1e-5, "{point:?} vs {score}");
        assert_eq!(to_json(&point.payload), json!({"city": "Berlin"}));
        assert!(point.vectors.is_none());
    }
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score));

    // Same request over REST: same ids, same scores.
    let (code, body) = s
        .call(
            "POST",
            "/collections/docs/points/search",
            Some(json!({
                "vector": query,
                "limit": 3,
                "filter": {"must": [
                    {"key": "city", "match": {"value": "Berlin"}},
                    {"key": "price", "range": {"gte": 50, "lt": 170}}
                ]}
            })),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let rest: Vec<(u64, f64)> = body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_u64().unwrap(), p["score"].as_f64().unwrap()))
        .collect();
    assert_eq!(rest.len(), found.len());
    for ((rid, rscore), point) in rest.iter().zip(&found) {
        assert_eq!(*rid, num(&point.id));
        assert!((*rscore as f32 - point.score).abs() < 1e-6);
    }

    // offset skips the best result; score_threshold keeps only strictly better ones.
    let shifted = c
        .search_points(
            SearchPointsBuilder::new("docs", query.clone(), 3)
                .filter(filter.clone())
                .offset(1),
        )
        .await
        .expect("search")
        .result;
    assert_eq!(
        scored_ids(&shifted),
        expected.iter().skip(1).map(|e| e.0).collect::<Vec<_>>()
    );
    let threshold = expected[1].1;
    let above = c
        .search_points(
            SearchPointsBuilder::new("docs", query, 10)
                .filter(filter)
                .score_threshold(threshold),
        )
        .await
        .expect("search")
        .result;
    assert_eq!(scored_ids(&above), [expected[0].0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scroll_pages_with_selectors_and_count_with_filter() {
    let s = TestServer::start().await;
    let c = client(&s);
    let data = seeded(&c).await;

    // Pagination: ids ascending, the UUID after every integer, next_page_offset inclusive.
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut offset: Option<PointId> = None;
    loop {
        let mut request = ScrollPointsBuilder::new("docs")
            .limit(8)
            .with_payload(PayloadIncludeSelector::new(vec![
                "price".to_string(),
                "meta.owner".to_string(),
            ]))
            .with_vectors(false);
        let advertised = offset.as_ref().map(|o| id_json(&Some(o.clone())));
        if let Some(o) = offset.take() {
            request = request.offset(o);
        }
        let page = c.scroll(request).await.expect("scroll");
        pages += 1;
        if let Some(first) = advertised {
            // `next_page_offset` is inclusive: the next page starts exactly there.
            assert_eq!(id_json(&page.result[0].id), first);
        }
        for p in &page.result {
            assert!(p.vectors.is_none(), "with_vectors=false");
            let keys: Vec<&String> = p.payload.keys().collect();
            assert!(
                keys.iter().all(|k| *k == "price" || *k == "meta"),
                "only included keys: {keys:?}"
            );
            if id_json(&p.id) != json!(UUID) {
                let i = num(&p.id);
                assert_eq!(
                    to_json(&p.payload),
                    json!({"price": i * 10, "meta": {"owner": {"name": format!("u{i}")}}})
                );
            }
        }
        ids.extend(retrieved_ids(&page.result));
        match page.next_page_offset {
            Some(next) => offset = Some(next),
            None => break,
        }
        assert!(pages < 10, "pagination must end");
    }
    let mut expected: Vec<serde_json::Value> = (1..=20).map(|i| json!(i)).collect();
    expected.push(json!(UUID));
    assert_eq!(ids, expected);
    assert_eq!(pages, 3);

    // A page from the middle, with vectors and a filter.
    let page = c
        .scroll(
            ScrollPointsBuilder::new("docs")
                .offset(10)
                .limit(2)
                .filter(Filter::must([Condition::matches(
                    "city",
                    "Berlin".to_string(),
                )]))
                .with_payload(false)
                .with_vectors(true),
        )
        .await
        .expect("scroll");
    assert_eq!(retrieved_ids(&page.result), [json!(12), json!(15)]);
    assert_eq!(page.next_page_offset.map(|p| num(&Some(p))), Some(18));
    assert!(page.result[0].payload.is_empty());
    assert_close(
        &unnamed_vector(&page.result[0].vectors),
        &normalised(&data[11].1),
    );

    // REST pages agree.
    let (code, body) = s
        .call(
            "POST",
            "/collections/docs/points/scroll",
            Some(json!({"offset": 10, "limit": 2, "filter": {"must": [{"key": "city", "match": {"value": "Berlin"}}]}})),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["result"]["next_page_offset"], json!(18));
    let rest_ids: Vec<u64> = body["result"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(rest_ids, [12, 15]);

    // Count, with and without filters, on both transports.
    assert_eq!(grpc_count(&c, "docs", None).await, 21);
    let berlin = Filter::must([Condition::matches("city", "Berlin".to_string())]);
    assert_eq!(grpc_count(&c, "docs", Some(berlin)).await, 6);
    let cheap_paris = Filter::must([
        Condition::matches("city", "Paris".to_string()),
        Condition::range(
            "price",
            Range {
                lte: Some(90.0),
                ..Default::default()
            },
        ),
    ]);
    // Paris is 1, 4, 7, …; price <= 90 keeps 1, 4, 7.
    assert_eq!(grpc_count(&c, "docs", Some(cheap_paris)).await, 3);
    let nested = Filter::must([Condition::matches("meta.owner.name", "u7".to_string())]);
    assert_eq!(grpc_count(&c, "docs", Some(nested)).await, 1);
    let any_tag = Filter::must([Condition::matches("tags", "t1".to_string())]);
    assert_eq!(grpc_count(&c, "docs", Some(any_tag)).await, 10);
    let (_, body) = s
        .call(
            "POST",
            "/collections/docs/points/count",
            Some(json!({"filter": {"must": [{"key": "tags", "match": {"value": "t1"}}]}})),
        )
        .await;
    assert_eq!(body["result"]["count"], json!(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_set_overwrite_delete_and_clear() {
    let s = TestServer::start().await;
    let c = client(&s);
    create_cosine(&c, "docs").await;
    let points = vec![
        PointStruct::new(
            1,
            vec![1.0, 0.0, 0.0, 0.0],
            payload(json!({"a": 1, "b": "x", "obj": {"k": 1}})),
        ),
        PointStruct::new(2, vec![0.0, 1.0, 0.0, 0.0], payload(json!({"a": 2}))),
        PointStruct::new(
            3,
            vec![0.0, 0.0, 1.0, 0.0],
            payload(json!({"a": 3, "c": true})),
        ),
    ];
    c.upsert_points(UpsertPointsBuilder::new("docs", points).wait(true))
        .await
        .expect("upsert");

    // Set (merge) on ids.
    let reply = c
        .set_payload(
            SetPayloadPointsBuilder::new("docs", payload(json!({"b": "y", "n": 2.5})))
                .points_selector(PointsIdsList::from(vec![1u64, 2]))
                .wait(true),
        )
        .await
        .expect("set payload");
    assert_completed(&reply);
    // Set at a nested key.
    c.set_payload(
        SetPayloadPointsBuilder::new("docs", payload(json!({"j": 2})))
            .points_selector(PointsIdsList::from(vec![1u64]))
            .key("obj")
            .wait(true),
    )
    .await
    .expect("set payload at key");
    // Overwrite.
    let reply = c
        .overwrite_payload(
            SetPayloadPointsBuilder::new("docs", payload(json!({"only": 1})))
                .points_selector(PointsIdsList::from(vec![2u64]))
                .wait(true),
        )
        .await
        .expect("overwrite payload");
    assert_completed(&reply);
    // Delete keys, selecting by filter (has_id) and with a nested path.
    let reply = c
        .delete_payload(
            DeletePayloadPointsBuilder::new("docs", vec!["a".to_string(), "obj.k".to_string()])
                .points_selector(Filter::must([Condition::has_id([1u64])]))
                .wait(true),
        )
        .await
        .expect("delete payload");
    assert_completed(&reply);
    // Clear.
    let reply = c
        .clear_payload(
            ClearPayloadPointsBuilder::new("docs")
                .points(PointsIdsList::from(vec![3u64]))
                .wait(true),
        )
        .await
        .expect("clear payload");
    assert_completed(&reply);
    // Set by a filter on an integer match.
    c.set_payload(
        SetPayloadPointsBuilder::new("docs", payload(json!({"flag": true})))
            .points_selector(Filter::must([Condition::matches("only", 1i64)]))
            .wait(true),
    )
    .await
    .expect("set payload by filter");

    let expected = [
        json!({"b": "y", "n": 2.5, "obj": {"j": 2}}),
        json!({"only": 1, "flag": true}),
        json!({}),
    ];
    let got = c
        .get_points(
            GetPointsBuilder::new("docs", vec![PointId::from(1), 2.into(), 3.into()])
                .with_payload(true),
        )
        .await
        .expect("get")
        .result;
    let got: Vec<serde_json::Value> = got.iter().map(|p| to_json(&p.payload)).collect();
    assert_eq!(got, expected);
    assert_eq!(
        c.get_points(GetPointsBuilder::new("docs", vec![PointId::from(1)]).with_payload(true))
            .await
            .unwrap()
            .result[0]
            .payload["n"]
            .kind,
        Some(Kind::DoubleValue(2.5))
    );
    // REST sees the same payloads.
    let rest: Vec<serde_json::Value> = s
        .all_points("docs")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["payload"].clone())
        .collect();
    assert_eq!(rest, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_points_by_ids_and_by_filter() {
    let s = TestServer::start().await;
    let c = client(&s);
    seeded(&c).await;

    let reply = c
        .delete_points(
            DeletePointsBuilder::new("docs")
                .points(PointsIdsList::from(vec![1u64, 2, 999]))
                .wait(true),
        )
        .await
        .expect("delete by ids");
    assert_completed(&reply);
    assert_eq!(grpc_count(&c, "docs", None).await, 19);

    let reply = c
        .delete_points(
            DeletePointsBuilder::new("docs")
                .points(Filter::must([Condition::matches(
                    "city",
                    "Berlin".to_string(),
                )]))
                .wait(true),
        )
        .await
        .expect("delete by filter");
    assert_completed(&reply);
    // 21 - {1, 2} - Berlin {3, 6, 9, 12, 15, 18} = 13.
    assert_eq!(grpc_count(&c, "docs", None).await, 13);
    let remaining = retrieved_ids(&grpc_snapshot(&c, "docs").await);
    let mut expected: Vec<serde_json::Value> =
        (3..=20).filter(|i| i % 3 != 0).map(|i| json!(i)).collect();
    expected.push(json!(UUID));
    assert_eq!(remaining, expected);
    let rest: Vec<serde_json::Value> = s
        .all_points("docs")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(rest, expected);
    assert_eq!(info(&c, "docs").await.points_count, Some(13));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_nearest_to_a_vector_and_to_a_point_id() {
    let s = TestServer::start().await;
    let c = client(&s);
    let data = seeded(&c).await;

    // Nearest to a vector (UUID point included in the candidates).
    let query = vec![-0.4f32, 0.8, 0.1, -0.3];
    let mut expected: Vec<(serde_json::Value, f32)> = data
        .iter()
        .map(|(i, v)| (json!(i), cosine(&query, v)))
        .collect();
    expected.push((json!(UUID), cosine(&query, &[0.5, 0.5, 0.5, 0.5])));
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let found = c
        .query(
            QueryPointsBuilder::new("docs")
                .query(Query::new_nearest(query.clone()))
                .limit(5)
                .with_payload(true),
        )
        .await
        .expect("query")
        .result;
    let ids: Vec<serde_json::Value> = found.iter().map(|p| id_json(&p.id)).collect();
    assert_eq!(
        ids,
        expected
            .iter()
            .take(5)
            .map(|e| e.0.clone())
            .collect::<Vec<_>>()
    );
    for (p, (_, score)) in found.iter().zip(&expected) {
        assert!((p.score - score).abs() < 1e-5);
        assert!(!p.payload.is_empty(), "with_payload=true");
    }
    let (code, body) = s
        .call(
            "POST",
            "/collections/docs/points/query",
            Some(json!({"query": query, "limit": 5})),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let rest: Vec<serde_json::Value> = body["result"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(rest, ids);

    // Nearest to point 4: the point itself is excluded.
    let anchor = &data[3].1;
    let mut expected: Vec<(u64, f32)> = data
        .iter()
        .filter(|(i, _)| *i != 4)
        .map(|(i, v)| (*i, cosine(anchor, v)))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let found = c
        .query(
            QueryPointsBuilder::new("docs")
                .query(Query::new_nearest(VectorInput::new_id(4)))
                .filter(Filter::must_not([Condition::has_id([UUID])]))
                .limit(4),
        )
        .await
        .expect("query by id")
        .result;
    assert_eq!(
        scored_ids(&found),
        expected.iter().take(4).map(|e| e.0).collect::<Vec<_>>()
    );

    // A missing point id is NotFound.
    let st = expect_status(
        c.query(
            QueryPointsBuilder::new("docs").query(Query::new_nearest(VectorInput::new_id(777))),
        )
        .await,
    );
    assert_eq!(st.code(), Code::NotFound, "{st:?}");
    assert_eq!(st.message(), "Not found: No point with id 777 found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_vectors_update_delete_and_query_using() {
    let s = TestServer::start().await;
    let c = client(&s);
    create_named(&c, "multi").await;
    let both = |img: Vec<f32>, txt: Vec<f32>| {
        HashMap::from([("img".to_string(), img), ("txt".to_string(), txt)])
    };
    let points = vec![
        PointStruct::new(
            1,
            both(vec![1.0, 0.0, 0.0], vec![1.0, 0.0]),
            payload(json!({})),
        ),
        PointStruct::new(
            2,
            both(vec![0.0, 1.0, 0.0], vec![0.0, 1.0]),
            payload(json!({})),
        ),
        PointStruct::new(
            3,
            HashMap::from([("img".to_string(), vec![0.0, 0.0, 1.0])]),
            payload(json!({})),
        ),
    ];
    let reply = c
        .upsert_points(UpsertPointsBuilder::new("multi", points).wait(true))
        .await
        .expect("upsert named");
    assert_completed(&reply);

    // Euclid: lower is better, the scores are distances.
    let found = c
        .query(
            QueryPointsBuilder::new("multi")
                .query(Query::new_nearest(vec![0.9, 0.1, 0.0]))
                .using("img"),
        )
        .await
        .expect("query img")
        .result;
    assert_eq!(scored_ids(&found), [1, 2, 3]);
    assert!((found[0].score - 0.02f32.sqrt()).abs() < 1e-5);
    assert!(found.windows(2).all(|w| w[0].score <= w[1].score));
    // Dot on `txt`: point 3 has no `txt` and is not a candidate.
    let query_txt = || {
        QueryPointsBuilder::new("multi")
            .query(Query::new_nearest(vec![1.0, 0.5]))
            .using("txt")
            .with_vectors(true)
    };
    let found = c.query(query_txt()).await.expect("query txt").result;
    assert_eq!(scored_ids(&found), [1, 2]);
    assert_eq!(
        named_vectors(&found[0].vectors),
        both(vec![1.0, 0.0, 0.0], vec![1.0, 0.0])
    );
    // The legacy search rpc with a vector name agrees.
    let searched = c
        .search_points(SearchPointsBuilder::new("multi", vec![1.0, 0.5], 10).vector_name("txt"))
        .await
        .expect("search txt")
        .result;
    assert_eq!(scored_ids(&searched), [1, 2]);

    // Update only `txt` of point 3: its `img` stays.
    let reply = c
        .update_vectors(
            UpdatePointVectorsBuilder::new(
                "multi",
                vec![PointVectors {
                    id: Some(3.into()),
                    vectors: Some(HashMap::from([("txt".to_string(), vec![2.0, 2.0])]).into()),
                }],
            )
            .wait(true),
        )
        .await
        .expect("update vectors");
    assert_completed(&reply);
    let found = c.query(query_txt()).await.expect("query txt").result;
    assert_eq!(scored_ids(&found), [3, 1, 2]);
    assert!((found[0].score - 3.0).abs() < 1e-6);
    assert_eq!(
        named_vectors(&found[0].vectors),
        both(vec![0.0, 0.0, 1.0], vec![2.0, 2.0])
    );

    // Delete `txt` of point 1.
    let reply = c
        .delete_vectors(
            DeletePointVectorsBuilder::new("multi")
                .points_selector(PointsIdsList::from(vec![1u64]))
                .vectors(VectorsSelector::new(vec!["txt".to_string()]))
                .wait(true),
        )
        .await
        .expect("delete vectors");
    assert_completed(&reply);
    let found = c.query(query_txt()).await.expect("query txt").result;
    assert_eq!(scored_ids(&found), [3, 2]);

    // Get with a vector-name selector.
    let got = c
        .get_points(
            GetPointsBuilder::new("multi", vec![PointId::from(1), 3.into()])
                .with_vectors(VectorsSelector::new(vec!["txt".to_string()])),
        )
        .await
        .expect("get")
        .result;
    assert_eq!(named_vectors(&got[0].vectors), HashMap::new());
    assert_eq!(
        named_vectors(&got[1].vectors),
        HashMap::from([("txt".to_string(), vec![2.0, 2.0])])
    );

    // REST sees the same vectors.
    let (_, body) = s.call("GET", "/collections/multi/points/1", None).await;
    assert_eq!(body["result"]["vector"], json!({"img": [1.0, 0.0, 0.0]}));
    let (_, body) = s.call("GET", "/collections/multi/points/3", None).await;
    assert_eq!(
        body["result"]["vector"],
        json!({"img": [0.0, 0.0, 1.0], "txt": [2.0, 2.0]})
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Bad input: Qdrant's status codes, REST's message text, nothing changed
// ---------------------------------------------------------------------------------------------

/// `docs` (4-dim Dot) with two points, and its contents over both transports.
async fn small(s: &TestServer, c: &Qdrant) -> (Vec<RetrievedPoint>, serde_json::Value) {
    s.create_collection("docs", 4, "Dot").await;
    let points = vec![
        PointStruct::new(
            1,
            vec![1.0, 0.0, 0.0, 0.0],
            payload(json!({"city": "Berlin"})),
        ),
        PointStruct::new(
            2,
            vec![0.0, 1.0, 0.0, 0.0],
            payload(json!({"city": "Paris"})),
        ),
    ];
    c.upsert_points(UpsertPointsBuilder::new("docs", points).wait(true))
        .await
        .expect("upsert");
    (grpc_snapshot(c, "docs").await, s.all_points("docs").await)
}

async fn assert_unchanged(
    s: &TestServer,
    c: &Qdrant,
    before: &(Vec<RetrievedPoint>, serde_json::Value),
) {
    assert_eq!(grpc_snapshot(c, "docs").await, before.0);
    assert_eq!(s.all_points("docs").await, before.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_dimension_upsert_is_invalid_argument_and_changes_nothing() {
    let s = TestServer::start().await;
    let c = client(&s);
    let before = small(&s, &c).await;
    let points = vec![
        PointStruct::new(3, vec![1.0, 2.0, 3.0, 4.0], payload(json!({}))),
        PointStruct::new(4, vec![1.0, 2.0, 3.0], payload(json!({}))),
    ];
    let st = expect_status(
        c.upsert_points(UpsertPointsBuilder::new("docs", points).wait(true))
            .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    let (code, body) = s
        .call(
            "PUT",
            "/collections/docs/points?wait=true",
            Some(json!({"points": [
                {"id": 3, "vector": [1.0, 2.0, 3.0, 4.0]},
                {"id": 4, "vector": [1.0, 2.0, 3.0]}
            ]})),
        )
        .await;
    assert_eq!(code, 400);
    assert_eq!(st.message(), error_message(&body));
    assert_eq!(
        st.message(),
        "Wrong input: Vector dimension error: expected dim: 4, got 3"
    );
    // Also with wait=false: the dimension is checked before anything is written.
    let st = expect_status(
        c.upsert_points(
            UpsertPointsBuilder::new(
                "docs",
                vec![PointStruct::new(5, vec![1.0], payload(json!({})))],
            )
            .wait(false),
        )
        .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    // And a query vector of the wrong size.
    let st = expect_status(
        c.query(QueryPointsBuilder::new("docs").query(Query::new_nearest(vec![1.0, 2.0])))
            .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    assert_eq!(
        st.message(),
        "Wrong input: Vector dimension error: expected dim: 4, got 2"
    );
    assert_unchanged(&s, &c, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_collection_is_not_found_with_rest_text() {
    let s = TestServer::start().await;
    let c = client(&s);
    let before = small(&s, &c).await;
    let (code, body) = s.call("GET", "/collections/nope", None).await;
    assert_eq!(code, 404);
    let rest = error_message(&body);
    assert_eq!(rest, "Not found: Collection `nope` doesn't exist!");

    let statuses = [
        (
            "collection_info",
            expect_status(c.collection_info("nope").await),
        ),
        (
            "scroll",
            expect_status(c.scroll(ScrollPointsBuilder::new("nope")).await),
        ),
        (
            "count",
            expect_status(c.count(CountPointsBuilder::new("nope")).await),
        ),
        (
            "upsert",
            expect_status(
                c.upsert_points(
                    UpsertPointsBuilder::new(
                        "nope",
                        vec![PointStruct::new(1, vec![1.0], payload(json!({})))],
                    )
                    .wait(true),
                )
                .await,
            ),
        ),
        (
            "search",
            expect_status(
                c.search_points(SearchPointsBuilder::new("nope", vec![1.0], 3))
                    .await,
            ),
        ),
        (
            "query",
            expect_status(
                c.query(QueryPointsBuilder::new("nope").query(Query::new_nearest(vec![1.0])))
                    .await,
            ),
        ),
        (
            "get",
            expect_status(
                c.get_points(GetPointsBuilder::new("nope", vec![PointId::from(1)]))
                    .await,
            ),
        ),
        (
            "delete points",
            expect_status(
                c.delete_points(
                    DeletePointsBuilder::new("nope")
                        .points(PointsIdsList::from(vec![1u64]))
                        .wait(true),
                )
                .await,
            ),
        ),
        (
            "create alias",
            expect_status(c.create_alias(CreateAliasBuilder::new("nope", "a")).await),
        ),
    ];
    for (rpc, st) in statuses {
        assert_eq!(st.code(), Code::NotFound, "{rpc}: {st:?}");
        assert_eq!(st.message(), rest, "{rpc}");
    }
    assert_unchanged(&s, &c, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_uuid_point_id_is_invalid_argument_and_changes_nothing() {
    let s = TestServer::start().await;
    let c = client(&s);
    let before = small(&s, &c).await;
    let st = expect_status(
        c.upsert_points(
            UpsertPointsBuilder::new(
                "docs",
                vec![
                    PointStruct::new(7, vec![1.0, 1.0, 1.0, 1.0], payload(json!({}))),
                    PointStruct::new("not-a-uuid", vec![1.0, 1.0, 1.0, 1.0], payload(json!({}))),
                ],
            )
            .wait(true),
        )
        .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    assert_eq!(st.message(), "Unable to parse UUID: not-a-uuid");
    // The same id in reads and deletes.
    let st = expect_status(
        c.get_points(GetPointsBuilder::new(
            "docs",
            vec![PointId::from("not-a-uuid")],
        ))
        .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    let st = expect_status(
        c.delete_points(
            DeletePointsBuilder::new("docs")
                .points(PointsIdsList::from(vec!["not-a-uuid"]))
                .wait(true),
        )
        .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    // A PointId with neither case set.
    let st = expect_status(
        c.get_points(GetPointsBuilder::new("docs", vec![PointId::default()]))
            .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    assert_eq!(st.message(), "No ID options provided");
    assert_unchanged(&s, &c, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_conversion_errors_carry_qdrants_grpc_text() {
    use qdrant_client::qdrant::WithPayloadSelector;

    let s = TestServer::start().await;
    let c = client(&s);
    let before = small(&s, &c).await;
    let invalid = |st: tonic::Status, text: &str| {
        assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
        assert_eq!(st.message(), text);
    };
    // A point without an id.
    let mut point = PointStruct::new(9, vec![1.0, 0.0, 0.0, 0.0], payload(json!({})));
    point.id = None;
    invalid(
        expect_status(
            c.upsert_points(UpsertPointsBuilder::new("docs", vec![point]).wait(true))
                .await,
        ),
        "Empty ID is not allowed",
    );
    // A payload selector message with no case set.
    let mut request = GetPointsBuilder::new("docs", vec![PointId::from(1)]).build();
    request.with_payload = Some(WithPayloadSelector {
        selector_options: None,
    });
    invalid(
        expect_status(c.get_points(request).await),
        "No PayloadSelector",
    );
    // A filter key that is not a JSON path.
    invalid(
        expect_status(
            c.count(
                CountPointsBuilder::new("docs")
                    .filter(Filter::must([Condition::matches("a..b", 1i64)])),
            )
            .await,
        ),
        "Invalid json path: 'a..b'",
    );
    // A payload number JSON cannot hold.
    let nan = Payload::from(HashMap::from([(
        "f".to_string(),
        Value {
            kind: Some(Kind::DoubleValue(f64::NAN)),
        },
    )]));
    invalid(
        expect_status(
            c.upsert_points(
                UpsertPointsBuilder::new(
                    "docs",
                    vec![PointStruct::new(9, vec![1.0, 0.0, 0.0, 0.0], nan)],
                )
                .wait(true),
            )
            .await,
        ),
        "cannot convert to json number",
    );
    assert_unchanged(&s, &c, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_existing_collection_is_already_exists_and_keeps_it() {
    let s = TestServer::start().await;
    let c = client(&s);
    let before = small(&s, &c).await;
    let config_before = info(&c, "docs").await.config;
    let st = expect_status(
        c.create_collection(
            CreateCollectionBuilder::new("docs")
                .vectors_config(VectorParamsBuilder::new(8, Distance::Euclid)),
        )
        .await,
    );
    assert_eq!(st.code(), Code::AlreadyExists, "{st:?}");
    let (code, body) = s
        .call(
            "PUT",
            "/collections/docs",
            Some(json!({"vectors": {"size": 8, "distance": "Euclid"}})),
        )
        .await;
    assert_eq!(code, 409);
    assert_eq!(st.message(), error_message(&body));
    assert_eq!(
        st.message(),
        "Wrong input: Collection `docs` already exists!"
    );
    assert_eq!(info(&c, "docs").await.config, config_before);
    assert_unchanged(&s, &c, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_zero_is_invalid_argument() {
    let s = TestServer::start().await;
    let c = client(&s);
    let before = small(&s, &c).await;
    let expected = "Validation error in body: [limit: value 0 invalid, must be 1 or larger]";
    let st = expect_status(
        c.search_points(SearchPointsBuilder::new(
            "docs",
            vec![1.0, 0.0, 0.0, 0.0],
            0,
        ))
        .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    assert_eq!(st.message(), expected);
    let st = expect_status(
        c.query(
            QueryPointsBuilder::new("docs")
                .query(Query::new_nearest(vec![1.0, 0.0, 0.0, 0.0]))
                .limit(0),
        )
        .await,
    );
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    assert_eq!(st.message(), expected);
    let st = expect_status(c.scroll(ScrollPointsBuilder::new("docs").limit(0)).await);
    assert_eq!(st.code(), Code::InvalidArgument, "{st:?}");
    assert_eq!(st.message(), expected);
    // REST reports the same validation problem (422, "JSON body").
    let (code, body) = s
        .call(
            "POST",
            "/collections/docs/points/search",
            Some(json!({"vector": [1.0, 0.0, 0.0, 0.0], "limit": 0})),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(
        error_message(&body),
        expected.replace("in body", "in JSON body")
    );
    assert_unchanged(&s, &c, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_over_max_request_size_is_refused_and_changes_nothing() {
    let mut settings = quiver::Settings::in_memory();
    settings.service.max_request_size_mb = 1;
    let s = TestServer::start_with(settings).await;
    let c = client(&s);
    s.create_collection("docs", 4, "Dot").await;
    let points = |n: u64| -> Vec<PointStruct> {
        (0..n)
            .map(|i| PointStruct::new(i, vec![0.25, 0.5, 0.75, 1.0], payload(json!({}))))
            .collect()
    };
    let st = expect_status(
        c.upsert_points(UpsertPointsBuilder::new("docs", points(40_000)).wait(true))
            .await,
    );
    assert_eq!(st.code(), Code::OutOfRange, "{st:?}");
    assert!(
        st.message().contains("the limit is: 1048576 bytes"),
        "{st:?}"
    );
    // Compressed, the same request is small on the wire but still too large decoded.
    let gz = Qdrant::from_url(&s.grpc_url())
        .compression(Some(qdrant_client::config::CompressionEncoding::Gzip))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let st = expect_status(
        gz.upsert_points(UpsertPointsBuilder::new("docs", points(40_000)).wait(true))
            .await,
    );
    assert_eq!(st.code(), Code::ResourceExhausted, "{st:?}");
    assert_eq!(grpc_count(&c, "docs", None).await, 0);
    assert_eq!(s.all_points("docs").await, json!([]));
    // Under the limit is fine.
    c.upsert_points(UpsertPointsBuilder::new("docs", points(100)).wait(true))
        .await
        .expect("a small upsert");
    assert_eq!(grpc_count(&c, "docs", None).await, 100);
}

// ---------------------------------------------------------------------------------------------
// 3. Transport extras
// ---------------------------------------------------------------------------------------------

async fn channel(s: &TestServer) -> tonic::transport::Channel {
    tonic::transport::Channel::from_shared(s.grpc_url())
        .unwrap()
        .connect()
        .await
        .expect("gRPC port accepts connections")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_health_service_reports_serving() {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    let s = TestServer::start().await;
    let mut health = HealthClient::new(channel(&s).await);
    for service in ["", "qdrant.Qdrant", "qdrant.Collections", "qdrant.Points"] {
        let reply = health
            .check(HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .unwrap_or_else(|e| panic!("health check of {service:?}: {e:?}"))
            .into_inner();
        assert_eq!(
            reply.status,
            ServingStatus::Serving as i32,
            "service {service:?}"
        );
    }
    let st = health
        .check(HealthCheckRequest {
            service: "no.such.Service".to_string(),
        })
        .await
        .expect_err("an unknown service is not reported");
    assert_eq!(st.code(), Code::NotFound, "{st:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qdrant_health_check_matches_rest_root() {
    let s = TestServer::start().await;
    let c = client(&s);
    let reply = c.health_check().await.expect("health check");
    let (code, root) = s.call("GET", "/", None).await;
    assert_eq!(code, 200);
    assert_eq!(reply.title, "qdrant - vector search engine");
    assert_eq!(json!(reply.title), root["title"]);
    assert_eq!(json!(reply.version), root["version"]);
    assert!(!reply.version.is_empty());
}

fn gzip_client(s: &TestServer) -> Qdrant {
    Qdrant::from_url(&s.grpc_url())
        .compression(Some(qdrant_client::config::CompressionEncoding::Gzip))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client builds")
}

/// The `grpc-encoding` a response came with (`None`: uncompressed).
fn encoding<T>(response: &tonic::Response<T>) -> Option<String> {
    response
        .metadata()
        .get("grpc-encoding")
        .map(|v| v.to_str().unwrap().to_string())
        .filter(|e| e != "identity")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_is_accepted_and_sent_on_the_health_check() {
    use qdrant_client::qdrant::HealthCheckRequest;
    use qdrant_client::qdrant::qdrant_client::QdrantClient;
    use tonic::codec::CompressionEncoding;

    let s = TestServer::start().await;
    let reply = gzip_client(&s)
        .health_check()
        .await
        .expect("compressed health check");
    assert_eq!(reply.title, "qdrant - vector search engine");
    let mut raw = QdrantClient::new(channel(&s).await)
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let response = raw
        .health_check(HealthCheckRequest {})
        .await
        .expect("raw gzip health check");
    assert_eq!(encoding(&response).as_deref(), Some("gzip"));
    let mut plain = QdrantClient::new(channel(&s).await);
    let response = plain
        .health_check(HealthCheckRequest {})
        .await
        .expect("raw plain health check");
    assert_eq!(encoding(&response), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_point_traffic_works() {
    use qdrant_client::qdrant::points_client::PointsClient;
    use tonic::codec::CompressionEncoding;

    let s = TestServer::start().await;
    let gz = gzip_client(&s);
    create_cosine(&gz, "docs").await;
    let mut rng = StdRng::seed_from_u64(99);
    let points: Vec<PointStruct> = (0..500u64)
        .map(|i| {
            let v: Vec<f32> = (0..4).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
            PointStruct::new(
                i,
                v,
                payload(json!({"text": "lorem ipsum dolor sit amet ".repeat(8), "i": i})),
            )
        })
        .collect();
    let reply = gz
        .upsert_points(UpsertPointsBuilder::new("docs", points).wait(true))
        .await
        .expect("compressed upsert");
    assert_completed(&reply);
    let page = gz
        .scroll(
            ScrollPointsBuilder::new("docs")
                .limit(500)
                .with_payload(true),
        )
        .await
        .expect("compressed scroll");
    assert_eq!(page.result.len(), 500);
    assert_eq!(
        page.result[499].payload["i"].kind,
        Some(Kind::IntegerValue(499))
    );
    assert_eq!(grpc_count(&gz, "docs", None).await, 500);
    assert_eq!(s.all_points("docs").await.as_array().unwrap().len(), 500);

    // On the wire: a client that accepts gzip gets a gzip response; one that does not, does not.
    let request = || qdrant_client::qdrant::CountPoints {
        collection_name: "docs".into(),
        exact: Some(true),
        ..Default::default()
    };
    let mut raw = PointsClient::new(channel(&s).await)
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let response = raw.count(request()).await.expect("raw gzip count");
    assert_eq!(encoding(&response).as_deref(), Some("gzip"));
    assert_eq!(response.into_inner().result.unwrap().count, 500);
    let mut plain = PointsClient::new(channel(&s).await);
    let response = plain.count(request()).await.expect("raw plain count");
    assert_eq!(encoding(&response), None);
    assert_eq!(response.into_inner().result.unwrap().count, 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserved_rpcs_are_unimplemented_and_name_themselves() {
    let s = TestServer::start().await;
    let c = client(&s);
    s.create_collection("docs", 4, "Cosine").await;
    let st = expect_status(c.list_snapshots("docs").await);
    assert_eq!(st.code(), Code::Unimplemented, "{st:?}");
    assert!(st.message().contains("qdrant.Snapshots/List"), "{st:?}");
    let st = expect_status(c.create_full_snapshot().await);
    assert_eq!(st.code(), Code::Unimplemented, "{st:?}");
    assert!(
        st.message().contains("qdrant.Snapshots/CreateFull"),
        "{st:?}"
    );
    // A method no service declares.
    let mut grpc = tonic::client::Grpc::new(channel(&s).await);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/qdrant.Points/NoSuchRpc");
    let st = grpc
        .unary::<_, (), _>(
            tonic::Request::new(()),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect_err("an unknown method");
    assert_eq!(st.code(), Code::Unimplemented, "{st:?}");
    // The server is still fine afterwards.
    c.health_check().await.expect("still serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_shutdown_the_grpc_port_refuses_connections() {
    let s = TestServer::start().await;
    let c = client(&s);
    c.health_check().await.expect("serving");
    let addr = s.server.grpc_addr().expect("gRPC is served");
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    // The client keeps an open HTTP/2 connection: shutdown must still finish.
    tokio::time::timeout(Duration::from_secs(15), s.server.shutdown())
        .await
        .expect("shutdown finishes while a gRPC client is connected");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the gRPC port must refuse new connections"
    );
    // The client reports the refused connection (its channel pool maps it to a status).
    let err = c.health_check().await.expect_err("no server any more");
    assert!(err.to_string().contains("connect"), "{err}");
}
