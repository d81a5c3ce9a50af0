"""``datatype: float16 | uint8`` on dense vectors, over REST and gRPC.

A collection created with a datatype reports it. Values are converted when written, as Qdrant
does: uint8 values truncated (and never normalised, even for Cosine), float16 values rounded to
half precision after Cosine normalisation; retrieval returns the stored values and search scores
come from them (uint8 Cosine is the true cosine of the bytes). Values a datatype cannot hold are
rejected. The client's local mode ignores ``datatype`` (it keeps normalised float32 values), so
only the reported config is checked against it.
"""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import models

LOCAL_IGNORES = pytest.mark.server_only("local mode ignores datatype and keeps float32 values")
TOLERANCE = 1e-4
DIM = 8


def create(client, name: str, datatype: models.Datatype, distance: models.Distance) -> None:
    client.create_collection(
        name,
        vectors_config=models.VectorParams(size=DIM, distance=distance, datatype=datatype),
    )


def stored(datatype: models.Datatype, distance: models.Distance, v: list[float]) -> np.ndarray:
    """What the collection keeps for ``v``."""
    a = np.asarray(v, dtype=np.float32)
    if datatype == models.Datatype.UINT8:
        return np.trunc(a)
    if distance == models.Distance.COSINE:
        a = a / np.sqrt(np.dot(a, a))
    return a.astype(np.float16).astype(np.float32)


def score(datatype: models.Datatype, distance: models.Distance, q: np.ndarray, r: np.ndarray) -> float:
    """uint8 Cosine is the true cosine of the bytes; float16 Cosine the dot product of the stored
    (normalised, then rounded) values."""
    q, r = q.astype(np.float64), r.astype(np.float64)
    if distance == models.Distance.COSINE and datatype == models.Datatype.UINT8:
        norms = np.linalg.norm(q) * np.linalg.norm(r)
        return 0.0 if norms == 0 else float(np.dot(q, r) / norms)
    if distance in (models.Distance.COSINE, models.Distance.DOT):
        return float(np.dot(q, r))
    if distance == models.Distance.EUCLID:
        return float(np.linalg.norm(q - r))
    return float(np.abs(q - r).sum())


def seeded(datatype: models.Datatype, n: int, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    if datatype == models.Datatype.UINT8:
        return rng.uniform(0, 255, size=(n, DIM)).round(3).tolist()
    return rng.normal(size=(n, DIM)).round(5).tolist()


@pytest.mark.parametrize("datatype", [models.Datatype.UINT8, models.Datatype.FLOAT16])
def test_collection_reports_its_datatype(client, collection_name, datatype):
    create(client, collection_name, datatype, models.Distance.DOT)

    assert client.get_collection(collection_name).config.params.vectors.datatype == datatype


@LOCAL_IGNORES
def test_uint8_values_are_truncated_and_not_normalised(client, collection_name):
    create(client, collection_name, models.Datatype.UINT8, models.Distance.COSINE)
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[1.7, 0, 255, 3.2, 0, 0, 0, 9.99])])

    (point,) = client.retrieve(collection_name, [1], with_vectors=True)

    assert point.vector == [1, 0, 255, 3, 0, 0, 0, 9]


@LOCAL_IGNORES
def test_float16_values_are_normalised_then_rounded(client, collection_name):
    create(client, collection_name, models.Datatype.FLOAT16, models.Distance.COSINE)
    v = [0.1, 2.0, -3.3, 0.7, 0.0, 1e-3, 5.5, -0.25]
    client.upsert(collection_name, [models.PointStruct(id=1, vector=v)])

    (point,) = client.retrieve(collection_name, [1], with_vectors=True)

    expected = stored(models.Datatype.FLOAT16, models.Distance.COSINE, v)
    assert point.vector == expected.tolist()


