"""The API clients through a server restart (retries on UNAVAILABLE, only for idempotent rpcs)
and a server that does not answer (a timeout per client and per call)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from api_host import fake_host

from mmplug.host.store import Store
from mmplug.host.world import load_world, seed_store
from mmplug.protocol import api_kv_config_pb2
from mmplug.sdk import APIClient, AsyncAPIClient, Retry, UnavailableError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class RestartOnRetry(Retry):
    """A retry policy whose first wait brings the server back (what a restart looks like)."""

    restart: Callable[[], None] = lambda: None
    waits: list[int] = field(default_factory=list, compare=False)

    def delay(self, retry: int) -> float:
        self.waits.append(retry)
        if retry == 1:
            self.restart()
        return 0.01


@contextmanager
def restartable_host() -> Iterator[tuple[int, Store, ExitStack]]:
    """A fake host on a fixed port whose store outlives its servers."""
    store = Store.open(":memory:")
    seed_store(store, load_world("default"), deterministic_clock=True)
    with ExitStack() as servers:
        yield free_port(), store, servers
    store.close()


def test_an_idempotent_call_is_retried_through_a_server_restart() -> None:
    with restartable_host() as (port, store, servers):
        first = servers.enter_context(fake_host(port, store))
        assert first.server.port == port
        api = APIClient(f"127.0.0.1:{port}")
        api.kv_set("colour", "blue")
        first.server.stop(None)  # the server goes away...

        def restart() -> None:  # ...and is back while the client waits to retry
            again = servers.enter_context(fake_host(port, store))
            assert again.server.port == port

        policy = RestartOnRetry(restart=restart)
        assert api.with_options(retry=policy).kv_get("colour") == b"blue"
        assert policy.waits == [1]
        api.close()


def test_a_call_that_is_not_idempotent_is_never_retried() -> None:
    with restartable_host() as (port, store, servers):
        host = servers.enter_context(fake_host(port, store))
        api = APIClient(f"127.0.0.1:{port}")
        town, alice = host.channel("town-square"), host.user("alice")
        api.kv_get("warm")
        host.server.stop(None)
        policy = RestartOnRetry(restart=lambda: servers.enter_context(fake_host(port, store)))
        with pytest.raises(UnavailableError) as info:
            api.with_options(retry=policy).create_post(channel_id=town, user_id=alice,
                                                       message="sent once at most")
        assert policy.waits == []
        assert info.value.grpc_code == "UNAVAILABLE" and info.value.where == "CreatePost"
        assert "not retried: CreatePost is not idempotent" in str(info.value)
        api.close()


def test_retries_are_bounded() -> None:
    with restartable_host() as (port, _store, _servers):
        api = APIClient(f"127.0.0.1:{port}", retry=Retry(attempts=3, backoff=0.01, wait=0.1))
        with pytest.raises(UnavailableError) as info:
            api.kv_get("nobody is listening")
        assert "(after 3 attempts)" in str(info.value)
        with pytest.raises(UnavailableError) as once:
            api.with_options(retry=None).kv_get("nobody is listening")
        assert "attempts" not in str(once.value)
        api.close()
    with pytest.raises(ValueError, match="at least 1"):
        Retry(attempts=0)


def test_the_async_client_retries_through_a_restart_too() -> None:
    with restartable_host() as (port, store, servers):
        first = servers.enter_context(fake_host(port, store))
        policy = RestartOnRetry(restart=lambda: servers.enter_context(fake_host(port, store)))

        async def main() -> bytes | None:
            async with AsyncAPIClient(f"127.0.0.1:{port}", retry=policy) as api:
                await api.kv_set("shape", "round")
                first.server.stop(None)
                return await api.kv_get("shape")

        assert asyncio.run(main()) == b"round"
        assert policy.waits == [1]


@contextmanager
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """A PluginAPI whose KVGet answers only once ``release`` is set (a hung server)."""
    release = threading.Event()

    def kv_get(request: Any, context: Any) -> api_kv_config_pb2.KVGetResponse:
        release.wait(10)
        return api_kv_config_pb2.KVGetResponse(value=b"late")

    handler = grpc.method_handlers_generic_handler("mattermost.pluginapi.v1.PluginAPI", {
        "KVGet": grpc.unary_unary_rpc_method_handler(
            kv_get, api_kv_config_pb2.KVGetRequest.FromString,
            api_kv_config_pb2.KVGetResponse.SerializeToString),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", release
    finally:
        release.set()
        server.stop(None)


def test_a_timeout_per_client_and_per_call() -> None:
    with silent_server() as (address, release):
        patient = APIClient(address, timeout=None)
        hasty = patient.with_options(timeout=0.2)
        assert hasty._conn is patient._conn  # one connection for both
        with pytest.raises(UnavailableError) as info:
            hasty.kv_get("k")
        assert (info.value.grpc_code, info.value.status_code) == ("DEADLINE_EXCEEDED", 504)
        with pytest.raises(UnavailableError):
            APIClient(address, timeout=0.2).kv_get("k")
        release.set()
        assert patient.kv_get("k") == b"late"  # no limit: waits as long as it takes
        patient.close()


def test_the_async_client_times_out_per_call() -> None:
    with silent_server() as (address, release):

        async def main() -> bytes | None:
            async with AsyncAPIClient(address) as api:
                with pytest.raises(UnavailableError) as info:
                    await api.with_options(timeout=0.2).kv_get("k")
                assert info.value.grpc_code == "DEADLINE_EXCEEDED"
                release.set()
                return await api.kv_get("k")

        assert asyncio.run(main()) == b"late"
