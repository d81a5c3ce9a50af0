"""The universal query family, checked for congruence with the official client's local mode.

Every test runs the same request against the server (through the `client` fixture, over REST and
gRPC) and against ``QdrantClient(":memory:")`` loaded with the same seeded data — the oracle —
and expects the same ids in the same order with scores equal to 1e-4.

The seeded collection has four named vectors, one per distance, and payloads with keyword,
integer, float and array fields; a second collection serves ``lookup_from``.
"""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

# The oracle warns that its payload indexes are no-ops; they exist here for the server's order_by.
pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect")

N_POINTS = 80
SPACES = {"cos": (8, "Cosine"), "dot": (6, "Dot"), "euc": (5, "Euclid"), "man": (4, "Manhattan")}
COLORS = ["red", "green", "blue", "black", "white"]
TOLERANCE = 1e-4
LOCAL_RAISES = pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")


def _seed_points(rng: np.random.Generator, n: int) -> list[models.PointStruct]:
    points = []
    for i in range(1, n + 1):
        vectors = {name: rng.normal(size=dim).round(4).tolist() for name, (dim, _) in SPACES.items()}
        tags = sorted(set(rng.choice(COLORS, size=int(rng.integers(0, 3))).tolist()))
        payload = {
            "color": COLORS[int(rng.integers(0, len(COLORS)))],
            "rank": int(rng.integers(0, 20)),
            "price": round(float(rng.uniform(0, 100)), 3),
            "tags": tags,
        }
        points.append(models.PointStruct(id=i, vector=vectors, payload=payload))
    return points


def _vectors_config():
    return {name: models.VectorParams(size=dim, distance=dist) for name, (dim, dist) in SPACES.items()}


def _load(target: QdrantClient, name: str, points) -> None:
    target.create_collection(name, vectors_config=_vectors_config())
    target.upsert(name, points, wait=True)
    # order_by needs a range index on its key (the local mode accepts and ignores these).
    target.create_payload_index(name, "rank", models.PayloadSchemaType.INTEGER, wait=True)
    target.create_payload_index(name, "price", models.PayloadSchemaType.FLOAT, wait=True)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(20261202)
    return {"main": _seed_points(rng, N_POINTS), "other": _seed_points(rng, 10)}


@pytest.fixture(scope="module")
def oracle(data):
    local = QdrantClient(":memory:")
    _load(local, "main", data["main"])
    _load(local, "other", data["other"])
    local.create_collection("empty", vectors_config=_vectors_config())
    yield local
    local.close()


@pytest.fixture(scope="module")
def names(client, data, new_collection_name):
    names = {
        "main": new_collection_name("query-main"),
        "other": new_collection_name("query-other"),
        "empty": new_collection_name("query-empty"),
    }
    _load(client, names["main"], data["main"])
    _load(client, names["other"], data["other"])
    client.create_collection(names["empty"], vectors_config=_vectors_config())
    yield names
    for name in names.values():
        client.delete_collection(name)


def vec(rng_seed: int, space: str) -> list[float]:
    dim = SPACES[space][0]
    return np.random.default_rng(rng_seed).normal(size=dim).round(4).tolist()


def assert_same(got, want, context=""):
    got_ids = [p.id for p in got]
    want_ids = [p.id for p in want]
    assert got_ids == want_ids, f"{context}: ids {got_ids} != {want_ids}"
    for g, w in zip(got, want):
        assert abs(g.score - w.score) <= TOLERANCE * max(1.0, abs(w.score)), (
            f"{context}: point {g.id} score {g.score} != {w.score}"
        )


def assert_same_up_to_ties(got, want):
    assert len(got) == len(want)
    assert np.allclose([p.score for p in got], [p.score for p in want], atol=TOLERANCE)
    groups = lambda points: {  # noqa: E731
        round(score, 4): {p.id for p in points if round(p.score, 4) == round(score, 4)}
        for score in {p.score for p in points}
    }
    assert groups(got) == groups(want)


def both(client, oracle, names, collection="main", lookup=None, **request):
    """Runs ``query_points`` on the server and on the oracle; returns both point lists."""
    server_kwargs = dict(request)
    oracle_kwargs = dict(request)
    if lookup is not None:
        server_kwargs["lookup_from"] = models.LookupLocation(collection=names[lookup[0]], vector=lookup[1])
        oracle_kwargs["lookup_from"] = models.LookupLocation(collection=lookup[0], vector=lookup[1])
    got = client.query_points(names[collection], **server_kwargs).points
    want = oracle.query_points(collection, **oracle_kwargs).points
    return got, want


