"""API keys, scopes, tokens, rotation and throttling, over REST and gRPC.

One secured server (module scope) holds every kind of key: Qdrant's three (`api_key`,
`alt_api_key`, `read_only_api_key`, from ``QDRANT__SERVICE__…`` variables), named keys from
``QDRANT__SERVICE__API_KEYS`` (read-write, collection-scoped, stored as a SHA-256, expired, not yet
valid, network-locked) and JWT RBAC. Rotation, reload and throttling each get a server of their own.

Auth is server behaviour the client's local mode does not have, so the whole module is server-only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
import time
import uuid

import grpc
import httpx
import pytest
from qdrant_client import QdrantClient, grpc as qgrpc, models
from qdrant_client.http.exceptions import UnexpectedResponse

from conftest import quiver_binary

pytestmark = [
    pytest.mark.server_only("auth is enforced by the server"),
    # The client warns about keys over plain HTTP; these servers listen on loopback only.
    pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection"),
]

DIM = 4
RELOAD_DEADLINE_SECONDS = 10.0


def secret(label: str) -> str:
    """A key no other server or test uses; the label makes failures readable."""
    return f"{label}-{uuid.uuid4().hex}"


MANAGE = secret("manage")
ALT = secret("alt")
READ_ONLY = secret("readonly")
READ_WRITE = secret("readwrite")
SCOPED = secret("scoped")
HASHED = secret("hashed")
EXPIRED = secret("expired")
FUTURE = secret("future")
NET_LOCKED = secret("netlocked")
ALL_SECRETS = [MANAGE, ALT, READ_ONLY, READ_WRITE, SCOPED, HASHED, EXPIRED, FUTURE, NET_LOCKED]

NAMED_KEYS = [
    {"name": "ci-writer", "key": READ_WRITE, "access": "read-write"},
    {"name": "team-app", "key": SCOPED, "access": "read-write", "collections": ["team-*"]},
    {"name": "hashed-reader", "sha256": hashlib.sha256(HASHED.encode()).hexdigest(), "access": "read-only"},
    {"name": "old-key", "key": EXPIRED, "access": "manage", "expires_at": "2020-01-01T00:00:00Z"},
    {"name": "next-key", "key": FUTURE, "access": "manage", "not_before": "2999-01-01T00:00:00Z"},
    {"name": "office-only", "key": NET_LOCKED, "access": "manage", "allowed_networks": ["10.0.0.0/8"]},
]


# --- helpers ------------------------------------------------------------------------------------


def connect(server, transport: str, key: str | None) -> QdrantClient:
    return QdrantClient(
        url=server.rest_url,
        grpc_port=server.grpc_port,
        prefer_grpc=transport == "grpc",
        api_key=key,
        timeout=10,
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jwt(claims: dict, key: str) -> str:
    """An HS256 token as Qdrant's JWT RBAC takes it."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


def wait_until(check, what: str) -> None:
    deadline = time.monotonic() + RELOAD_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"not within {RELOAD_DEADLINE_SECONDS:.0f} s: {what}")


def status_with(server, key: str | None, path: str = "/collections") -> int:
    headers = {"api-key": key} if key else {}
    return httpx.get(f"{server.rest_url}{path}", headers=headers, timeout=5).status_code


def points(ids) -> list[models.PointStruct]:
    return [
        models.PointStruct(id=i, vector=[float(i), 1.0, 0.0, 0.5], payload={"uid": i, "tag": "orig"})
        for i in ids
    ]


# --- the shared secured server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(launch_server):
    env = {
        "QDRANT__SERVICE__API_KEY": MANAGE,
        "QDRANT__SERVICE__ALT_API_KEY": ALT,
        "QDRANT__SERVICE__READ_ONLY_API_KEY": READ_ONLY,
        "QDRANT__SERVICE__JWT_RBAC": "true",
        "QDRANT__SERVICE__API_KEYS": json.dumps(NAMED_KEYS),
        # This module fails on purpose many times from one address; throttling has its own test.
        "QDRANT__SERVICE__AUTH_THROTTLE__ENABLED": "false",
    }
    with launch_server(env) as server:
        yield server


