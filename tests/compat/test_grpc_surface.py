"""The gRPC surface itself (§13): the schema Quiver serves, reflection, health, compression,
the message size limit and how unserved rpcs answer.

Everything here talks gRPC directly (``grpcio`` stubs and the client's generated messages in
``qdrant_client.grpc``) rather than through ``QdrantClient``, so it pins what any gRPC client sees:
what ``grpcurl -plaintext 127.0.0.1:6334 list`` / ``describe`` shows, and that the schema served
by reflection is the one the official client was generated from.
"""

from __future__ import annotations

from typing import Iterable

import grpc
import httpx
import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from qdrant_client import grpc as qgrpc
from qdrant_client.grpc import (
    collections_pb2,
    collections_service_pb2,
    json_with_int_pb2,
    points_pb2,
    points_service_pb2,
    qdrant_common_pb2,
    qdrant_pb2,
    snapshots_service_pb2,
)

pytestmark = pytest.mark.server_only("the gRPC surface of a server; local mode has none")

# Every file of Quiver's schema, with the official client's compiled twin.
CLIENT_FILES = {
    module.DESCRIPTOR.name: module
    for module in (
        qdrant_pb2,
        collections_pb2,
        collections_service_pb2,
        points_pb2,
        points_service_pb2,
        snapshots_service_pb2,
        qdrant_common_pb2,
        json_with_int_pb2,
    )
}
QDRANT_SERVICES = {"qdrant.Qdrant", "qdrant.Collections", "qdrant.Points", "qdrant.Snapshots"}
HEALTH_SERVICE = "grpc.health.v1.Health"
REFLECTION_VERSIONS = ["v1", "v1alpha"]
CALL_TIMEOUT = 30


@pytest.fixture(scope="module")
def channel(grpc_target):
    with grpc.insecure_channel(grpc_target) as opened:
        yield opened


def reflect(channel, requests: Iterable[reflection_pb2.ServerReflectionRequest], version: str):
    """Runs one reflection stream (``grpc.reflection.<version>``) and returns its responses.

    v1 and v1alpha messages are identical on the wire; only the service name differs, so the
    v1alpha classes shipped by ``grpcio-reflection`` serve both."""
    call = channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    responses = list(call(iter(list(requests)), timeout=CALL_TIMEOUT))
    for response in responses:
        assert response.WhichOneof("message_response") != "error_response", response.error_response
    return responses


def served_files(response) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    files = {}
    for encoded in response.file_descriptor_response.file_descriptor_proto:
        proto = descriptor_pb2.FileDescriptorProto.FromString(encoded)
        files[proto.name] = proto
    return files


# --- schema comparison --------------------------------------------------------------------------


def _symbols(file: descriptor_pb2.FileDescriptorProto) -> dict[str, tuple[str, object]]:
    """Every message (nested ones too), enum and service of a file by full name."""
    symbols: dict[str, tuple[str, object]] = {}

    def add_message(scope: str, message: descriptor_pb2.DescriptorProto) -> None:
        name = f"{scope}.{message.name}"
        symbols[name] = ("message", message)
        for nested in message.nested_type:
            add_message(name, nested)
        for enum in message.enum_type:
            symbols[f"{name}.{enum.name}"] = ("enum", enum)

    for message in file.message_type:
        add_message(file.package, message)
    for enum in file.enum_type:
        symbols[f"{file.package}.{enum.name}"] = ("enum", enum)
    for service in file.service:
        symbols[f"{file.package}.{service.name}"] = ("service", service)
    return symbols


def _field_facts(message: descriptor_pb2.DescriptorProto, field: descriptor_pb2.FieldDescriptorProto):
    FieldDescriptorProto = descriptor_pb2.FieldDescriptorProto
    return {
        "number": field.number,
        "type": FieldDescriptorProto.Type.Name(field.type),
        "type_name": field.type_name,
        "label": FieldDescriptorProto.Label.Name(field.label),
        "proto3_optional": field.proto3_optional,
        "oneof": message.oneof_decl[field.oneof_index].name if field.HasField("oneof_index") else None,
        "deprecated": field.options.deprecated,
    }


