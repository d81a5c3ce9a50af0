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

/// The constructions behind [`GraphBuilder`]; every behaviour of the graph is checked on both.
#[derive(Clone, Copy, Debug)]
enum Builder {
    /// Ours, the one [`HnswIndex::build`] uses.
    Native,
    HnswRs,
}

impl Builder {
    fn builder(self) -> &'static dyn GraphBuilder {
        match self {
            Builder::Native => &NativeBuilder,
            Builder::HnswRs => &HnswRsBuilder,
        }
    }
}

/// One dataset and graph per distance and builder, built once for all tests (building dominates
/// their time). Single-threaded builds, so that every run checks the same graphs.
fn fixture_of(builder: Builder, distance: Distance) -> &'static (Dataset, HnswIndex) {
    static FIXTURES: [OnceLock<(Dataset, HnswIndex)>; 8] = [const { OnceLock::new() }; 8];
    let slot = match distance {
        Distance::Cosine => 0,
        Distance::Dot => 1,
        Distance::Euclid => 2,
        Distance::Manhattan => 3,
    } + 4 * builder as usize;
    FIXTURES[slot].get_or_init(|| {
        let data = dataset(distance);
        let index =
            HnswIndex::build_with(builder.builder(), &data.store, distance, &config(16, 100))
                .expect("valid");
        (data, index)
    })
}

/// The graph the engine builds ([`HnswIndex::build`]).
fn fixture(distance: Distance) -> &'static (Dataset, HnswIndex) {
    fixture_of(Builder::Native, distance)
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

/// Mean recall@`TOP` of the engine's graph against the exact scan over all queries.
fn recall(distance: Distance, ef: Option<usize>, accept: &dyn Fn(u32) -> bool) -> f64 {
    let (data, index) = fixture(distance);
    recall_of(data, index, distance, ef, accept)
}

fn recall_of(
    data: &Dataset,
    index: &HnswIndex,
    distance: Distance,
    ef: Option<usize>,
    accept: &dyn Fn(u32) -> bool,
) -> f64 {
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

/// Recall@10 at ef 32 of `builder`'s single-threaded graph for `distance`.
fn assert_high_recall(builder: Builder, distance: Distance) {
    let (data, index) = fixture_of(builder, distance);
    let r = recall_of(data, index, distance, Some(32), &|_| true);
    assert!(r >= 0.95, "{builder:?} {distance:?}: recall {r}");
}

#[test]
fn recall_at_10_is_high_for_cosine() {
    assert_high_recall(Builder::Native, Distance::Cosine);
    assert_high_recall(Builder::HnswRs, Distance::Cosine);
}

#[test]
fn recall_at_10_is_high_for_dot() {
    assert_high_recall(Builder::Native, Distance::Dot);
    assert_high_recall(Builder::HnswRs, Distance::Dot);
}

#[test]
fn recall_at_10_is_high_for_euclid() {
    assert_high_recall(Builder::Native, Distance::Euclid);
    assert_high_recall(Builder::HnswRs, Distance::Euclid);
}

#[test]
fn recall_at_10_is_high_for_manhattan() {
    assert_high_recall(Builder::Native, Distance::Manhattan);
    assert_high_recall(Builder::HnswRs, Distance::Manhattan);
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
        let row = data.store.f32_row(s.offset).unwrap();
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

/// What every builder's graph must be: one layer-0 row per offset, links only to other nodes
/// of the same layer, no link twice, at most `2m` links on layer 0 and `m` above, every present
/// node linked (when there are two or more), and the entry point on the top layer.
fn assert_well_formed(graph: &HnswGraph, store: &VectorStore, m: usize) {
    assert_eq!(graph.len(), store.len());
    let present: Vec<u32> = (0..store.len() as u32)
        .filter(|&o| store.contains(o))
        .collect();
    for layer in 0..=graph.max_layer() {
        let capacity = if layer == 0 { 2 * m } else { m };
        for node in 0..graph.len() as u32 {
            let links = graph.neighbours(layer, node);
            assert!(
                links.len() <= capacity,
                "node {node} layer {layer}: {links:?}"
            );
            let mut sorted = links.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), links.len(), "node {node}: a link twice");
            for &next in links {
                assert_ne!(next, node, "node {node} links to itself on layer {layer}");
                assert!(store.contains(next), "link to absent row {next}");
                assert!(
                    layer == 0 || !graph.neighbours(layer, next).is_empty() || m == 0,
                    "layer {layer}: {node} links to {next}, which has no links there"
                );
            }
        }
    }
    if present.len() >= 2 {
        for &node in &present {
            assert!(
                !graph.neighbours(0, node).is_empty(),
                "present node {node} has no links"
            );
        }
    }
    let entry = graph
        .entry_point()
        .expect("a non-empty graph has an entry point");
    assert!(
        !graph.neighbours(graph.max_layer(), entry).is_empty()
            || graph.layer_len(graph.max_layer()) == 1
    );
}