@pytest.fixture(scope="module")
def data(secured):
    """Two seeded collections: ``main-…`` (outside the scoped key's ``team-*``) and ``team-…``."""
    admin = connect(secured, "rest", MANAGE)
    names = {"main": f"main-{uuid.uuid4().hex[:8]}", "team": f"team-{uuid.uuid4().hex[:8]}"}
    for name in names.values():
        admin.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance="Dot"))
        admin.upsert(name, points(range(1, 6)))
    yield names
    admin.close()


@pytest.fixture
def as_key(secured, transport):
    opened = []

    def make(key: str | None) -> QdrantClient:
        client = connect(secured, transport, key)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def snapshot(server, collection: str):
    """What a refused write must leave unchanged: every point with its payload and vector."""
    admin = connect(server, "rest", MANAGE)
    records, _ = admin.scroll(collection, limit=100, with_payload=True, with_vectors=True)
    admin.close()
    return sorted((r.id, json.dumps(r.payload, sort_keys=True), tuple(r.vector)) for r in records)


# --- Qdrant's keys ---------------------------------------------------------------------------------


def test_no_credential_is_401_with_qdrants_message(as_key, api_error, data):
    with api_error(401, "UNAUTHENTICATED") as error:
        as_key(None).get_collections()
    assert "Must provide an API key or an Authorization bearer token" in error.message


def test_wrong_key_is_401_with_qdrants_message(as_key, api_error, data):
    with api_error(401, "UNAUTHENTICATED") as error:
        as_key(secret("wrong")).count(data["main"])
    assert "Invalid API key or JWT" in error.message


@pytest.mark.parametrize("key", [MANAGE, ALT], ids=["api_key", "alt_api_key"])
def test_api_key_and_alt_key_both_manage(as_key, key):
    client = as_key(key)
    name = f"managed-{uuid.uuid4().hex[:8]}"
    assert client.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance="Dot"))
    client.upsert(name, points([1]))
    assert client.count(name).count == 1
    assert client.delete_collection(name)


def test_read_only_key_reads_everything(as_key, data):
    client = as_key(READ_ONLY)
    names = {c.name for c in client.get_collections().collections}
    assert set(data.values()) <= names
    main = data["main"]
    assert client.collection_exists(main)
    assert client.get_collection(main).points_count == 5
    assert client.count(main).count == 5
    assert len(client.scroll(main, limit=10)[0]) == 5
    assert [r.id for r in client.retrieve(main, [1, 2])] == [1, 2]
    assert len(client.query_points(main, query=[1.0, 0.0, 0.0, 0.0], limit=3).points) == 3


WRITES = {
    "upsert": lambda c, n: c.upsert(n, points([99])),
    "delete": lambda c, n: c.delete(n, models.PointIdsList(points=[1])),
    "set_payload": lambda c, n: c.set_payload(n, {"tag": "changed"}, points=[1]),
    "overwrite_payload": lambda c, n: c.overwrite_payload(n, {"tag": "changed"}, points=[1]),
    "delete_payload": lambda c, n: c.delete_payload(n, ["tag"], points=[1]),
    "clear_payload": lambda c, n: c.clear_payload(n, models.PointIdsList(points=[1])),
    "update_vectors": lambda c, n: c.update_vectors(
        n, [models.PointVectors(id=1, vector=[9.0, 9.0, 9.0, 9.0])]
    ),
    "batch_update_points": lambda c, n: c.batch_update_points(
        n, [models.UpsertOperation(upsert=models.PointsList(points=points([98])))]
    ),
    "update_collection": lambda c, n: c.update_collection(
        n, optimizers_config=models.OptimizersConfigDiff(indexing_threshold=1000)
    ),
    "create_alias": lambda c, n: c.update_collection_aliases(
        [models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=n, alias_name="ro-alias"))]
    ),
    "delete_collection": lambda c, n: c.delete_collection(n),
    "create_collection": lambda c, n: c.create_collection(
        f"ro-{uuid.uuid4().hex[:8]}", vectors_config=models.VectorParams(size=DIM, distance="Dot")
    ),
}