def check(client, oracle, names, context="", **request):
    got, want = both(client, oracle, names, **request)
    assert_same(got, want, context or repr(request))
    return got


# --- nearest ----------------------------------------------------------------------------------


@pytest.mark.parametrize("space", list(SPACES))
def test_nearest_vector_in_every_space(client, oracle, names, space):
    check(client, oracle, names, query=vec(1, space), using=space, limit=7)


@pytest.mark.parametrize("space", ["cos", "euc"])
def test_nearest_point_id_leaves_that_point_out(client, oracle, names, space):
    got = check(client, oracle, names, query=5, using=space, limit=6)
    assert 5 not in [p.id for p in got]


def test_nearest_with_filter_offset_and_threshold(client, oracle, names):
    check(
        client, oracle, names,
        query=models.NearestQuery(nearest=vec(2, "dot")), using="dot",
        query_filter=models.Filter(must=[models.FieldCondition(key="color", match=models.MatchValue(value="red"))]),
        limit=4, offset=2, score_threshold=-1.0,
    )


# --- recommend ---------------------------------------------------------------------------------


RECOMMEND = {
    "average_ids": models.RecommendInput(positive=[1, 2], negative=[3]),
    "average_positive_only": models.RecommendInput(positive=[4], strategy="average_vector"),
    "best_score": models.RecommendInput(positive=[1, 7], negative=[9, 11], strategy="best_score"),
    "best_score_only_negatives": models.RecommendInput(negative=[2, 3], strategy="best_score"),
    "sum_scores": models.RecommendInput(positive=[6, 8], negative=[10], strategy="sum_scores"),
    "sum_scores_only_negatives": models.RecommendInput(negative=[12], strategy="sum_scores"),
}


@pytest.mark.parametrize("space", list(SPACES))
@pytest.mark.parametrize("variant", list(RECOMMEND))
def test_recommend_strategies(client, oracle, names, variant, space):
    got = check(client, oracle, names, query=models.RecommendQuery(recommend=RECOMMEND[variant]), using=space, limit=8)
    mentioned = set(RECOMMEND[variant].positive or []) | set(RECOMMEND[variant].negative or [])
    assert not mentioned & {p.id for p in got}


def test_recommend_with_raw_vectors_and_ids_mixed(client, oracle, names):
    recommend = models.RecommendInput(positive=[vec(3, "cos"), 14], negative=[vec(4, "cos")], strategy="best_score")
    check(client, oracle, names, query=models.RecommendQuery(recommend=recommend), using="cos", limit=5)


def test_recommend_with_examples_from_another_collection(client, oracle, names):
    recommend = models.RecommendInput(positive=[1, 2], negative=[3])
    got = check(
        client, oracle, names, query=models.RecommendQuery(recommend=recommend), using="cos",
        lookup=("other", "cos"), limit=5,
    )
    # Examples from another collection do not exclude this collection's points 1–3.
    assert len(got) == 5


@LOCAL_RAISES
def test_recommend_with_a_missing_example_is_404(client, names, api_error):
    with api_error(404, "NOT_FOUND"):
        client.query_points(
            names["main"], query=models.RecommendQuery(recommend=models.RecommendInput(positive=[999_999])),
            using="cos",
        )


