"""Facet counts (§7): compared with the client's local mode loaded with the same data, plus the
index requirement local mode does not enforce."""

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

SEED = 5150
POINTS = 80
CITIES = ["Berlin", "Oslo", "Rome", "Lima", "Kyiv", "Pune", "Graz", "Bonn", "Nice", "Riga", "Cork", "Bern"]


def seeded_points():
    rng = np.random.default_rng(SEED)
    points = []
    for i in range(1, POINTS + 1):
        payload = {"size": int(rng.integers(0, 6)), "ok": bool(rng.integers(0, 2)), "group": i % 4}
        if i % 9:
            # Some points list a city twice: it still counts once for that point.
            count = int(rng.integers(1, 4))
            payload["city"] = [CITIES[int(c)] for c in rng.integers(0, len(CITIES), size=count)]
            if count == 1:
                payload["city"] = payload["city"][0]
        points.append(models.PointStruct(id=i, vector=[1.0, float(i)], payload=payload))
    return points


def make(client, name, points):
    client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(name, points)
    client.create_payload_index(name, "city", models.PayloadSchemaType.KEYWORD)
    client.create_payload_index(name, "size", models.PayloadSchemaType.INTEGER)
    client.create_payload_index(name, "ok", models.PayloadSchemaType.BOOL)


@pytest.fixture(scope="module")
def seeded(client, new_collection_name):
    name = new_collection_name("facet")
    points = seeded_points()
    make(client, name, points)
    local = QdrantClient(":memory:")
    make(local, name, points)
    yield name, local
    client.delete_collection(name)
    local.close()


def hits(response):
    return [(h.value, h.count) for h in response.hits]


GROUP_2 = models.Filter(must=[models.FieldCondition(key="group", match=models.MatchValue(value=2))])
CASES = {
    "keyword-default-limit": dict(key="city"),
    "keyword-limit-3": dict(key="city", limit=3),
    "keyword-all": dict(key="city", limit=100),
    "keyword-filtered": dict(key="city", facet_filter=GROUP_2, limit=100),
    "integer": dict(key="size", limit=100),
    "integer-filtered": dict(key="size", facet_filter=GROUP_2),
    "bool": dict(key="ok"),
    "exact": dict(key="city", exact=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_counts_match_local_mode(client, seeded, case):
    name, local = seeded

    got = hits(client.facet(name, **CASES[case]))

    assert got == hits(local.facet(name, **CASES[case]))
    assert got, "the case must count something"


def test_default_limit_is_ten(client, seeded):
    name, _ = seeded

    assert len(client.facet(name, key="city").hits) == 10


def test_each_value_counts_once_per_point(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(
        collection_name,
        [
            models.PointStruct(id=1, vector=[1.0, 1.0], payload={"tag": ["a", "a", "b"]}),
            models.PointStruct(id=2, vector=[1.0, 1.0], payload={"tag": "b"}),
        ],
    )
    client.create_payload_index(collection_name, "tag", models.PayloadSchemaType.KEYWORD)

    assert hits(client.facet(collection_name, key="tag")) == [("b", 2), ("a", 1)]


@pytest.mark.server_only("local mode needs no index for facets")
@pytest.mark.parametrize("index", [None, models.PayloadSchemaType.FLOAT, models.PayloadSchemaType.TEXT])
def test_key_without_a_lookup_index_is_400(client, api_error, collection_name, index):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[1.0, 1.0], payload={"k": "v"})])
    if index is not None:
        client.create_payload_index(collection_name, "k", index)

    with api_error(400, "INVALID_ARGUMENT") as error:
        client.facet(collection_name, key="k")

    assert "No appropriate index for faceting: `k`." in error.message
