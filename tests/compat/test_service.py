"""Service endpoints: the version banner at `GET /` and the health probes (§10)."""

import re

import httpx
import pytest


def test_info_reports_qdrant_title(client):
    assert client.info().title == "qdrant - vector search engine"


def test_info_version_has_major_1_so_the_client_version_check_passes(client):
    assert re.fullmatch(r"1\.\d+\.\d+(-[0-9A-Za-z.-]+)?", client.info().version)


@pytest.mark.server_only("local mode has no HTTP endpoints")
@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz"])
def test_health_probe_answers_200(server_url, path):
    response = httpx.get(server_url + path, timeout=10)
    assert response.status_code == 200, response.text


@pytest.mark.server_only("local mode has no HTTP endpoints")
@pytest.mark.parametrize(
    "path, text",
    [
        ("/healthz", "healthz check passed"),
        ("/livez", "healthz check passed"),
        ("/readyz", "all shards are ready"),
    ],
)
def test_health_probe_answers_with_qdrant_text(server_url, path, text):
    assert httpx.get(server_url + path, timeout=10).text == text


@pytest.mark.server_only("local mode has no server version")
def test_pinned_client_version_check_accepts_the_server(server_url):
    from importlib.metadata import version as installed_version

    from qdrant_client.common.version_check import is_compatible

    server_version = httpx.get(server_url + "/", timeout=10).json()["version"]
    assert is_compatible(installed_version("qdrant-client"), server_version), server_version


@pytest.mark.server_only("local mode has no server version")
def test_client_construction_emits_no_version_warning(server_url):
    import warnings

    from qdrant_client import QdrantClient

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        QdrantClient(url=server_url, prefer_grpc=False, timeout=10).get_collections()
