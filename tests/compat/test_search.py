"""Nearest-neighbour search through the universal query endpoint (§3, §7).

Every ranking is checked against an exact numpy computation over the same seeded data. Scores are
compared with a relative/absolute tolerance of 1e-4 (the server computes in float32, the reference
in float64). Ranks are compared by score, not by id, so two points whose scores tie within that
tolerance may come back in either order: at every rank the returned point must carry the score the
reference expects at that rank, and that score must be the point's own reference score.
"""

import math
from types import SimpleNamespace

import httpx

import numpy as np
import pytest
from qdrant_client import models

DIM = 64
POINTS = 2000
SEED = 20240611
DISTANCES = [models.Distance.COSINE, models.Distance.DOT, models.Distance.EUCLID, models.Distance.MANHATTAN]
HIGHER_IS_BETTER = {models.Distance.COSINE, models.Distance.DOT}
GROUPS = 5


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4)


def reference_scores(distance, stored, query):
    """Qdrant's reported score of every stored vector against `query` (§3)."""
    stored = stored.astype(np.float64)
    query = np.asarray(query, dtype=np.float64)
    if distance == models.Distance.COSINE:
        stored = stored / np.linalg.norm(stored, axis=1, keepdims=True)
        return stored @ (query / np.linalg.norm(query))
    if distance == models.Distance.DOT:
        return stored @ query
    if distance == models.Distance.EUCLID:
        return np.sqrt(((stored - query) ** 2).sum(axis=1))
    return np.abs(stored - query).sum(axis=1)


class Seeded:
    """A collection and the data it was seeded with; point id i has row i - 1."""

    def __init__(self, name, distance, vectors):
        self.name = name
        self.distance = distance
        self.vectors = vectors
        self.ids = np.arange(1, len(vectors) + 1)

    def payload(self, point_id):
        return {"group": int(point_id) % GROUPS, "label": f"p{point_id}", "parity": int(point_id) % 2}

    def ranking(self, query, candidates=None):
        """Candidate ids best-first with their reference scores, as {id: score} and [ids]."""
        scores = reference_scores(self.distance, self.vectors, query)
        mask = np.ones(len(self.ids), dtype=bool) if candidates is None else np.isin(self.ids, list(candidates))
        ids, scores = self.ids[mask], scores[mask]
        order = np.argsort(-scores if self.distance in HIGHER_IS_BETTER else scores, kind="stable")
        return {int(i): float(s) for i, s in zip(ids, scores)}, [int(i) for i in ids[order]]

    def assert_ranked(self, hits, query, limit, offset=0, candidates=None):
        by_id, ranked = self.ranking(query, candidates)
        window = ranked[offset : offset + limit]
        assert len(hits) == len(window), f"expected {len(window)} hits, got {len(hits)}"
        assert len({h.id for h in hits}) == len(hits), "duplicate ids in result"
        for rank, (hit, expected_id) in enumerate(zip(hits, window), start=offset):
            assert hit.id in by_id, f"rank {rank}: id {hit.id} is not a candidate"
            assert close(hit.score, by_id[hit.id]), (
                f"rank {rank}: id {hit.id} reported score {hit.score}, reference {by_id[hit.id]}"
            )
            assert close(hit.score, by_id[expected_id]), (
                f"rank {rank}: got id {hit.id} (score {hit.score}), expected id {expected_id} "
                f"(score {by_id[expected_id]})"
            )


def seed_collection(client, name, distance, vectors, payload):
    client.create_collection(name, vectors_config=models.VectorParams(size=vectors.shape[1], distance=distance))
    for start in range(0, len(vectors), 500):
        rows = range(start, min(start + 500, len(vectors)))
        client.upsert(
            name,
            [models.PointStruct(id=i + 1, vector=vectors[i].tolist(), payload=payload(i + 1)) for i in rows],
        )


@pytest.fixture(scope="module")
def seeded(client, new_collection_name):
    """One seeded collection per distance: {distance: Seeded}."""
    rng = np.random.default_rng(SEED)
    collections = {}
    for distance in DISTANCES:
        vectors = rng.standard_normal((POINTS, DIM)).astype(np.float32)
        collection = Seeded(new_collection_name(f"search-{distance.value}"), distance, vectors)
        seed_collection(client, collection.name, distance, vectors, collection.payload)
        collections[distance] = collection
    yield collections
    for collection in collections.values():
        client.delete_collection(collection.name)


@pytest.fixture(params=DISTANCES, ids=lambda d: d.value)
def collection(request, seeded) -> Seeded:
    return seeded[request.param]


@pytest.fixture(scope="module")
def queries():
    return np.random.default_rng(SEED + 1).standard_normal((3, DIM)).astype(np.float32)


def test_nearest_query_matches_exact_top_k(client, collection, queries):
    for query in queries:
        hits = client.query_points(collection.name, query=query.tolist(), limit=10).points

        collection.assert_ranked(hits, query, limit=10)