@LOCAL_RAISES
def test_recommend_average_without_positives_is_400(client, names, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(
            names["main"], query=models.RecommendQuery(recommend=models.RecommendInput(negative=[1])), using="cos",
        )
    assert "At least one positive vector ID required with this strategy" in error.message


# --- discover and context ----------------------------------------------------------------------


@pytest.mark.parametrize("space", list(SPACES))
def test_discover_target_and_context(client, oracle, names, space):
    discover = models.DiscoverInput(
        target=vec(5, space),
        context=[models.ContextPair(positive=1, negative=2), models.ContextPair(positive=3, negative=4)],
    )
    check(client, oracle, names, query=models.DiscoverQuery(discover=discover), using=space, limit=6)


def test_discover_with_target_id_excludes_it(client, oracle, names):
    discover = models.DiscoverInput(target=10, context=[models.ContextPair(positive=11, negative=12)])
    got = check(client, oracle, names, query=models.DiscoverQuery(discover=discover), using="euc", limit=6)
    assert not {10, 11, 12} & {p.id for p in got}


@pytest.mark.parametrize("space", list(SPACES))
def test_context_pairs(client, oracle, names, space, transport):
    # Context scores are 0 for every point on the right side of all pairs, so many points tie:
    # compare everything, with ties as sets (the oracle orders ties arbitrarily, Quiver by id).
    context = [models.ContextPair(positive=5, negative=6), models.ContextPair(positive=vec(7, space), negative=8)]
    got, want = both(client, oracle, names, query=models.ContextQuery(context=context), using=space, limit=N_POINTS)
    assert_same_up_to_ties(got, want)
    if transport != "local":
        tied = [p for p in got if p.score == got[0].score]
        assert [p.id for p in tied] == sorted(p.id for p in tied), "Quiver orders ties by id"


# --- prefetch and fusion -----------------------------------------------------------------------


def test_prefetch_then_rescore_with_another_vector(client, oracle, names):
    check(
        client, oracle, names,
        prefetch=models.Prefetch(query=vec(8, "cos"), using="cos", limit=20),
        query=vec(9, "euc"), using="euc", limit=5,
    )


def test_prefetch_three_levels_deep_with_filters(client, oracle, names):
    inner = models.Prefetch(
        query=vec(10, "dot"), using="dot", limit=40,
        filter=models.Filter(must_not=[models.FieldCondition(key="color", match=models.MatchValue(value="blue"))]),
    )
    middle = models.Prefetch(prefetch=inner, query=vec(11, "man"), using="man", limit=20)
    outer = models.Prefetch(prefetch=middle, query=vec(12, "cos"), using="cos", limit=10)
    check(
        client, oracle, names, prefetch=outer, query=vec(13, "euc"), using="euc", limit=4,
        query_filter=models.Filter(must=[models.FieldCondition(key="rank", range=models.Range(gte=3))]),
    )


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_fusion_of_two_prefetches(client, oracle, names, fusion):
    check(
        client, oracle, names,
        prefetch=[
            models.Prefetch(query=vec(14, "cos"), using="cos", limit=15),
            models.Prefetch(query=vec(15, "euc"), using="euc", limit=15),
        ],
        query=models.FusionQuery(fusion=fusion), limit=10,
    )


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_fusion_of_prefetches_with_disjoint_results(client, oracle, names, fusion):
    def color(c):
        return models.Filter(must=[models.FieldCondition(key="color", match=models.MatchValue(value=c))])

    check(
        client, oracle, names,
        prefetch=[
            models.Prefetch(query=vec(16, "dot"), using="dot", limit=5, filter=color("red")),
            models.Prefetch(query=vec(17, "dot"), using="dot", limit=5, filter=color("green")),
        ],
        query=models.FusionQuery(fusion=fusion), limit=10,
    )


def test_rrf_with_k_and_weights(client, oracle, names):
    check(
        client, oracle, names,
        prefetch=[
            models.Prefetch(query=vec(18, "cos"), using="cos", limit=10),
            models.Prefetch(query=vec(19, "man"), using="man", limit=10),
        ],
        query=models.RrfQuery(rrf=models.Rrf(k=5, weights=[2.0, 0.5])), limit=8,
    )


def test_fusion_with_score_threshold_and_offset(client, oracle, names):
    check(
        client, oracle, names,
        prefetch=[
            models.Prefetch(query=vec(20, "cos"), using="cos", limit=10),
            models.Prefetch(query=vec(21, "dot"), using="dot", limit=10),
        ],
        query=models.FusionQuery(fusion="rrf"), limit=5, offset=2, score_threshold=0.3,
    )


@LOCAL_RAISES
def test_prefetch_without_query_is_400(client, names, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(names["main"], prefetch=models.Prefetch(query=vec(22, "cos"), using="cos"), limit=10)
    assert "A query is needed to merge the prefetches" in error.message


def test_recommend_over_prefetch_results(client, oracle, names):
    check(
        client, oracle, names,
        prefetch=models.Prefetch(query=vec(23, "euc"), using="euc", limit=30),
        query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1], negative=[2], strategy="best_score")),
        using="cos", limit=5,
    )


