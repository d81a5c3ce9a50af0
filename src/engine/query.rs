//! The one query executor: every read that ranks points — the universal query with its prefetch
//! tree, the legacy recommend and discover endpoints, and the groups variants — runs here.
//!
//! A stage without prefetches ranks the collection's points that pass its filter (the parent's
//! filter included, as Qdrant propagates filters down the tree). A stage with prefetches first
//! runs them, then either fuses their ranked lists (`rrf`, `dbsf`) or re-ranks the union of
//! their points with its own query. Example vectors given by id are read from the collection
//! (or from `lookup_from`), and such ids are left out of the results when they come from the
//! queried collection itself.
//!
//! Scores follow Qdrant's (and the official client's local mode's) definitions: nearest scores
//! are the distance's score; recommend `best_score`, discover and context combine internal
//! similarities ([`distance::similarity`]) through Qdrant's fast sigmoid.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::engine::Engine;
use crate::engine::collection::{Collection, State, vector_kind};
use crate::engine::formula;
use crate::engine::order_by::order_points;
use crate::engine::points::PointTable;
use crate::engine::space::{Probe, Space};
use crate::error::{Error, Result};
use crate::index::exact::ExactScan;
use crate::index::hnsw::{HnswIndex, HnswSearch};
use crate::index::multi::MultiStore;
use crate::index::quantized::QuantizedSearch;
use crate::index::sparse::SparseSearch;
use crate::index::{SearchRequest, VectorIndex, distance, element, multi, multi_graph};
use crate::model::PointId;
use crate::model::collection::{CollectionConfig, VectorParams};
use crate::model::filter::{Condition, Filter};
use crate::model::json_path::JsonPath;
use crate::model::legacy::{GroupsQuery, PointGroup};
use crate::model::order_by::OrderValue;
use crate::model::query::{RetrieveQuery, UniversalQuery};
use crate::model::results::ScoredPoint;
use crate::model::universal::{
    ContextPair, Fusion, QueryKind, RecommendStrategy, Stage, VectorRef,
};
use crate::model::vectors::{Distance, Vector};

/// A score computed for the row at an offset (bigger is better).
type RowScore<'a> = dyn Fn(u32) -> f32 + 'a;

/// Which points a stage may return: `accept` decides; `restricted` says a filter or candidate
/// set narrows them (so the planner should size them), `superset` bounds them when known.
#[derive(Clone, Copy)]
struct Admission<'a> {
    accept: &'a dyn Fn(u32) -> bool,
    restricted: bool,
    superset: Option<&'a [u32]>,
}

/// One ranked point of a stage: its offset in the point table and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Hit {
    pub offset: u32,
    pub score: f32,
    /// The payload value the point was ordered by (`order_by` queries only).
    pub order_value: Option<OrderValue>,
}

impl Hit {
    fn new(offset: u32, score: f32) -> Hit {
        Hit {
            offset,
            score,
            order_value: None,
        }
    }
}

impl Engine {
    /// Runs a read on the blocking thread pool, at most one per CPU at a time, so that a long
    /// scan never holds one of the async I/O threads (health checks and point lookups stay
    /// quick while searches queue).
    pub async fn read<T, F>(self: &Arc<Self>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T> + Send + 'static,
    {
        static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
        let permits = PERMITS.get_or_init(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            tokio::sync::Semaphore::new(cpus)
        });
        let _permit = permits
            .acquire()
            .await
            .map_err(|_| Error::Internal("the search pool is closed".into()))?;
        let engine = self.clone();
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .map_err(|e| Error::Internal(format!("a search task failed: {e}")))?
    }

    /// Runs queries on one collection, one result list each, in request order; the first
    /// failure fails the batch.
    pub fn query_batch(
        &self,
        name: &str,
        queries: &[UniversalQuery],
    ) -> Result<Vec<Vec<ScoredPoint>>> {
        self.collection(name)?;
        queries.iter().map(|q| self.query(name, q)).collect()
    }

    /// Runs a universal query on collection `name` (an alias works too). Example vectors named
    /// by `lookup_from` are read from their collection first.
    pub fn query(&self, name: &str, query: &UniversalQuery) -> Result<Vec<ScoredPoint>> {
        let collection = self.collection(name)?;
        let query = self.with_lookups(query)?;
        collection.query(&query)
    }

    /// `query` with every stage's `lookup_from` examples replaced by their vectors.
    pub(crate) fn with_lookups(&self, query: &UniversalQuery) -> Result<UniversalQuery> {
        let mut query = query.clone();
        self.resolve_lookups(&mut query.root)?;
        Ok(query)
    }

