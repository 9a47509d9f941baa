"""Test support for the world-seeded PluginAPI tests (kv, config, users, teams, ...): a real
ApiServer over real gRPC on a store seeded from the default world."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from apiworld import FakeHooks, PluginReads

from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import WorldInfo, load_world, seed_store, world_info
from mmplug.manifest import Manifest
from mmplug.protocol import api_pb2_grpc

PLUGIN_ID = "com.example.worldtest"


@dataclass
class Host:
    store: Store
    server: ApiServer
    api: PluginReads
    info: WorldInfo
    hooks: FakeHooks
    logs: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    emitted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def user(self, name: str) -> str:
        return self.info.users[name]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [p for _, p in self.emitted if p.get("event") == event]


@contextlib.contextmanager
def start_host(
    path: str | Path = ":memory:",
    *,
    plugin_id: str = PLUGIN_ID,
    manifest: Manifest | None = None,
    world: str | Path = "default",
) -> Iterator[Host]:
    store = Store.open(path)
    seed_store(store, load_world(world), deterministic_clock=True)
    hooks = FakeHooks(plugin_ids=[plugin_id])
    logs: list[tuple[str, str, dict[str, Any]]] = []
    emitted: list[tuple[str, dict[str, Any]]] = []
    server = ApiServer(
        store,
        plugin_id,
        manifest,
        hooks=hooks,
        log_sink=lambda level, msg, kv: logs.append((level, msg, kv)),
        emit=lambda kind, payload: emitted.append((kind, payload)),
    )
    server.start()
    channel = grpc.insecure_channel(server.address)
    try:
        yield Host(
            store,
            server,
            PluginReads(api_pb2_grpc.PluginAPIStub(channel)),
            world_info(store),
            hooks,
            logs,
            emitted,
        )
    finally:
        channel.close()
        server.stop(None)
        store.close()


def status_of(call: Callable[[], object]) -> grpc.RpcError:
    """The gRPC status a raw call failed with (it must fail)."""
    with pytest.raises(grpc.RpcError) as failed:
        call()
    return failed.value