@LOCAL_RAISES
def test_fusion_with_using_is_400(client, names, api_error):
    with api_error(400, "INVALID_ARGUMENT"):
        client.query_points(
            names["main"], prefetch=[models.Prefetch(query=vec(37, "cos"), using="cos")],
            query=models.FusionQuery(fusion="rrf"), using="cos",
        )


@LOCAL_RAISES
def test_fusion_without_prefetch_is_400(client, names, api_error):
    with api_error(400, "INVALID_ARGUMENT"):
        client.query_points(names["main"], query=models.FusionQuery(fusion="rrf"))


# --- edges ---------------------------------------------------------------------------------------


def test_empty_collection_answers_nothing(client, oracle, names):
    check(client, oracle, names, collection="empty", query=vec(24, "cos"), using="cos")
    check(
        client, oracle, names, collection="empty",
        prefetch=[models.Prefetch(query=vec(25, "cos"), using="cos")], query=models.FusionQuery(fusion="dbsf"),
    )


def test_limit_beyond_the_collection_returns_everything(client, oracle, names):
    got = check(client, oracle, names, query=vec(26, "man"), using="man", limit=1000)
    assert len(got) == N_POINTS


def test_offset_past_the_end_returns_nothing(client, oracle, names):
    assert check(client, oracle, names, query=vec(27, "cos"), using="cos", limit=5, offset=N_POINTS + 5) == []


@LOCAL_RAISES
def test_limit_zero_is_rejected(client, names, api_error):
    with api_error(422, "INVALID_ARGUMENT"):
        client.query_points(names["main"], query=vec(28, "cos"), using="cos", limit=0)


def test_sample_random_returns_distinct_matching_points(client, names):
    red = models.Filter(must=[models.FieldCondition(key="color", match=models.MatchValue(value="red"))])
    all_red = {p.id for p in client.scroll(names["main"], scroll_filter=red, limit=N_POINTS)[0]}
    got = client.query_points(names["main"], query=models.SampleQuery(sample="random"), query_filter=red, limit=5).points
    ids = [p.id for p in got]
    assert len(ids) == len(set(ids)) == min(5, len(all_red))
    assert set(ids) <= all_red


def test_query_results_carry_payload_and_vectors_when_asked(client, oracle, names):
    got, want = both(
        client, oracle, names,
        prefetch=[models.Prefetch(query=vec(29, "cos"), using="cos"), models.Prefetch(query=vec(30, "dot"), using="dot")],
        query=models.FusionQuery(fusion="rrf"), limit=3, with_payload=["color"], with_vectors=["euc"],
    )
    assert [p.payload for p in got] == [p.payload for p in want]
    for g, w in zip(got, want):
        assert np.allclose(g.vector["euc"], w.vector["euc"], atol=1e-5)


# --- groups ---------------------------------------------------------------------------------------


def assert_same_groups(got, want):
    assert [g.id for g in got.groups] == [g.id for g in want.groups]
    for g, w in zip(got.groups, want.groups):
        assert_same(g.hits, w.hits, f"group {g.id}")


@pytest.mark.parametrize("key", ["color", "tags", "rank", "price"])
def test_query_groups_by_keyword_array_integer_and_float_keys(client, oracle, names, key):
    # `tags` is an array (a point joins each of its groups), `price` a float (no groups at all).
    got = client.query_points_groups(names["main"], group_by=key, query=vec(31, "cos"), using="cos", limit=4, group_size=2)
    want = oracle.query_points_groups("main", group_by=key, query=vec(31, "cos"), using="cos", limit=4, group_size=2)
    assert_same_groups(got, want)
    if key == "price":
        assert got.groups == []


def test_query_groups_over_fusion_with_payload_and_lookup(client, oracle, names):
    request = dict(
        prefetch=[models.Prefetch(query=vec(32, "cos"), using="cos", limit=5), models.Prefetch(query=vec(33, "euc"), using="euc", limit=5)],
        query=models.FusionQuery(fusion="rrf"), group_by="rank", limit=3, group_size=3, with_payload=["color"],
    )
    got = client.query_points_groups(names["main"], **request, with_lookup=models.WithLookup(collection=names["other"], with_payload=True))
    want = oracle.query_points_groups("main", **request, with_lookup=models.WithLookup(collection="other", with_payload=True))
    assert_same_groups(got, want)
    for g, w in zip(got.groups, want.groups):
        assert [h.payload for h in g.hits] == [h.payload for h in w.hits]
        assert (g.lookup is None) == (w.lookup is None)
        if g.lookup is not None:
            assert g.lookup.id == w.lookup.id and g.lookup.payload == w.lookup.payload


