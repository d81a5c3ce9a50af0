"""Point writes and retrieval: upsert, ids, retrieve, delete, payload and vector operations (§2, §5, §6).

Vectors use values exactly representable in float32 so that stored vectors compare exactly.
"""

import math
import uuid

import pytest
from qdrant_client import models

UUID_HYPHENATED = "550e8400-e29b-41d4-a716-446655440000"
UUID_SIMPLE_UPPER = "550E8400E29B41D4A716446655440000"


@pytest.fixture
def dot(client, collection_name):
    """An empty 4-d Dot collection (vectors are stored as given)."""
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    return collection_name


@pytest.fixture
def named(client, collection_name):
    """An empty collection with named vectors 'img' (4-d Dot) and 'txt' (2-d Dot)."""
    client.create_collection(
        collection_name,
        vectors_config={
            "img": models.VectorParams(size=4, distance=models.Distance.DOT),
            "txt": models.VectorParams(size=2, distance=models.Distance.DOT),
        },
    )
    return collection_name


def vector(i):
    return [float(i), 0.5, -0.25, 2.0]


def seed_points(client, collection, payloads):
    """Upsert points 1..n with `vector(i)` and the given payloads."""
    client.upsert(
        collection,
        [models.PointStruct(id=i, vector=vector(i), payload=p) for i, p in enumerate(payloads, start=1)],
    )


def payload_of(client, collection, point_id):
    (record,) = client.retrieve(collection, [point_id], with_payload=True)
    return record.payload


def test_upsert_list_form_stores_vectors_and_payloads(client, dot):
    client.upsert(
        dot,
        [
            models.PointStruct(id=1, vector=vector(1), payload={"city": "Berlin"}),
            models.PointStruct(id=2, vector=vector(2), payload={"city": "Paris", "n": 2}),
        ],
    )

    records = client.retrieve(dot, [1, 2], with_payload=True, with_vectors=True)

    assert [(r.id, r.vector, r.payload) for r in records] == [
        (1, vector(1), {"city": "Berlin"}),
        (2, vector(2), {"city": "Paris", "n": 2}),
    ]


def test_upsert_batch_form_stores_vectors_and_payloads(client, dot):
    client.upsert(
        dot,
        models.Batch(ids=[5, 6, 7], vectors=[vector(5), vector(6), vector(7)], payloads=[{"a": 5}, {"a": 6}, {"a": 7}]),
    )

    records = client.retrieve(dot, [5, 6, 7], with_payload=True, with_vectors=True)

    assert [(r.id, r.vector, r.payload) for r in records] == [
        (5, vector(5), {"a": 5}),
        (6, vector(6), {"a": 6}),
        (7, vector(7), {"a": 7}),
    ]


def test_batch_form_with_named_vectors_stores_each_name(client, named):
    client.upsert(
        named,
        models.Batch(ids=[1, 2], vectors={"img": [vector(1), vector(2)], "txt": [[1.0, 2.0], [3.0, 4.0]]}),
    )

    records = client.retrieve(named, [1, 2], with_vectors=True)

    assert [r.vector for r in records] == [
        {"img": vector(1), "txt": [1.0, 2.0]},
        {"img": vector(2), "txt": [3.0, 4.0]},
    ]


def test_integer_and_uuid_ids_round_trip(client, dot):
    ids = [0, 42, 2**63 + 5, UUID_HYPHENATED]
    client.upsert(dot, [models.PointStruct(id=i, vector=vector(1)) for i in ids])

    assert [r.id for r in client.retrieve(dot, ids)] == ids


def test_uuid_in_simple_upper_case_form_is_returned_lowercase_hyphenated(client, dot):
    client.upsert(dot, [models.PointStruct(id=UUID_SIMPLE_UPPER, vector=vector(1))])

    points, _ = client.scroll(dot)

    assert [p.id for p in points] == [UUID_HYPHENATED]


def test_all_forms_of_a_uuid_address_the_same_point(client, dot):
    client.upsert(dot, [models.PointStruct(id=UUID_SIMPLE_UPPER, vector=vector(1), payload={"v": 1})])
    client.upsert(dot, [models.PointStruct(id=UUID_HYPHENATED.upper(), vector=vector(2), payload={"v": 2})])

    records = client.retrieve(dot, [UUID_HYPHENATED], with_payload=True)

    assert [(r.id, r.payload) for r in records] == [(UUID_HYPHENATED, {"v": 2})]
    assert client.count(dot).count == 1


def test_retrieve_returns_request_order_and_omits_missing_ids(client, dot):
    seed_points(client, dot, [{}, {}, {}, {}])

    records = client.retrieve(dot, [3, 99, 1, 4, str(uuid.UUID(int=7))])

    assert [r.id for r in records] == [3, 1, 4]


def test_retrieve_without_with_vectors_omits_vectors(client, dot):
    seed_points(client, dot, [{"a": 1}])

    (record,) = client.retrieve(dot, [1])

    assert (record.vector, record.payload) == (None, {"a": 1})