def _compare_facts(where: str, client: dict, ours: dict) -> list[str]:
    return [
        f"{where}: {key} is {ours[key]!r} in Quiver, {client[key]!r} in the client"
        for key in client
        if client[key] != ours[key]
    ]


def _one_side_only(what: str, client: Iterable[str], ours: Iterable[str]) -> list[str]:
    client, ours = set(client), set(ours)
    return [f"{what}{name}: only in the client" for name in sorted(client - ours)] + [
        f"{what}{name}: only in Quiver" for name in sorted(ours - client)
    ]


def _compare_message(name: str, client, ours) -> list[str]:
    differences = _compare_facts(
        name,
        {"oneofs": [o.name for o in client.oneof_decl], "map_entry": client.options.map_entry},
        {"oneofs": [o.name for o in ours.oneof_decl], "map_entry": ours.options.map_entry},
    )
    client_fields = {f.name: f for f in client.field}
    our_fields = {f.name: f for f in ours.field}
    differences += _one_side_only(f"field {name}.", client_fields, our_fields)
    for field_name in client_fields.keys() & our_fields.keys():
        differences += _compare_facts(
            f"{name}.{field_name}",
            _field_facts(client, client_fields[field_name]),
            _field_facts(ours, our_fields[field_name]),
        )
    return differences


def _compare_enum(name: str, client, ours) -> list[str]:
    client_values = {v.name: v.number for v in client.value}
    our_values = {v.name: v.number for v in ours.value}
    differences = _one_side_only(f"enum value {name}.", client_values, our_values)
    differences += [
        f"{name}.{value}: number {our_values[value]} in Quiver, {client_values[value]} in the client"
        for value in sorted(client_values.keys() & our_values.keys())
        if client_values[value] != our_values[value]
    ]
    return differences


def _compare_service(name: str, client, ours) -> list[str]:
    def facts(method):
        return {
            "input_type": method.input_type,
            "output_type": method.output_type,
            "client_streaming": method.client_streaming,
            "server_streaming": method.server_streaming,
        }

    client_methods = {m.name: m for m in client.method}
    our_methods = {m.name: m for m in ours.method}
    differences = _one_side_only(f"rpc {name}/", client_methods, our_methods)
    for method in sorted(client_methods.keys() & our_methods.keys()):
        differences += _compare_facts(
            f"rpc {name}/{method}", facts(client_methods[method]), facts(our_methods[method])
        )
    return differences


def schema_differences(client: descriptor_pb2.FileDescriptorProto, ours: descriptor_pb2.FileDescriptorProto):
    """Every difference between two versions of one file that a gRPC peer could notice."""
    differences = _compare_facts(
        ours.name,
        {"package": client.package, "syntax": client.syntax, "imports": sorted(client.dependency)},
        {"package": ours.package, "syntax": ours.syntax, "imports": sorted(ours.dependency)},
    )
    client_symbols, our_symbols = _symbols(client), _symbols(ours)
    for name in sorted(client_symbols.keys() - our_symbols.keys()):
        differences.append(f"{client_symbols[name][0]} {name}: only in the client")
    for name in sorted(our_symbols.keys() - client_symbols.keys()):
        differences.append(f"{our_symbols[name][0]} {name}: only in Quiver")
    compare = {"message": _compare_message, "enum": _compare_enum, "service": _compare_service}
    for name in sorted(client_symbols.keys() & our_symbols.keys()):
        client_kind, client_proto = client_symbols[name]
        our_kind, our_proto = our_symbols[name]
        if client_kind != our_kind:
            differences.append(f"{name}: a {our_kind} in Quiver, a {client_kind} in the client")
        else:
            differences += compare[client_kind](name, client_proto, our_proto)
    return differences