    /// Also checks every stage's search params (legacy bodies build stages without
    /// [`crate::model::universal::build_stage`]).
    fn resolve_lookups(&self, stage: &mut Stage) -> Result<()> {
        stage.params.validate("params")?;
        for p in &mut stage.prefetch {
            self.resolve_lookups(p)?;
        }
        if let Some(lookup) = stage.lookup_from.take() {
            let other = self.collection(&lookup.collection)?;
            let vector = lookup.vector.unwrap_or_else(|| stage.using.clone());
            if let Some(query) = &mut stage.query {
                let config = other.config.read();
                let state = other.state.read();
                vector_kind(&config.params, &vector)?;
                let mut ignored = HashSet::new();
                resolve_refs(query, &state.points, &vector, &mut ignored)?;
            }
        }
        Ok(())
    }
}

impl Engine {
    /// Runs a grouped query on collection `name`: the query ranks every point, then hits are
    /// grouped by their value(s) at `group_by` in rank order — the first `limit` groups, each
    /// with at most `group_size` hits — and each group's id is looked up in `with_lookup`.
    pub fn query_groups(&self, name: &str, query: &GroupsQuery) -> Result<Vec<PointGroup>> {
        let collection = self.collection(name)?;
        let resolved = self.with_lookups(&query.query)?;
        let mut groups = collection.groups(&resolved, query)?;
        if let Some(lookup) = &query.with_lookup {
            let other = self.collection(&lookup.collection)?;
            for group in &mut groups {
                let Ok(id) = serde_json::from_value::<PointId>(group.id.clone()) else {
                    continue;
                };
                group.lookup = other
                    .retrieve(&RetrieveQuery {
                        ids: vec![id],
                        with_payload: lookup.with_payload.clone(),
                        with_vector: lookup.with_vector.clone(),
                    })
                    .into_iter()
                    .next();
            }
        }
        Ok(groups)
    }
}

impl Collection {
    fn groups(&self, query: &UniversalQuery, groups: &GroupsQuery) -> Result<Vec<PointGroup>> {
        let config = self.config.read();
        let state = self.state.read();
        let run = Run {
            config: &config,
            state: &state,
            points: &state.points,
        };
        // Every point is a candidate: a group may need hits from deep in the ranking.
        let everything = state.points.len().max(1);
        let mut root = query.root.clone();
        widen_limits(&mut root, everything);
        let hits = run.stage(&root, None, everything)?;
        let mut out: Vec<PointGroup> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for hit in hits {
            let Some(keys) = group_keys(state.points.payload(hit.offset), &groups.group_by) else {
                continue;
            };
            let point = run.scored_point(hit, query);
            for key in keys {
                let tag = key.to_string();
                let at = *index.entry(tag).or_insert_with(|| {
                    out.push(PointGroup {
                        id: key.clone(),
                        hits: Vec::new(),
                        lookup: None,
                    });
                    out.len() - 1
                });
                if out[at].hits.len() < groups.group_size {
                    out[at].hits.push(point.clone());
                }
            }
        }
        out.truncate(groups.limit);
        Ok(out)
    }
}

/// Sets the limit of a stage and all its prefetches.
fn widen_limits(stage: &mut Stage, limit: usize) {
    stage.limit = limit;
    for p in &mut stage.prefetch {
        widen_limits(p, limit);
    }
}

/// The distinct group ids a point belongs to (payload order), or `None` when it has no value at
/// the key or any value is not a string or an integer — such a point joins no group, as in
/// Qdrant.
fn group_keys(payload: &crate::model::Payload, key: &JsonPath) -> Option<Vec<Value>> {
    // A selected array stands for its elements, one level deep.
    let values: Vec<&Value> = key
        .select(payload)
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    let mut keys: Vec<Value> = Vec::new();
    for v in values {
        let ok = match v {
            Value::String(_) => true,
            Value::Number(n) => n.is_i64() || n.is_u64(),
            _ => false,
        };
        if !ok {
            return None;
        }
        if !keys.contains(v) {
            keys.push(v.clone());
        }
    }
    Some(keys)
}

impl Collection {
    /// Runs a universal query whose `lookup_from` examples are already resolved (see
    /// [`Engine::query`]); other example ids are read from this collection.
    pub fn query(&self, query: &UniversalQuery) -> Result<Vec<ScoredPoint>> {
        let config = self.config.read();
        let state = self.state.read();
        let run = Run {
            config: &config,
            state: &state,
            points: &state.points,
        };
        let top = query.offset.saturating_add(query.root.limit);
        let hits = run.stage(&query.root, None, top)?;
        Ok(hits
            .into_iter()
            .skip(query.offset)
            .map(|hit| run.scored_point(hit, query))
            .collect())
    }
}