def test_retrieve_with_payload_false_omits_payload(client, dot, transport):
    seed_points(client, dot, [{"a": 1}])

    (record,) = client.retrieve(dot, [1], with_payload=False, with_vectors=True)

    # A gRPC payload is a map, which is never absent: the client turns "none" into {}.
    omitted = {} if transport == "grpc" else None
    assert (record.payload, record.vector) == (omitted, vector(1))


def test_delete_by_ids_removes_only_those_points(client, dot):
    seed_points(client, dot, [{}] * 5)

    client.delete(dot, models.PointIdsList(points=[2, 4, 77]))

    assert [p.id for p in client.scroll(dot)[0]] == [1, 3, 5]


def test_delete_by_filter_removes_only_matching_points(client, dot):
    seed_points(client, dot, [{"k": "x"}, {"k": "y"}, {"k": "x"}, {}])

    client.delete(
        dot,
        models.FilterSelector(
            filter=models.Filter(must=[models.FieldCondition(key="k", match=models.MatchValue(value="x"))])
        ),
    )

    assert [p.id for p in client.scroll(dot)[0]] == [2, 4]


def test_set_payload_merges_top_level_keys(client, dot):
    seed_points(client, dot, [{"a": 1, "b": {"c": 1}}])

    client.set_payload(dot, payload={"b": {"d": 2}, "e": 3}, points=[1])

    assert payload_of(client, dot, 1) == {"a": 1, "b": {"d": 2}, "e": 3}


def test_set_payload_with_key_merges_into_the_nested_object(client, dot):
    seed_points(client, dot, [{"a": 1, "b": {"c": 1}}])

    client.set_payload(dot, payload={"d": 2}, points=[1], key="b")

    assert payload_of(client, dot, 1) == {"a": 1, "b": {"c": 1, "d": 2}}


def test_set_payload_with_key_creates_missing_intermediate_objects(client, dot):
    seed_points(client, dot, [{"a": 1}])

    client.set_payload(dot, payload={"d": 2}, points=[1], key="x.y")

    assert payload_of(client, dot, 1) == {"a": 1, "x": {"y": {"d": 2}}}


def test_set_payload_by_filter_changes_only_matching_points(client, dot):
    seed_points(client, dot, [{"k": "x"}, {"k": "y"}])

    client.set_payload(
        dot,
        payload={"hit": True},
        points=models.Filter(must=[models.FieldCondition(key="k", match=models.MatchValue(value="y"))]),
    )

    assert [payload_of(client, dot, 1), payload_of(client, dot, 2)] == [{"k": "x"}, {"k": "y", "hit": True}]


def test_overwrite_payload_replaces_the_whole_payload(client, dot):
    seed_points(client, dot, [{"a": 1, "b": 2}])

    client.overwrite_payload(dot, payload={"c": 3}, points=[1])

    assert payload_of(client, dot, 1) == {"c": 3}


def test_delete_payload_removes_only_the_named_keys(client, dot):
    seed_points(client, dot, [{"a": 1, "b": 2, "n": {"x": 1, "y": 2}}])

    client.delete_payload(dot, keys=["a", "n.x"], points=[1])

    assert payload_of(client, dot, 1) == {"b": 2, "n": {"y": 2}}


def test_clear_payload_by_ids_empties_only_those_points(client, dot):
    seed_points(client, dot, [{"a": 1}, {"a": 2}])

    client.clear_payload(dot, points_selector=models.PointIdsList(points=[1]))

    assert [payload_of(client, dot, 1), payload_of(client, dot, 2)] == [{}, {"a": 2}]


def test_clear_payload_by_filter_empties_only_matching_points(client, dot):
    seed_points(client, dot, [{"a": 1}, {"a": 2}, {"a": 1}])

    client.clear_payload(
        dot,
        points_selector=models.FilterSelector(
            filter=models.Filter(must=[models.FieldCondition(key="a", match=models.MatchValue(value=1))])
        ),
    )

    assert [payload_of(client, dot, i) for i in (1, 2, 3)] == [{}, {"a": 2}, {}]


def test_update_vectors_changes_only_the_named_vector(client, named):
    client.upsert(named, [models.PointStruct(id=1, vector={"img": vector(1), "txt": [1.0, 2.0]}, payload={"p": 1})])

    client.update_vectors(named, points=[models.PointVectors(id=1, vector={"txt": [5.0, 6.0]})])

    (record,) = client.retrieve(named, [1], with_payload=True, with_vectors=True)
    assert (record.vector, record.payload) == ({"img": vector(1), "txt": [5.0, 6.0]}, {"p": 1})


def test_delete_vectors_removes_only_the_named_vector(client, named):
    client.upsert(named, [models.PointStruct(id=1, vector={"img": vector(1), "txt": [1.0, 2.0]})])

    client.delete_vectors(named, vectors=["txt"], points=[1])

    (record,) = client.retrieve(named, [1], with_vectors=True)
    assert record.vector == {"img": vector(1)}


