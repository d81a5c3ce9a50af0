"""Sparse vectors and multivectors, checked for congruence with the official client's local mode.

One seeded collection mixes a dense vector, multivectors (``max_sim``) in every distance and two
sparse vectors (one with ``modifier: idf``); some points lack some vectors. Every query runs on
the server (REST and gRPC, through the ``client`` fixture) and on ``QdrantClient(":memory:")``
loaded with the same points — the oracle — and must give the same ids in the same order with
scores equal to 1e-4. Writes (update and delete of vectors) run on a fresh pair of collections.
"""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

N_POINTS = 60
VOCABULARY = 40
TOLERANCE = 1e-4
DENSE = {"dense": (6, "Cosine")}
MULTI = {"mcos": (4, "Cosine"), "mdot": (3, "Dot"), "meuc": (3, "Euclid"), "mman": (3, "Manhattan")}
SPARSE = {"text": None, "bm": models.Modifier.IDF}
COLORS = ["red", "green", "blue"]
LOCAL_RAISES = pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")


def sparse(rng: np.random.Generator, low: int = 3, high: int = 9) -> models.SparseVector:
    k = int(rng.integers(low, high))
    indices = rng.choice(VOCABULARY, size=k, replace=False).tolist()
    values = rng.uniform(0.1, 2.0, size=k).round(4).tolist()
    return models.SparseVector(indices=indices, values=values)


def multi(rng: np.random.Generator, dim: int) -> list[list[float]]:
    return rng.normal(size=(int(rng.integers(1, 4)), dim)).round(4).tolist()


def seed_points(seed: int, n: int) -> list[models.PointStruct]:
    rng = np.random.default_rng(seed)
    points = []
    for i in range(1, n + 1):
        vectors: dict = {"dense": rng.normal(size=6).round(4).tolist()}
        for name, (dim, _) in MULTI.items():
            if name != "mcos" or i % 5:
                vectors[name] = multi(rng, dim)
        for name in SPARSE:
            if i % 7:
                vectors[name] = sparse(rng)
        payload = {"color": COLORS[i % 3], "rank": i}
        points.append(models.PointStruct(id=i, vector=vectors, payload=payload))
    return points


def create(target: QdrantClient, name: str) -> None:
    vectors = {n: models.VectorParams(size=d, distance=dist) for n, (d, dist) in DENSE.items()}
    for n, (d, dist) in MULTI.items():
        vectors[n] = models.VectorParams(
            size=d,
            distance=dist,
            multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM),
        )
    sparse_config = {n: models.SparseVectorParams(modifier=m) for n, m in SPARSE.items()}
    target.create_collection(name, vectors_config=vectors, sparse_vectors_config=sparse_config)


@pytest.fixture(scope="module")
def points():
    return seed_points(20261203, N_POINTS)


@pytest.fixture(scope="module")
def oracle(points):
    local = QdrantClient(":memory:")
    create(local, "main")
    local.upsert("main", points)
    yield local
    local.close()


@pytest.fixture(scope="module")
def main(client, points, new_collection_name):
    name = new_collection_name("kinds")
    create(client, name)
    client.upsert(name, points, wait=True)
    yield name
    client.delete_collection(name)


def assert_same(got, want, context=""):
    got_ids = [p.id for p in got]
    want_ids = [p.id for p in want]
    assert got_ids == want_ids, f"{context}: ids {got_ids} != {want_ids}"
    for g, w in zip(got, want):
        assert abs(g.score - w.score) <= TOLERANCE * max(1.0, abs(w.score)), (
            f"{context}: point {g.id} score {g.score} != {w.score}"
        )


def assert_same_up_to_ties(got, want, context=""):
    """Same scores, and the same set of points at each score (the order among equals is free)."""
    assert len(got) == len(want), context
    assert np.allclose([p.score for p in got], [p.score for p in want], atol=TOLERANCE), context
    groups = lambda points: {  # noqa: E731
        round(score, 4): {p.id for p in points if round(p.score, 4) == round(score, 4)}
        for score in {p.score for p in points}
    }
    assert groups(got) == groups(want), context


def check(client, oracle, main, **request):
    got = client.query_points(main, **request).points
    want = oracle.query_points("main", **request).points
    assert_same(got, want, repr(request))
    return got


def check_up_to_ties(client, oracle, main, **request):
    """For queries where many points tie (a context query scores every point inside all pairs
    0): every point is asked for, and compared score group by score group."""
    request["limit"] = N_POINTS
    got = client.query_points(main, **request).points
    want = oracle.query_points("main", **request).points
    assert_same_up_to_ties(got, want, repr(request))


def query_sparse(seed: int) -> models.SparseVector:
    return sparse(np.random.default_rng(seed), 2, 6)


def query_multi(seed: int, name: str) -> list[list[float]]:
    return multi(np.random.default_rng(seed), MULTI[name][0])


# --- storage ------------------------------------------------------------------------------------