/// One execution over a consistent view of the collection (its locks are held by the caller).
pub(crate) struct Run<'a> {
    pub config: &'a CollectionConfig,
    pub state: &'a State,
    pub points: &'a PointTable,
}

impl Run<'_> {
    pub(crate) fn scored_point(&self, hit: Hit, query: &UniversalQuery) -> ScoredPoint {
        ScoredPoint {
            id: self.points.id(hit.offset),
            version: self.points.version(hit.offset),
            score: hit.score,
            order_value: hit.order_value,
            payload: query.with_payload.apply(self.points.payload(hit.offset)),
            vector: crate::engine::reads::vector_output(
                self.points,
                hit.offset,
                &query.with_vector,
            ),
        }
    }

    /// The best `top` points of `stage`, under the filter inherited from its parents.
    pub(crate) fn stage(
        &self,
        stage: &Stage,
        inherited: Option<&Filter>,
        top: usize,
    ) -> Result<Vec<Hit>> {
        let filter = merge_filters(inherited, stage.filter.as_ref());
        if stage.prefetch.is_empty() {
            return self.rank(stage, filter.as_ref(), None, top);
        }
        let sources = stage
            .prefetch
            .iter()
            .map(|p| self.stage(p, filter.as_ref(), p.limit))
            .collect::<Result<Vec<_>>>()?;
        if let Some(QueryKind::Formula(formula)) = &stage.query {
            return formula::rescore(formula, &sources, self, top, stage.score_threshold);
        }
        if let Some(QueryKind::Fusion(fusion)) = &stage.query {
            let mut fused = fuse(fusion, &sources, top, self.points);
            if let Some(t) = stage.score_threshold {
                fused.retain(|h| h.score >= t);
            }
            return Ok(fused);
        }
        let candidates: HashSet<u32> = sources.iter().flatten().map(|h| h.offset).collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        self.rank(stage, filter.as_ref(), Some(&candidates), top)
    }

    /// Ranks the points that pass `filter` (and, for a rescoring stage, are among `candidates`)
    /// by the stage's query.
    fn rank(
        &self,
        stage: &Stage,
        filter: Option<&Filter>,
        candidates: Option<&HashSet<u32>>,
        top: usize,
    ) -> Result<Vec<Hit>> {
        let points = self.points;
        let mut excluded = HashSet::new();
        let params = &self.config.params;
        let query = match &stage.query {
            None => None,
            Some(q) => {
                let mut q = q.clone();
                if query_uses_vectors(&q) {
                    vector_kind(params, &stage.using)?;
                    resolve_refs(&mut q, points, &stage.using, &mut excluded)?;
                }
                Some(q)
            }
        };
        // A filter or a candidate set may leave few points: the planner in `nearest` counts them,
        // within a superset of what they accept when one is known.
        let restricted = filter.is_some() || candidates.is_some();
        let indexed = match (candidates, filter) {
            (None, Some(f)) => self.state.filter_candidates(f),
            _ => None,
        };
        let superset: Option<Vec<u32>> = candidates.map(|c| {
            let mut c: Vec<u32> = c.iter().copied().collect();
            c.sort_unstable();
            c
        });
        let superset = superset
            .as_deref()
            .or(indexed.as_ref().map(|c| c.offsets.as_slice()));
        let accept = |offset: u32| {
            points.is_live(offset)
                && candidates.is_none_or(|c| c.contains(&offset))
                && (excluded.is_empty() || !excluded.contains(&points.id(offset)))
                && filter.is_none_or(|f| self.state.admits(f, indexed.as_ref(), offset))
        };
        let Some(query) = query else {
            return Ok(points
                .iter_from(None)
                .filter(|(_, off)| accept(*off))
                .take(top)
                .map(|(_, offset)| Hit::new(offset, 1.0))
                .collect());
        };
        let admission = Admission {
            accept: &accept,
            restricted,
            superset,
        };
        let using = stage.using.as_str();
        let space = || Space::resolve(params, points, using);
        let probe = |space: &Space<'_>, v: VectorRef| space.probe(params, using, vector(v));
        match query {
            QueryKind::Sample => Ok(sample(points, &accept, top)),
            QueryKind::OrderBy(order_by) => Ok(order_points(self.state, &order_by, &accept, top)?
                .into_iter()
                .map(|(offset, value)| Hit {
                    offset,
                    score: 1.0,
                    order_value: Some(value),
                })
                .collect()),
            QueryKind::Fusion(_) => Err(Error::BadRequest(
                "Fusion queries need prefetches: add at least one prefetch to fuse".into(),
            )),
            QueryKind::Formula(_) => Err(Error::BadRequest(
                "Formula queries need prefetches: add at least one prefetch to rescore".into(),
            )),
            QueryKind::Nearest(v) => {
                let space = space()?;
                let probe = probe(&space, v)?;
                self.nearest(stage, &space, probe, admission, top)
            }
            QueryKind::Recommend {
                positive,
                negative,
                strategy: RecommendStrategy::AverageVector,
            } => {
                let space = space()?;
                let target = space.average(vectors(positive), vectors(negative))?;
                let probe = space.probe(params, using, target)?;
                self.nearest(stage, &space, probe, admission, top)
            }
            QueryKind::Recommend {
                positive,
                negative,
                strategy,
            } => {
                let space = space()?;
                let prepare = |vs: Vec<VectorRef>| -> Result<Vec<Probe>> {
                    vs.into_iter().map(|v| probe(&space, v)).collect()
                };
                let (positive, negative) = (prepare(positive)?, prepare(negative)?);
                let sim = |p: &Probe, offset: u32| space.similarity(p, offset);
                let score: Box<RowScore> = match strategy {
                    RecommendStrategy::BestScore => Box::new(move |offset| {
                        let best = |examples: &[Probe]| {
                            examples
                                .iter()
                                .map(|e| sim(e, offset))
                                .fold(f32::NEG_INFINITY, f32::max)
                        };
                        let (pos, neg) = (best(&positive), best(&negative));
                        if pos > neg {
                            scaled_fast_sigmoid(pos)
                        } else {
                            -scaled_fast_sigmoid(neg)
                        }
                    }),
                    _ => Box::new(move |offset| {
                        let sum = |examples: &[Probe]| {
                            examples.iter().map(|e| sim(e, offset)).sum::<f32>()
                        };
                        sum(&positive) - sum(&negative)
                    }),
                };
                self.scored_scan(stage, &space, &*score, &accept, top)
            }
            QueryKind::Discover { target, context } => {
                let space = space()?;
                let target = probe(&space, target)?;
                let pairs = self.pairs(&space, using, context)?;
                let score = |offset: u32| {
                    let rank: i32 = pairs
                        .iter()
                        .map(|(p, n)| {
                            let (p, n) = (space.similarity(p, offset), space.similarity(n, offset));
                            match p.partial_cmp(&n) {
                                Some(Ordering::Greater) => 1,
                                Some(Ordering::Equal) => 0,
                                _ => -1,
                            }
                        })
                        .sum();
                    rank as f32 + scaled_fast_sigmoid(space.similarity(&target, offset))
                };
                self.scored_scan(stage, &space, &score, &accept, top)
            }
            QueryKind::Context(context) => {
                let space = space()?;
                let pairs = self.pairs(&space, using, context)?;
                if pairs.is_empty() {
                    return Err(Error::BadRequest(
                        "A context query needs at least one context pair".into(),
                    ));
                }
                let score = |offset: u32| {
                    pairs
                        .iter()
                        .map(|(p, n)| {
                            let diff = space.similarity(p, offset)
                                - space.similarity(n, offset)
                                - f32::EPSILON;
                            fast_sigmoid(diff.min(0.0))
                        })
                        .sum()
                };
                self.scored_scan(stage, &space, &score, &accept, top)
            }
        }
    }

    fn pairs(
        &self,
        space: &Space<'_>,
        using: &str,
        context: Vec<ContextPair>,
    ) -> Result<Vec<(Probe, Probe)>> {
        context
            .into_iter()
            .map(|pair| {
                Ok((
                    space.probe(&self.config.params, using, vector(pair.positive))?,
                    space.probe(&self.config.params, using, vector(pair.negative))?,
                ))
            })
            .collect()
    }

    /// Nearest neighbours of `probe` in the stage's vector space, with its score threshold.
    fn nearest(
        &self,
        stage: &Stage,
        space: &Space<'_>,
        probe: Probe,
        admission: Admission<'_>,
        top: usize,
    ) -> Result<Vec<Hit>> {
        let accept = admission.accept;
        let points = self.points;
        let vector = match (space, &probe) {
            (Space::Dense { .. }, Probe::Dense(v)) => v,
            (Space::Sparse { store, .. }, Probe::Sparse(q)) => {
                let Some(store) = store else {
                    return Ok(Vec::new());
                };
                let tie_key = |offset: u32| points.id(offset);
                let found = store.search(
                    q,
                    &SparseSearch {
                        top,
                        accept,
                        score_threshold: stage.score_threshold,
                        tie_key: &tie_key,
                    },
                );
                return Ok(found
                    .into_iter()
                    .map(|h| Hit::new(h.offset, h.score))
                    .collect());
            }
            (Space::Multi { params, store }, Probe::Multi(query)) => {
                let Some(store) = *store else {
                    return Ok(Vec::new());
                };
                return Ok(self.nearest_multi(stage, params, store, query, admission, top));
            }
            _ => return Ok(Vec::new()),
        };
        let Space::Dense { params, store } = *space else {
            return Ok(Vec::new());
        };
        let Some(store) = store else {
            return Ok(Vec::new());
        };
        let tie_key = |offset: u32| points.id(offset);
        let request = SearchRequest {
            query: vector,
            distance: params.distance,
            top,
            accept,
            score_threshold: stage.score_threshold,
            tie_key: &tie_key,
        };
        let present = |offset: u32| store.contains(offset);
        let row_bytes = params.size as usize * element::size_of(store.datatype());
        let rows = (store.len(), row_bytes);
        let (graph, few) = self.plan(stage, params, rows, &admission, &present);
        if let Some(matching) = few {
            // Score exactly the points the filter left, best first, ties by id.
            let mut hits: Vec<Hit> = store
                .scores(params.distance, vector, matching.into_iter())
                .into_iter()
                .filter_map(|(offset, s)| {
                    let passes = stage
                        .score_threshold
                        .is_none_or(|t| distance::passes_threshold(params.distance, s, t));
                    passes.then(|| Hit::new(offset, s))
                })
                .collect();
            best_first(&mut hits, params.distance, points, top);
            return Ok(hits);
        }
        let Some(index) = graph else {
            return Ok(ExactScan { store }
                .search(&request)
                .into_iter()
                .map(|h| Hit::new(h.offset, h.score))
                .collect());
        };
        // The graph covers the offsets that existed when it was built; later ones are scanned
        // exactly (unless `indexed_only`), and the two rankings merged.
        // Quantized codes, when the vector has them and the query does not ignore them: the
        // walk runs on the codes and the originals rescore its best candidates.
        let quantization = stage.params.quantization.clone().unwrap_or_default();
        let codes = self
            .state
            .graphs
            .get(&stage.using)
            .and_then(|slot| slot.quantized.as_deref())
            .filter(|codes| !quantization.ignore && codes.len() >= index.len());
        let mut found = match codes {
            Some(codes) => QuantizedSearch {
                index,
                codes,
                store,
                ef: stage.params.hnsw_ef,
                rescore: quantization.rescore.unwrap_or(true),
                oversampling: quantization.oversampling.unwrap_or(1.0),
            }
            .search(&request),
            None => HnswSearch {
                index,
                store,
                ef: stage.params.hnsw_ef,
            }
            .search(&request),
        };
        if stage.params.indexed_only != Some(true) && store.len() > index.len() {
            let covered = index.len() as u32;
            let tail_accept = |offset: u32| offset >= covered && accept(offset);
            let tail = SearchRequest {
                accept: &tail_accept,
                ..request
            };
            found.extend(ExactScan { store }.search(&tail));
        }
        let mut hits: Vec<Hit> = found
            .into_iter()
            .map(|h| Hit::new(h.offset, h.score))
            .collect();
        best_first(&mut hits, params.distance, points, top);
        Ok(hits)
    }

    /// The planner's choice for a graph search. A filter's payload indexes (or `has_id`, or a
    /// prefetch's candidates) may bound the points it accepts: without a graph those are all
    /// that need scoring. With a graph, when the filter leaves fewer vectors than
    /// `full_scan_threshold` (kB, as in Qdrant), scanning just those is cheaper and exact;
    /// counting stops at the threshold and walks only the bounded points when there is a
    /// bound. Returns the graph to walk (the stage's, see [`Self::graph_of`]), or the few
    /// offsets (those with the vector, `present`) to score exactly instead. `rows` is the
    /// store's `(offsets, bytes per vector)`.
    fn plan(
        &self,
        stage: &Stage,
        params: &VectorParams,
        (offsets, row_bytes): (usize, usize),
        admission: &Admission<'_>,
        present: &dyn Fn(u32) -> bool,
    ) -> (Option<&HnswIndex>, Option<Vec<u32>>) {
        let graph = self.graph_of(stage);
        let eligible = |offset: u32| present(offset) && (admission.accept)(offset);
        if !admission.restricted {
            return (graph, None);
        }
        if let (None, Some(pool)) = (graph, admission.superset) {
            return (
                None,
                Some(pool.iter().copied().filter(|&o| eligible(o)).collect()),
            );
        }
        if graph.is_none() {
            return (None, None);
        }
        let threshold_kb = params
            .hnsw_config
            .as_ref()
            .and_then(|h| h.full_scan_threshold)
            .unwrap_or(self.config.hnsw_config.full_scan_threshold);
        let limit = threshold_kb.saturating_mul(1024) / row_bytes.max(1);
        let pool: Box<dyn Iterator<Item = u32>> = match admission.superset {
            Some(pool) => Box::new(pool.iter().copied()),
            None => Box::new(0..offsets as u32),
        };
        let mut matching = Vec::new();
        for offset in pool.filter(|&o| eligible(o)) {
            matching.push(offset);
            if matching.len() > limit {
                return (graph, None);
            }
        }
        (None, Some(matching))
    }

    /// The graph of the stage's vector, when the query may use one and it fits the table.
    fn graph_of(&self, stage: &Stage) -> Option<&HnswIndex> {
        if stage.params.exact == Some(true) {
            return None;
        }
        self.state
            .graphs
            .get(&stage.using)
            .filter(|slot| slot.generation == self.points.generation())
            .and_then(|slot| slot.index.as_deref())
    }

    /// Nearest multivectors by `max_sim`: through the vector's graph when it has one (the
    /// offsets past the graph scanned exactly), else, or under a selective filter, exactly.
    fn nearest_multi(
        &self,
        stage: &Stage,
        params: &VectorParams,
        store: &MultiStore,
        query: &[f32],
        admission: Admission<'_>,
        top: usize,
    ) -> Vec<Hit> {
        let (d, accept) = (params.distance, admission.accept);
        let present = |offset: u32| store.contains(offset);
        // The threshold weighs one sub-vector per point, as for a dense vector.
        let rows = (
            store.len(),
            params.size as usize * element::size_of(store.datatype()),
        );
        let (graph, few) = self.plan(stage, params, rows, &admission, &present);
        let score = |similarity: f32, offset: u32| {
            let s = multi::score(d, similarity);
            let passes = stage
                .score_threshold
                .is_none_or(|t| distance::passes_threshold(d, s, t));
            passes.then(|| Hit::new(offset, s))
        };
        let exact = |offsets: &mut dyn Iterator<Item = u32>| -> Vec<Hit> {
            store
                .max_sims(d, query, offsets)
                .into_iter()
                .filter_map(|(o, similarity)| score(similarity, o))
                .collect()
        };
        let mut hits = match (graph, few) {
            (_, Some(matching)) => exact(&mut matching.into_iter()),
            (None, None) => exact(&mut (0..store.len() as u32).filter(|&o| accept(o))),
            (Some(index), None) => {
                let ef = stage.params.hnsw_ef;
                let found = multi_graph::search(index, store, d, query, ef, accept, top);
                let mut hits: Vec<Hit> = found
                    .into_iter()
                    .filter_map(|(sim, o)| score(sim, o))
                    .collect();
                if stage.params.indexed_only != Some(true) {
                    let covered = index.len() as u32;
                    hits.extend(exact(
                        &mut (covered..store.len() as u32).filter(|&o| accept(o)),
                    ));
                }
                hits
            }
        };
        best_first(&mut hits, d, self.points, top);
        hits
    }

    /// Scores every eligible point with `score` (bigger is better), keeps those above the
    /// stage's threshold, best first (ties by point id).
    fn scored_scan(
        &self,
        stage: &Stage,
        space: &Space<'_>,
        score: &RowScore,
        accept: &dyn Fn(u32) -> bool,
        top: usize,
    ) -> Result<Vec<Hit>> {
        let mut hits: Vec<Hit> = (0..space.len() as u32)
            .filter(|&offset| space.present(offset) && accept(offset))
            .filter_map(|offset| {
                let s = score(offset);
                if stage.score_threshold.is_some_and(|t| s <= t) || s.is_nan() {
                    return None;
                }
                Some(Hit::new(offset, s))
            })
            .collect();
        let points = self.points;
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| points.id(a.offset).cmp(&points.id(b.offset)))
        });
        hits.truncate(top);
        Ok(hits)
    }
}

