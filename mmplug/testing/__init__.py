"""mmplug's pytest plugin: test a plugin under the fake host (registered through ``pytest11``).

    def test_blocks_bad_words(plugin):
        alice = plugin.world.user("alice")
        result = plugin.fire("MessageWillBePosted", post={"message": "badword",
                                                          "user_id": alice.id})
        assert result.response.rejection_reason
        assert plugin.kv_get_json("stats:blocked") == 1

Fixtures (all lazy: nothing of the fake host is imported until a test asks for them):

- ``plugin`` -> :class:`PluginHarness`: the plugin under test, freshly reset for each test;
- ``mmplug_session``: the module's :class:`~mmplug.host.session.Session` (one plugin process
  per test module, activated once; the store is restored to its state right after activation
  before every test, and stubs are removed). ``--mmplug-scope package`` or ``session`` (ini
  ``mmplug_scope``) keeps one process for a directory of test modules or for the whole run:
  the plugin's in-memory state then carries over between modules (``plugin.reload()`` for a
  fresh process);
- ``mmplug_plugin_dir``, ``mmplug_world``, ``mmplug_python``: override them (session or module
  scope) in a ``conftest.py``, or use ``--mmplug-plugin-dir``, ``--mmplug-world``,
  ``--mmplug-python`` or the ini keys ``mmplug_plugin_dir`` / ``mmplug_world``.

The plugin directory defaults to the nearest directory with ``plugin.json`` from the rootdir
upwards. See docs/testing.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import mmplug._grpc_fork  # noqa: F401  (before any test module imports grpc)
from mmplug.testing._harness import (
    Activated,
    PluginHarness,
    PostRejected,
    Recorder,
    SessionState,
    WorldView,
)

if TYPE_CHECKING:
    from mmplug.host.session import Session

__all__ = ["PluginHarness", "PostRejected", "WorldView"]

# How long one plugin process lives (--mmplug-scope, the ini key mmplug_scope).
SCOPES = ("module", "package", "session")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mmplug", "mmplug fake host")
    group.addoption("--mmplug-plugin-dir", default=None,
                    help="plugin directory (with plugin.json) the `plugin` fixture runs")
    group.addoption("--mmplug-world", default=None,
                    help="world (name or .json path) seeded into each test store")
    group.addoption("--mmplug-python", default=None,
                    help="interpreter for the plugin process (default: the one running pytest)")
    parser.addini("mmplug_plugin_dir", "plugin directory for the `plugin` fixture", default="")
    group.addoption("--mmplug-scope", default=None, choices=SCOPES,
                    help="how long one plugin process lives: a test module (default), a "
                         "package (directory of test files) or the whole session")
    parser.addini("mmplug_world", "world seeded into each test store", default="")
    parser.addini("mmplug_scope", "how long one plugin process lives: module (default), "
                  "package or session", default="")


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


def _scope(config: pytest.Config) -> str:
    """How long one plugin process lives: ``--mmplug-scope``, else the ini key."""
    return str(config.getoption("mmplug_scope") or config.getini("mmplug_scope") or "module")


def pytest_configure(config: pytest.Config) -> None:
    scope = _scope(config)
    if scope not in SCOPES:
        raise pytest.UsageError(f"mmplug_scope = {scope!r} is not a scope mmplug knows; "
                                f"use one of {', '.join(SCOPES)} (the default is module)")


@pytest.fixture(scope="module")
def mmplug_session(
    request: pytest.FixtureRequest, mmplug_plugin_dir: Path, mmplug_world: str | None,
    mmplug_python: str, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    """The fake-host session of this test module, in memory; always closed, even on failures.

    One per module by default; with ``--mmplug-scope package`` or ``session`` the modules of
    a directory, or of the whole run, share one (kept by ``_mmplug_kept``)."""
    scope = _scope(request.config)

    def start() -> Session | str:
        return _start(mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory)

    if scope != "module":
        kept: _Kept = request.getfixturevalue("_mmplug_kept")
        where = request.path.parent if scope == "package" else None
        started = kept.session((where, mmplug_plugin_dir, mmplug_world, mmplug_python), start)
        if isinstance(started, str):
            pytest.fail(started, pytrace=False)
        yield started
        return
    started = start()
    if isinstance(started, str):
        pytest.fail(started, pytrace=False)
    try:
        yield started
    finally:
        _close(started)
    faults = _stop_faults(started, mmplug_plugin_dir)
    if faults:
        pytest.fail(faults, pytrace=False)


def _start(plugin_dir: Path, world_name: str | None, python: str,
           tmp_path_factory: pytest.TempPathFactory) -> Session | str:
    """A started session with the pytest plugin's state, or why it did not start."""
    from mmplug.errors import MmplugError
    from mmplug.host.clock import SystemClock
    from mmplug.host.session import Session
    from mmplug.host.world_cache import seeded_memory_store

    store = None
    try:
        # the seeded world from the image cache (as for `mmplug fire`), on the real clock
        store = seeded_memory_store(world_name or "default")
        store.clock = SystemClock()
        session = Session([plugin_dir], store=store, python=python)
        recorder = Recorder()
        session.add_observer(recorder)
        session.start()
    except MmplugError as exc:
        if store is not None:
            store.close()
        return f"mmplug: the plugin in {plugin_dir} did not start:\n{exc.render()}"
    except BaseException:
        if store is not None:
            store.close()
        raise
    try:
        _warn_about_loading(session)
        activated = Activated(session.store, lambda: tmp_path_factory.mktemp("mmplug"))
    except BaseException:
        _close(session)
        raise
    session.__dict__["_mmplug_testing"] = SessionState(recorder, activated)
    return session


def _close(session: Session) -> None:
    """Stop the session, then close its store (the pytest plugin's, not the session's)."""
    try:
        session.close()
    finally:
        session.store.close()


def _stop_faults(session: Session, plugin_dir: Path) -> str:
    """What went wrong when the session stopped (e.g. no plugin.GRPCController: the server
    would kill the plugin after 2 s), as a report; empty when nothing did."""
    faults = session.stop_faults()
    if not faults:
        return ""
    return (f"mmplug: the plugin in {plugin_dir} did not stop as the server expects:\n"
            f"{faults[0].render()}")


class _Kept:
    """The session kept across test modules (``--mmplug-scope package`` or ``session``): one
    at a time; modules asking for another plugin, world or interpreter (or, per package,
    another directory) stop it and start theirs."""

    def __init__(self) -> None:
        self.key: object = None
        self.started: Session | str | None = None
        self.faults: list[str] = []

    def session(self, key: object, start: Callable[[], Session | str]) -> Session | str:
        if self.started is None or key != self.key:
            self.close()
            self.key, self.started = key, start()
        return self.started

    def close(self) -> None:
        started, self.started = self.started, None
        if started is not None and not isinstance(started, str):
            _close(started)
            report = _stop_faults(started, started.plugin_dirs[0])
            if report:
                self.faults.append(report)


@pytest.fixture(scope="session")
def _mmplug_kept() -> Iterator[_Kept]:
    """The session kept across modules, stopped at the end of the run."""
    kept = _Kept()
    try:
        yield kept
    finally:
        kept.close()
    if kept.faults:
        pytest.fail("\n".join(kept.faults), pytrace=False)


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


@pytest.fixture
def plugin(mmplug_session: Session) -> Iterator[PluginHarness]:
    """The plugin under test, with the store as it was right after activation."""
    harness = PluginHarness(mmplug_session)
    harness.reset()
    try:
        yield harness
    finally:
        harness.remove_stubs()