@LOCAL_IGNORES
@pytest.mark.parametrize("datatype", [models.Datatype.UINT8, models.Datatype.FLOAT16])
@pytest.mark.parametrize("distance", list(models.Distance))
def test_search_scores_come_from_the_stored_values(client, collection_name, datatype, distance):
    create(client, collection_name, datatype, distance)
    vectors = seeded(datatype, 30, seed=4)
    client.upsert(collection_name, [models.PointStruct(id=i, vector=v) for i, v in enumerate(vectors)])
    query = seeded(datatype, 1, seed=9)[0]

    found = client.query_points(collection_name, query=query, limit=5).points

    q = stored(datatype, distance, query)
    expected = {i: score(datatype, distance, q, stored(datatype, distance, v)) for i, v in enumerate(vectors)}
    best = sorted(expected.values(), reverse=distance in (models.Distance.COSINE, models.Distance.DOT))
    assert len(found) == 5
    for hit, want in zip(found, best):
        assert hit.score == pytest.approx(expected[hit.id], rel=TOLERANCE, abs=TOLERANCE)
        assert hit.score == pytest.approx(want, rel=TOLERANCE, abs=TOLERANCE)


@LOCAL_IGNORES
@pytest.mark.parametrize(
    "datatype, bad",
    [(models.Datatype.UINT8, 256.0), (models.Datatype.UINT8, -1.0), (models.Datatype.FLOAT16, 70000.0)],
)
def test_values_out_of_the_datatype_range_are_rejected(client, collection_name, api_error, datatype, bad):
    create(client, collection_name, datatype, models.Distance.DOT)
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[1.0] * DIM)])

    with api_error(400, "INVALID_ARGUMENT") as error:
        client.upsert(collection_name, [models.PointStruct(id=1, vector=[bad] + [2.0] * (DIM - 1))])

    assert "does not fit datatype" in error.message
    (point,) = client.retrieve(collection_name, [1], with_vectors=True)
    assert point.vector == [1.0] * DIM


def create_multi(client, name: str, datatype: models.Datatype, distance: models.Distance) -> None:
    client.create_collection(
        name,
        vectors_config=models.VectorParams(
            size=DIM,
            distance=distance,
            datatype=datatype,
            multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM),
        ),
    )


def max_sim(datatype: models.Datatype, distance: models.Distance, query: list, row: list) -> float:
    """The sum over query sub-vectors of the best similarity to a stored one, reported as Qdrant
    does (``sqrt(|sum|)`` for Euclid, ``|sum|`` for Manhattan); both already stored values."""

    def similarity(q: np.ndarray, r: np.ndarray) -> float:
        s = score(datatype, distance, q, r)
        if distance == models.Distance.EUCLID:
            return -(s**2)
        if distance == models.Distance.MANHATTAN:
            return -s
        return s

    total = sum(max(similarity(q, r) for r in row) for q in query)
    if distance == models.Distance.EUCLID:
        return float(np.sqrt(abs(total)))
    return abs(total) if distance == models.Distance.MANHATTAN else total


@LOCAL_IGNORES
@pytest.mark.parametrize("datatype", [models.Datatype.UINT8, models.Datatype.FLOAT16])
def test_multivectors_read_back_the_stored_values(client, collection_name, datatype):
    create_multi(client, collection_name, datatype, models.Distance.COSINE)
    m = seeded(datatype, 3, seed=12)
    client.upsert(collection_name, [models.PointStruct(id=1, vector=m)])

    (point,) = client.retrieve(collection_name, [1], with_vectors=True)

    assert point.vector == [stored(datatype, models.Distance.COSINE, v).tolist() for v in m]


@LOCAL_IGNORES
@pytest.mark.parametrize("datatype", [models.Datatype.UINT8, models.Datatype.FLOAT16])
@pytest.mark.parametrize("distance", list(models.Distance))
def test_multivector_scores_come_from_the_stored_values(client, collection_name, datatype, distance):
    create_multi(client, collection_name, datatype, distance)
    rows = [seeded(datatype, 1 + i % 3, seed=20 + i) for i in range(20)]
    client.upsert(collection_name, [models.PointStruct(id=i, vector=m) for i, m in enumerate(rows)])
    query = seeded(datatype, 2, seed=7)

    found = client.query_points(collection_name, query=query, limit=20).points

    q = [stored(datatype, distance, v) for v in query]
    assert len(found) == 20
    for hit in found:
        row = [stored(datatype, distance, v) for v in rows[hit.id]]
        assert hit.score == pytest.approx(max_sim(datatype, distance, q, row), rel=TOLERANCE, abs=TOLERANCE)