/// Sorts hits by the distance's ranking, ties by point id (as the exact scan ranks them), and
/// keeps the best `top`.
fn best_first(hits: &mut Vec<Hit>, distance: Distance, points: &PointTable, top: usize) {
    let order = |a: &Hit, b: &Hit| {
        distance::compare(distance, a.score, b.score)
            .then_with(|| points.id(a.offset).cmp(&points.id(b.offset)))
    };
    // A filter's exact scan may leave thousands of hits for a top 10: select, then sort those.
    if top < hits.len() {
        hits.select_nth_unstable_by(top, order);
        hits.truncate(top);
    }
    hits.sort_by(order);
}

/// Whether a query reads vectors (and so needs `using` to name one).
fn query_uses_vectors(q: &QueryKind) -> bool {
    !matches!(
        q,
        QueryKind::OrderBy(_) | QueryKind::Fusion(_) | QueryKind::Formula(_) | QueryKind::Sample
    )
}

/// Both filters must hold (the parent's is propagated into its prefetches).
pub(crate) fn merge_filters(outer: Option<&Filter>, inner: Option<&Filter>) -> Option<Filter> {
    match (outer, inner) {
        (None, None) => None,
        (Some(f), None) | (None, Some(f)) => Some(f.clone()),
        (Some(a), Some(b)) => Some(Filter {
            must: Some(vec![
                Condition::Filter(a.clone()),
                Condition::Filter(b.clone()),
            ]),
            ..Filter::default()
        }),
    }
}