@pytest.mark.parametrize("operation", list(WRITES))
def test_read_only_key_is_refused_every_write_and_changes_nothing(
    as_key, api_error, secured, data, operation
):
    main = data["main"]
    before = snapshot(secured, main)
    collections_before = {c.name for c in connect(secured, "rest", MANAGE).get_collections().collections}

    with api_error(403, "PERMISSION_DENIED") as error:
        WRITES[operation](as_key(READ_ONLY), main)

    assert "Global manage access is required" in error.message
    assert snapshot(secured, main) == before
    admin = connect(secured, "rest", MANAGE)
    assert {c.name for c in admin.get_collections().collections} == collections_before
    assert admin.get_aliases().aliases == [] or all(a.alias_name != "ro-alias" for a in admin.get_aliases().aliases)


# --- named keys ------------------------------------------------------------------------------------


def test_read_write_key_changes_points_but_not_collections(as_key, api_error, secured, data):
    client = as_key(READ_WRITE)
    team = data["team"]
    client.upsert(team, points([50]))
    client.set_payload(team, {"seen": True}, points=[50])
    assert client.retrieve(team, [50])[0].payload["seen"] is True
    client.delete(team, models.PointIdsList(points=[50]))

    for operation in ["create_collection", "delete_collection", "update_collection", "create_alias"]:
        with api_error(403, "PERMISSION_DENIED") as error:
            WRITES[operation](client, team)
        assert "Manage access for this operation is required" in error.message, operation
    assert client.collection_exists(team)


def test_scoped_key_sees_and_touches_only_its_collections(as_key, api_error, data):
    client = as_key(SCOPED)
    team, main = data["team"], data["main"]

    listed = {c.name for c in client.get_collections().collections}
    assert team in listed
    assert all(name.startswith("team-") for name in listed), listed

    assert client.count(team).count >= 5
    client.set_payload(team, {"scoped": 1}, points=[2])

    with api_error(403, "PERMISSION_DENIED") as error:
        client.query_points(main, query=[1.0, 0.0, 0.0, 0.0], limit=1)
    assert f"Access to collection {main} is required" in error.message
    with api_error(403, "PERMISSION_DENIED"):
        client.upsert(main, points([77]))


def test_key_stored_as_sha256_authenticates(as_key, api_error, data):
    client = as_key(HASHED)
    assert client.count(data["main"]).count == 5
    with api_error(403, "PERMISSION_DENIED"):
        client.upsert(data["main"], points([66]))


def test_expired_and_not_yet_valid_keys_are_401_saying_why(as_key, api_error, data):
    with api_error(401, "UNAUTHENTICATED") as error:
        as_key(EXPIRED).count(data["main"])
    assert "API key 'old-key' expired" in error.message
    with api_error(401, "UNAUTHENTICATED") as error:
        as_key(FUTURE).count(data["main"])
    assert "API key 'next-key' is not yet valid" in error.message


def test_key_used_outside_its_networks_is_403(as_key, api_error, data):
    with api_error(403, "PERMISSION_DENIED") as error:
        as_key(NET_LOCKED).count(data["main"])
    assert "may not be used from this network" in error.message


# --- how the credential travels, and what needs none ------------------------------------------------


