"""Aliases: every collection operation works through an alias; alias CRUD and listing (§4)."""

import pytest
from qdrant_client import models

VECTORS = {1: [1.0, 0.0, 0.0, 0.0], 2: [0.0, 1.0, 0.0, 0.0], 3: [0.0, 0.0, 1.0, 0.0]}


@pytest.fixture
def aliased(client, new_collection_name):
    """A 3-point Dot collection and an alias to it: (collection, alias)."""
    collection = new_collection_name("aliased")
    alias = new_collection_name("alias")
    client.create_collection(collection, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    client.upsert(
        collection,
        [models.PointStruct(id=i, vector=v, payload={"n": i}) for i, v in VECTORS.items()],
    )
    client.update_collection_aliases(
        [models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=collection, alias_name=alias))]
    )
    yield collection, alias
    client.delete_collection(collection)


def alias_pairs(response):
    return {(a.alias_name, a.collection_name) for a in response.aliases}


def test_upsert_through_alias_writes_to_the_collection(client, aliased):
    collection, alias = aliased

    client.upsert(alias, [models.PointStruct(id=9, vector=[0.0, 0.0, 0.0, 1.0])])

    assert [p.id for p in client.retrieve(collection, [9])] == [9]


def test_query_through_alias_searches_the_collection(client, aliased):
    _, alias = aliased

    hits = client.query_points(alias, query=[0.0, 1.0, 0.0, 0.0], limit=1).points

    assert [(h.id, h.score) for h in hits] == [(2, 1.0)]


def test_scroll_through_alias_returns_the_collection_points(client, aliased):
    _, alias = aliased

    points, _ = client.scroll(alias, limit=10)

    assert [p.id for p in points] == [1, 2, 3]


def test_count_through_alias_counts_the_collection_points(client, aliased):
    _, alias = aliased

    assert client.count(alias).count == 3


def test_info_through_alias_describes_the_collection(client, aliased):
    _, alias = aliased

    info = client.get_collection(alias)

    assert (info.points_count, info.config.params.vectors.size) == (3, 4)


def test_exists_is_true_for_an_alias(client, aliased):
    _, alias = aliased

    assert client.collection_exists(alias) is True


def test_global_alias_list_contains_the_alias(client, aliased):
    collection, alias = aliased

    assert (alias, collection) in alias_pairs(client.get_aliases())


def test_collection_alias_list_contains_only_that_collections_aliases(client, aliased, new_collection_name):
    collection, alias = aliased
    other = new_collection_name("other")
    other_alias = new_collection_name("other-alias")
    client.create_collection(other, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    try:
        client.update_collection_aliases(
            [models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=other, alias_name=other_alias))]
        )

        assert alias_pairs(client.get_collection_aliases(collection)) == {(alias, collection)}
    finally:
        client.delete_collection(other)


def test_alias_is_not_listed_as_a_collection(client, aliased):
    _, alias = aliased

    assert alias not in [c.name for c in client.get_collections().collections]


def test_rename_moves_the_alias_to_the_new_name(client, aliased, new_collection_name):
    collection, alias = aliased
    renamed = new_collection_name("renamed")

    client.update_collection_aliases(
        [models.RenameAliasOperation(rename_alias=models.RenameAlias(old_alias_name=alias, new_alias_name=renamed))]
    )

    pairs = alias_pairs(client.get_aliases())
    assert (renamed, collection) in pairs
    assert alias not in {name for name, _ in pairs}
    assert client.count(renamed).count == 3


def test_delete_alias_removes_it_but_keeps_the_collection(client, aliased):
    collection, alias = aliased

    client.update_collection_aliases([models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))])

    assert alias not in {name for name, _ in alias_pairs(client.get_aliases())}
    assert client.collection_exists(alias) is False
    assert client.count(collection).count == 3


def test_deleting_the_collection_removes_its_aliases(client, aliased):
    collection, alias = aliased

    client.delete_collection(collection)

    assert alias not in {name for name, _ in alias_pairs(client.get_aliases())}
    assert client.collection_exists(alias) is False


def test_alias_operations_apply_in_order(client, aliased, new_collection_name):
    collection, alias = aliased
    second = new_collection_name("second")

    client.update_collection_aliases(
        [
            models.RenameAliasOperation(rename_alias=models.RenameAlias(old_alias_name=alias, new_alias_name=second)),
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=second)),
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=collection, alias_name=alias)),
        ]
    )

    names = {name for name, _ in alias_pairs(client.get_aliases())}
    assert (alias in names, second in names) == (True, False)