@pytest.fixture(scope="module")
def reflected_files(channel) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Quiver's schema files as its v1 reflection service serves them, by file name."""
    files = {}
    for name in CLIENT_FILES:
        try:
            request = reflection_pb2.ServerReflectionRequest(file_by_filename=name)
            (response,) = reflect(channel, [request], "v1")
        except grpc.RpcError as error:
            files[name] = error
            continue
        files[name] = served_files(response).get(name)
    return files


@pytest.mark.parametrize("file_name", sorted(CLIENT_FILES))
def test_served_schema_matches_the_official_client(reflected_files, file_name):
    ours = reflected_files[file_name]
    if isinstance(ours, grpc.RpcError):
        pytest.fail(f"reflection does not serve {file_name}: {ours.code()} {ours.details()}")
    assert ours is not None, f"reflection answered file_by_filename={file_name} without that file"
    client = descriptor_pb2.FileDescriptorProto.FromString(CLIENT_FILES[file_name].DESCRIPTOR.serialized_pb)

    differences = schema_differences(client, ours)

    assert not differences, f"{len(differences)} difference(s) in {file_name}:\n" + "\n".join(differences)


def test_schema_comparison_notices_differences():
    """The comparison itself: a renumbered field, a dropped enum value and an extra rpc are reported."""
    original = descriptor_pb2.FileDescriptorProto.FromString(points_pb2.DESCRIPTOR.serialized_pb)
    changed = descriptor_pb2.FileDescriptorProto.FromString(points_pb2.DESCRIPTOR.serialized_pb)
    point_struct = next(m for m in changed.message_type if m.name == "PointStruct")
    next(f for f in point_struct.field if f.name == "vectors").number = 2
    update_status = next(e for e in changed.enum_type if e.name == "UpdateStatus")
    dropped = update_status.value[-1].name
    del update_status.value[-1]
    service = descriptor_pb2.FileDescriptorProto.FromString(points_service_pb2.DESCRIPTOR.serialized_pb)
    extended = descriptor_pb2.FileDescriptorProto.FromString(points_service_pb2.DESCRIPTOR.serialized_pb)
    extended.service[0].method.add(
        name="Extra", input_type=".qdrant.GetPoints", output_type=".qdrant.GetResponse"
    )

    assert schema_differences(original, original) == []
    assert sorted(schema_differences(original, changed)) == sorted(
        [
            "qdrant.PointStruct.vectors: number is 2 in Quiver, 4 in the client",
            f"enum value qdrant.UpdateStatus.{dropped}: only in the client",
        ]
    )
    assert schema_differences(service, extended) == ["rpc qdrant.Points/Extra: only in Quiver"]


# --- reflection (grpcurl list / describe) ---------------------------------------------------------


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_lists_every_service(channel, version):
    (response,) = reflect(channel, [reflection_pb2.ServerReflectionRequest(list_services="")], version)
    services = {service.name for service in response.list_services_response.service}

    assert {s for s in services if s.startswith("qdrant.")} == QDRANT_SERVICES
    assert HEALTH_SERVICE in services
    assert f"grpc.reflection.{version}.ServerReflection" in services, services


@pytest.mark.parametrize("version", REFLECTION_VERSIONS)
def test_reflection_finds_the_file_of_a_service(channel, version):
    (response,) = reflect(
        channel, [reflection_pb2.ServerReflectionRequest(file_containing_symbol="qdrant.Points")], version
    )
    files = served_files(response)

    assert "points_service.proto" in files, sorted(files)
    (service,) = files["points_service.proto"].service
    assert service.name == "Points"
    assert {m.name for m in service.method} >= {"Upsert", "Query", "Scroll", "Count", "Get"}