/// Replaces point-id examples by their vectors (named `vector`) from `points`, recording the ids.
pub(crate) fn resolve_refs(
    q: &mut QueryKind,
    points: &PointTable,
    vector: &str,
    mentioned: &mut HashSet<PointId>,
) -> Result<()> {
    let mut resolve = |r: &mut VectorRef| -> Result<()> {
        if let VectorRef::Point(id) = r {
            let offset = points
                .offset(id)
                .ok_or_else(|| Error::NotFound(format!("No point with id {id} found")))?;
            let v = points.vector_any(offset, vector).ok_or_else(|| {
                Error::BadInput(format!(
                    "Point {id} has no vector named `{vector}` to use as an example"
                ))
            })?;
            mentioned.insert(*id);
            *r = VectorRef::Vector(v);
        }
        Ok(())
    };
    match q {
        QueryKind::Nearest(v) => resolve(v),
        QueryKind::Recommend {
            positive, negative, ..
        } => positive
            .iter_mut()
            .chain(negative.iter_mut())
            .try_for_each(resolve),
        QueryKind::Discover { target, context } => {
            resolve(target)?;
            context
                .iter_mut()
                .try_for_each(|p| resolve(&mut p.positive).and_then(|_| resolve(&mut p.negative)))
        }
        QueryKind::Context(context) => context
            .iter_mut()
            .try_for_each(|p| resolve(&mut p.positive).and_then(|_| resolve(&mut p.negative))),
        QueryKind::OrderBy(_)
        | QueryKind::Fusion(_)
        | QueryKind::Formula(_)
        | QueryKind::Sample => Ok(()),
    }
}

