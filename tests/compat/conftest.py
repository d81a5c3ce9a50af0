"""Connects the compatibility suite to the server under test.

The suite is a black-box specification of Quiver's Qdrant compatibility: every test talks to a
server only through the official ``qdrant-client`` (and, for the few plain-HTTP endpoints, through
``httpx``). Which server is chosen by ``QUIVER_COMPAT_TARGET``:

* ``server`` (default): start the Quiver binary (``QUIVER_BIN``, default
  ``<repo>/target/debug/quiver``) with ``--in-memory`` on free loopback ports and stop it at the end
  of the session. If ``QUIVER_URL`` is set, that already running server is used instead.
* ``local``: the client's own in-process mode (``QdrantClient(":memory:")``). It exists to validate
  the tests themselves; it is not the system under test.

Run from the repository root with a virtualenv made from ``tests/compat/requirements.txt``::

    venv/bin/pytest tests/compat -q                               # against target/debug/quiver
    QUIVER_URL=http://127.0.0.1:6333 venv/bin/pytest tests/compat  # against a running server
    QUIVER_COMPAT_TARGET=local venv/bin/pytest tests/compat       # validate the tests themselves

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
from pathlib import Path

import httpx
import pytest
from qdrant_client import QdrantClient

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET = os.environ.get("QUIVER_COMPAT_TARGET", "server")
LOCAL_MODE = TARGET == "local"
READY_TIMEOUT_SECONDS = 30.0

if TARGET not in ("server", "local"):
    raise pytest.UsageError(f"QUIVER_COMPAT_TARGET must be 'server' or 'local', got {TARGET!r}")


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


def _free_loopback_port() -> socket.socket:
    """A bound socket holding a free port; the caller closes it right before the server binds."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _wait_until_ready(url: str, process: subprocess.Popen, stderr_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last_error = "no attempt made"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"quiver exited with code {process.returncode} before becoming ready; stderr:\n"
                + stderr_path.read_text(errors="replace"),
                pytrace=False,
            )
        try:
            response = httpx.get(f"{url}/readyz", timeout=1.0)
            if response.status_code == 200:
                return
            last_error = f"GET /readyz answered {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as error:
            last_error = repr(error)
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(
        f"quiver did not answer GET /readyz with 200 within {READY_TIMEOUT_SECONDS:.0f} s "
        f"(last: {last_error}); stderr:\n" + stderr_path.read_text(errors="replace"),
        pytrace=False,
    )


@pytest.fixture(scope="session")
def server_url():
    """Base URL of the server under test; None in local mode."""
    if LOCAL_MODE:
        yield None
        return
    if os.environ.get("QUIVER_URL"):
        yield os.environ["QUIVER_URL"].rstrip("/")
        return

    binary = Path(os.environ.get("QUIVER_BIN", REPO_ROOT / "target" / "debug" / "quiver"))
    if not binary.is_file():
        pytest.fail(f"quiver binary not found at {binary}; build it or set QUIVER_BIN", pytrace=False)

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
    with tempfile.TemporaryDirectory(prefix="quiver-compat-") as workdir:
        stderr_path = Path(workdir) / "stderr.log"
        with open(stderr_path, "wb") as stderr_file:
            # The server runs in a scratch directory so nothing it writes lands in the repo.
            process = subprocess.Popen(
                [str(binary), "--in-memory"],
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr_file,
            )
        url = f"http://127.0.0.1:{http_port}"
        try:
            _wait_until_ready(url, process, stderr_path)
            yield url
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# The transport the client uses. Only REST today; adding "grpc" here (and mapping it to
# prefer_grpc=True below) runs the whole suite over both transports.
@pytest.fixture(scope="session", params=["rest"])
def client(request, server_url) -> QdrantClient:
    if LOCAL_MODE:
        qdrant = QdrantClient(":memory:")
    else:
        qdrant = QdrantClient(url=server_url, prefer_grpc=request.param == "grpc", timeout=30)
    yield qdrant
    qdrant.close()


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
