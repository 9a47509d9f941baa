"""Server parity: one test per server behaviour of the emulated PluginAPI.

Files are named test_parity_<area>.py (test basenames must be unique in this suite). Each
test is marked ``@pytest.mark.parity(method, source)``: ``method`` is the PluginAPI rpc (or a
tuple of them), ``source`` the Go function(s) of mattermost/mattermost the behaviour comes from
(``server/channels/app/post.go: (*App).CreatePost``). The test's docstring states the
behaviour in one sentence a plugin author understands. ``scripts/gen_api_docs.py`` builds
docs/parity.md from these marks and from the known differences the emulations declare
(``differs(...)`` in ``mmplug.host.api._registry``).

The fixtures are the world-seeded API host of tests/host/api: a real ApiServer over real gRPC
on an in-memory store seeded from the default world.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "host" / "api"))

from worldhost import Host, start_host

from mmplug.sdk import APIClient


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    """A host on a fresh default world for the test module."""
    with start_host() as h:
        yield h


@pytest.fixture
def quiet_host(host: Host) -> Host:
    """The module's host with no hooks fired and no events emitted yet in this test."""
    host.hooks.fired.clear()
    host.emitted.clear()
    return host


@pytest.fixture
def api(host: Host) -> Iterator[APIClient]:
    """mmplug's SDK client, as a plugin has it, on the module's host."""
    with APIClient(host.server.address) as client:
        yield client
