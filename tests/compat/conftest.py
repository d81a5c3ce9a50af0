"""Connects the compatibility suite to the server under test.

The suite is a black-box specification of Quiver's Qdrant compatibility: every test talks to a
server only through the official ``qdrant-client`` (and, for the few plain-HTTP endpoints, through
``httpx``; for the gRPC surface itself, through ``grpcio``). Which server is chosen by
``QUIVER_COMPAT_TARGET``:

* ``server`` (default): start the Quiver binary (``QUIVER_BIN``, default
  ``<repo>/target/debug/quiver``) with ``--in-memory`` on free loopback ports (REST and gRPC) and
  stop it at the end of the session. If ``QUIVER_URL`` is set, that already running server is used
  instead; its gRPC port is ``QUIVER_GRPC_PORT`` (default 6334) on the same host.
* ``local``: the client's own in-process mode (``QdrantClient(":memory:")``). It exists to validate
  the tests themselves; it is not the system under test.

Against a server, every test that uses the ``client`` fixture runs twice, once per transport:
``test_x[rest]`` (``prefer_grpc=False``) and ``test_x[grpc]`` (``prefer_grpc=True``). In local mode
it runs once, as ``test_x[local]``.

Run from the repository root with a virtualenv made from ``tests/compat/requirements.txt``::

    venv/bin/pytest tests/compat -q                               # against target/debug/quiver
    QUIVER_URL=http://127.0.0.1:6333 venv/bin/pytest tests/compat  # against a running server
    QUIVER_COMPAT_TARGET=local venv/bin/pytest tests/compat       # validate the tests themselves
    venv/bin/pytest tests/compat -q -k "grpc"                     # one transport only

Tests that cannot run in local mode carry ``@pytest.mark.server_only("why")``. They are skipped in
local mode only and always run against a server.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import grpc
import httpx
import pytest
from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import UnexpectedResponse

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("QUIVER_COMPAT_TARGET", "server")
LOCAL_MODE = TARGET == "local"
READY_TIMEOUT_SECONDS = 30.0
DEFAULT_GRPC_PORT = 6334

if TARGET not in ("server", "local"):
    raise pytest.UsageError(f"QUIVER_COMPAT_TARGET must be 'server' or 'local', got {TARGET!r}")

# The transports the `client` fixture is parametrized over (they become the test ids' suffix).
TRANSPORTS = ["local"] if LOCAL_MODE else ["rest", "grpc"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "server_only(reason): the behaviour is not reproduced by the client's local mode; "
        "skipped with QUIVER_COMPAT_TARGET=local, always run against a server",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("server_only")
    if marker is not None and LOCAL_MODE:
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
        pytest.skip(f"server only ({reason})")


@dataclass(frozen=True)
class QuiverServer:
    """Where one server under test listens."""

    rest_url: str
    grpc_port: int
    # Set for servers this suite launched: the process, its working directory (where config and
    # key files given to ``launch_quiver`` live) and the file its stdout and stderr go to.
    process: subprocess.Popen | None = field(default=None, compare=False, repr=False)
    workdir: Path | None = field(default=None, compare=False)
    log_path: Path | None = field(default=None, compare=False)

    def log(self) -> str:
        """Everything the server has written to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    @property
    def host(self) -> str:
        return urlsplit(self.rest_url).hostname or "127.0.0.1"

    @property
    def grpc_target(self) -> str:
        """``host:port`` of the gRPC API, as ``grpc.insecure_channel`` takes it."""
        return f"{self.host}:{self.grpc_port}"


def _free_loopback_port() -> socket.socket:
    """A bound socket holding a free port; the caller closes it right before the server binds."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_until_ready(server: QuiverServer, process: subprocess.Popen, log_path: Path) -> None:
    """Waits for ``GET /readyz`` to answer 200 and for the gRPC port to accept a channel."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error = "no attempt made"
    rest_ready = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"quiver exited with code {process.returncode} before becoming ready; output:\n"
                + log_path.read_text(errors="replace"),
                pytrace=False,
            )
        try:
            if not rest_ready:
                response = httpx.get(f"{server.rest_url}/readyz", timeout=1.0)
                rest_ready = response.status_code == 200
                if not rest_ready:
                    last_error = f"GET /readyz answered {response.status_code}: {response.text[:200]}"
            if rest_ready:
                with grpc.insecure_channel(server.grpc_target) as channel:
                    grpc.channel_ready_future(channel).result(timeout=1.0)
                return
        except httpx.HTTPError as error:
            last_error = repr(error)
        except grpc.FutureTimeoutError:
            last_error = f"gRPC port {server.grpc_target} did not accept a channel"
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(
        f"quiver was not ready (REST /readyz 200 and gRPC channel) within "
        f"{READY_TIMEOUT_SECONDS:.0f} s (last: {last_error}); output:\n"
        + log_path.read_text(errors="replace"),
        pytrace=False,
    )


def quiver_binary() -> Path:
    binary = Path(os.environ.get("QUIVER_BIN", REPO_ROOT / "target" / "debug" / "quiver"))
    if not binary.is_file():
        pytest.fail(f"quiver binary not found at {binary}; build it or set QUIVER_BIN", pytrace=False)
    return binary


