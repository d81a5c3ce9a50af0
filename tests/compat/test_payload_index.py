"""Payload index registry: create and delete indexes, `payload_schema` in collection info (§9)."""

import pytest
from qdrant_client import models

VECTORS = models.VectorParams(size=2, distance=models.Distance.DOT)
POINTS = [
    models.PointStruct(id=1, vector=[1.0, 0.0], payload={"city": "Oslo", "price": 10, "ok": True}),
    models.PointStruct(id=2, vector=[0.0, 1.0], payload={"city": ["Rome", "Oslo"], "price": 2.5}),
    models.PointStruct(id=3, vector=[1.0, 1.0], payload={"city": 7, "price": [1, 2]}),
    models.PointStruct(id=4, vector=[0.5, 1.0], payload={"other": "x"}),
]


@pytest.fixture
def seeded(client, collection_name):
    client.create_collection(collection_name, vectors_config=VECTORS)
    client.upsert(collection_name, POINTS)
    return collection_name


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_created_index_appears_in_payload_schema_with_its_type(client, seeded):
    result = client.create_payload_index(seeded, "city", models.PayloadSchemaType.KEYWORD)

    assert result.status == models.UpdateStatus.COMPLETED
    schema = client.get_collection(seeded).payload_schema
    assert list(schema) == ["city"]
    assert schema["city"].data_type == models.PayloadSchemaType.KEYWORD


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_points_counts_the_points_holding_a_value_of_the_index_type(client, seeded):
    client.create_payload_index(seeded, "city", models.PayloadSchemaType.KEYWORD)
    client.create_payload_index(seeded, "price", models.PayloadSchemaType.INTEGER)
    client.create_payload_index(seeded, "missing", models.PayloadSchemaType.BOOL)

    schema = client.get_collection(seeded).payload_schema

    # city: strings at 1 and 2 (7 is not a keyword); price: integers at 1 and 3 (2.5 is not).
    assert schema["city"].points == 2
    assert schema["price"].points == 2
    assert schema["missing"].points == 0


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_points_count_follows_later_writes(client, seeded):
    client.create_payload_index(seeded, "ok", models.PayloadSchemaType.BOOL)
    client.upsert(seeded, [models.PointStruct(id=9, vector=[1.0, 1.0], payload={"ok": False})])

    assert client.get_collection(seeded).payload_schema["ok"].points == 2


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_params_are_shown_back(client, seeded):
    client.create_payload_index(seeded, "price", models.IntegerIndexParams(type="integer", lookup=False, range=True))
    client.create_payload_index(seeded, "city", models.KeywordIndexParams(type="keyword", is_tenant=True))

    schema = client.get_collection(seeded).payload_schema

    assert schema["price"].data_type == models.PayloadSchemaType.INTEGER
    assert schema["price"].params.lookup is False
    assert schema["price"].params.range is True
    assert schema["city"].params.is_tenant is True


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_recreating_an_index_replaces_its_type(client, seeded):
    client.create_payload_index(seeded, "price", models.PayloadSchemaType.INTEGER)
    client.create_payload_index(seeded, "price", models.PayloadSchemaType.FLOAT)

    info = client.get_collection(seeded).payload_schema["price"]

    assert info.data_type == models.PayloadSchemaType.FLOAT
    assert info.points == 3


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_deleted_index_leaves_payload_schema(client, seeded):
    client.create_payload_index(seeded, "city", models.PayloadSchemaType.KEYWORD)
    client.create_payload_index(seeded, "price", models.PayloadSchemaType.INTEGER)

    result = client.delete_payload_index(seeded, "city")

    assert result.status == models.UpdateStatus.COMPLETED
    assert list(client.get_collection(seeded).payload_schema) == ["price"]


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_every_index_type_can_be_created(client, seeded):
    types = {
        "k": models.PayloadSchemaType.KEYWORD,
        "i": models.PayloadSchemaType.INTEGER,
        "f": models.PayloadSchemaType.FLOAT,
        "g": models.PayloadSchemaType.GEO,
        "t": models.TextIndexParams(type="text", tokenizer=models.TokenizerType.PREFIX, lowercase=True),
        "b": models.PayloadSchemaType.BOOL,
        "d": models.PayloadSchemaType.DATETIME,
        "u": models.PayloadSchemaType.UUID,
    }
    for field, schema in types.items():
        client.create_payload_index(seeded, field, schema)

    schema = client.get_collection(seeded).payload_schema

    assert {k: v.data_type for k, v in schema.items()} == {
        "k": models.PayloadSchemaType.KEYWORD,
        "i": models.PayloadSchemaType.INTEGER,
        "f": models.PayloadSchemaType.FLOAT,
        "g": models.PayloadSchemaType.GEO,
        "t": models.PayloadSchemaType.TEXT,
        "b": models.PayloadSchemaType.BOOL,
        "d": models.PayloadSchemaType.DATETIME,
        "u": models.PayloadSchemaType.UUID,
    }
    assert schema["t"].params.tokenizer == models.TokenizerType.PREFIX


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_index_on_missing_collection_is_404(client, api_error, collection_name):
    with api_error(404, "NOT_FOUND") as error:
        client.create_payload_index(collection_name, "city", models.PayloadSchemaType.KEYWORD)
    assert "doesn't exist" in error.message


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_unknown_type_name_is_400(server_url, seeded):
    import httpx

    response = httpx.put(
        f"{server_url}/collections/{seeded}/index", json={"field_name": "city", "field_schema": "vector"}
    )

    assert response.status_code == 400
    assert "PayloadFieldSchema" in response.json()["status"]["error"]


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_missing_schema_is_400_naming_the_field(server_url, seeded):
    import httpx

    response = httpx.put(f"{server_url}/collections/{seeded}/index?wait=true", json={"field_name": "city"})

    assert response.status_code == 400
    assert response.json()["status"]["error"] == (
        "Wrong input: Unable to infer type for the field 'city'. Please specify `field_type`"
    )


@pytest.mark.server_only("local mode keeps no payload indexes")
def test_grpc_type_and_params_must_agree(grpc_target, seeded):
    import grpc
    from qdrant_client import grpc as qgrpc

    with grpc.insecure_channel(grpc_target) as channel:
        stub = qgrpc.PointsStub(channel)
        request = qgrpc.CreateFieldIndexCollection(
            collection_name=seeded,
            field_name="city",
            field_type=qgrpc.FieldType.FieldTypeFloat,
            field_index_params=qgrpc.PayloadIndexParams(keyword_index_params=qgrpc.KeywordIndexParams()),
        )
        with pytest.raises(grpc.RpcError) as raised:
            stub.CreateFieldIndex(request, timeout=10)

    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "field_index_params do not match" in raised.value.details()
