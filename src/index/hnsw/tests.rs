//! Behaviour of the HNSW index against the exact scan on seeded data.

use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::index::exact::ExactScan;
use crate::model::PointId;

const POINTS: usize = 3000;
const DIM: usize = 24;
const QUERIES: usize = 40;
const TOP: usize = 10;

fn config(m: usize, ef_construct: usize) -> HnswConfig {
    HnswConfig {
        m,
        ef_construct,
        full_scan_threshold: 10_000,
        max_indexing_threads: 1,
        on_disk: None,
        payload_m: None,
    }
}

fn normal(rng: &mut StdRng) -> f32 {
    // Box–Muller; `1 - u` keeps the logarithm finite.
    let u: f32 = 1.0 - rng.r#gen::<f32>();
    let v: f32 = rng.r#gen();
    (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
}

/// 30 Gaussian clusters with unit spread around centres of spread 3: clustered but overlapping,
/// so that neither the graph nor the exact answer is trivial.
fn clustered(rng: &mut StdRng, centres: &[Vec<f32>], distance: Distance) -> Vec<f32> {
    let centre = &centres[rng.gen_range(0..centres.len())];
    let mut v: Vec<f32> = centre.iter().map(|c| c + normal(rng)).collect();
    distance::preprocess(distance, &mut v);
    v
}

struct Dataset {
    store: VectorStore,
    queries: Vec<Vec<f32>>,
}

fn dataset(distance: Distance) -> Dataset {
    let mut rng = StdRng::seed_from_u64(0x484e_5357);
    let centres: Vec<Vec<f32>> = (0..30)
        .map(|_| (0..DIM).map(|_| 3.0 * normal(&mut rng)).collect())
        .collect();
    let mut store = VectorStore::new(DIM);
    for _ in 0..POINTS {
        store.push(Some(&clustered(&mut rng, &centres, distance)));
    }
    let queries = (0..QUERIES)
        .map(|_| clustered(&mut rng, &centres, distance))
        .collect();
    Dataset { store, queries }
}

/// One dataset and graph per distance, built once for all tests (building dominates their time).
fn fixture(distance: Distance) -> &'static (Dataset, HnswIndex) {
    static FIXTURES: [OnceLock<(Dataset, HnswIndex)>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = match distance {
        Distance::Cosine => 0,
        Distance::Dot => 1,
        Distance::Euclid => 2,
        Distance::Manhattan => 3,
    };
    FIXTURES[slot].get_or_init(|| {
        let data = dataset(distance);
        let index = HnswIndex::build(&data.store, distance, &config(16, 100)).expect("valid");
        (data, index)
    })
}

fn request<'a>(
    query: &'a [f32],
    distance: Distance,
    top: usize,
    accept: &'a dyn Fn(u32) -> bool,
    score_threshold: Option<f32>,
) -> SearchRequest<'a> {
    SearchRequest {
        query,
        distance,
        top,
        accept,
        score_threshold,
        tie_key: &|o| PointId::Num(o as u64),
    }
}

fn offsets(found: &[ScoredOffset]) -> Vec<u32> {
    found.iter().map(|s| s.offset).collect()
}

/// Mean recall@`TOP` of the graph against the exact scan over all queries.
fn recall(distance: Distance, ef: Option<usize>, accept: &dyn Fn(u32) -> bool) -> f64 {
    let (data, index) = fixture(distance);
    let graph = HnswSearch {
        index,
        store: &data.store,
        ef,
    };
    let exact = ExactScan { store: &data.store };
    let mut hits = 0;
    let mut expected = 0;
    for query in &data.queries {
        let req = request(query, distance, TOP, accept, None);
        let truth = offsets(&exact.search(&req));
        let found = offsets(&graph.search(&req));
        assert!(found.len() <= TOP);
        hits += found.iter().filter(|o| truth.contains(o)).count();
        expected += truth.len();
    }
    hits as f64 / expected as f64
}