@contextmanager
def launch_quiver(
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    files: dict[str, str] | None = None,
) -> Iterator[QuiverServer]:
    """Starts the Quiver binary in memory on free loopback ports, yields where it listens once it is
    ready, and stops it afterwards. ``extra_env`` adds settings (``QDRANT__…`` variables), ``args``
    command-line arguments, and ``files`` (relative path → text) are written into the server's
    working directory before it starts (config files, key files)."""
    binary = quiver_binary()
    http_socket, grpc_socket = _free_loopback_port(), _free_loopback_port()
    http_port, grpc_port = http_socket.getsockname()[1], grpc_socket.getsockname()[1]
    http_socket.close()
    grpc_socket.close()

    env = dict(os.environ)
    env.update(
        QDRANT__SERVICE__HOST="127.0.0.1",
        QDRANT__SERVICE__HTTP_PORT=str(http_port),
        QDRANT__SERVICE__GRPC_PORT=str(grpc_port),
    )
    env.update(extra_env or {})
    with tempfile.TemporaryDirectory(prefix="quiver-compat-") as tmp:
        workdir = Path(tmp)
        for relative, text in (files or {}).items():
            (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
            (workdir / relative).write_text(text)
        log_path = workdir / "quiver.log"
        with open(log_path, "wb") as log_file:
            # The server runs in a scratch directory so nothing it writes lands in the repo.
            process = subprocess.Popen(
                [str(binary), "--in-memory", *args],
                cwd=workdir,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        server = QuiverServer(
            rest_url=f"http://127.0.0.1:{http_port}",
            grpc_port=grpc_port,
            process=process,
            workdir=workdir,
            log_path=log_path,
        )
        try:
            _wait_until_ready(server, process, log_path)
            yield server
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="session")
def quiver() -> Iterator[QuiverServer | None]:
    """The server under test (REST URL and gRPC port); None in local mode."""
    if LOCAL_MODE:
        yield None
    elif os.environ.get("QUIVER_URL"):
        grpc_port = int(os.environ.get("QUIVER_GRPC_PORT", DEFAULT_GRPC_PORT))
        yield QuiverServer(rest_url=os.environ["QUIVER_URL"].rstrip("/"), grpc_port=grpc_port)
    else:
        with launch_quiver() as server:
            yield server


@pytest.fixture(scope="session")
def server_url(quiver) -> str | None:
    """Base URL of the server's REST API; None in local mode."""
    return quiver.rest_url if quiver else None


@pytest.fixture(scope="session")
def grpc_target(quiver) -> str | None:
    """``host:port`` of the server's gRPC API; None in local mode."""
    return quiver.grpc_target if quiver else None


@pytest.fixture(scope="session")
def launch_server():
    """``launch_server(extra_env, args, files)``: a context manager running a second, separately
    configured Quiver (for settings the shared server cannot have), yielding a
    :class:`QuiverServer`."""
    return launch_quiver


@pytest.fixture(scope="session", params=TRANSPORTS)
def transport(request) -> str:
    """How the `client` reaches the server: ``rest``, ``grpc`` or (local mode) ``local``."""
    return request.param


@pytest.fixture(scope="session")
def client(transport, quiver) -> QdrantClient:
    if transport == "local":
        qdrant = QdrantClient(":memory:")
    else:
        qdrant = QdrantClient(
            url=quiver.rest_url,
            grpc_port=quiver.grpc_port,
            prefer_grpc=transport == "grpc",
            timeout=30,
        )
    yield qdrant
    qdrant.close()


class ApiError:
    """What :func:`api_error` caught: the server's message (REST body or gRPC status details)."""

    message: str = ""


@contextmanager
def _expect_api_error(transport: str, http_status: int, grpc_code: str) -> Iterator[ApiError]:
    caught = ApiError()
    if transport == "grpc":
        with pytest.raises(grpc.RpcError) as raised:
            yield caught
        code = raised.value.code()
        assert code == grpc.StatusCode[grpc_code], f"{code}: {raised.value.details()}"
        caught.message = raised.value.details()
    else:
        with pytest.raises(UnexpectedResponse) as raised:
            yield caught
        assert raised.value.status_code == http_status, raised.value.content
        caught.message = raised.value.content.decode()


@pytest.fixture
def api_error(transport):
    """``with api_error(404, "NOT_FOUND") as error: …`` expects the block to fail with that HTTP
    status (REST) or gRPC status code (gRPC); ``error.message`` then holds the server's message."""
    return partial(_expect_api_error, transport)


def unique_collection_name(label: str) -> str:
    """A collection name no other test uses: the label (made name-safe) plus a random suffix."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", label).strip("_")[:60]
    return f"{safe}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def new_collection_name():
    """For module-scoped fixtures that create their own collections."""
    return unique_collection_name


@pytest.fixture
def collection_name(request, client) -> str:
    """A fresh collection name for this test; whatever it names is deleted afterwards."""
    name = unique_collection_name(request.node.name)
    yield name
    client.delete_collection(name)
