"""Scroll and count: paging in id order, inclusive offsets, the last page, counting (§2, §6)."""

import uuid

import numpy as np
import pytest
from qdrant_client import models

SEED = 4242
INTEGER_POINTS = 50
UUID_POINTS = 20
PAGE = 7  # (INTEGER_POINTS + UUID_POINTS) is a multiple of PAGE: the last page is exactly full


def id_order(point_id):
    """Qdrant's id order: integers ascending, then UUIDs by their bytes (= lowercase hex text)."""
    return (0, point_id, "") if isinstance(point_id, int) else (1, 0, point_id)


@pytest.fixture(scope="module")
def seeded(client, new_collection_name):
    """(collection, {id: payload}) with integer and UUID ids upserted in shuffled order."""
    rng = np.random.default_rng(SEED)
    ids = [int(i) for i in rng.choice(10**9, size=INTEGER_POINTS, replace=False)]
    ids += [str(uuid.UUID(bytes=rng.bytes(16))) for _ in range(UUID_POINTS)]
    payloads = {point_id: {"bucket": int(rng.integers(0, 4))} for point_id in ids}
    name = new_collection_name("scroll")
    client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    shuffled = [ids[i] for i in rng.permutation(len(ids))]
    client.upsert(name, [models.PointStruct(id=i, vector=[1.0, 0.5], payload=payloads[i]) for i in shuffled])
    yield name, payloads
    client.delete_collection(name)


def bucket(value):
    return models.Filter(must=[models.FieldCondition(key="bucket", match=models.MatchValue(value=value))])


def scroll_pages(client, collection, page, scroll_filter=None):
    """Every page of a full scroll, as lists of ids, and the offsets that led to each page."""
    pages, offsets, offset = [], [], None
    while True:
        points, next_offset = client.scroll(collection, scroll_filter=scroll_filter, limit=page, offset=offset)
        pages.append([p.id for p in points])
        offsets.append(next_offset)
        if next_offset is None:
            return pages, offsets
        offset = next_offset


def test_scroll_visits_every_point_once_in_id_order(client, seeded):
    collection, payloads = seeded

    pages, _ = scroll_pages(client, collection, PAGE)

    assert [i for page in pages for i in page] == sorted(payloads, key=id_order)


def test_integer_ids_come_before_uuids(client, seeded):
    collection, _ = seeded

    points, _ = client.scroll(collection, limit=INTEGER_POINTS + 1)

    assert [isinstance(p.id, int) for p in points] == [True] * INTEGER_POINTS + [False]


def test_next_page_offset_is_the_first_id_of_the_next_page(client, seeded):
    collection, _ = seeded

    pages, offsets = scroll_pages(client, collection, PAGE)

    assert offsets[:-1] == [page[0] for page in pages[1:]]


def test_next_page_offset_is_none_when_the_last_page_is_exactly_full(client, seeded):
    collection, payloads = seeded
    assert len(payloads) % PAGE == 0

    pages, offsets = scroll_pages(client, collection, PAGE)

    assert (len(pages), len(pages[-1]), offsets[-1]) == (len(payloads) // PAGE, PAGE, None)


def test_next_page_offset_is_none_on_a_short_last_page(client, seeded):
    collection, payloads = seeded

    pages, offsets = scroll_pages(client, collection, 9)

    assert (len(pages[-1]), offsets[-1]) == (len(payloads) % 9, None)


def test_offset_is_inclusive(client, seeded):
    collection, payloads = seeded
    ordered = sorted(payloads, key=id_order)

    points, _ = client.scroll(collection, offset=ordered[10], limit=3)

    assert [p.id for p in points] == ordered[10:13]


def test_uuid_offset_is_inclusive(client, seeded):
    collection, payloads = seeded
    ordered = sorted(payloads, key=id_order)

    points, _ = client.scroll(collection, offset=ordered[INTEGER_POINTS + 2], limit=4)

    assert [p.id for p in points] == ordered[INTEGER_POINTS + 2 : INTEGER_POINTS + 6]


def test_offset_between_ids_starts_at_the_next_id(client, seeded):
    collection, payloads = seeded
    ordered = sorted(payloads, key=id_order)
    assert ordered[5] + 1 != ordered[6]

    points, _ = client.scroll(collection, offset=ordered[5] + 1, limit=2)

    assert [p.id for p in points] == ordered[6:8]


def test_scroll_returns_payload_and_omits_vectors_by_default(client, seeded):
    collection, payloads = seeded

    points, _ = client.scroll(collection, limit=5)

    assert [(p.payload, p.vector) for p in points] == [(payloads[p.id], None) for p in points]


def test_scroll_with_filter_pages_through_only_matching_points(client, seeded):
    collection, payloads = seeded

    pages, _ = scroll_pages(client, collection, 4, scroll_filter=bucket(2))

    expected = sorted((i for i, p in payloads.items() if p["bucket"] == 2), key=id_order)
    assert [i for page in pages for i in page] == expected


def test_count_without_filter_counts_every_point(client, seeded):
    collection, payloads = seeded

    assert client.count(collection, exact=True).count == len(payloads)


def test_count_with_filter_counts_matching_points(client, seeded):
    collection, payloads = seeded

    expected = sum(1 for p in payloads.values() if p["bucket"] in (1, 3))
    should = models.Filter(should=[bucket(1), bucket(3)])

    assert client.count(collection, count_filter=should, exact=True).count == expected


def test_count_of_an_empty_collection_is_zero(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))

    assert client.count(collection_name).count == 0
