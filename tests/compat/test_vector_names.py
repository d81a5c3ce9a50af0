"""Adding and removing a named vector of an existing collection (Qdrant 1.18), over REST and gRPC.

A new vector is absent on every existing point until written; removing one takes it off every
point and out of the collection config, and a later vector of the same name starts empty.
"""

from __future__ import annotations

import pytest
from qdrant_client import models


def dense(size: int, distance: str = "Dot") -> models.DenseVectorNameConfig:
    return models.DenseVectorNameConfig(dense=models.DenseVectorConfig(size=size, distance=distance))


@pytest.fixture
def named(client, collection_name):
    client.create_collection(collection_name, vectors_config={"a": models.VectorParams(size=2, distance="Dot")})
    client.upsert(collection_name, [models.PointStruct(id=i, vector={"a": [float(i), 1.0]}) for i in range(1, 4)])
    return collection_name


def vector_names(client, name):
    return set(client.get_collection(name).config.params.vectors)


def test_a_new_vector_is_configured_and_absent_on_existing_points(client, named):
    client.create_vector_name(named, "b", dense(3, "Cosine"))

    assert vector_names(client, named) == {"a", "b"}
    params = client.get_collection(named).config.params.vectors["b"]
    assert (params.size, params.distance) == (3, models.Distance.COSINE)
    (record,) = client.retrieve(named, [1], with_vectors=True)
    assert set(record.vector) == {"a"}
    has_b = models.Filter(must=[models.HasVectorCondition(has_vector="b")])
    assert client.count(named, count_filter=has_b).count == 0
    assert client.query_points(named, query=[1.0, 0.0, 0.0], using="b").points == []


def test_a_new_vector_can_be_written_and_searched(client, named):
    client.create_vector_name(named, "b", dense(3))
    client.update_vectors(named, [models.PointVectors(id=2, vector={"b": [1.0, 2.0, 3.0]})])
    client.upsert(named, [models.PointStruct(id=9, vector={"a": [0.0, 1.0], "b": [3.0, 2.0, 1.0]})])

    hits = client.query_points(named, query=[1.0, 0.0, 0.0], using="b").points
    assert [(h.id, h.score) for h in hits] == [(9, 3.0), (2, 1.0)]


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_recreating_with_the_same_config_is_a_no_op_and_another_config_is_refused(client, named, api_error):
    client.create_vector_name(named, "b", dense(3))
    client.create_vector_name(named, "b", dense(3))
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.create_vector_name(named, "b", dense(4))
    assert "already exists" in error.message


def test_deleting_removes_it_from_config_and_points_and_a_new_one_starts_empty(client, named):
    client.create_vector_name(named, "b", dense(2))
    client.update_vectors(named, [models.PointVectors(id=1, vector={"b": [5.0, 5.0]})])

    client.delete_vector_name(named, "b")
    assert vector_names(client, named) == {"a"}
    (record,) = client.retrieve(named, [1], with_vectors=True)
    assert set(record.vector) == {"a"}

    client.create_vector_name(named, "b", dense(2))
    (record,) = client.retrieve(named, [1], with_vectors=True)
    assert set(record.vector) == {"a"}, "old data must not come back"


def test_deleting_a_missing_vector_is_a_no_op(client, named):
    client.delete_vector_name(named, "nope")
    assert vector_names(client, named) == {"a"}


@pytest.mark.server_only("the local mode has no 404 for a missing collection here")
def test_unknown_collection_is_404(client, api_error):
    with api_error(404, "NOT_FOUND"):
        client.create_vector_name("no-such-collection-x1", "b", dense(2))


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_a_bad_size_is_refused(client, named, api_error):
    with api_error(422, "INVALID_ARGUMENT"):
        client.create_vector_name(named, "b", dense(70000))