@pytest.mark.filterwarnings("ignore:Local mode performs exact")
def test_exact_search_param_matches_exact_top_k(client, collection, queries):
    hits = client.query_points(
        collection.name, query=queries[0].tolist(), limit=20, search_params=models.SearchParams(exact=True)
    ).points

    collection.assert_ranked(hits, queries[0], limit=20)


@pytest.mark.filterwarnings("ignore:Local mode performs exact")
def test_hnsw_ef_search_param_is_accepted_and_results_match_exact_top_k(client, collection, queries):
    hits = client.query_points(
        collection.name, query=queries[1].tolist(), limit=10, search_params=models.SearchParams(hnsw_ef=256)
    ).points

    collection.assert_ranked(hits, queries[1], limit=10)


def test_limit_caps_the_number_of_results(client, collection, queries):
    hits = client.query_points(collection.name, query=queries[0].tolist(), limit=3).points

    collection.assert_ranked(hits, queries[0], limit=3)


def test_offset_skips_the_best_results(client, collection, queries):
    hits = client.query_points(collection.name, query=queries[0].tolist(), limit=5, offset=5).points

    collection.assert_ranked(hits, queries[0], limit=5, offset=5)


def test_filter_restricts_results_to_matching_points(client, collection, queries):
    group_two = models.Filter(must=[models.FieldCondition(key="group", match=models.MatchValue(value=2))])

    hits = client.query_points(collection.name, query=queries[2].tolist(), query_filter=group_two, limit=15).points

    collection.assert_ranked(hits, queries[2], limit=15, candidates={i for i in collection.ids if i % GROUPS == 2})


# Euclid is left out: Qdrant compares its threshold as a squared distance, so a threshold equal to
# a reported (square-rooted, rounded) score need not equal that point's internal score exactly.
@pytest.mark.parametrize(
    "distance", [models.Distance.COSINE, models.Distance.DOT, models.Distance.MANHATTAN], ids=lambda d: d.value
)
def test_score_threshold_excludes_a_score_equal_to_the_threshold(client, seeded, distance, queries):
    collection = seeded[distance]
    query = queries[0].tolist()
    unthresholded = client.query_points(collection.name, query=query, limit=10).points
    threshold = unthresholded[4].score
    assert unthresholded[3].score != threshold, "data has a tie at rank 4; pick another query"

    hits = client.query_points(collection.name, query=query, limit=10, score_threshold=threshold).points

    assert [h.id for h in hits] == [h.id for h in unthresholded[:4]]


def test_score_threshold_keeps_exactly_the_better_scores(client, collection, queries):
    by_id, ranked = collection.ranking(queries[1])
    # Halfway between the reference scores at ranks 6 and 7: exactly 7 points are better.
    between = (by_id[ranked[6]] + by_id[ranked[7]]) / 2
    assert not close(between, by_id[ranked[6]]) and not close(between, by_id[ranked[7]])

    hits = client.query_points(collection.name, query=queries[1].tolist(), limit=50, score_threshold=between).points

    collection.assert_ranked(hits, queries[1], limit=7)


def test_with_payload_true_returns_the_whole_payload(client, collection, queries):
    hits = client.query_points(collection.name, query=queries[0].tolist(), limit=3, with_payload=True).points

    assert [h.payload for h in hits] == [collection.payload(h.id) for h in hits]


def test_with_payload_false_omits_the_payload(client, collection, queries):
    hits = client.query_points(collection.name, query=queries[0].tolist(), limit=3, with_payload=False).points

    assert [h.payload for h in hits] == [None] * 3


def test_with_payload_include_list_returns_only_listed_keys(client, collection, queries):
    hits = client.query_points(
        collection.name, query=queries[0].tolist(), limit=3, with_payload=["group", "parity"]
    ).points

    assert [h.payload for h in hits] == [{"group": h.id % GROUPS, "parity": h.id % 2} for h in hits]


def test_with_payload_include_selector_returns_only_listed_keys(client, collection, queries):
    hits = client.query_points(
        collection.name,
        query=queries[0].tolist(),
        limit=3,
        with_payload=models.PayloadSelectorInclude(include=["label"]),
    ).points

    assert [h.payload for h in hits] == [{"label": f"p{h.id}"} for h in hits]


def test_with_payload_exclude_selector_omits_listed_keys(client, collection, queries):
    hits = client.query_points(
        collection.name,
        query=queries[0].tolist(),
        limit=3,
        with_payload=models.PayloadSelectorExclude(exclude=["label"]),
    ).points

    assert [h.payload for h in hits] == [{"group": h.id % GROUPS, "parity": h.id % 2} for h in hits]


def test_without_with_vectors_the_vector_is_omitted(client, collection, queries):
    hits = client.query_points(collection.name, query=queries[0].tolist(), limit=3).points

    assert [h.vector for h in hits] == [None] * 3


def test_with_vectors_returns_the_stored_vector(client, collection, queries):
    hits = client.query_points(collection.name, query=queries[0].tolist(), limit=3, with_vectors=True).points

    for hit in hits:
        stored = collection.vectors[hit.id - 1]
        if collection.distance == models.Distance.COSINE:
            expected = stored.astype(np.float64) / np.linalg.norm(stored.astype(np.float64))
            assert np.allclose(hit.vector, expected, atol=1e-6), f"id {hit.id}: not the normalised vector"
        else:
            assert np.array_equal(np.asarray(hit.vector, dtype=np.float32), stored), f"id {hit.id}"


