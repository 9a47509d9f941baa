"""Every PluginAPI rpc is reachable by its typed name, from the sync and the async client:
calling the method with arguments of the right types sends exactly that rpc to the fake host
(whatever the host answers), and ``mmplug check`` knows which rpc the method calls."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator

import pytest
from api_host import Host, fake_host, placeholder_arguments

from mmplug.protocol.catalog import API, ApiSpec
from mmplug.sdk import APIClient, AsyncAPIClient, PluginAPIError
from mmplug.sdk._api_index import METHOD_RPCS


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with fake_host() as running:
        yield running


@pytest.mark.parametrize("spec", API, ids=[s.go_name for s in API])
def test_rpc_reachable_by_its_typed_name(spec: ApiSpec, host: Host) -> None:
    assert METHOD_RPCS[spec.py_name] == (spec.go_name,)
    sync_method = getattr(APIClient, spec.py_name)
    async_method = getattr(AsyncAPIClient, spec.py_name)
    assert inspect.signature(sync_method) == inspect.signature(async_method)
    assert inspect.iscoroutinefunction(async_method)
    assert spec.go_name in (sync_method.__doc__ or "")
    kwargs = placeholder_arguments(sync_method)

    before = len(host.calls)
    with APIClient(host.address) as api:
        try:
            getattr(api, spec.py_name)(**kwargs)
        except PluginAPIError:
            pass  # the host's answer to empty arguments; the call got there
    assert host.rpcs()[before:] == [spec.go_name]

    async def call_async() -> None:
        async with AsyncAPIClient(host.address) as api:
            try:
                await getattr(api, spec.py_name)(**kwargs)
            except PluginAPIError:
                pass

    before = len(host.calls)
    asyncio.run(call_async())
    assert host.rpcs()[before:] == [spec.go_name]


def test_every_method_of_the_clients_is_in_the_index() -> None:
    public = {n for n in vars(APIClient) | vars(APIClient.__mro__[1])
              if not n.startswith("_") and callable(getattr(APIClient, n))}
    assert public - {"call", "close", "with_options"} == set(METHOD_RPCS)
    assert {n for n in METHOD_RPCS if n.startswith("iter_")} >= {
        "iter_users", "iter_users_in_team", "iter_users_in_channel", "iter_channel_members",
        "iter_posts_for_channel", "iter_kv_keys", "iter_team_members", "iter_group_member_users"}
