"""HNSW graphs in the engine: built in the background once a vector passes the collection's
`indexing_threshold`, searched together with an exact scan of points written since, and skipped
for `exact` searches. Results are compared with exact search on seeded data.
"""

from __future__ import annotations

import time

import httpx
import numpy as np
import pytest
from qdrant_client import models

pytestmark = pytest.mark.server_only("the local mode has no HNSW graphs or background indexing")

N_POINTS = 3000
DIM = 8
BUILD_DEADLINE_SECONDS = 60.0


def wait_until_indexed(client, name: str, count: int):
    deadline = time.monotonic() + BUILD_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        info = client.get_collection(name)
        if info.status == models.CollectionStatus.GREEN and (info.indexed_vectors_count or 0) >= count:
            return info
        time.sleep(0.1)
    pytest.fail(f"not indexed within {BUILD_DEADLINE_SECONDS:.0f} s: {client.get_collection(name)}")


@pytest.fixture(scope="module")
def indexed(client, new_collection_name):
    """A Cosine collection over the indexing threshold (10 kB = 320 vectors of 8 floats)."""
    name = new_collection_name("hnsw")
    client.create_collection(
        name,
        vectors_config=models.VectorParams(size=DIM, distance="Cosine"),
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=10),
        hnsw_config=models.HnswConfigDiff(m=16, ef_construct=64),
    )
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(N_POINTS, DIM)).astype(np.float32)
    client.upsert(
        name,
        [models.PointStruct(id=i + 1, vector=v.tolist(), payload={"k": i % 50}) for i, v in enumerate(vectors)],
        wait=True,
    )
    wait_until_indexed(client, name, N_POINTS)
    yield name
    client.delete_collection(name)


def queries(seed: int, n: int = 20):
    return np.random.default_rng(seed).normal(size=(n, DIM)).round(4).tolist()


def ids(points):
    return [p.id for p in points]


def test_graph_search_agrees_with_exact_search(client, indexed):
    exact = models.SearchParams(exact=True)
    found = total = 0
    for q in queries(1):
        approx = ids(client.query_points(indexed, query=q, limit=10).points)
        truth = ids(client.query_points(indexed, query=q, limit=10, search_params=exact).points)
        found += len(set(approx) & set(truth))
        total += len(truth)
    assert found / total >= 0.95


def test_points_written_after_the_build_are_found_at_once(client, indexed):
    q = queries(2, 1)[0]
    client.upsert(indexed, [models.PointStruct(id=10_000_001, vector=q)], wait=True)
    try:
        assert ids(client.query_points(indexed, query=q, limit=1).points) == [10_000_001]
        # indexed_only searches the graph alone, which does not hold the new point yet.
        only = client.query_points(indexed, query=q, limit=1, search_params=models.SearchParams(indexed_only=True))
        assert ids(only.points) != [10_000_001]
    finally:
        client.delete(indexed, models.PointIdsList(points=[10_000_001]), wait=True)


def test_deleted_points_are_never_returned(client, indexed):
    q = queries(3, 1)[0]
    best = ids(client.query_points(indexed, query=q, limit=3).points)
    (record,) = client.retrieve(indexed, [best[0]], with_vectors=True, with_payload=True)
    client.delete(indexed, models.PointIdsList(points=[best[0]]), wait=True)
    try:
        assert best[0] not in ids(client.query_points(indexed, query=q, limit=3).points)
    finally:
        client.upsert(indexed, [models.PointStruct(id=record.id, vector=record.vector, payload=record.payload)], wait=True)


def test_selective_filters_return_every_match(client, indexed):
    only_seven = models.Filter(must=[models.FieldCondition(key="k", match=models.MatchValue(value=7))])
    q = queries(4, 1)[0]
    approx = client.query_points(indexed, query=q, query_filter=only_seven, limit=N_POINTS).points
    exact = client.query_points(
        indexed, query=q, query_filter=only_seven, limit=N_POINTS, search_params=models.SearchParams(exact=True)
    ).points
    assert len(approx) == N_POINTS // 50
    assert ids(approx) == ids(exact)


def test_indexing_threshold_zero_never_builds(client, collection_name):
    client.create_collection(
        collection_name,
        vectors_config=models.VectorParams(size=DIM, distance="Dot"),
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=0),
    )
    rng = np.random.default_rng(6)
    client.upsert(
        collection_name,
        [models.PointStruct(id=i, vector=rng.normal(size=DIM).tolist()) for i in range(1, 1001)],
        wait=True,
    )
    time.sleep(0.5)
    info = client.get_collection(collection_name)
    assert info.status == models.CollectionStatus.GREEN
    assert info.indexed_vectors_count == 0


def test_hnsw_m_over_256_is_refused_before_it_reaches_the_library(client, collection_name, api_error):
    with api_error(422, "INVALID_ARGUMENT") as error:
        client.create_collection(
            collection_name,
            vectors_config=models.VectorParams(size=DIM, distance="Dot"),
            hnsw_config=models.HnswConfigDiff(m=300),
        )
    assert "hnsw_config.m" in error.message


def test_telemetry_counts_graph_builds_in_qdrants_shape(indexed, server_url):
    body = httpx.get(f"{server_url}/telemetry", params={"details_level": 3}).json()
    # The client's own model of Qdrant's telemetry accepts the body.
    telemetry = models.TelemetryData.model_validate(body["result"])
    (entry,) = [c for c in telemetry.collections.collections if getattr(c, "id", None) == indexed]
    local = entry.shards[0].local
    assert local.optimizations.optimizations.count >= 1
    assert local.total_optimized_points >= N_POINTS
    assert local.status == models.ShardStatus.GREEN
