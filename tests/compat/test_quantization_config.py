"""Quantization configs: accepted, validated, persisted with the collection and reported as
Qdrant reports them, at collection and vector level, over REST and gRPC.

Quiver serves searches on such collections at full precision (see README's compatibility table);
these tests pin the config surface.
"""

from __future__ import annotations

import httpx
import pytest
from qdrant_client import models

SCALAR = models.ScalarQuantization(
    scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, quantile=0.99, always_ram=True)
)
PRODUCT = models.ProductQuantization(product=models.ProductQuantizationConfig(compression=models.CompressionRatio.X16))
BINARY = models.BinaryQuantization(
    binary=models.BinaryQuantizationConfig(always_ram=False, encoding=models.BinaryQuantizationEncoding.TWO_BITS)
)


LOCAL_DROPS = pytest.mark.server_only("local mode does not keep quantization configs")


def same_config(got, want) -> bool:
    """Equal, with the scalar quantile compared as the f32 that gRPC carries."""
    if isinstance(want, models.ScalarQuantization) and isinstance(got, models.ScalarQuantization):
        return (
            got.scalar.type == want.scalar.type
            and got.scalar.always_ram == want.scalar.always_ram
            and abs(got.scalar.quantile - want.scalar.quantile) < 1e-6
        )
    return got == want


@LOCAL_DROPS
@pytest.mark.parametrize("config", [SCALAR, PRODUCT, BINARY], ids=["scalar", "product", "binary"])
def test_collection_quantization_is_reported_as_given(client, collection_name, config):
    client.create_collection(
        collection_name,
        vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT),
        quantization_config=config,
    )
    assert same_config(client.get_collection(collection_name).config.quantization_config, config)


@LOCAL_DROPS
def test_vector_level_quantization_is_reported_and_searches_still_work(client, collection_name):
    client.create_collection(
        collection_name,
        vectors_config={"a": models.VectorParams(size=2, distance=models.Distance.DOT, quantization_config=BINARY)},
    )
    params = client.get_collection(collection_name).config.params.vectors["a"]
    assert params.quantization_config == BINARY
    client.upsert(collection_name, [models.PointStruct(id=i, vector={"a": [float(i), 1.0]}) for i in range(1, 4)])
    search = models.SearchParams(quantization=models.QuantizationSearchParams(rescore=True, oversampling=2.0))
    hits = client.query_points(collection_name, query=[1.0, 0.0], using="a", search_params=search).points
    assert [h.id for h in hits] == [3, 2, 1]


@LOCAL_DROPS
def test_update_changes_and_disables_quantization(client, collection_name):
    client.create_collection(
        collection_name, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT), quantization_config=SCALAR
    )
    client.update_collection(collection_name, quantization_config=PRODUCT)
    assert client.get_collection(collection_name).config.quantization_config == PRODUCT
    client.update_collection(collection_name, quantization_config=models.Disabled.DISABLED)
    assert client.get_collection(collection_name).config.quantization_config is None


@pytest.mark.server_only("local mode does not validate quantization configs")
def test_a_quantile_out_of_range_is_422_and_creates_nothing(client, collection_name, api_error):
    bad = models.ScalarQuantization(scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, quantile=0.99))
    bad.scalar.quantile = 0.2  # the client's own validation would refuse it at construction
    with api_error(422, "INVALID_ARGUMENT") as error:
        client.create_collection(
            collection_name, vectors_config=models.VectorParams(size=4, distance="Dot"), quantization_config=bad
        )
    assert "quantile" in error.message
    assert not client.collection_exists(collection_name)


@pytest.mark.server_only("local mode has no HTTP endpoints")
@pytest.mark.parametrize(
    "config",
    [
        {"scalar": {"type": "int4"}},
        {"product": {"compression": "x3"}},
        {"binary": {"encoding": "three_bits"}},
        {"scalar": {"type": "int8"}, "product": {"compression": "x4"}},
        {"fancy": {}},
    ],
)
def test_unknown_quantization_shapes_are_400(server_url, collection_name, config):
    body = {"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": config}
    response = httpx.put(f"{server_url}/collections/{collection_name}", json=body, timeout=10)
    assert response.status_code == 400, response.text
    assert "quantization" in response.json()["status"]["error"]
    assert httpx.get(f"{server_url}/collections/{collection_name}/exists", timeout=10).json()["result"] == {
        "exists": False
    }
