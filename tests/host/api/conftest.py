"""Shared fixtures for the PluginAPI emulation tests: a real ApiServer over real gRPC on an
in-memory store seeded with a small world, and a fake hook dispatcher that records hooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from apiworld import PLUGIN_ID, FakeHooks, PluginReads, World, seed_small_world
from worldhost import Host, start_host

from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.protocol import api_pb2_grpc


@pytest.fixture(scope="module")
def module_world() -> Iterator[World]:
    store = Store.open()
    users, team, channels = seed_small_world(store)
    hooks = FakeHooks()
    emitted: list[tuple[str, dict[str, Any]]] = []
    server = ApiServer(
        store, PLUGIN_ID, hooks=hooks, emit=lambda kind, payload: emitted.append((kind, payload))
    )
    server.start()
    channel = grpc.insecure_channel(server.address)
    try:
        yield World(
            store,
            server,
            PluginReads(api_pb2_grpc.PluginAPIStub(channel)),
            hooks,
            users,
            team,
            channels,
            emitted,
        )
    finally:
        channel.close()
        server.stop(None)
        store.close()


@pytest.fixture
def world(module_world: World) -> World:
    """The module's world with a clean hook recorder for each test."""
    module_world.hooks.reset()
    module_world.emitted.clear()
    return module_world


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    """A host on a fresh default world for the test module (a module that needs another
    world or manifest defines its own)."""
    with start_host() as h:
        yield h


@pytest.fixture
def quiet_host(host: Host) -> Host:
    """The module's host with no hooks fired and no events emitted yet in this test."""
    host.hooks.fired.clear()
    host.emitted.clear()
    return host