def test_batch_update_applies_every_operation_kind_in_order(client, named):
    both = {"img": vector(1), "txt": [1.0, 2.0]}
    operations = [
        models.UpsertOperation(
            upsert=models.PointsList(
                points=[models.PointStruct(id=i, vector=both, payload={"i": i, "drop": 0}) for i in (1, 2, 3, 4)]
            )
        ),
        models.DeleteOperation(delete=models.PointIdsList(points=[4])),
        models.SetPayloadOperation(set_payload=models.SetPayload(payload={"s": 1}, points=[1, 2])),
        models.OverwritePayloadOperation(overwrite_payload=models.SetPayload(payload={"o": 2}, points=[2])),
        models.DeletePayloadOperation(delete_payload=models.DeletePayload(keys=["drop"], points=[1])),
        models.ClearPayloadOperation(clear_payload=models.PointIdsList(points=[3])),
        models.UpdateVectorsOperation(
            update_vectors=models.UpdateVectors(points=[models.PointVectors(id=1, vector={"txt": [7.0, 8.0]})])
        ),
        models.DeleteVectorsOperation(delete_vectors=models.DeleteVectors(points=[2], vector=["img"])),
    ]

    results = client.batch_update_points(named, operations)

    records = client.retrieve(named, [1, 2, 3, 4], with_payload=True, with_vectors=True)
    assert len(results) == len(operations)
    assert [(r.id, r.payload, r.vector) for r in records] == [
        (1, {"i": 1, "s": 1}, {"img": vector(1), "txt": [7.0, 8.0]}),
        (2, {"o": 2}, {"txt": [1.0, 2.0]}),
        (3, {}, both),
    ]


def test_upsert_replaces_the_whole_point_clearing_an_omitted_payload(client, dot):
    seed_points(client, dot, [{"a": 1}])

    client.upsert(dot, [models.PointStruct(id=1, vector=vector(9))])

    (record,) = client.retrieve(dot, [1], with_payload=True, with_vectors=True)
    assert (record.payload, record.vector) == ({}, vector(9))


def test_upsert_drops_named_vectors_that_are_not_mentioned(client, named):
    client.upsert(named, [models.PointStruct(id=1, vector={"img": vector(1), "txt": [1.0, 2.0]})])

    client.upsert(named, [models.PointStruct(id=1, vector={"txt": [3.0, 4.0]})])

    (record,) = client.retrieve(named, [1], with_vectors=True)
    assert record.vector == {"txt": [3.0, 4.0]}


def test_duplicate_ids_in_one_upsert_keep_the_last(client, dot):
    client.upsert(
        dot,
        [
            models.PointStruct(id=1, vector=vector(1), payload={"v": "first"}),
            models.PointStruct(id=1, vector=vector(2), payload={"v": "last"}),
        ],
    )

    records = client.retrieve(dot, [1], with_payload=True, with_vectors=True)
    assert [(r.payload, r.vector) for r in records] == [({"v": "last"}, vector(2))]


def test_cosine_vectors_are_returned_normalised(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[3.0, 0.0, 4.0, 0.0])])

    (record,) = client.retrieve(collection_name, [1], with_vectors=True)

    assert record.vector == pytest.approx([0.6, 0.0, 0.8, 0.0], abs=1e-6)
    assert math.fsum(x * x for x in record.vector) == pytest.approx(1.0, abs=1e-6)


def test_upsert_with_wait_reports_completed(client, dot):
    result = client.upsert(dot, [models.PointStruct(id=1, vector=vector(1))], wait=True)

    assert result.status == models.UpdateStatus.COMPLETED


def test_upsert_with_wait_is_immediately_visible(client, dot):
    client.upsert(dot, [models.PointStruct(id=i, vector=vector(i), payload={"i": i}) for i in range(1, 501)], wait=True)

    assert client.count(dot).count == 500
    assert [r.payload for r in client.retrieve(dot, [500])] == [{"i": 500}]


def test_payload_write_with_wait_is_immediately_visible(client, dot):
    seed_points(client, dot, [{}])

    client.set_payload(dot, payload={"seen": True}, points=[1], wait=True)

    assert payload_of(client, dot, 1) == {"seen": True}


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_upsert_with_wrong_dimension_is_bad_request_400(client, dot, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.upsert(dot, [models.PointStruct(id=1, vector=[1.0, 2.0, 3.0])])

    assert "Vector dimension error: expected dim: 4, got 3" in error.message


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_set_payload_on_missing_point_is_not_found_404(client, dot, api_error):
    with api_error(404, "NOT_FOUND") as error:
        client.set_payload(dot, payload={"a": 1}, points=[7])

    assert "No point with id 7 found" in error.message


def test_payload_floats_round_trip_exactly(client, dot):
    # Shortest round-trip decimal forms: parsing must give back the very same double.
    values = [36.23734099852973, 0.1, 1e-300, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0]
    client.upsert(dot, [models.PointStruct(id=77, vector=[0.1, 0.2, 0.3, 0.4], payload={"f": values})])
    (record,) = client.retrieve(dot, [77], with_payload=True)
    assert record.payload["f"] == values
    assert all(math.copysign(1.0, a) == math.copysign(1.0, b) for a, b in zip(record.payload["f"], values))
