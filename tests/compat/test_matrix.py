"""Distance matrix, pairs and offsets (§7): with a sample covering every matching point the answer
is determined and compared with the client's local mode; a smaller sample is checked for shape."""

import math

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

SEED = 777
POINTS = 40
DIM = 8


def seeded_points():
    rng = np.random.default_rng(SEED)
    return [
        models.PointStruct(
            id=i,
            vector={"a": rng.normal(size=DIM).tolist(), "b": rng.normal(size=DIM).tolist()},
            payload={"group": i % 4},
        )
        for i in range(1, POINTS + 1)
    ]


def make(client, name, points):
    client.create_collection(
        name,
        vectors_config={
            "a": models.VectorParams(size=DIM, distance=models.Distance.COSINE),
            "b": models.VectorParams(size=DIM, distance=models.Distance.EUCLID),
        },
    )
    client.upsert(name, points)


@pytest.fixture(scope="module")
def seeded(client, new_collection_name):
    name = new_collection_name("matrix")
    points = seeded_points()
    make(client, name, points)
    local = QdrantClient(":memory:")
    make(local, name, points)
    yield name, local
    client.delete_collection(name)
    local.close()


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4)


GROUP_1 = models.Filter(must=[models.FieldCondition(key="group", match=models.MatchValue(value=1))])
CASES = {
    "cosine-all": dict(using="a", sample=POINTS, limit=3),
    "euclid-all": dict(using="b", sample=100, limit=2),
    "filtered": dict(using="a", sample=50, limit=4, query_filter=GROUP_1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pairs_match_local_mode_when_the_sample_covers_everything(client, seeded, case):
    name, local = seeded

    got = client.search_matrix_pairs(name, **CASES[case]).pairs
    expected = local.search_matrix_pairs(name, **CASES[case]).pairs

    assert [(p.a, p.b) for p in got] == [(p.a, p.b) for p in expected]
    assert all(close(g.score, e.score) for g, e in zip(got, expected))


@pytest.mark.parametrize("case", list(CASES))
def test_offsets_match_local_mode_when_the_sample_covers_everything(client, seeded, case):
    name, local = seeded

    got = client.search_matrix_offsets(name, **CASES[case])
    expected = local.search_matrix_offsets(name, **CASES[case])

    assert got.ids == expected.ids
    assert got.offsets_row == expected.offsets_row
    assert got.offsets_col == expected.offsets_col
    assert all(close(g, e) for g, e in zip(got.scores, expected.scores))


def test_defaults_sample_ten_with_three_neighbours(client, seeded):
    name, _ = seeded

    result = client.search_matrix_offsets(name, using="a")

    assert len(result.ids) == 10
    assert len(result.scores) == 30
    assert result.offsets_row == [row for row in range(10) for _ in range(3)]


def test_smaller_sample_has_the_right_shape(client, seeded):
    name, _ = seeded

    pairs = client.search_matrix_pairs(name, using="b", sample=6, limit=2).pairs
    offsets = client.search_matrix_offsets(name, using="b", sample=6, limit=2)

    sampled = {p.a for p in pairs}
    assert len(pairs) == 12 and len(sampled) == 6
    assert all(p.b in sampled and p.b != p.a for p in pairs)
    assert len(offsets.ids) == 6 and len(set(offsets.ids)) == 6
    assert all(r != c for r, c in zip(offsets.offsets_row, offsets.offsets_col))
    assert len(offsets.scores) == 12


def test_neighbours_are_sampled_points_only(client, seeded):
    name, _ = seeded

    pairs = client.search_matrix_pairs(name, using="a", sample=50, limit=3, query_filter=GROUP_1).pairs

    assert {p.a for p in pairs} | {p.b for p in pairs} <= {i for i in range(1, POINTS + 1) if i % 4 == 1}


@pytest.mark.server_only("local mode does not validate the vector name the same way")
def test_unknown_vector_name_is_400(client, api_error, seeded):
    name, _ = seeded

    with api_error(400, "INVALID_ARGUMENT") as error:
        client.search_matrix_pairs(name, using="nope")

    assert "nope" in error.message
