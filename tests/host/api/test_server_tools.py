"""The PluginAPI server answers the standard gRPC tool services (health, reflection), built
on their first call, as grpcurl and grpc_health_probe expect them."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store


@pytest.fixture()
def server() -> Iterator[ApiServer]:
    store = Store.open()
    api = ApiServer(store, "com.example.tools")
    api.start()
    try:
        yield api
    finally:
        api.stop(None)
        store.close()


def test_health_reports_serving(server: ApiServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "mattermost.pluginapi.v1.PluginAPI"):
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as unknown:
            stub.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=10)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_and_describes_the_plugin_api(server: ApiServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        assert {"mattermost.pluginapi.v1.PluginAPI", "grpc.health.v1.Health",
                "grpc.reflection.v1alpha.ServerReflection"} <= services
        described = database.FindFileContainingSymbol("mattermost.pluginapi.v1.PluginAPI")
        assert any(s.name == "PluginAPI" and any(m.name == "KVSet" for m in s.method)
                   for s in described.service)