# --- legacy endpoints (not in the Python client any more: plain REST and raw gRPC stubs) -----------


def _oracle_recommend(oracle, positive, negative, strategy, using, limit):
    recommend = models.RecommendInput(positive=positive, negative=negative, strategy=strategy)
    return oracle.query_points("main", query=models.RecommendQuery(recommend=recommend), using=using, limit=limit).points


def _same_raw(got: list[dict], want) -> None:
    assert [p["id"] for p in got] == [p.id for p in want]
    for g, w in zip(got, want):
        assert abs(g["score"] - w.score) <= TOLERANCE * max(1.0, abs(w.score))


@pytest.mark.server_only("the legacy endpoints are called over plain HTTP")
@pytest.mark.parametrize("strategy", ["average_vector", "best_score", "sum_scores"])
def test_legacy_recommend_and_batch_over_rest(server_url, oracle, names, strategy):
    import httpx

    body = {"positive": [1, 2], "negative": [3], "strategy": strategy, "using": "euc", "limit": 6}
    url = f"{server_url}/collections/{names['main']}/points"
    single = httpx.post(f"{url}/recommend", json=body).json()["result"]
    want = _oracle_recommend(oracle, [1, 2], [3], strategy, "euc", 6)
    _same_raw(single, want)
    batch = httpx.post(f"{url}/recommend/batch", json={"searches": [body, {**body, "limit": 2}]}).json()["result"]
    _same_raw(batch[0], want)
    _same_raw(batch[1], want[:2])


@pytest.mark.server_only("the legacy endpoints are called over plain HTTP")
def test_legacy_discover_context_and_groups_over_rest(server_url, oracle, names):
    import httpx

    url = f"{server_url}/collections/{names['main']}/points"
    pairs = [{"positive": 1, "negative": 2}]
    got = httpx.post(f"{url}/discover", json={"target": 5, "context": pairs, "using": "cos", "limit": 5}).json()["result"]
    discover = models.DiscoverInput(target=5, context=[models.ContextPair(positive=1, negative=2)])
    _same_raw(got, oracle.query_points("main", query=models.DiscoverQuery(discover=discover), using="cos", limit=5).points)

    batch = httpx.post(f"{url}/discover/batch", json={"searches": [{"target": 5, "context": pairs, "using": "cos", "limit": 5}]})
    assert batch.json()["result"][0] == got

    groups = httpx.post(
        f"{url}/search/groups",
        json={"vector": {"name": "dot", "vector": vec(34, "dot")}, "group_by": "color", "group_size": 2, "limit": 3},
    ).json()["result"]["groups"]
    want = oracle.query_points_groups("main", query=vec(34, "dot"), using="dot", group_by="color", group_size=2, limit=3)
    assert [g["id"] for g in groups] == [g.id for g in want.groups]
    for g, w in zip(groups, want.groups):
        _same_raw(g["hits"], w.hits)

    rec_groups = httpx.post(
        f"{url}/recommend/groups",
        json={"positive": [7], "using": "cos", "group_by": "tags", "group_size": 1, "limit": 5},
    ).json()["result"]["groups"]
    recommend = models.RecommendQuery(recommend=models.RecommendInput(positive=[7]))
    want = oracle.query_points_groups("main", query=recommend, using="cos", group_by="tags", group_size=1, limit=5)
    assert [g["id"] for g in rec_groups] == [g.id for g in want.groups]