/// The vector of a resolved example (`resolve_refs` ran before: ids are vectors by now).
fn vector(v: VectorRef) -> Vector {
    match v {
        VectorRef::Vector(v) => v,
        VectorRef::Point(_) => Vector::Dense(Vec::new()),
    }
}

fn vectors(v: Vec<VectorRef>) -> Vec<Vector> {
    v.into_iter().map(vector).collect()
}

fn fast_sigmoid(x: f32) -> f32 {
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    x / (1.0 + x.abs())
}

fn scaled_fast_sigmoid(x: f32) -> f32 {
    0.5 * (fast_sigmoid(x) + 1.0)
}

/// Up to `top` eligible points in random order, each scored 1.
fn sample(points: &PointTable, accept: &dyn Fn(u32) -> bool, top: usize) -> Vec<Hit> {
    let mut eligible: Vec<u32> = points
        .iter_from(None)
        .map(|(_, off)| off)
        .filter(|&off| accept(off))
        .collect();
    let mut seed = [0u8; 8];
    // Sampling needs no cryptographic randomness; a failed OS call just gives a fixed order.
    let _ = getrandom::fill(&mut seed);
    let mut state = u64::from_le_bytes(seed) | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let n = eligible.len();
    for i in 0..n.min(top) {
        let j = i + (next() % (n - i) as u64) as usize;
        eligible.swap(i, j);
    }
    eligible.truncate(top);
    eligible
        .into_iter()
        .map(|offset| Hit::new(offset, 1.0))
        .collect()
}