#[test]
fn both_builders_give_well_formed_graphs() {
    for builder in [Builder::Native, Builder::HnswRs] {
        let (data, index) = fixture_of(builder, Distance::Cosine);
        assert!(index.graph().max_layer() >= 1, "{builder:?}");
        assert_well_formed(index.graph(), &data.store, 16);
    }
}

#[test]
fn native_parallel_build_is_well_formed_with_high_recall() {
    let data = dataset(Distance::Euclid);
    let config = HnswConfig {
        max_indexing_threads: 2,
        ..config(16, 100)
    };
    let index =
        HnswIndex::build_with(&NativeBuilder, &data.store, Distance::Euclid, &config).unwrap();
    assert_well_formed(index.graph(), &data.store, 16);
    let r = recall_of(&data, &index, Distance::Euclid, Some(32), &|_| true);
    assert!(r >= 0.95, "recall {r}");
}

#[test]
fn native_single_thread_build_is_deterministic() {
    let data = dataset(Distance::Dot);
    let build = || {
        HnswIndex::build_with(&NativeBuilder, &data.store, Distance::Dot, &config(8, 40)).unwrap()
    };
    let (a, b) = (build(), build());
    assert_eq!(a.graph().entry_point(), b.graph().entry_point());
    assert_eq!(a.graph().max_layer(), b.graph().max_layer());
    for layer in 0..=a.graph().max_layer() {
        for node in 0..POINTS as u32 {
            assert_eq!(
                a.graph().neighbours(layer, node),
                b.graph().neighbours(layer, node)
            );
        }
    }
}

#[test]
fn native_build_handles_duplicates_and_zero_vectors() {
    // 300 copies of one row, 100 zero rows and 100 distinct ones, under every distance.
    let mut rng = StdRng::seed_from_u64(7);
    let copy: Vec<f32> = (0..4).map(|_| normal(&mut rng)).collect();
    for distance in [
        Distance::Cosine,
        Distance::Dot,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        let mut store = VectorStore::new(4);
        for i in 0..500 {
            let mut row = match i % 5 {
                0 => vec![0.0; 4],
                1 => (0..4).map(|_| normal(&mut rng)).collect(),
                _ => copy.clone(),
            };
            distance::preprocess(distance, &mut row);
            store.push(Some(&row));
        }
        let index = HnswIndex::build_with(&NativeBuilder, &store, distance, &config(4, 16))
            .unwrap_or_else(|e| panic!("{distance:?}: {e}"));
        assert_well_formed(index.graph(), &store, 4);
        let mut query = copy.clone();
        distance::preprocess(distance, &mut query);
        let req = request(&query, distance, TOP, &|_| true, None);
        let found = HnswSearch {
            index: &index,
            store: &store,
            ef: Some(64),
        }
        .search(&req);
        let exact = ExactScan { store: &store }.search(&req);
        let scores = |s: &[ScoredOffset]| s.iter().map(|s| s.score).collect::<Vec<_>>();
        assert_eq!(scores(&found), scores(&exact), "{distance:?}");
    }
}

#[test]
fn native_build_of_one_point_and_of_absent_rows() {
    let mut store = small_store(&[&[3.0, 4.0]]);
    let index =
        HnswIndex::build_with(&NativeBuilder, &store, Distance::Euclid, &config(16, 100)).unwrap();
    assert_eq!(index.graph().entry_point(), Some(0));
    assert_eq!(index.graph().neighbours(0, 0), &[] as &[u32]);
    store.push(None);
    store.push(Some(&[1.0, 1.0]));
    let index =
        HnswIndex::build_with(&NativeBuilder, &store, Distance::Euclid, &config(16, 100)).unwrap();
    assert_well_formed(index.graph(), &store, 16);
    assert_eq!(index.graph().neighbours(0, 1), &[] as &[u32]);
    assert_eq!(index.graph().neighbours(0, 0), &[2]);
}

/// The first `len` rows of `store` (absent ones stay absent).
fn prefix(store: &VectorStore, len: usize) -> VectorStore {
    let mut head = VectorStore::new(store.dim());
    for o in 0..len as u32 {
        head.push(store.vector(o).as_deref());
    }
    head
}