def test_describe_resolves_a_service_with_all_its_imports(channel):
    """What ``grpcurl describe qdrant.Points`` needs: every file the service depends on, down to
    google/protobuf/timestamp.proto, fetched over reflection and linked into one pool."""
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))

    points = pool.FindServiceByName("qdrant.Points")
    upsert = points.methods_by_name["Upsert"]
    point_struct = pool.FindMessageTypeByName("qdrant.PointStruct")

    assert upsert.input_type.full_name == "qdrant.UpsertPoints"
    assert upsert.output_type.full_name == "qdrant.PointsOperationResponse"
    assert {name: field.number for name, field in point_struct.fields_by_name.items()} == {
        "id": 1,
        "payload": 3,
        "vectors": 4,
    }
    created_at = pool.FindMessageTypeByName("qdrant.CollectionInfo").fields_by_name["created_at"]
    assert created_at.message_type.full_name == "google.protobuf.Timestamp"


# --- health -------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["", "qdrant.Points"], ids=["overall", "qdrant.Points"])
def test_grpc_health_check_is_serving(channel, service):
    reply = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT
    )

    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_grpc_health_check_of_an_unknown_service_is_not_found(channel):
    with pytest.raises(grpc.RpcError) as error:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="qdrant.NoSuchService"), timeout=CALL_TIMEOUT
        )

    assert error.value.code() == grpc.StatusCode.NOT_FOUND, error.value.details()


def test_health_check_rpc_reports_the_same_title_and_version_as_rest(channel, server_url):
    banner = httpx.get(server_url + "/", timeout=10).json()

    reply = qgrpc.QdrantStub(channel).HealthCheck(qgrpc.HealthCheckRequest(), timeout=CALL_TIMEOUT)

    assert (reply.title, reply.version) == (banner["title"], banner["version"])
    assert reply.HasField("commit") == ("commit" in banner)
    if "commit" in banner:
        assert reply.commit == banner["commit"]


# --- compression --------------------------------------------------------------------------------


def test_gzip_compressed_health_check_succeeds(channel):
    reply = qgrpc.QdrantStub(channel).HealthCheck(
        qgrpc.HealthCheckRequest(), compression=grpc.Compression.Gzip, timeout=CALL_TIMEOUT
    )

    assert reply.title == "qdrant - vector search engine"


def test_gzip_compressed_collection_list_succeeds(channel):
    reply = qgrpc.CollectionsStub(channel).List(
        qgrpc.ListCollectionsRequest(), compression=grpc.Compression.Gzip, timeout=CALL_TIMEOUT
    )

    assert isinstance(reply.time, float)


def test_gzip_compressed_request_body_is_decoded(channel):
    """A request that gzip really shrinks (a long, repetitive name), so it travels compressed."""
    name = "gzip-" + "a" * 200

    reply = qgrpc.CollectionsStub(channel).CollectionExists(
        qgrpc.CollectionExistsRequest(collection_name=name),
        compression=grpc.Compression.Gzip,
        timeout=CALL_TIMEOUT,
    )

    assert reply.result.exists is False


def test_gzip_channel_round_trips_points(grpc_target, new_collection_name):
    """A channel compressing every call: create, upsert (compressible vectors), count, delete."""
    name = new_collection_name("gzip_round_trip")
    with grpc.insecure_channel(grpc_target, compression=grpc.Compression.Gzip) as gzip_channel:
        collections, points = qgrpc.CollectionsStub(gzip_channel), qgrpc.PointsStub(gzip_channel)
        create_collection(collections, name, size=64)
        try:
            upsert = upsert_request(name, np.zeros((500, 64), dtype=np.float32))
            points.Upsert(upsert, timeout=CALL_TIMEOUT)
            count = points.Count(qgrpc.CountPoints(collection_name=name, exact=True), timeout=CALL_TIMEOUT)
        finally:
            collections.Delete(qgrpc.DeleteCollection(collection_name=name), timeout=CALL_TIMEOUT)

    assert count.result.count == 500


# --- message size limit -------------------------------------------------------------------------