/// Combines ranked lists: RRF by rank, DBSF by normalised score. Points keep the order in which
/// they first appear among equal fused scores.
fn fuse(fusion: &Fusion, sources: &[Vec<Hit>], top: usize, _points: &PointTable) -> Vec<Hit> {
    let mut order: Vec<u32> = Vec::new();
    let mut scores: HashMap<u32, f32> = HashMap::new();
    let mut add = |offset: u32, s: f32| {
        scores
            .entry(offset)
            .and_modify(|total| *total += s)
            .or_insert_with(|| {
                order.push(offset);
                s
            });
    };
    match fusion {
        Fusion::Rrf { k, weights } => {
            for (i, source) in sources.iter().enumerate() {
                let weight = weights
                    .as_ref()
                    .and_then(|w| w.get(i))
                    .copied()
                    .unwrap_or(1.0);
                for (rank, hit) in source.iter().enumerate() {
                    let s = if weight <= 0.0 {
                        0.0
                    } else {
                        1.0 / ((rank as f32 + 1.0) / weight + *k as f32 - 1.0)
                    };
                    add(hit.offset, s);
                }
            }
        }
        Fusion::Dbsf => {
            for source in sources.iter().filter(|s| !s.is_empty()) {
                for (offset, s) in dbsf_normalise(source) {
                    add(offset, s);
                }
            }
        }
    }
    let mut fused: Vec<Hit> = order
        .into_iter()
        .map(|offset| Hit::new(offset, scores[&offset]))
        .collect();
    // A stable sort keeps first-appearance order among equal scores.
    fused.sort_by(|a, b| b.score.total_cmp(&a.score));
    fused.truncate(top);
    fused
}