#[test]
fn extending_a_graph_with_later_rows_matches_a_full_build() {
    let distance = Distance::Euclid;
    let data = dataset(distance);
    let base = HnswIndex::build_with(
        &NativeBuilder,
        &prefix(&data.store, POINTS / 2),
        distance,
        &config(16, 100),
    )
    .unwrap();
    let two_threads = HnswConfig {
        max_indexing_threads: 2,
        ..config(16, 100)
    };
    let extended = base.extend(&data.store, &two_threads).unwrap();
    assert!(extended.from_base);
    let extended = extended.graph;
    assert_well_formed(extended.graph(), &data.store, 16);
    // The first half keeps its layers and entry point.
    assert!(extended.graph().entry_point().is_some());
    for node in 0..(POINTS / 2) as u32 {
        for layer in 1..=base.graph().max_layer() {
            assert_eq!(
                base.graph().in_layer(layer, node),
                extended.graph().in_layer(layer, node)
            );
        }
    }
    let r = recall_of(&data, &extended, distance, Some(32), &|_| true);
    assert!(r >= 0.95, "recall {r}");
    let full = recall(distance, Some(32), &|_| true);
    assert!(r >= full - 0.02, "extended {r}, full build {full}");
}

#[test]
fn extending_skips_rows_cleared_since_the_base_was_built() {
    let distance = Distance::Cosine;
    let data = dataset(distance);
    let half = POINTS / 2;
    let base = HnswIndex::build_with(
        &NativeBuilder,
        &prefix(&data.store, half),
        distance,
        &config(8, 40),
    )
    .unwrap();
    let entry = base.graph().entry_point().unwrap();
    // A fifth of the first half deleted or overwritten since (the entry point kept).
    let mut store = data.store.clone();
    let cleared: Vec<u32> = (0..half as u32)
        .filter(|&o| o % 5 == 1 && o != entry)
        .collect();
    for &o in &cleared {
        store.clear(o);
    }
    let extended = base.extend(&store, &config(8, 40)).unwrap();
    assert!(extended.from_base);
    let extended = extended.graph;
    let graph = extended.graph();
    assert_eq!(graph.len(), POINTS);
    for node in 0..POINTS as u32 {
        for layer in 0..=graph.max_layer() {
            let links = graph.neighbours(layer, node);
            assert!(links.len() <= if layer == 0 { 16 } else { 8 });
            if node as usize >= half {
                assert!(
                    links.iter().all(|l| store.contains(*l)),
                    "node {node} layer {layer} links to a cleared row: {links:?}"
                );
            }
        }
        if node as usize >= half {
            assert!(!graph.neighbours(0, node).is_empty(), "{node} unlinked");
        }
    }
    let cleared_data = Dataset {
        store,
        queries: data.queries.clone(),
    };
    let r = recall_of(&cleared_data, &extended, distance, Some(32), &|_| true);
    assert!(r >= 0.9, "recall {r}");

    // The entry point cleared too: built again from scratch, without the cleared rows.
    let mut store = cleared_data.store;
    store.clear(entry);
    let rebuilt = base.extend(&store, &config(8, 40)).unwrap();
    assert!(
        !rebuilt.from_base,
        "a cleared entry point means a build from scratch"
    );
    assert_well_formed(rebuilt.graph.graph(), &store, 8);
}

#[test]
fn extending_an_empty_graph_or_by_nothing() {
    let store = small_store(&[&[1.0, 0.0], &[0.0, 1.0], &[1.0, 1.0]]);
    let empty = HnswIndex::build_with(
        &NativeBuilder,
        &VectorStore::new(2),
        Distance::Dot,
        &config(16, 100),
    )
    .unwrap();
    let extended = empty.extend(&store, &config(16, 100)).unwrap();
    assert!(!extended.from_base, "an empty base has no entry point");
    let extended = extended.graph;
    assert_well_formed(extended.graph(), &store, 16);
    let same = extended.extend(&store, &config(16, 100)).unwrap();
    assert!(same.from_base);
    let same = same.graph;
    for node in 0..3 {
        assert_eq!(
            same.graph().neighbours(0, node),
            extended.graph().neighbours(0, node)
        );
    }
    // A base longer than the store (never the engine's case) is not extended but rebuilt.
    let shorter = small_store(&[&[1.0, 0.0], &[0.0, 1.0]]);
    let rebuilt = extended.extend(&shorter, &config(16, 100)).unwrap();
    assert!(!rebuilt.from_base);
    assert_eq!(rebuilt.graph.len(), 2);
}

#[test]
fn native_build_of_an_empty_store_or_m_zero_has_no_links() {
    let store = VectorStore::new(2);
    let index =
        HnswIndex::build_with(&NativeBuilder, &store, Distance::Dot, &config(16, 100)).unwrap();
    assert!(index.is_empty());
    let store = small_store(&[&[1.0, 0.0], &[0.0, 1.0]]);
    let index =
        HnswIndex::build_with(&NativeBuilder, &store, Distance::Dot, &config(0, 100)).unwrap();
    assert_eq!(index.graph().neighbours(0, 0), &[] as &[u32]);
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
