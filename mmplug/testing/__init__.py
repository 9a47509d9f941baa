"""mmplug's pytest plugin: test a plugin under the fake host (registered through ``pytest11``).

    def test_blocks_bad_words(plugin):
        alice = plugin.world.user("alice")
        result = plugin.fire("MessageWillBePosted", post={"message": "badword",
                                                          "user_id": alice.id})
        assert result.response.rejection_reason
        assert plugin.kv_get_json("stats:blocked") == 1

Fixtures (all lazy: nothing of the fake host is imported until a test asks for them):

- ``plugin`` -> :class:`PluginHarness`: the plugin under test, freshly reset for each test;
- ``cluster`` -> :class:`PluginHarness` of the plugin on several nodes (``mmplug_nodes``,
  default 3) over one store, with the race detector (``cluster.assert_no_races()``);
- ``mmplug_session``: the module's :class:`~mmplug.host.session.Session` (one plugin process
  per test module, activated once; the store is restored to its state right after activation
  before every test, and stubs are removed);
- ``mmplug_plugin_dir``, ``mmplug_world``, ``mmplug_python``: override them (session or module
  scope) in a ``conftest.py``, or use ``--mmplug-plugin-dir``, ``--mmplug-world``,
  ``--mmplug-python`` or the ini keys ``mmplug_plugin_dir`` / ``mmplug_world``.

The plugin directory defaults to the nearest directory with ``plugin.json`` from the rootdir
upwards. See docs/testing.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import mmplug._grpc_fork  # noqa: F401  (before any test module imports grpc)
from mmplug.testing._harness import PluginHarness, PostRejected, Recorder, WorldView

if TYPE_CHECKING:
    from mmplug.host.session import Session

__all__ = ["PluginHarness", "PostRejected", "WorldView"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mmplug", "mmplug fake host")
    group.addoption("--mmplug-plugin-dir", default=None,
                    help="plugin directory (with plugin.json) the `plugin` fixture runs")
    group.addoption("--mmplug-world", default=None,
                    help="world (name or .json path) seeded into each test store")
    group.addoption("--mmplug-python", default=None,
                    help="interpreter for the plugin process (default: the one running pytest)")
    group.addoption("--mmplug-nodes", default=None,
                    help="how many nodes the `cluster` fixture runs (default 3)")
    parser.addini("mmplug_plugin_dir", "plugin directory for the `plugin` fixture", default="")
    parser.addini("mmplug_nodes", "how many nodes the `cluster` fixture runs", default="")
    parser.addini("mmplug_world", "world seeded into each test store", default="")


def _find_plugin_dir(start: Path) -> Path | None:
    """The nearest plugin project at or above ``start``, as every mmplug command finds it."""
    from mmplug._plugin_files import find_project

    found = find_project(str(start))
    return Path(found) if found is not None else None


@pytest.fixture(scope="session")
def mmplug_plugin_dir(pytestconfig: pytest.Config) -> Path:
    """The plugin under test: option, ini key, else plugin.json from the rootdir upwards."""
    given = pytestconfig.getoption("mmplug_plugin_dir") or pytestconfig.getini("mmplug_plugin_dir")
    if given:
        path = Path(str(given))
        path = path if path.is_absolute() else pytestconfig.rootpath / path
        return path.resolve()
    found = _find_plugin_dir(pytestconfig.rootpath)
    if found is None:
        pytest.fail(f"mmplug: no plugin.json in {pytestconfig.rootpath} or above; pass "
                    "--mmplug-plugin-dir or override the mmplug_plugin_dir fixture",
                    pytrace=False)
    return found


@pytest.fixture(scope="session")
def mmplug_world(pytestconfig: pytest.Config) -> str | None:
    """The world seeded into the store (None: the default world)."""
    value = pytestconfig.getoption("mmplug_world") or pytestconfig.getini("mmplug_world")
    return str(value) if value else None


@pytest.fixture(scope="session")
def mmplug_python(pytestconfig: pytest.Config) -> str:
    """The interpreter that runs the plugin (default: the one running pytest)."""
    return str(pytestconfig.getoption("mmplug_python") or sys.executable)


@pytest.fixture(scope="session")
def mmplug_nodes(pytestconfig: pytest.Config) -> int:
    """How many nodes the ``cluster`` fixture runs (default 3)."""
    value = pytestconfig.getoption("mmplug_nodes") or pytestconfig.getini("mmplug_nodes") or 3
    try:
        return int(value)
    except ValueError:
        pytest.fail(f"mmplug: --mmplug-nodes must be a number, not {value!r}", pytrace=False)


@pytest.fixture(scope="module")
def mmplug_session(
    mmplug_plugin_dir: Path, mmplug_world: str | None, mmplug_python: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    """One fake-host session per test module, in memory; always closed, even on failures."""
    yield from _session(mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory, 1)


@pytest.fixture(scope="module")
def mmplug_cluster_session(
    mmplug_plugin_dir: Path, mmplug_world: str | None, mmplug_python: str,
    mmplug_nodes: int, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    """One fake-host session per test module running the plugin on ``mmplug_nodes`` nodes
    (a cluster in one host, with the race detector on); always closed."""
    yield from _session(mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory,
                        mmplug_nodes)


def _session(plugin_dir: Path, world_name: str | None, python: str,
             tmp_path_factory: pytest.TempPathFactory, nodes: int) -> Iterator[Session]:
    from mmplug.errors import MmplugError
    from mmplug.host.session import Session

    problem: str | None = None
    try:
        world = _load_world(world_name)
        session = Session([plugin_dir], store=":memory:", world=world, python=python,
                          nodes=nodes)
        recorder = Recorder()
        session.add_observer(recorder)
        session.start()
    except MmplugError as exc:
        problem = exc.render()
    if problem is not None:  # outside the except block: no chained traceback in the report
        pytest.fail(f"mmplug: the plugin in {plugin_dir} did not start:\n{problem}",
                    pytrace=False)
    try:
        _warn_about_loading(session)
        snapshot = tmp_path_factory.mktemp("mmplug") / "activated.db"
        session.store.snapshot(snapshot)
        session.__dict__["_mmplug_testing"] = (recorder, snapshot)
        # where each test's clock starts (a test that moves it is put back: PluginHarness)
        session.__dict__["_mmplug_clock_offset"] = getattr(session.store.clock, "offset_ms",
                                                           None)
        yield session
    finally:
        session.close()
    faults = session.stop_faults()
    if faults:  # e.g. no plugin.GRPCController: the server would kill the plugin after 2 s
        pytest.fail(f"mmplug: the plugin in {plugin_dir} did not stop as the server "
                    f"expects:\n{faults[0].render()}", pytrace=False)


class MmplugLoadWarning(UserWarning):
    """What the fake host said about loading the plugin: a manifest the server accepts but
    ``mmplug bundle`` refuses, an interpreter other than the server's, or what ``mmplug
    check`` fails on (a hook a real server never calls, ...)."""


def _warn_about_loading(session: Session) -> None:
    """The host's load warnings (plugin.json, interpreter, `mmplug check` findings) in
    pytest's warnings summary."""
    import warnings

    from mmplug.host.launcher import LOAD_NOTICE
    from mmplug.host.session import FINDING_NOTICE

    for record in session.logs:
        if record.source == "host" and record.module in (LOAD_NOTICE, FINDING_NOTICE):
            warnings.warn(MmplugLoadWarning(record.message), stacklevel=2)


def _load_world(name: str | None) -> Any:
    if name is None:
        return None
    from mmplug.host.world import load_world

    return load_world(name)


@pytest.fixture
def plugin(mmplug_session: Session) -> Iterator[PluginHarness]:
    """The plugin under test, with the store as it was right after activation."""
    harness = PluginHarness(mmplug_session)
    harness.reset()
    try:
        yield harness
    finally:
        harness.remove_stubs()


@pytest.fixture
def cluster(mmplug_cluster_session: Session) -> Iterator[PluginHarness]:
    """The plugin under test on several nodes (``mmplug_nodes``, default 3) sharing one store,
    as a high-availability cluster runs it: a :class:`PluginHarness` whose requests spread
    over the nodes, with the race detector (``cluster.assert_no_races()``), the comparison of
    the nodes' answers (``cluster.assert_consistent(...)``) and ``cluster.kill(node, ...)``.
    Each test starts from the store as it was after activation."""
    harness = PluginHarness(mmplug_cluster_session)
    harness.reset()
    try:
        yield harness
    finally:
        harness.remove_stubs()