/// DBSF: each score mapped from [mean - 3σ, mean + 3σ] to [0, 1] (σ of the sample); a single
/// result or zero spread gives 0.5.
fn dbsf_normalise(source: &[Hit]) -> Vec<(u32, f32)> {
    if source.len() == 1 {
        return vec![(source[0].offset, 0.5)];
    }
    let n = source.len() as f64;
    let mean = source.iter().map(|h| h.score as f64).sum::<f64>() / n;
    let variance = source
        .iter()
        .map(|h| (h.score as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    if variance == 0.0 {
        return source.iter().map(|h| (h.offset, 0.5)).collect();
    }
    let sd = variance.sqrt();
    let (low, high) = (mean - 3.0 * sd, mean + 3.0 * sd);
    source
        .iter()
        .map(|h| (h.offset, ((h.score as f64 - low) / (high - low)) as f32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(offsets: &[u32]) -> Vec<Hit> {
        offsets
            .iter()
            .enumerate()
            .map(|(i, &offset)| Hit::new(offset, 1.0 - i as f32 * 0.1))
            .collect()
    }

    #[test]
    fn rrf_sums_reciprocal_ranks() {
        let table = PointTable::new(&Default::default());
        let fused = fuse(
            &Fusion::Rrf {
                k: 2,
                weights: None,
            },
            &[hits(&[1, 2]), hits(&[2, 3])],
            10,
            &table,
        );
        let ids: Vec<u32> = fused.iter().map(|h| h.offset).collect();
        assert_eq!(ids, [2, 1, 3]);
        assert!((fused[0].score - (1.0 / 3.0 + 1.0 / 2.0)).abs() < 1e-6);
        assert!((fused[1].score - 0.5).abs() < 1e-6);
    }

    #[test]
    fn dbsf_of_one_result_is_one_half() {
        assert_eq!(dbsf_normalise(&hits(&[4])), vec![(4, 0.5)]);
    }

    #[test]
    fn average_vector_pushes_away_from_negatives() {
        let v = crate::engine::space::average_dense(
            &[vec![1.0, 0.0], vec![3.0, 0.0]],
            &[vec![0.0, 2.0]],
        );
        assert_eq!(v, vec![4.0, -2.0]);
    }

    #[test]
    fn sigmoids_match_qdrant() {
        assert_eq!(fast_sigmoid(1.0), 0.5);
        assert_eq!(scaled_fast_sigmoid(0.0), 0.5);
        assert_eq!(fast_sigmoid(-3.0), -0.75);
    }
}