def test_rest_accepts_bearer_and_api_key_headers_only(secured, data):
    url = f"{secured.rest_url}/collections/{data['main']}"
    assert httpx.get(url, headers={"Authorization": f"Bearer {MANAGE}"}).status_code == 200
    assert httpx.get(url, headers={"api-key": MANAGE}).status_code == 200
    assert httpx.get(url, headers={"Authorization": f"bearer {MANAGE}"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": MANAGE}).status_code == 401
    assert httpx.get(url, params={"api-key": MANAGE}).status_code == 401


def test_grpc_accepts_api_key_and_bearer_metadata(secured, data):
    with grpc.insecure_channel(secured.grpc_target) as channel:
        collections = qgrpc.CollectionsStub(channel)
        request = qgrpc.ListCollectionsRequest()
        for metadata in [(("api-key", MANAGE),), (("authorization", f"Bearer {MANAGE}"),)]:
            assert collections.List(request, metadata=metadata, timeout=5).collections
        with pytest.raises(grpc.RpcError) as error:
            collections.List(request, timeout=5)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/livez"])
def test_qdrants_exempt_paths_answer_without_a_key(secured, path):
    assert status_with(secured, None, path) == 200


@pytest.mark.parametrize("path", ["/collections", "/telemetry", "/metrics", "/auth/key", "/no-such-route"])
def test_other_paths_need_a_key(secured, path):
    assert status_with(secured, None, path) == 401


def test_grpc_health_checks_answer_without_a_key(secured):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(secured.grpc_target) as channel:
        reply = qgrpc.QdrantStub(channel).HealthCheck(qgrpc.HealthCheckRequest(), timeout=5)
        assert reply.title
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert status.status == health_pb2.HealthCheckResponse.SERVING


# --- JWT RBAC --------------------------------------------------------------------------------------


def test_global_read_token_reads_but_cannot_write(as_key, api_error, data):
    client = as_key(sign_jwt({"access": "r", "exp": int(time.time()) + 600}, MANAGE))
    assert client.count(data["main"]).count == 5
    with api_error(403, "PERMISSION_DENIED") as error:
        client.upsert(data["main"], points([55]))
    assert "Global manage access is required" in error.message


def test_manage_token_signed_with_alt_key_manages(as_key):
    client = as_key(sign_jwt({"access": "m"}, ALT))
    name = f"jwt-{uuid.uuid4().hex[:8]}"
    assert client.create_collection(name, vectors_config=models.VectorParams(size=DIM, distance="Dot"))
    assert client.delete_collection(name)


def test_collection_token_is_limited_to_its_collection(as_key, api_error, data):
    team, main = data["team"], data["main"]
    client = as_key(sign_jwt({"access": [{"collection": team, "access": "rw"}]}, MANAGE))
    client.set_payload(team, {"jwt": True}, points=[3])
    assert [c.name for c in client.get_collections().collections] == [team]
    with api_error(403, "PERMISSION_DENIED") as error:
        client.count(main)
    assert f"Access to collection {main} is required" in error.message


def test_expired_and_forged_tokens_are_403_with_qdrants_text(as_key, api_error, data):
    expired = sign_jwt({"access": "m", "exp": int(time.time()) - 3600}, MANAGE)
    with api_error(403, "PERMISSION_DENIED") as error:
        as_key(expired).count(data["main"])
    assert "ExpiredSignature" in error.message
    forged = sign_jwt({"access": "m"}, secret("not-a-configured-key"))
    with api_error(403, "PERMISSION_DENIED") as error:
        as_key(forged).count(data["main"])
    assert "InvalidSignature" in error.message


def test_token_with_value_exists_holds_only_while_the_point_exists(as_key, api_error, data):
    main = data["main"]
    condition = lambda uid: {"collection": main, "matches": [{"key": "uid", "value": uid}]}  # noqa: E731
    assert as_key(sign_jwt({"access": "r", "value_exists": condition(4)}, MANAGE)).count(main).count == 5
    with api_error(403, "PERMISSION_DENIED"):
        as_key(sign_jwt({"access": "r", "value_exists": condition(4040)}, MANAGE)).count(main)


# --- key listings and the audit trail ---------------------------------------------------------------


def test_auth_keys_lists_names_use_and_no_key_material(secured, data):
    connect(secured, "rest", READ_WRITE).count(data["main"])
    response = httpx.get(f"{secured.rest_url}/auth/keys", headers={"api-key": MANAGE})
    assert response.status_code == 200, response.text
    keys = {k["name"]: k for k in response.json()["result"]["keys"]}
    assert {"ci-writer", "team-app", "hashed-reader", "old-key", "next-key", "office-only"} <= set(keys)
    assert keys["ci-writer"]["access"] == "read-write"
    assert keys["ci-writer"]["requests"] >= 1 and keys["ci-writer"]["last_used"]
    assert keys["team-app"]["collections"] == ["team-*"]
    assert keys["old-key"]["expires_at"].startswith("2020-01-01")
    assert keys["office-only"]["allowed_networks"] == ["10.0.0.0/8"]
    for material in ALL_SECRETS + [hashlib.sha256(HASHED.encode()).hexdigest()]:
        assert material not in response.text

    refused = httpx.get(f"{secured.rest_url}/auth/keys", headers={"api-key": READ_WRITE})
    assert refused.status_code == 403


def test_auth_key_tells_the_caller_who_it_is(secured):
    response = httpx.get(f"{secured.rest_url}/auth/key", headers={"api-key": SCOPED})
    assert response.status_code == 200, response.text
    me = response.json()["result"]
    assert me["name"] == "team-app"
    assert me["grants"] == [{"collection": "team-*", "access": "read-write"}]


def test_denials_are_logged_by_key_name_and_no_log_line_holds_key_material(secured, data):
    httpx.get(f"{secured.rest_url}/collections/{data['main']}", headers={"api-key": EXPIRED})
    httpx.put(f"{secured.rest_url}/collections/audit-probe", headers={"api-key": READ_WRITE}, json={})
    wait_until(lambda: "audit-probe" in secured.log(), "the denial is logged")
    log = secured.log()
    denials = [line for line in log.splitlines() if "request denied" in line]
    assert any("old-key" in line and "expired" in line for line in denials), denials
    assert any("ci-writer" in line and "PUT /collections/audit-probe" in line for line in denials), denials
    assert any("unknown" in line for line in denials), denials
    for material in ALL_SECRETS:
        assert material not in log
    for token_part in [b64url(MANAGE.encode()), MANAGE[-16:]]:
        assert token_part not in log


# --- rotation and reload ----------------------------------------------------------------------------


def keys_yaml(*entries: tuple[str, str]) -> str:
    """A keys file: ``(name, key)`` pairs, each a manage key."""
    lines = ["api_keys:"]
    for name, key in entries:
        lines += [f"  - name: {name}", f"    key: {key}", "    access: manage"]
    return "\n".join(lines) + "\n"


def replace_file(path, text: str) -> None:
    """Writes a new version beside the file and renames it into place, as an operator (or a
    mounted secret) should, so the server never reads half a file."""
    staged = path.with_name(path.name + ".new")
    staged.write_text(text)
    os.replace(staged, path)


class Traffic:
    """Requests in a loop from another thread, with whichever key is current, counting failures."""

    def __init__(self, server, key: str):
        self.server, self.key = server, key
        self.done, self.failures, self.requests = threading.Event(), [], 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with httpx.Client(timeout=5) as http:
            while not self.done.is_set():
                response = http.get(f"{self.server.rest_url}/collections", headers={"api-key": self.key})
                self.requests += 1
                if response.status_code != 200:
                    self.failures.append((response.status_code, response.text))
                time.sleep(0.005)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(timeout=10)


KEYS_FILE_SIZE = 400


def write_unnoticed(path, text: str) -> None:
    """Replaces the file with one of the same size and modification time, so that the server's
    file watcher cannot see the change: only a SIGHUP makes the server read it."""
    stat = path.stat()
    assert stat.st_size == KEYS_FILE_SIZE and len(text) <= KEYS_FILE_SIZE - 2
    padded = text + "#" * (KEYS_FILE_SIZE - len(text) - 1) + "\n"
    replace_file(path, padded)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("trigger", ["file_change", "sighup"])
def test_rotation_fails_no_request(launch_server, trigger):
    old, new = secret("old"), secret("new")
    first = keys_yaml(("old", old))
    files = {
        "config.yaml": "service:\n  api_keys_file: keys.yaml\n",
        "keys.yaml": first + "#" * (KEYS_FILE_SIZE - len(first) - 1) + "\n",
    }
    with launch_server(args=("--config-path", "config.yaml"), files=files) as server:
        keys_file = server.workdir / "keys.yaml"

        def publish(text: str) -> None:
            if trigger == "file_change":
                replace_file(keys_file, text)
            else:
                write_unnoticed(keys_file, text)
                time.sleep(1.0)  # longer than the watcher's poll: it must not act on its own
                server.process.send_signal(signal.SIGHUP)

        assert status_with(server, new) == 401
        with Traffic(server, old) as traffic:
            # 1. add the new key beside the old one; 2. wait until the server accepts it.
            publish(keys_yaml(("old", old), ("new", new)))
            wait_until(lambda: status_with(server, new, "/auth/key") == 200, "the new key is accepted")
            # 3. move the clients over; 4. the listing shows the old key no longer in use.
            traffic.key = new
            time.sleep(0.3)
            listing = lambda: {  # noqa: E731
                k["name"]: k["requests"]
                for k in httpx.get(f"{server.rest_url}/auth/keys", headers={"api-key": new}).json()["result"]["keys"]
            }
            first_count = listing()["old"]
            time.sleep(0.3)
            assert listing()["old"] == first_count
            # 5. revoke the old key.
            publish(keys_yaml(("new", new)))
            wait_until(lambda: status_with(server, old) == 401, "the old key is revoked")
            time.sleep(0.2)
        assert traffic.requests > 20
        assert traffic.failures == []
        assert status_with(server, new) == 200
        if trigger == "sighup":
            assert "API keys reloaded" in server.log()


def test_sighup_reloads_keys_and_an_invalid_file_keeps_the_old_ones(launch_server):
    first, second = secret("first"), secret("secnd")
    assert len(first) == len(second)
    files = {
        "config.yaml": "service:\n  api_keys_file: keys.yaml\n",
        "keys.yaml": keys_yaml(("k", first)),
    }
    with launch_server(args=("--config-path", "config.yaml"), files=files) as server:
        keys_file = server.workdir / "keys.yaml"
        stat = keys_file.stat()
        # Same length and modification time: only the signal can tell the server.
        keys_file.write_text(keys_yaml(("k", second)))
        os.utime(keys_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        time.sleep(1.2)
        assert status_with(server, first) == 200
        server.process.send_signal(signal.SIGHUP)
        wait_until(lambda: status_with(server, second) == 200, "SIGHUP reloaded the keys")
        assert status_with(server, first) == 401

        replace_file(keys_file, "api_keys:\n  - name: broken\n    access: everything\n")
        wait_until(lambda: "broken" in server.log(), "the invalid file is reported")
        assert status_with(server, second) == 200
        # An emptied file must not switch authentication off.
        replace_file(keys_file, "")
        wait_until(lambda: "holds no keys" in server.log(), "the empty file is reported")
        assert status_with(server, second) == 200
        assert status_with(server, None) == 401


def test_watcher_follows_a_keys_file_renamed_in_the_config(launch_server):
    a, b, c = secret("file-a"), secret("file-b"), secret("file-c")
    files = {
        "config.yaml": "service:\n  api_keys_file: keys-a.yaml\n",
        "keys-a.yaml": keys_yaml(("a", a)),
        "keys-b.yaml": keys_yaml(("b", b)),
    }
    with launch_server(args=("--config-path", "config.yaml"), files=files) as server:
        assert status_with(server, a) == 200
        replace_file(server.workdir / "config.yaml", "service:\n  api_keys_file: keys-b.yaml\n")
        wait_until(lambda: status_with(server, b) == 200, "the config now names keys-b.yaml")
        assert status_with(server, a) == 401
        replace_file(server.workdir / "keys-b.yaml", keys_yaml(("b", b), ("c", c)))
        wait_until(lambda: status_with(server, c) == 200, "a change to keys-b.yaml is seen")


def test_api_key_in_the_config_file_is_enforced_and_reloaded_on_change(launch_server):
    first, second = secret("cfg1"), secret("cfg2")
    files = {"config.yaml": f"service:\n  api_key: {first}\n"}
    with launch_server(args=("--config-path", "config.yaml"), files=files) as server:
        assert status_with(server, None) == 401
        assert status_with(server, first) == 200
        replace_file(server.workdir / "config.yaml", f"service:\n  api_key: {first}\n  alt_api_key: {second}\n")
        wait_until(lambda: status_with(server, second) == 200, "the alt key from the changed config works")
        assert status_with(server, first) == 200


def test_service_level_allowed_networks_refuse_other_addresses(launch_server):
    key = secret("netsvc")
    env = {"QDRANT__SERVICE__API_KEY": key, "QDRANT__SERVICE__ALLOWED_NETWORKS": '["10.0.0.0/8"]'}
    with launch_server(env) as server:
        response = httpx.get(f"{server.rest_url}/collections", headers={"api-key": key})
        assert response.status_code == 403, response.text
        assert "network" in response.text
    env["QDRANT__SERVICE__ALLOWED_NETWORKS"] = '["127.0.0.0/8"]'
    with launch_server(env) as server:
        assert status_with(server, key) == 200


# --- throttling --------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport_name", ["rest", "grpc"])
def test_repeated_failures_are_throttled_and_successes_are_not(launch_server, transport_name):
    good = secret("good")
    env = {
        "QDRANT__SERVICE__API_KEY": good,
        "QDRANT__SERVICE__AUTH_THROTTLE__MAX_FAILURES": "3",
        "QDRANT__SERVICE__AUTH_THROTTLE__WINDOW_SEC": "60",
        "QDRANT__SERVICE__AUTH_THROTTLE__COOLDOWN_SEC": "2",
    }
    with launch_server(env) as server:
        bad_client = connect(server, transport_name, secret("bad"))
        good_client = connect(server, transport_name, good)

        def failure_code():
            try:
                bad_client.get_collections()
            except UnexpectedResponse as error:
                return error.status_code
            except grpc.RpcError as error:
                return error.code()
            pytest.fail("a wrong key was accepted")

        unauthorized = 401 if transport_name == "rest" else grpc.StatusCode.UNAUTHENTICATED
        throttled = 429 if transport_name == "rest" else grpc.StatusCode.RESOURCE_EXHAUSTED
        assert [failure_code() for _ in range(3)] == [unauthorized] * 3
        assert failure_code() == throttled
        # The right key from the same address is never slowed.
        assert good_client.get_collections().collections == []
        time.sleep(2.2)
        assert failure_code() == unauthorized
        bad_client.close()
        good_client.close()


# --- quiver keys generate ----------------------------------------------------------------------------


def test_generated_key_works_once_its_printed_entry_is_pasted(launch_server):
    output = subprocess.run(
        [str(quiver_binary()), "keys", "generate", "--name", "pasted", "--access", "read-only",
         "--collections", "docs-*", "--expires-in", "30d"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout
    key = next(line.strip() for line in output.splitlines() if len(line.strip()) == 64 and ":" not in line)
    entry = output[output.index("service:"):]
    assert key not in entry
    assert hashlib.sha256(key.encode()).hexdigest() in entry

    with launch_server(args=("--config-path", "config.yaml"), files={"config.yaml": entry}) as server:
        me = httpx.get(f"{server.rest_url}/auth/key", headers={"api-key": key})
        assert me.status_code == 200, me.text
        assert me.json()["result"] == {
            "name": "pasted",
            "grants": [{"collection": "docs-*", "access": "read-only"}],
        }
        assert status_with(server, key, "/collections/other") == 403
        assert status_with(server, key[:-1] + ("0" if key[-1] != "0" else "1")) == 401