def create_collection(collections, name: str, size: int) -> None:
    reply = collections.Create(
        qgrpc.CreateCollection(
            collection_name=name,
            vectors_config=qgrpc.VectorsConfig(
                params=qgrpc.VectorParams(size=size, distance=qgrpc.Distance.Dot)
            ),
        ),
        timeout=CALL_TIMEOUT,
    )
    assert reply.result is True


def upsert_request(name: str, vectors: np.ndarray) -> qgrpc.UpsertPoints:
    return qgrpc.UpsertPoints(
        collection_name=name,
        wait=True,
        points=[
            qgrpc.PointStruct(
                id=qgrpc.PointId(num=i + 1),
                vectors=qgrpc.Vectors(vector=qgrpc.Vector(dense=qgrpc.DenseVector(data=row.tolist()))),
            )
            for i, row in enumerate(vectors)
        ],
    )


@pytest.fixture(scope="module")
def one_mb_server(launch_server):
    """A second Quiver whose decoded request limit is 1 MB (service.max_request_size_mb=1)."""
    with launch_server({"QDRANT__SERVICE__MAX_REQUEST_SIZE_MB": "1"}) as server:
        with grpc.insecure_channel(server.grpc_target) as limited:
            create_collection(qgrpc.CollectionsStub(limited), "limited", size=256)
            yield limited


def test_request_under_the_size_limit_is_served(one_mb_server):
    rng = np.random.default_rng(7)
    request = upsert_request("limited", rng.standard_normal((100, 256), dtype=np.float32))
    assert request.ByteSize() < 200_000

    reply = qgrpc.PointsStub(one_mb_server).Upsert(request, timeout=CALL_TIMEOUT)

    assert reply.result.status == qgrpc.UpdateStatus.Completed


@pytest.mark.parametrize("compression", [None, grpc.Compression.Gzip], ids=["plain", "gzip"])
def test_request_over_the_size_limit_is_refused(one_mb_server, compression):
    """About 2 MB of point data against a 1 MB limit. The limit is on the decoded message, so a
    gzip body (zero vectors, which shrink to a few kB) is refused just the same."""
    rng = np.random.default_rng(11)
    if compression is None:
        vectors = rng.standard_normal((2000, 256), dtype=np.float32)
    else:
        vectors = np.zeros((2000, 256), dtype=np.float32)
    request = upsert_request("limited", vectors)
    assert 1.8e6 < request.ByteSize() < 3e6
    points = qgrpc.PointsStub(one_mb_server)
    count = qgrpc.CountPoints(collection_name="limited", exact=True)
    before = points.Count(count, timeout=CALL_TIMEOUT).result.count

    with pytest.raises(grpc.RpcError) as error:
        points.Upsert(request, compression=compression, timeout=CALL_TIMEOUT)

    assert error.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.OUT_OF_RANGE), (
        error.value.code(),
        error.value.details(),
    )
    assert str(1024 * 1024) in error.value.details(), error.value.details()
    assert points.Count(count, timeout=CALL_TIMEOUT).result.count == before, "the refused upsert wrote points"


# --- rpcs Quiver does not serve -----------------------------------------------------------------

# Rpcs that are not served yet. When one of them is implemented, take it out of this list (and
# test what it does instead).
UNSERVED = [
    ("Snapshots", "List", qgrpc.ListSnapshotsRequest(collection_name="any")),
    ("Collections", "CollectionClusterInfo", qgrpc.CollectionClusterInfoRequest(collection_name="any")),
]


@pytest.mark.parametrize("service, rpc, request_message", UNSERVED, ids=[f"{s}/{r}" for s, r, _ in UNSERVED])
def test_unserved_rpc_is_unimplemented_naming_itself(channel, service, rpc, request_message):
    call = channel.unary_unary(
        f"/qdrant.{service}/{rpc}",
        request_serializer=type(request_message).SerializeToString,
        response_deserializer=bytes,
    )

    with pytest.raises(grpc.RpcError) as error:
        call(request_message, timeout=CALL_TIMEOUT)

    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED, error.value.details()
    assert f"qdrant.{service}/{rpc}" in error.value.details()