def test_vectors_of_every_kind_round_trip(client, oracle, main):
    ids = [1, 5, 7, 14, 35]
    got = client.retrieve(main, ids, with_vectors=True)
    want = oracle.retrieve("main", ids, with_vectors=True)
    for g, w in zip(got, want):
        assert set(g.vector) == set(w.vector), g.id
        for name, v in w.vector.items():
            if isinstance(v, models.SparseVector):
                assert g.vector[name].indices == v.indices, (g.id, name)
                assert np.allclose(g.vector[name].values, v.values), (g.id, name)
            else:
                assert np.allclose(g.vector[name], v, atol=1e-5), (g.id, name)


def test_collection_info_reports_sparse_and_multivector_config(client, main):
    params = client.get_collection(main).config.params
    assert set(params.sparse_vectors) == {"text", "bm"}
    assert params.sparse_vectors["bm"].modifier == models.Modifier.IDF
    assert params.vectors["mcos"].multivector_config.comparator == models.MultiVectorComparator.MAX_SIM
    assert params.vectors["dense"].multivector_config is None


def test_has_vector_counts_points_with_a_sparse_vector(client, oracle, main):
    for name in ["text", "mcos", "dense"]:
        has = models.Filter(must=[models.HasVectorCondition(has_vector=name)])
        assert client.count(main, count_filter=has).count == oracle.count("main", count_filter=has).count


# --- sparse -------------------------------------------------------------------------------------


@pytest.mark.parametrize("using", list(SPARSE))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sparse_nearest(client, oracle, main, using, seed):
    check(client, oracle, main, query=query_sparse(seed), using=using, limit=10)


@pytest.mark.parametrize("using", list(SPARSE))
def test_sparse_nearest_with_filter_offset_and_threshold(client, oracle, main, using):
    color = models.Filter(must=[models.FieldCondition(key="color", match=models.MatchValue(value="red"))])
    check(
        client, oracle, main, query=query_sparse(4), using=using, query_filter=color, limit=5, offset=1,
        score_threshold=0.5,
    )


def test_sparse_query_sharing_no_index_finds_nothing(client, oracle, main):
    got = check(client, oracle, main, query=models.SparseVector(indices=[VOCABULARY + 5], values=[1.0]), using="text")
    assert got == []


SPARSE_EXAMPLES = {
    "average": models.RecommendQuery(recommend=models.RecommendInput(positive=[1, 2], negative=[3])),
    "average_positive_only": models.RecommendQuery(recommend=models.RecommendInput(positive=[4])),
    "best_score": models.RecommendQuery(
        recommend=models.RecommendInput(positive=[1, 8], negative=[9], strategy="best_score")
    ),
    "sum_scores": models.RecommendQuery(
        recommend=models.RecommendInput(positive=[6, 16], negative=[11], strategy="sum_scores")
    ),
    "discover": models.DiscoverQuery(
        discover=models.DiscoverInput(target=2, context=[models.ContextPair(positive=3, negative=4)])
    ),
    "context": models.ContextQuery(context=[models.ContextPair(positive=13, negative=6)]),
}


@pytest.mark.parametrize("using", list(SPARSE))
@pytest.mark.parametrize("variant", list(SPARSE_EXAMPLES))
def test_sparse_examples(client, oracle, main, using, variant):
    run = check_up_to_ties if variant == "context" else check
    run(client, oracle, main, query=SPARSE_EXAMPLES[variant], using=using, limit=8)


def test_sparse_recommend_with_raw_vectors(client, oracle, main):
    recommend = models.RecommendInput(positive=[query_sparse(5), 12], negative=[query_sparse(6)], strategy="best_score")
    check(client, oracle, main, query=models.RecommendQuery(recommend=recommend), using="bm", limit=6)


# --- multivectors --------------------------------------------------------------------------------


@pytest.mark.parametrize("using", list(MULTI))
@pytest.mark.parametrize("seed", [1, 2])
def test_multivector_nearest(client, oracle, main, using, seed):
    check(client, oracle, main, query=query_multi(seed, using), using=using, limit=10)


@pytest.mark.parametrize("using", ["mcos", "meuc"])
def test_multivector_nearest_with_filter_and_threshold(client, oracle, main, using):
    color = models.Filter(must=[models.FieldCondition(key="color", match=models.MatchValue(value="green"))])
    threshold = 0.5 if using == "mcos" else 6.0
    check(
        client, oracle, main, query=query_multi(3, using), using=using, query_filter=color, limit=6,
        score_threshold=threshold,
    )


@pytest.mark.parametrize("using", list(MULTI))
@pytest.mark.parametrize("variant", list(SPARSE_EXAMPLES))
def test_multivector_examples(client, oracle, main, using, variant):
    run = check_up_to_ties if variant == "context" else check
    run(client, oracle, main, query=SPARSE_EXAMPLES[variant], using=using, limit=8)


