"""The async client: an AsyncPlugin's hooks await ``self.api`` on grpc's asyncio API, in a
real plugin process under the fake host, with no thread per call; the same exceptions and
paging as the sync client; closed with the plugin."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_host import fake_host
from plugin_projects import write_plugin_project
from sdk_support import hooks_server

from mmplug.host.session import Session
from mmplug.host.store import Store
from mmplug.sdk import (
    AsyncAPIClient,
    AsyncPlugin,
    HookRegistrationError,
    NotFoundError,
    PluginError,
)
from mmplug.sdk.model import Post

PLUGIN = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins" / "async_plugin.py"
PLUGIN_ID = "com.example.asyncapi"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    plugin_dir = write_plugin_project(tmp_path_factory.mktemp("async"), PLUGIN_ID, PLUGIN,
                                      name="Async API", version="1.0.0")
    store = Store.open(":memory:")
    with Session([plugin_dir], store=store, python=sys.executable) as s:
        yield s
    store.close()


def _command(session: Session, word: str) -> str:
    result = session.fire("ExecuteCommand", args={"command": f"/async {word}"})
    assert result.ok, result.error
    return str(result.response.response.text)  # type: ignore[union-attr]


def test_async_hooks_await_the_api(session: Session) -> None:
    assert _command(session, "kv") == "yes"  # written by the async on_activate
    api_calls = session.fire("ExecuteCommand", args={"command": "/async kv"}).api_calls
    assert [c.method for c in api_calls] == ["KVGet"]


def test_a_hundred_concurrent_calls_take_no_thread_per_call(session: Session) -> None:
    report = json.loads(_command(session, "load"))
    assert report["correct"] is True
    assert report["loop_thread"] == "mmplug-async-hooks"  # awaited on the hooks' loop
    assert report["executor_threads"] == []  # nothing went through asyncio.to_thread
    assert report["threads_after"] - report["threads_before"] < 10  # 200 calls, no 200 threads


def test_app_errors_raise_the_same_classes(session: Session) -> None:
    assert _command(session, "user") == "NotFoundError 404 app.user.missing_account.const"


def test_async_paging_iterates_every_page(session: Session) -> None:
    assert _command(session, "iter") == "True"


def test_async_hooks_and_route_handlers_await_the_api(session: Session) -> None:
    channel = "c" * 26
    assert session.fire("MessageHasBeenPosted",
                        post={"channel_id": channel, "message": "hi there"}).ok
    response = session.serve_http(None, "GET", f"/kv/last:{channel}")
    assert response.status == 200
    assert json.loads(response.read()) == {"key": f"last:{channel}", "value": "hi there"}


def test_the_plugin_closes_its_async_client_and_exits_cleanly(tmp_path: Path) -> None:
    plugin_dir = write_plugin_project(tmp_path / "async", PLUGIN_ID, PLUGIN, name="Async API",
                                      version="1.0.0")
    store = Store.open(":memory:")
    with Session([plugin_dir], store=store, python=sys.executable) as s:
        assert _command(s, "kv") == "yes"
        s.close()
        handle = s.plugins[PLUGIN_ID]
        assert handle.shutdown_problem is None
        noisy = [r.message for r in s.logs
                 if r.level in ("warn", "error") or "Unclosed" in r.message
                 or "destroyed" in r.message]
        assert noisy == []
    store.close()


def test_an_async_plugin_refuses_a_plain_def_hook() -> None:
    with pytest.raises(HookRegistrationError) as info:
        class Mixed(AsyncPlugin):
            def on_activate(self) -> None:
                pass
    assert "Mixed.on_activate handles OnActivate with a plain def" in str(info.value)
    assert "async def" in str(info.value)


def test_the_async_client_outside_a_plugin() -> None:
    with fake_host() as host:
        alice = host.user("alice")

        async def main() -> tuple[str, list[str], str]:
            async with AsyncAPIClient(host.address) as api:
                user = await api.get_user(alice)
                created = await api.create_post(channel_id=host.channel("town-square"),
                                                user_id=alice, message="from asyncio")
                names = [u.username async for u in api.iter_users_in_team(host.team,
                                                                         per_page=1)]
                try:
                    await api.get_post("b" * 26)
                except NotFoundError as err:
                    missing = err.error_id
                assert isinstance(created, Post) and created.message == "from asyncio"
                return user.username, names, missing

        username, names, missing = asyncio.run(main())
        assert username == "alice"
        assert {"admin", "alice", "bob"} <= set(names)
        assert missing.startswith("app.post.get")


def test_the_async_client_belongs_to_one_loop() -> None:
    with fake_host() as host:
        api = AsyncAPIClient(host.address)
        asyncio.run(api.kv_set("k", "v"))
        with pytest.raises(PluginError, match="belongs to another event loop"):
            asyncio.run(api.kv_get("k"))
        errors: list[BaseException] = []

        def other_thread() -> None:
            try:
                asyncio.run(api.kv_get("k"))
            except PluginError as err:
                errors.append(err)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert len(errors) == 1


class Counter(AsyncPlugin):
    async def message_has_been_posted(self, context: object, post: Post) -> None:
        total = await self.api.kv_get_json("count", default=0)
        await self.api.kv_set_json("count", total + 1)


def test_the_hooks_loop_closes_the_async_client_before_it_stops() -> None:
    with fake_host() as host:
        plugin = Counter()
        plugin.api = AsyncAPIClient(host.address)
        with hooks_server(plugin) as call:
            call("MessageHasBeenPosted", post={"message": "one"})
            call("MessageHasBeenPosted", post={"message": "two"})
            assert plugin.api._conn.channel is not None  # open, on the hooks' loop
        assert plugin.api._conn.channel is None  # closed by the loop's runner as it stopped
        assert host.rpcs() == ["KVGet", "KVSet", "KVGet", "KVSet"]