@pytest.mark.server_only("raw gRPC stubs")
def test_legacy_rpcs_over_grpc(grpc_target, oracle, names):
    import grpc
    from qdrant_client import grpc as qgrpc

    with grpc.insecure_channel(grpc_target) as channel:
        points = qgrpc.PointsStub(channel)
        reply = points.Recommend(
            qgrpc.RecommendPoints(
                collection_name=names["main"], positive=[qgrpc.PointId(num=1)], negative=[qgrpc.PointId(num=4)],
                strategy=qgrpc.RecommendStrategy.BestScore, using="man", limit=5,
            ),
            timeout=10,
        )
        want = _oracle_recommend(oracle, [1], [4], "best_score", "man", 5)
        assert [p.id.num for p in reply.result] == [p.id for p in want]
        assert np.allclose([p.score for p in reply.result], [p.score for p in want], atol=TOLERANCE)

        example = lambda n: qgrpc.VectorExample(id=qgrpc.PointId(num=n))  # noqa: E731
        reply = reply_discover = points.Discover(
            qgrpc.DiscoverPoints(
                collection_name=names["main"], target=qgrpc.TargetVector(single=example(5)),
                context=[qgrpc.ContextExamplePair(positive=example(1), negative=example(2))], using="cos", limit=5,
            ),
            timeout=10,
        )
        discover = models.DiscoverInput(target=5, context=[models.ContextPair(positive=1, negative=2)])
        want = oracle.query_points("main", query=models.DiscoverQuery(discover=discover), using="cos", limit=5).points
        assert [p.id.num for p in reply.result] == [p.id for p in want]

        reply = points.SearchGroups(
            qgrpc.SearchPointGroups(
                collection_name=names["main"], vector=vec(35, "euc"), vector_name="euc", group_by="color",
                group_size=2, limit=3,
            ),
            timeout=10,
        )
        want = oracle.query_points_groups("main", query=vec(35, "euc"), using="euc", group_by="color", group_size=2, limit=3)
        assert [g.id.string_value for g in reply.result.groups] == [g.id for g in want.groups]

        batch = points.RecommendBatch(
            qgrpc.RecommendBatchPoints(
                collection_name=names["main"],
                recommend_points=[qgrpc.RecommendPoints(collection_name=names["main"], positive=[qgrpc.PointId(num=9)], using="cos", limit=3)],
            ),
            timeout=10,
        )
        assert len(batch.result) == 1 and len(batch.result[0].result) == 3

        groups = points.RecommendGroups(
            qgrpc.RecommendPointGroups(
                collection_name=names["main"], positive=[qgrpc.PointId(num=7)], using="cos", group_by="tags",
                group_size=1, limit=5,
            ),
            timeout=10,
        )
        recommend = models.RecommendQuery(recommend=models.RecommendInput(positive=[7]))
        want = oracle.query_points_groups("main", query=recommend, using="cos", group_by="tags", group_size=1, limit=5)
        assert [g.id.string_value for g in groups.result.groups] == [g.id for g in want.groups]
        assert [[h.id.num for h in g.hits] for g in groups.result.groups] == [[h.id for h in g.hits] for g in want.groups]

        discover_batch = points.DiscoverBatch(
            qgrpc.DiscoverBatchPoints(
                collection_name=names["main"],
                discover_points=[
                    qgrpc.DiscoverPoints(
                        collection_name=names["main"], target=qgrpc.TargetVector(single=example(5)),
                        context=[qgrpc.ContextExamplePair(positive=example(1), negative=example(2))], using="cos",
                        limit=5,
                    )
                ],
            ),
            timeout=10,
        )
        assert [p.id.num for p in discover_batch.result[0].result] == [p.id.num for p in reply_discover.result]


# --- order_by ------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_order_by_query_on_a_float_key(client, oracle, names, direction):
    got, want = both(
        client, oracle, names, query=models.OrderByQuery(order_by=models.OrderBy(key="price", direction=direction)), limit=7,
    )
    assert_same(got, want)
    assert np.allclose([p.order_value for p in got], [p.order_value for p in want])


def test_order_by_query_with_start_from_filter_and_offset(client, oracle, names):
    order_by = models.OrderBy(key="rank", direction="asc", start_from=5)
    red = models.Filter(must_not=[models.FieldCondition(key="color", match=models.MatchValue(value="red"))])
    got, want = both(client, oracle, names, query=models.OrderByQuery(order_by=order_by), query_filter=red, limit=6, offset=2)
    assert_same(got, want)
    assert [p.order_value for p in got] == [p.order_value for p in want]
    assert all(p.order_value >= 5 for p in got)


def test_order_by_over_prefetch_results(client, oracle, names):
    got, want = both(
        client, oracle, names, prefetch=models.Prefetch(query=vec(36, "cos"), using="cos", limit=15),
        query=models.OrderByQuery(order_by=models.OrderBy(key="price", direction="desc")), limit=5,
    )
    assert_same(got, want)


@LOCAL_RAISES
def test_order_by_without_a_range_index_is_400(client, names, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(names["main"], query=models.OrderByQuery(order_by="color"))
    assert "No range index for `order_by` key: `color`" in error.message
