"""TLS: the official client reaches a Quiver started with ``service.enable_tls`` over REST
(``https://`` URL, the CA passed as httpx's ``verify``) and over gRPC (``prefer_grpc=True``, the CA
passed as ``grpc_options["root_certificates"]``), and client certificates are required on both
transports when ``service.verify_https_client_certificate`` is set.

These tests start their own servers (the shared one serves plain HTTP) with a CA and certificates
made here with ``cryptography``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import grpc
import httpx
import pytest
from qdrant_client import QdrantClient, models

from conftest import _free_loopback_port, quiver_binary

# A virtualenv made before cryptography joined requirements.txt skips this file with a reason,
# rather than failing the whole suite at collection; CI installs it and runs the file.
pytest.importorskip(
    "cryptography", reason="needs cryptography: pip install -r tests/compat/requirements.txt"
)
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

READY_TIMEOUT_SECONDS = 30.0

pytestmark = pytest.mark.server_only("TLS")


# ------------------------------------------------------------------------------------------------
# Certificates
# ------------------------------------------------------------------------------------------------


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Pki:
    """PEM files for one test server: CA, server certificate and key, a client certificate."""

    ca: bytes
    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes


def _make_pki() -> Pki:
    now = datetime.datetime.now(datetime.timezone.utc)
    valid_from, valid_to = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Quiver compat test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common_name: str, usage, alt_names) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid_from)
            .not_valid_after(valid_to)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                critical=False,
            )
        )
        if alt_names:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        return _pem(builder.sign(ca_key, hashes.SHA256())), _key_pem(key)

    server_cert, server_key = leaf(
        "quiver-compat-server",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    client_cert, client_key = leaf("quiver-compat-client", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    return Pki(_pem(ca), server_cert, server_key, client_cert, client_key)


# ------------------------------------------------------------------------------------------------
# A Quiver serving TLS
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsServer:
    rest_url: str
    grpc_port: int
    pki: Pki
    ca_path: Path


def _ssl_context(server: TlsServer, with_client_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(server.ca_path))
    if with_client_cert:
        directory = server.ca_path.parent
        context.load_cert_chain(directory / "client.pem", directory / "client-key.pem")
    return context


def _grpc_options(server: TlsServer, with_client_cert: bool) -> dict:
    options = {"root_certificates": server.pki.ca}
    if with_client_cert:
        options.update(
            certificate_chain=server.pki.client_cert, private_key=server.pki.client_key
        )
    return options


def _wait_until_ready(server: TlsServer, process: subprocess.Popen, stderr_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error = "no attempt made"
    context = _ssl_context(server, with_client_cert=True)
    credentials = grpc.ssl_channel_credentials(**_grpc_options(server, with_client_cert=True))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"quiver exited with code {process.returncode}; stderr:\n"
                + stderr_path.read_text(errors="replace"),
                pytrace=False,
            )
        try:
            response = httpx.get(f"{server.rest_url}/readyz", verify=context, timeout=1.0)
            if response.status_code == 200:
                target = f"127.0.0.1:{server.grpc_port}"
                with grpc.secure_channel(target, credentials) as channel:
                    grpc.channel_ready_future(channel).result(timeout=1.0)
                return
            last_error = f"GET /readyz answered {response.status_code}"
        except httpx.HTTPError as error:
            last_error = repr(error)
        except grpc.FutureTimeoutError:
            last_error = "the gRPC port did not accept a TLS channel"
        time.sleep(0.1)
    pytest.fail(f"quiver serving TLS was not ready: {last_error}", pytrace=False)


@contextmanager
def launch_tls_quiver(require_client_cert: bool) -> Iterator[TlsServer]:
    """Starts the binary in memory with TLS on free loopback ports; stops it afterwards."""
    binary = quiver_binary()
    http_socket, grpc_socket = _free_loopback_port(), _free_loopback_port()
    http_port, grpc_port = http_socket.getsockname()[1], grpc_socket.getsockname()[1]
    http_socket.close()
    grpc_socket.close()
    pki = _make_pki()
    with tempfile.TemporaryDirectory(prefix="quiver-compat-tls-") as workdir:
        directory = Path(workdir)
        files = {
            "ca.pem": pki.ca,
            "cert.pem": pki.server_cert,
            "key.pem": pki.server_key,
            "client.pem": pki.client_cert,
            "client-key.pem": pki.client_key,
        }
        for name, contents in files.items():
            (directory / name).write_bytes(contents)
        env = dict(os.environ)
        env.update(
            QDRANT__SERVICE__HOST="127.0.0.1",
            QDRANT__SERVICE__HTTP_PORT=str(http_port),
            QDRANT__SERVICE__GRPC_PORT=str(grpc_port),
            QDRANT__SERVICE__ENABLE_TLS="true",
            QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE=str(require_client_cert).lower(),
            QDRANT__TLS__CERT=str(directory / "cert.pem"),
            QDRANT__TLS__KEY=str(directory / "key.pem"),
            QDRANT__TLS__CA_CERT=str(directory / "ca.pem"),
        )
        server = TlsServer(
            rest_url=f"https://127.0.0.1:{http_port}",
            grpc_port=grpc_port,
            pki=pki,
            ca_path=directory / "ca.pem",
        )
        stderr_path = directory / "stderr.log"
        with open(stderr_path, "wb") as stderr_file:
            process = subprocess.Popen(
                [str(binary), "--in-memory"],
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr_file,
            )
        try:
            _wait_until_ready(server, process, stderr_path)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _client(server: TlsServer, transport: str, with_client_cert: bool) -> QdrantClient:
    return QdrantClient(
        url=server.rest_url,
        grpc_port=server.grpc_port,
        prefer_grpc=transport == "grpc",
        verify=_ssl_context(server, with_client_cert),
        grpc_options=_grpc_options(server, with_client_cert),
        timeout=30,
        # The client's version check calls httpx without `verify`, so it cannot trust a private
        # CA and would only warn.
        check_compatibility=False,
    )


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    with launch_tls_quiver(require_client_cert=False) as server:
        yield server


@pytest.fixture(scope="module")
def mtls_server() -> Iterator[TlsServer]:
    with launch_tls_quiver(require_client_cert=True) as server:
        yield server


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_client_creates_upserts_and_searches_over_tls(tls_server, transport):
    client = _client(tls_server, transport, with_client_cert=False)
    name = f"tls-{transport}"
    try:
        client.create_collection(
            name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT)
        )
        client.upsert(
            name,
            points=[
                models.PointStruct(id=1, vector=[1.0, 0.0], payload={"side": "x"}),
                models.PointStruct(id=2, vector=[0.0, 1.0], payload={"side": "y"}),
            ],
            wait=True,
        )
        hits = client.query_points(name, query=[0.0, 1.0], limit=1).points
        assert [hit.id for hit in hits] == [2]
        assert hits[0].payload == {"side": "y"}
        assert name in [c.name for c in client.get_collections().collections]
    finally:
        client.close()


def test_plain_http_to_the_tls_port_is_not_served(tls_server):
    plain_url = tls_server.rest_url.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{plain_url}/", timeout=5.0)


def test_a_client_that_does_not_trust_the_ca_is_refused(tls_server):
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{tls_server.rest_url}/", verify=ssl.create_default_context(), timeout=5.0)


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_a_client_certificate_signed_by_the_ca_is_served(mtls_server, transport):
    client = _client(mtls_server, transport, with_client_cert=True)
    try:
        assert isinstance(client.get_collections().collections, list)
    finally:
        client.close()


def test_rest_without_a_client_certificate_is_refused(mtls_server):
    context = _ssl_context(mtls_server, with_client_cert=False)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{mtls_server.rest_url}/collections", verify=context, timeout=5.0)


def test_grpc_without_a_client_certificate_is_refused(mtls_server):
    client = _client(mtls_server, "grpc", with_client_cert=False)
    try:
        with pytest.raises(grpc.RpcError) as raised:
            client.get_collections()
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        client.close()