# --- hybrid -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fusion", [models.Fusion.RRF, models.Fusion.DBSF])
def test_hybrid_dense_and_sparse_fusion(client, oracle, main, fusion):
    prefetch = [
        models.Prefetch(query=np.random.default_rng(7).normal(size=6).round(4).tolist(), using="dense", limit=15),
        models.Prefetch(query=query_sparse(7), using="bm", limit=15),
    ]
    check(client, oracle, main, prefetch=prefetch, query=models.FusionQuery(fusion=fusion), limit=10)


def test_sparse_prefetch_rescored_by_a_multivector(client, oracle, main):
    prefetch = models.Prefetch(query=query_sparse(8), using="text", limit=20)
    check(client, oracle, main, prefetch=prefetch, query=query_multi(8, "mdot"), using="mdot", limit=5)


def test_multivector_prefetch_rescored_by_sparse(client, oracle, main):
    prefetch = models.Prefetch(query=query_multi(9, "mcos"), using="mcos", limit=25)
    check(client, oracle, main, prefetch=prefetch, query=query_sparse(9), using="bm", limit=5)


# --- writes -------------------------------------------------------------------------------------


@pytest.fixture
def pair(client, collection_name):
    """A fresh collection on the server and in a local oracle, loaded with the same points."""
    points = seed_points(77, 30)
    local = QdrantClient(":memory:")
    create(local, "main")
    local.upsert("main", points)
    create(client, collection_name)
    client.upsert(collection_name, points, wait=True)
    yield collection_name, local
    local.close()


def test_updates_and_deletes_of_sparse_and_multivectors(client, pair):
    name, local = pair
    rng = np.random.default_rng(5)
    changes = [
        models.PointVectors(id=7, vector={"text": sparse(rng), "bm": sparse(rng)}),
        models.PointVectors(id=3, vector={"mcos": multi(rng, 4)}),
    ]
    for target, collection in [(client, name), (local, "main")]:
        target.update_vectors(collection, changes, wait=True)
        target.delete_vectors(collection, ["text", "meuc"], points=[1, 2], wait=True)
        target.delete(collection, [4], wait=True)
        target.upsert(collection, [models.PointStruct(id=2, vector={"dense": [1.0] * 6, "bm": sparse(rng)})])
    # IDF counts follow the points that have the vector now.
    for query, using in [(query_sparse(11), "bm"), (query_sparse(12), "text"), (query_multi(12, "meuc"), "meuc")]:
        got = client.query_points(name, query=query, using=using, limit=30).points
        want = local.query_points("main", query=query, using=using, limit=30).points
        assert_same(got, want, using)
    has_text = models.Filter(must=[models.HasVectorCondition(has_vector="text")])
    assert client.count(name, count_filter=has_text).count == local.count("main", count_filter=has_text).count


# --- bad input ------------------------------------------------------------------------------------


@LOCAL_RAISES
def test_sparse_values_and_indices_of_different_length_are_422(client, main, api_error):
    with api_error(422, "INVALID_ARGUMENT") as error:
        client.upsert(main, [models.PointStruct(id=1000, vector={"text": models.SparseVector(indices=[1, 2], values=[1.0])})])
    assert "must be the same length as indices" in error.message
    assert client.retrieve(main, [1000]) == []


@LOCAL_RAISES
def test_sparse_duplicate_indices_are_422(client, main, api_error):
    with api_error(422, "INVALID_ARGUMENT") as error:
        client.upsert(main, [models.PointStruct(id=1000, vector={"text": models.SparseVector(indices=[3, 3], values=[1.0, 2.0])})])
    assert "must be unique" in error.message
    with api_error(422, "INVALID_ARGUMENT"):
        client.query_points(main, query=models.SparseVector(indices=[3, 3], values=[1.0, 2.0]), using="text")


@LOCAL_RAISES
def test_a_vector_of_the_wrong_kind_is_refused(client, main, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.upsert(main, [models.PointStruct(id=1000, vector={"text": [1.0, 2.0]})])
    assert "Conversion between sparse and regular vectors failed" in error.message
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(main, query=[1.0, 2.0, 3.0], using="mdot")
    assert "Conversion between multi and regular vectors failed" in error.message
    with api_error(400, "INVALID_ARGUMENT"):
        client.query_points(main, query=models.SparseVector(indices=[1], values=[1.0]), using="dense")
    assert client.retrieve(main, [1000]) == []


@LOCAL_RAISES
def test_a_multivector_with_a_wrong_dimension_is_refused(client, main, api_error):
    with api_error(422, "INVALID_ARGUMENT") as error:
        client.upsert(main, [models.PointStruct(id=1000, vector={"mdot": [[1.0, 2.0, 3.0], [1.0, 2.0]]})])
    assert "same dimension" in error.message
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.upsert(main, [models.PointStruct(id=1000, vector={"mdot": [[1.0, 2.0], [1.0, 2.0]]})])
    assert "expected dim: 3, got 2" in error.message
    assert client.retrieve(main, [1000]) == []
