"""Collection lifecycle: create, info, list, exists, update, delete (§4)."""

import pytest
from qdrant_client import models


def create_unnamed(client, name, size=4, distance=models.Distance.COSINE):
    assert client.create_collection(name, vectors_config=models.VectorParams(size=size, distance=distance))


def test_create_with_single_unnamed_vector_reports_its_size_and_distance(client, collection_name):
    create_unnamed(client, collection_name, size=7, distance=models.Distance.EUCLID)

    vectors = client.get_collection(collection_name).config.params.vectors

    assert isinstance(vectors, models.VectorParams)
    assert (vectors.size, vectors.distance) == (7, models.Distance.EUCLID)


def test_create_with_named_vectors_reports_each_name(client, collection_name):
    client.create_collection(
        collection_name,
        vectors_config={
            "image": models.VectorParams(size=3, distance=models.Distance.DOT),
            "text": models.VectorParams(size=5, distance=models.Distance.MANHATTAN),
        },
    )

    vectors = client.get_collection(collection_name).config.params.vectors

    assert {name: (p.size, p.distance) for name, p in vectors.items()} == {
        "image": (3, models.Distance.DOT),
        "text": (5, models.Distance.MANHATTAN),
    }


def test_fresh_collection_is_green_and_empty(client, collection_name):
    create_unnamed(client, collection_name)

    info = client.get_collection(collection_name)

    assert (info.status, info.points_count) == (models.CollectionStatus.GREEN, 0)


def test_points_count_reflects_upserted_points(client, collection_name):
    create_unnamed(client, collection_name)
    client.upsert(
        collection_name,
        [models.PointStruct(id=i, vector=[1.0, 0.0, float(i), 1.0]) for i in range(1, 8)],
    )

    assert client.get_collection(collection_name).points_count == 7


def test_default_hnsw_config_is_m16_ef_construct100(client, collection_name):
    create_unnamed(client, collection_name)

    hnsw = client.get_collection(collection_name).config.hnsw_config

    assert (hnsw.m, hnsw.ef_construct, hnsw.full_scan_threshold) == (16, 100, 10000)


def test_default_optimizer_config_matches_qdrant(client, collection_name):
    create_unnamed(client, collection_name)

    optimizer = client.get_collection(collection_name).config.optimizer_config

    assert (
        optimizer.deleted_threshold,
        optimizer.vacuum_min_vector_number,
        optimizer.default_segment_number,
        optimizer.flush_interval_sec,
    ) == (0.2, 1000, 0, 5)


@pytest.mark.server_only("local mode reports indexing_threshold 20000")
def test_default_indexing_threshold_is_10000(client, collection_name):
    create_unnamed(client, collection_name)

    assert client.get_collection(collection_name).config.optimizer_config.indexing_threshold == 10000


def test_list_includes_created_collections(client, collection_name):
    create_unnamed(client, collection_name)

    names = [c.name for c in client.get_collections().collections]

    assert collection_name in names


@pytest.mark.server_only("local mode lists collections in creation order")
def test_list_is_sorted_by_name(client, new_collection_name):
    # Created in reverse order so that a listing in creation order fails.
    names = [new_collection_name("zz-sorted"), new_collection_name("mm-sorted"), new_collection_name("aa-sorted")]
    try:
        for name in names:
            create_unnamed(client, name)

        listed = [c.name for c in client.get_collections().collections]

        assert listed == sorted(listed)
        assert set(names) <= set(listed)
    finally:
        for name in names:
            client.delete_collection(name)


def test_exists_is_true_for_a_created_collection(client, collection_name):
    create_unnamed(client, collection_name)

    assert client.collection_exists(collection_name) is True


def test_exists_is_false_for_an_unknown_collection(client, collection_name):
    assert client.collection_exists(collection_name) is False


@pytest.mark.server_only("local mode ignores optimizers_config updates")
def test_update_optimizers_config_is_visible_in_info(client, collection_name):
    create_unnamed(client, collection_name)

    assert client.update_collection(
        collection_name, optimizers_config=models.OptimizersConfigDiff(indexing_threshold=12345)
    )

    assert client.get_collection(collection_name).config.optimizer_config.indexing_threshold == 12345


@pytest.mark.server_only("local mode ignores hnsw_config updates")
def test_update_hnsw_config_is_visible_in_info_and_keeps_other_fields(client, collection_name):
    create_unnamed(client, collection_name)

    assert client.update_collection(collection_name, hnsw_config=models.HnswConfigDiff(m=32))

    hnsw = client.get_collection(collection_name).config.hnsw_config
    assert (hnsw.m, hnsw.ef_construct) == (32, 100)


def test_delete_returns_true_and_collection_no_longer_exists(client, collection_name):
    create_unnamed(client, collection_name)

    assert client.delete_collection(collection_name) is True
    assert client.collection_exists(collection_name) is False


def test_delete_of_unknown_collection_returns_false(client, collection_name):
    assert client.delete_collection(collection_name) is False


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_create_existing_collection_is_conflict_409(client, collection_name, api_error):
    create_unnamed(client, collection_name)

    with api_error(409, "ALREADY_EXISTS") as error:
        create_unnamed(client, collection_name)

    assert f"Collection `{collection_name}` already exists!" in error.message


@pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")
def test_info_of_unknown_collection_is_not_found_404(client, collection_name, api_error):
    with api_error(404, "NOT_FOUND") as error:
        client.get_collection(collection_name)

    assert f"Collection `{collection_name}` doesn't exist!" in error.message