def test_query_by_point_id_excludes_that_point_and_ranks_the_rest(client, collection):
    point_id = 123
    hits = client.query_points(collection.name, query=point_id, limit=10).points

    collection.assert_ranked(
        hits, collection.vectors[point_id - 1], limit=10, candidates=set(collection.ids.tolist()) - {point_id}
    )


def test_query_batch_returns_one_result_per_request_in_order(client, collection, queries):
    group_one = models.Filter(must=[models.FieldCondition(key="group", match=models.MatchValue(value=1))])
    requests = [
        models.QueryRequest(query=queries[0].tolist(), limit=4),
        models.QueryRequest(query=queries[1].tolist(), limit=7, filter=group_one),
        models.QueryRequest(query=queries[2].tolist(), limit=2, offset=3),
    ]

    responses = client.query_batch_points(collection.name, requests)

    assert len(responses) == 3
    collection.assert_ranked(responses[0].points, queries[0], limit=4)
    collection.assert_ranked(
        responses[1].points, queries[1], limit=7, candidates={i for i in collection.ids if i % GROUPS == 1}
    )
    collection.assert_ranked(responses[2].points, queries[2], limit=2, offset=3)


@pytest.fixture(scope="module")
def named(client, new_collection_name):
    """A collection with named vectors 'a' (Dot, 32-d) and 'b' (Euclid, 8-d): {name: Seeded}."""
    rng = np.random.default_rng(SEED + 2)
    name = new_collection_name("search-named")
    spaces = {
        "a": Seeded(name, models.Distance.DOT, rng.standard_normal((600, 32)).astype(np.float32)),
        "b": Seeded(name, models.Distance.EUCLID, rng.standard_normal((600, 8)).astype(np.float32)),
    }
    client.create_collection(
        name,
        vectors_config={
            space: models.VectorParams(size=s.vectors.shape[1], distance=s.distance) for space, s in spaces.items()
        },
    )
    client.upsert(
        name,
        [
            models.PointStruct(id=i + 1, vector={space: s.vectors[i].tolist() for space, s in spaces.items()})
            for i in range(600)
        ],
    )
    yield spaces
    client.delete_collection(name)


@pytest.mark.parametrize("space", ["a", "b"])
def test_using_selects_the_named_vector_space(client, named, space):
    seeded = named[space]
    query = np.random.default_rng(SEED + 3).standard_normal(seeded.vectors.shape[1])

    hits = client.query_points(seeded.name, query=query.tolist(), using=space, limit=10).points

    seeded.assert_ranked(hits, query, limit=10)


def test_query_by_point_id_with_using_looks_up_that_named_vector(client, named):
    seeded = named["b"]

    hits = client.query_points(seeded.name, query=42, using="b", limit=10).points

    seeded.assert_ranked(hits, seeded.vectors[41], limit=10, candidates=set(seeded.ids.tolist()) - {42})


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_query_by_missing_point_id_is_not_found_404(client, seeded, api_error):
    with api_error(404, "NOT_FOUND") as error:
        client.query_points(seeded[models.Distance.DOT].name, query=999999, limit=3)

    assert "No point with id 999999 found" in error.message


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_query_with_wrong_dimension_is_bad_request_400(client, seeded, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(seeded[models.Distance.DOT].name, query=[1.0, 2.0, 3.0], limit=3)

    assert f"Vector dimension error: expected dim: {DIM}, got 3" in error.message


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_query_with_unknown_vector_name_is_bad_request_400(client, named, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(named["a"].name, query=[0.0] * 32, using="nope", limit=3)

    assert "Vector with name `nope` is not configured in this collection" in error.message


def _legacy_hits(result):
    return [SimpleNamespace(id=h["id"], score=h["score"]) for h in result]


@pytest.mark.server_only("legacy endpoint: client 1.20 has no method for it, so it is called over HTTP")
def test_legacy_search_endpoint_matches_exact_top_k(server_url, collection, queries):
    response = httpx.post(
        f"{server_url}/collections/{collection.name}/points/search",
        json={"vector": queries[0].tolist(), "limit": 10, "offset": 2},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    collection.assert_ranked(_legacy_hits(response.json()["result"]), queries[0], limit=10, offset=2)


@pytest.mark.server_only("legacy endpoint: client 1.20 has no method for it, so it is called over HTTP")
def test_legacy_search_batch_returns_one_ranked_list_per_search(server_url, collection, queries):
    searches = [{"vector": q.tolist(), "limit": 5} for q in queries]
    response = httpx.post(
        f"{server_url}/collections/{collection.name}/points/search/batch",
        json={"searches": searches},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    results = response.json()["result"]

    assert len(results) == len(queries)
    for result, query in zip(results, queries):
        collection.assert_ranked(_legacy_hits(result), query, limit=5)