#[test]
fn recall_at_10_is_high_for_cosine() {
    let r = recall(Distance::Cosine, Some(32), &|_| true);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn recall_at_10_is_high_for_dot() {
    let r = recall(Distance::Dot, Some(32), &|_| true);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn recall_at_10_is_high_for_euclid() {
    let r = recall(Distance::Euclid, Some(32), &|_| true);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn recall_at_10_is_high_for_manhattan() {
    let r = recall(Distance::Manhattan, Some(32), &|_| true);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn scores_are_the_exact_scores_best_first() {
    let (data, index) = fixture(Distance::Euclid);
    let query = &data.queries[0];
    let found = HnswSearch {
        index,
        store: &data.store,
        ef: None,
    }
    .search(&request(query, Distance::Euclid, TOP, &|_| true, None));
    assert_eq!(found.len(), TOP);
    for s in &found {
        let row = data.store.get(s.offset).unwrap();
        assert_eq!(s.score, distance::score(Distance::Euclid, query, row));
    }
    assert!(found.windows(2).all(|w| w[0].score <= w[1].score));
}

#[test]
fn filtered_search_returns_only_accepted_points_with_high_recall() {
    let accept = |o: u32| o % 10 == 3;
    let (data, index) = fixture(Distance::Cosine);
    for query in &data.queries {
        let found = HnswSearch {
            index,
            store: &data.store,
            ef: Some(64),
        }
        .search(&request(query, Distance::Cosine, TOP, &accept, None));
        assert_eq!(found.len(), TOP);
        assert!(found.iter().all(|s| accept(s.offset)));
    }
    let r = recall(Distance::Cosine, Some(32), &accept);
    assert!(r >= 0.95, "filtered recall {r}");
}

#[test]
fn a_filter_accepting_few_points_returns_all_of_them_exactly() {
    // Five accepted points: the walk never fills its beam, exhausts the graph and completes
    // with the nodes it did not reach, so the answer equals the exact scan.
    let accept = |o: u32| o % 600 == 7;
    let (data, index) = fixture(Distance::Euclid);
    let exact = ExactScan { store: &data.store };
    for query in data.queries.iter().take(5) {
        let req = request(query, Distance::Euclid, TOP, &accept, None);
        let found = HnswSearch {
            index,
            store: &data.store,
            ef: Some(16),
        }
        .search(&req);
        assert_eq!(found, exact.search(&req));
        assert_eq!(found.len(), 5);
    }
}

#[test]
fn a_filter_accepting_nothing_returns_nothing() {
    let (data, index) = fixture(Distance::Cosine);
    let found = HnswSearch {
        index,
        store: &data.store,
        ef: None,
    }
    .search(&request(
        &data.queries[0],
        Distance::Cosine,
        TOP,
        &|_| false,
        None,
    ));
    assert!(found.is_empty());
}

#[test]
fn score_threshold_drops_results_that_do_not_pass() {
    let (data, index) = fixture(Distance::Cosine);
    let query = &data.queries[1];
    let search = HnswSearch {
        index,
        store: &data.store,
        ef: None,
    };
    let all = search.search(&request(query, Distance::Cosine, TOP, &|_| true, None));
    // A threshold between the 5th and 6th best score keeps exactly the first five.
    let threshold = (all[4].score + all[5].score) / 2.0;
    let kept = search.search(&request(
        query,
        Distance::Cosine,
        TOP,
        &|_| true,
        Some(threshold),
    ));
    assert_eq!(kept, all[..5].to_vec());
}

#[test]
fn top_zero_returns_nothing() {
    let (data, index) = fixture(Distance::Dot);
    let found = HnswSearch {
        index,
        store: &data.store,
        ef: None,
    }
    .search(&request(
        &data.queries[0],
        Distance::Dot,
        0,
        &|_| true,
        None,
    ));
    assert!(found.is_empty());
}

fn small_store(rows: &[&[f32]]) -> VectorStore {
    let mut store = VectorStore::new(2);
    for row in rows {
        store.push(Some(row));
    }
    store
}

#[test]
fn empty_store_builds_an_empty_index() {
    let store = VectorStore::new(2);
    let index = HnswIndex::build(&store, Distance::Cosine, &config(16, 100)).unwrap();
    assert!(index.is_empty());
    let found = HnswSearch {
        index: &index,
        store: &store,
        ef: None,
    }
    .search(&request(
        &[1.0, 0.0],
        Distance::Cosine,
        TOP,
        &|_| true,
        None,
    ));
    assert!(found.is_empty());
}

#[test]
fn single_point_is_found() {
    let store = small_store(&[&[3.0, 4.0]]);
    let index = HnswIndex::build(&store, Distance::Euclid, &config(16, 100)).unwrap();
    let found = HnswSearch {
        index: &index,
        store: &store,
        ef: None,
    }
    .search(&request(
        &[0.0, 0.0],
        Distance::Euclid,
        TOP,
        &|_| true,
        None,
    ));
    assert_eq!(
        found,
        vec![ScoredOffset {
            offset: 0,
            score: 5.0
        }]
    );
}

#[test]
fn equal_scores_break_ties_by_key() {
    let store = small_store(&[&[0.5, 0.0], &[0.5, 0.0], &[0.5, 0.0], &[0.1, 0.0]]);
    let index = HnswIndex::build(&store, Distance::Dot, &config(16, 100)).unwrap();
    let req = SearchRequest {
        tie_key: &|o| PointId::Num(10 - o as u64),
        ..request(&[1.0, 0.0], Distance::Dot, 2, &|_| true, None)
    };
    let found = HnswSearch {
        index: &index,
        store: &store,
        ef: None,
    }
    .search(&req);
    assert_eq!(offsets(&found), vec![2, 1]);
}

#[test]
fn absent_rows_and_rows_added_after_the_build_are_not_returned() {
    let mut store = small_store(&[&[1.0, 0.0], &[0.9, 0.1], &[0.0, 1.0]]);
    store.push(None);
    let index = HnswIndex::build(&store, Distance::Cosine, &config(16, 100)).unwrap();
    store.clear(1);
    store.push(Some(&[1.0, 0.0]));
    let found = HnswSearch {
        index: &index,
        store: &store,
        ef: None,
    }
    .search(&request(
        &[1.0, 0.0],
        Distance::Cosine,
        TOP,
        &|_| true,
        None,
    ));
    assert_eq!(offsets(&found), vec![0, 2]);
}

#[test]
fn m_zero_builds_no_links_and_searches_exactly() {
    let (data, _) = fixture(Distance::Manhattan);
    let index = HnswIndex::build(&data.store, Distance::Manhattan, &config(0, 100)).unwrap();
    assert_eq!(index.graph().neighbours(0, 0), &[] as &[u32]);
    let req = request(&data.queries[0], Distance::Manhattan, TOP, &|_| true, None);
    let found = HnswSearch {
        index: &index,
        store: &data.store,
        ef: None,
    }
    .search(&req);
    assert_eq!(found, ExactScan { store: &data.store }.search(&req));
}

#[test]
fn exported_graph_keeps_the_library_structure() {
    let (data, index) = fixture(Distance::Cosine);
    let graph = index.graph();
    assert_eq!(graph.len(), data.store.len());
    assert!(graph.max_layer() >= 1);
    let entry = graph.entry_point().unwrap();
    assert!(
        !graph.neighbours(graph.max_layer(), entry).is_empty()
            || graph.layer_len(graph.max_layer()) == 1
    );
    // Layer 0 keeps at most 2m links per node, upper layers at most m.
    assert!((0..POINTS as u32).all(|o| graph.neighbours(0, o).len() <= 32));
    assert!((0..POINTS as u32).all(|o| graph.neighbours(1, o).len() <= 16));
    let linked = (0..POINTS as u32)
        .filter(|&o| !graph.neighbours(0, o).is_empty())
        .count();
    assert_eq!(linked, POINTS);
}

#[test]
fn validate_accepts_qdrant_defaults_and_no_graph() {
    assert!(validate(&config(16, 100)).is_ok());
    assert!(validate(&config(0, 100)).is_ok());
    assert!(validate(&config(256, 4)).is_ok());
}

#[test]
fn validate_rejects_m_above_256_naming_the_field() {
    let err = validate(&config(257, 100)).unwrap_err().to_string();
    assert!(err.contains("hnsw_config.m"), "{err}");
    assert!(err.contains("257"), "{err}");
}

#[test]
fn validate_rejects_payload_m_above_256() {
    let mut c = config(16, 100);
    c.payload_m = Some(1000);
    let err = validate(&c).unwrap_err().to_string();
    assert!(err.contains("hnsw_config.payload_m"), "{err}");
}

#[test]
fn validate_rejects_ef_construct_below_4_naming_the_field() {
    for ef in [0, 3] {
        let err = validate(&config(16, ef)).unwrap_err().to_string();
        assert!(err.contains("hnsw_config.ef_construct"), "{err}");
    }
}

#[test]
fn build_refuses_invalid_config_instead_of_exiting() {
    let store = small_store(&[&[1.0, 0.0]]);
    assert!(HnswIndex::build(&store, Distance::Dot, &config(300, 100)).is_err());
    assert!(HnswIndex::build(&store, Distance::Dot, &config(16, 0)).is_err());
    let params = BuildParams {
        m: 300,
        ef_construct: 100,
        threads: 1,
    };
    assert!(build_hnsw_rs(&store, Distance::Dot, &params).is_err());
}
