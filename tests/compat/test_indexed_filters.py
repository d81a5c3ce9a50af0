"""Filtered search and count with payload indexes answer exactly what a scan answers.

Payload indexes bound the points a filter can accept (the planner scores only those when they are
few, or when there is no graph); they must never lose a match, including after payloads change in
place, points are overwritten and deleted. Every query here is compared with the client's local
mode, which has no indexes.
"""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect")

N = 120
UUIDS = ["550e8400-e29b-41d4-a716-44665544000" + str(i) for i in range(4)]
INDEXES = {
    "color": models.PayloadSchemaType.KEYWORD,
    "rank": models.PayloadSchemaType.INTEGER,
    "price": models.PayloadSchemaType.FLOAT,
    "on": models.PayloadSchemaType.BOOL,
    "when": models.PayloadSchemaType.DATETIME,
    "ref": models.PayloadSchemaType.UUID,
    "tags": models.PayloadSchemaType.KEYWORD,
}


def points(seed: int) -> list[models.PointStruct]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(1, N + 1):
        payload = {
            "color": ["red", "green", "blue", "cyan"][int(rng.integers(0, 4))],
            "rank": int(rng.integers(0, 30)),
            # Integers and floats mixed: a float index holds both.
            "price": float(rng.uniform(0, 50)) if i % 3 else int(rng.integers(0, 50)),
            "on": bool(i % 2),
            "when": f"2026-0{1 + i % 9}-1{i % 10}T10:00:00Z",
            "ref": UUIDS[i % 4] if i % 5 else "not-a-uuid",
            "tags": ["a", "b", "c", "d"][: int(rng.integers(0, 4))],
        }
        if i % 11 == 0:
            payload.pop("color")
        out.append(models.PointStruct(id=i, vector=rng.normal(size=4).round(4).tolist(), payload=payload))
    return out


def field(key, **test):
    return models.FieldCondition(key=key, **test)


FILTERS = {
    "keyword": models.Filter(must=[field("color", match=models.MatchValue(value="red"))]),
    "keyword_any": models.Filter(must=[field("color", match=models.MatchAny(any=["green", "cyan"]))]),
    "keyword_array": models.Filter(must=[field("tags", match=models.MatchValue(value="c"))]),
    "integer": models.Filter(must=[field("rank", match=models.MatchValue(value=7))]),
    "integer_any": models.Filter(must=[field("rank", match=models.MatchAny(any=[1, 2, 3]))]),
    "float_range": models.Filter(must=[field("price", range=models.Range(gte=10, lt=12.5))]),
    "bool": models.Filter(must=[field("on", match=models.MatchValue(value=True))]),
    "datetime_range": models.Filter(
        must=[field("when", range=models.DatetimeRange(gt="2026-03-01T00:00:00Z", lte="2026-05-15T00:00:00Z"))]
    ),
    "uuid": models.Filter(must=[field("ref", match=models.MatchValue(value=UUIDS[1]))]),
    "not_a_uuid": models.Filter(must=[field("ref", match=models.MatchValue(value="not-a-uuid"))]),
    "has_id": models.Filter(must=[models.HasIdCondition(has_id=[3, 5, 8, 13, 21, 1000])]),
    "should_union": models.Filter(
        should=[field("color", match=models.MatchValue(value="blue")), field("rank", match=models.MatchValue(value=4))]
    ),
    "should_with_unindexed": models.Filter(
        should=[field("color", match=models.MatchValue(value="blue")), models.IsEmptyCondition(is_empty=models.PayloadField(key="color"))]
    ),
    "must_and_must_not": models.Filter(
        must=[field("on", match=models.MatchValue(value=False)), field("rank", range=models.Range(lt=10))],
        must_not=[field("color", match=models.MatchValue(value="red"))],
    ),
    "nested_filter": models.Filter(must=[models.Filter(must=[field("color", match=models.MatchValue(value="green"))])]),
    # Every condition answered exactly by an index: the points all of them name.
    "exact_musts": models.Filter(
        must=[
            field("color", match=models.MatchAny(any=["red", "green"])),
            field("rank", match=models.MatchAny(any=list(range(15)))),
            models.Filter(must=[field("on", match=models.MatchValue(value=True))]),
        ]
    ),
    "exact_and_range": models.Filter(
        must=[field("color", match=models.MatchValue(value="red")), field("price", range=models.Range(gte=10))]
    ),
    "empty_result": models.Filter(must=[field("color", match=models.MatchValue(value="purple"))]),
}


def load(target: QdrantClient, name: str, data) -> None:
    target.create_collection(name, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    for key, schema in INDEXES.items():
        target.create_payload_index(name, key, schema, wait=True)
    target.upsert(name, data, wait=True)


def change(target: QdrantClient, name: str) -> None:
    """Payloads changed in place, points overwritten and deleted: index entries go stale."""
    target.set_payload(name, {"color": "red", "rank": 7}, points=list(range(1, 30, 2)), wait=True)
    target.overwrite_payload(name, {"color": "cyan"}, points=[40, 41], wait=True)
    target.delete_payload(name, ["tags", "ref"], points=list(range(50, 60)), wait=True)
    target.delete(name, [2, 4, 6, 8, 13], wait=True)
    target.upsert(name, [models.PointStruct(id=3, vector=[1.0, 0.0, 0.0, 0.0], payload={"color": "blue", "rank": 4})])


@pytest.fixture
def pair(client, collection_name):
    data = points(20261204)
    local = QdrantClient(":memory:")
    load(local, "main", data)
    load(client, collection_name, data)
    yield collection_name, local
    local.close()


def compare(client, name, local, flt):
    query = [0.3, -0.2, 0.9, 0.1]
    got = client.query_points(name, query=query, query_filter=flt, limit=N).points
    want = local.query_points("main", query=query, query_filter=flt, limit=N).points
    assert [p.id for p in got] == [p.id for p in want]
    assert client.count(name, count_filter=flt).count == local.count("main", count_filter=flt).count
    got_page, _ = client.scroll(name, scroll_filter=flt, limit=N)
    want_page, _ = local.scroll("main", scroll_filter=flt, limit=N)
    assert [p.id for p in got_page] == [p.id for p in want_page]


@pytest.mark.parametrize("variant", list(FILTERS))
def test_indexed_filters_match_a_scan(client, pair, variant):
    name, local = pair
    compare(client, name, local, FILTERS[variant])


@pytest.mark.parametrize("variant", list(FILTERS))
def test_indexed_filters_match_a_scan_after_writes(client, pair, variant):
    name, local = pair
    change(client, name)
    change(local, "main")
    compare(client, name, local, FILTERS[variant])
