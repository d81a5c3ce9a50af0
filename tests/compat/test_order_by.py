"""Scroll `order_by`: ordering by an indexed payload value (§6), compared with the client's local
mode loaded with the same data, plus the rules local mode does not enforce (index required, no
`offset`)."""

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

SEED = 918273
POINTS = 60


def seeded_points():
    """Distinct integer prices (some points hold two, some none), distinct float weights and
    distinct datetimes, so that only the dedicated tie test depends on tie-breaking."""
    rng = np.random.default_rng(SEED)
    prices = [int(p) for p in rng.permutation(1000)[: POINTS * 2 + 2]]
    points = []
    for i in range(1, POINTS + 1):
        payload = {"weight": float(rng.random()) * 100, "ts": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"}
        if i % 7 == 0:
            pass  # no price
        elif i % 5 == 0:
            payload["price"] = [prices[2 * i], prices[2 * i + 1]]
        else:
            payload["price"] = prices[2 * i]
        payload["group"] = i % 3
        points.append(models.PointStruct(id=i, vector=[float(i), 1.0], payload=payload))
    return points


def make(client, name, points):
    client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(name, points)
    client.create_payload_index(name, "price", models.PayloadSchemaType.INTEGER)
    client.create_payload_index(name, "weight", models.PayloadSchemaType.FLOAT)
    client.create_payload_index(name, "ts", models.PayloadSchemaType.DATETIME)


@pytest.fixture(scope="module")
def seeded(client, new_collection_name):
    """(collection, local-mode client holding the same data)."""
    name = new_collection_name("order_by")
    points = seeded_points()
    make(client, name, points)
    local = QdrantClient(":memory:")
    make(local, name, points)
    yield name, local
    client.delete_collection(name)
    local.close()


def ordered(client, name, order_by, **kwargs):
    records, next_offset = client.scroll(name, order_by=order_by, with_payload=False, **kwargs)
    assert next_offset is None
    return [(r.id, r.order_value) for r in records]


CASES = {
    "asc": models.OrderBy(key="price"),
    "bare-key": "price",
    "desc": models.OrderBy(key="price", direction=models.Direction.DESC),
    "start-from-asc": models.OrderBy(key="price", start_from=500),
    "start-from-desc": models.OrderBy(key="price", direction=models.Direction.DESC, start_from=480),
    "float-key": models.OrderBy(key="weight", direction=models.Direction.DESC),
    "float-start": models.OrderBy(key="weight", start_from=33.3),
    "datetime-key": models.OrderBy(key="ts"),
    "datetime-start": models.OrderBy(key="ts", direction=models.Direction.DESC, start_from="2024-01-15T00:00:00Z"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_order_matches_local_mode(client, seeded, case):
    name, local = seeded

    got = ordered(client, name, CASES[case], limit=25)
    expected = ordered(local, name, CASES[case], limit=25)

    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [v for _, v in got] == pytest.approx([v for _, v in expected], rel=1e-12)
    assert len(got) == 25


def test_filter_applies_before_ordering(client, seeded):
    name, local = seeded
    group = models.Filter(must=[models.FieldCondition(key="group", match=models.MatchValue(value=1))])
    order_by = models.OrderBy(key="price", direction=models.Direction.DESC)

    got = ordered(client, name, order_by, scroll_filter=group, limit=100)

    assert got == ordered(local, name, order_by, scroll_filter=group, limit=100)


def test_multi_valued_points_appear_once_per_value_and_points_without_are_skipped(client, seeded):
    name, _ = seeded

    got = ordered(client, name, "price", limit=1000)

    ids = [i for i, _ in got]
    assert ids.count(10) == 2  # price is a two-element array
    assert 7 not in ids  # no price
    assert len(got) == POINTS - POINTS // 7 + len([i for i in range(1, POINTS + 1) if i % 5 == 0 and i % 7])


def test_start_from_is_inclusive(client, seeded):
    name, _ = seeded
    first = ordered(client, name, "price", limit=5)

    again = ordered(client, name, models.OrderBy(key="price", start_from=first[2][1]), limit=3)

    assert again == first[2:5]


def test_records_carry_payload_and_order_value(client, seeded):
    name, _ = seeded

    records, _ = client.scroll(name, order_by="weight", limit=3)

    assert all(r.payload["weight"] == pytest.approx(r.order_value) for r in records)


@pytest.mark.server_only("local mode keeps insertion order for equal values in both directions")
def test_equal_values_are_ordered_by_id_in_the_same_direction(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(
        collection_name,
        [models.PointStruct(id=i, vector=[1.0, 1.0], payload={"n": [5, 1][i % 2]}) for i in (4, 1, 3, 2)],
    )
    client.create_payload_index(collection_name, "n", models.PayloadSchemaType.INTEGER)

    asc = ordered(client, collection_name, "n")
    desc = ordered(client, collection_name, models.OrderBy(key="n", direction=models.Direction.DESC))

    assert asc == [(1, 1), (3, 1), (2, 5), (4, 5)]
    assert desc == [(4, 5), (2, 5), (3, 1), (1, 1)]


@pytest.mark.server_only("local mode needs no index for order_by")
@pytest.mark.parametrize("index", [None, models.PayloadSchemaType.KEYWORD,
                                   models.IntegerIndexParams(type="integer", range=False, lookup=True)])
def test_key_without_a_range_index_is_400(client, api_error, collection_name, index):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[1.0, 1.0], payload={"n": 1})])
    if index is not None:
        client.create_payload_index(collection_name, "n", index)

    with api_error(400, "INVALID_ARGUMENT") as error:
        client.scroll(collection_name, order_by="n")

    assert "No range index for `order_by` key: `n`. Please create one to use `order_by`." in error.message


@pytest.mark.server_only("local mode raises ValueError, not an API error")
def test_offset_with_order_by_is_400(client, api_error, seeded):
    name, _ = seeded

    with api_error(400, "INVALID_ARGUMENT") as error:
        client.scroll(name, order_by="price", offset=3)

    assert "Cannot use an `offset` when using `order_by`" in error.message
