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
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    from mmplug.host.reaper import Reaper
    from mmplug.host.session import Session
    from mmplug.host.warm import WarmPool

__all__ = ["PluginHarness", "PostRejected", "WorldView"]

# How long one plugin process lives (--mmplug-scope, the ini key mmplug_scope).
SCOPES = ("module", "package", "session")
# How many sessions ahead a plugin interpreter is started: a spare needs longer to import grpc
# and the SDK than a short test module takes, so the one after next starts early too.
AHEAD = 2
TRANSPORTS = ("unix", "tcp", "private")


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
    group.addoption("--mmplug-scope", default=None, choices=SCOPES,
                    help="how long one plugin process lives: a test module (default), a "
                         "package (directory of test files) or the whole session")
    parser.addini("mmplug_nodes", "how many nodes the `cluster` fixture runs", default="")
    parser.addini("mmplug_world", "world seeded into each test store", default="")
    parser.addini("mmplug_scope", "how long one plugin process lives: module (default), "
                  "package or session", default="")
    group.addoption("--mmplug-hook-timeout", default=None,
                    help="seconds a hook call may take (default 30, the server's deadline)")
    group.addoption("--mmplug-start-timeout", default=None,
                    help="seconds the plugin may take to start (default 10, as the server)")
    group.addoption("--mmplug-transport", default=None, choices=TRANSPORTS,
                    help="unix (default: the hooks on a private unix socket), tcp (loopback "
                         "TCP, as under the server) or private (the PluginAPI on a private "
                         "unix socket too); docs/security.md")
    parser.addini("mmplug_hook_timeout", "seconds a hook call may take", default="")
    parser.addini("mmplug_start_timeout", "seconds the plugin may take to start", default="")
    parser.addini("mmplug_transport", "unix (default), tcp or private", default="")


def _find_plugin_dir(start: Path) -> Path | None:
    """The nearest plugin project at or above ``start``, as every mmplug command finds it."""
    from mmplug._plugin_files import find_project

    found = find_project(str(start))
    return Path(found) if found is not None else None


def _plugin_dir_of(config: pytest.Config) -> Path | None:
    """The plugin directory the options give: option, ini key, else plugin.json from the
    rootdir upwards (None: none found)."""
    given = config.getoption("mmplug_plugin_dir") or config.getini("mmplug_plugin_dir")
    if given:
        path = Path(str(given))
        path = path if path.is_absolute() else config.rootpath / path
        return path.resolve()
    return _find_plugin_dir(config.rootpath)


@pytest.fixture(scope="session")
def mmplug_plugin_dir(pytestconfig: pytest.Config) -> Path:
    """The plugin under test: option, ini key, else plugin.json from the rootdir upwards."""
    found = _plugin_dir_of(pytestconfig)
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


def _session_options(config: pytest.Config) -> dict[str, Any]:
    """The plugin session's timeouts and transport from the options or ini keys, as the
    commands' ``--hook-timeout``, ``--start-timeout``, ``--tcp`` and ``--private`` give them."""
    options: dict[str, Any] = {}  # what is not given keeps the Session's default
    for name in ("hook_timeout", "start_timeout"):
        given = config.getoption(f"mmplug_{name}") or config.getini(f"mmplug_{name}")
        if not given:
            continue
        try:
            seconds = float(given)
        except ValueError:
            seconds = -1.0
        if not seconds > 0:
            raise pytest.UsageError(f"mmplug_{name} = {given!r} is not a positive number of "
                                    "seconds")
        options[name] = seconds
    transport = str(config.getoption("mmplug_transport") or config.getini("mmplug_transport")
                    or "unix")
    if transport not in TRANSPORTS:
        raise pytest.UsageError(f"mmplug_transport = {transport!r} is not one mmplug knows; "
                                f"use one of {', '.join(TRANSPORTS)}")
    options["transport"] = "tcp" if transport == "tcp" else "unix"
    options["private"] = transport == "private"
    return options


_RUN = pytest.StashKey["_Run"]()


def pytest_configure(config: pytest.Config) -> None:
    options = _session_options(config)  # a bad value is a usage error before any test runs
    scope = _scope(config)
    if scope not in SCOPES:
        raise pytest.UsageError(f"mmplug_scope = {scope!r} is not a scope mmplug knows; "
                                f"use one of {', '.join(SCOPES)} (the default is module)")
    _leave_mmplug_unrewritten(config)
    run = config.stash[_RUN] = _Run(options)
    if _runs_tests(config) and _used_last_time(config):
        _ask_ahead(config, run)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Nothing is left behind when no test used the run (a spare started ahead for tests that
    were then deselected, or a run stopped during collection)."""
    run = config.stash.get(_RUN, None)
    if run is not None:
        run.close()


def pytest_itemcollected(item: pytest.Item) -> None:
    """The first collected test that needs the plugin starts its interpreter (a warm spare)
    while collection goes on: the first module's start then finds it ready, or nearly."""
    run = item.config.stash.get(_RUN, None)
    if run is None or run.asked_ahead or not _runs_tests(item.config):
        return
    names = getattr(item, "fixturenames", ())
    if "mmplug_session" in names or "mmplug_cluster_session" in names:
        _ask_ahead(item.config, run)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Note whether this run started the plugin, for the next run of the same command."""
    run = session.config.stash.get(_RUN, None)
    if run is not None and _runs_tests(session.config):
        _note_use(session.config, run.used)


def _ask_ahead(config: pytest.Config, run: _Run) -> None:
    """Start the plugin's interpreter for the run's first session (a warm spare)."""
    run.asked_ahead = True
    try:  # best effort: what is wrong with the plugin, its session's start says
        plugin_dir = _plugin_dir_of(config)
        python = str(config.getoption("mmplug_python") or sys.executable)
        if plugin_dir is not None:  # (a conftest.py may name another: it goes unused)
            run.ahead(plugin_dir, python)
    except Exception:
        return


def _runs_tests(config: pytest.Config) -> bool:
    """Whether this process runs tests: not ``--collect-only``, not pytest-xdist's controller
    (its workers run them)."""
    if config.option.collectonly:
        return False
    return not getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput")


# The last run of a command used the plugin: the next run of it starts the plugin's interpreter
# when pytest is configured, before its tests are collected (the first collected test that
# needs the plugin would start it some tens of ms later, which the first test then waits for).
# A note per project, command line and xdist worker in mmplug's cache folder; a run that
# started no plugin removes its note, so that runs of pure tests never start one.
def _use_note(config: pytest.Config) -> Path:
    import hashlib
    import json

    from mmplug.host import cache_root

    worker = getattr(config, "workerinput", {}).get("workerid", "")
    key = json.dumps([str(config.rootpath), list(config.invocation_params.args), worker])
    return Path(cache_root()) / "pytest-runs" / hashlib.sha256(key.encode()).hexdigest()[:24]


def _used_last_time(config: pytest.Config) -> bool:
    try:
        return _use_note(config).is_file()
    except (OSError, ValueError):
        return False


def _note_use(config: pytest.Config, used: bool) -> None:
    try:
        note = _use_note(config)
        if used:
            note.parent.mkdir(parents=True, exist_ok=True)
            note.touch()
        else:
            note.unlink(missing_ok=True)
    except (OSError, ValueError):  # a read-only cache folder: the next run starts it later
        pass


def _leave_mmplug_unrewritten(config: pytest.Config) -> None:
    """Keep pytest from rewriting the asserts of mmplug's own modules as it imports them.

    pytest marks every module of a distribution that provides a pytest plugin for assertion
    rewriting, so the fake host's modules, imported while a plugin starts, were parsed by
    pytest on the way in: work for nothing (they hold no test asserts), and on Python 3.11 a
    crash ("AST constructor recursion depth mismatch") when that parse met the host's own
    parse of the plugin's code on another thread (what ``mmplug check`` reads). pytest has no
    public way to unmark a package; without the attribute this does nothing."""
    marked = getattr(getattr(config.pluginmanager, "rewrite_hook", None), "_must_rewrite", None)
    if isinstance(marked, set):
        marked.discard("mmplug")


_MODULES = pytest.StashKey[list[Path]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note the test modules that use the plugin, in order: while one runs, the next one's
    plugin interpreter is started ahead (see :class:`_Run`)."""
    modules: dict[Path, None] = {}
    for item in session.items:
        if "mmplug_session" in getattr(item, "fixturenames", ()):
            modules.setdefault(item.path, None)
    session.config.stash[_MODULES] = list(modules)


@pytest.fixture(scope="session")
def mmplug_nodes(pytestconfig: pytest.Config) -> int:
    """How many nodes the ``cluster`` fixture runs (default 3)."""
    value = pytestconfig.getoption("mmplug_nodes") or pytestconfig.getini("mmplug_nodes") or 3
    try:
        return int(value)
    except ValueError:
        pytest.fail(f"mmplug: --mmplug-nodes must be a number, not {value!r}", pytrace=False)


def _started_with(request: pytest.FixtureRequest) -> tuple[_Run, Path, str | None, str,
                                                         pytest.TempPathFactory]:
    """What a session fixture starts from: the run, ``mmplug_plugin_dir``, ``mmplug_world``,
    ``mmplug_python`` (overridable in a conftest.py) and pytest's tmp_path_factory.

    Looked up when the session starts, not declared as the fixture's arguments: pytest
    resolves every fixture a test depends on, through its whole chain, before each test,
    even those whose value it has cached for the module (the cost per hook test is measured
    by benchmarks/plugin_tests.py)."""
    value = request.getfixturevalue
    return (value("_mmplug_run"), value("mmplug_plugin_dir"), value("mmplug_world"),
            value("mmplug_python"), value("tmp_path_factory"))


@pytest.fixture(scope="module")
def mmplug_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The fake-host session of this test module, in memory; always closed, even on failures.

    One per module by default; with ``--mmplug-scope package`` or ``session`` the modules of
    a directory, or of the whole run, share one (kept by ``_mmplug_run``)."""
    scope = _scope(request.config)
    run, mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory = (
        _started_with(request))
    modules = request.config.stash.get(_MODULES, [])
    later = modules[modules.index(request.path) + 1:] if request.path in modules else []
    if scope == "package":
        later = [m for m in later if m.parent != request.path.parent]

    # the sessions that follow this one (modules; directories with --mmplug-scope package)
    following = len({m.parent for m in later} if scope == "package" else later)

    def start() -> Session | str:
        return run.start(mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory,
                         ahead=0 if scope == "session" else min(following, AHEAD))

    if scope != "module":
        where = request.path.parent if scope == "package" else None
        started = run.kept((where, mmplug_plugin_dir, mmplug_world, mmplug_python), start)
        if isinstance(started, str):
            pytest.fail(started, pytrace=False)
        yield started
        return
    yield from _for_the_module(start, mmplug_plugin_dir)


@pytest.fixture(scope="module")
def mmplug_cluster_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    """One fake-host session per test module running the plugin on ``mmplug_nodes`` nodes
    (a cluster in one host, with the race detector on); always closed."""
    run, mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory = (
        _started_with(request))
    mmplug_nodes: int = request.getfixturevalue("mmplug_nodes")

    def start() -> Session | str:
        return run.start(mmplug_plugin_dir, mmplug_world, mmplug_python, tmp_path_factory,
                         ahead=0, nodes=mmplug_nodes)

    yield from _for_the_module(start, mmplug_plugin_dir)


def _for_the_module(start: Callable[[], Session | str], plugin_dir: Path) -> Iterator[Session]:
    """A session started for one test module and closed after it, whatever happened."""
    started = start()
    if isinstance(started, str):
        pytest.fail(started, pytrace=False)
    try:
        yield started
    finally:
        _close(started)
    faults = _stop_faults(started, plugin_dir)
    if faults:
        pytest.fail(faults, pytrace=False)


class _Run:
    """What the pytest plugin keeps for the whole run (the ``_mmplug_run`` fixture).

    * Warm spares: the plugin's interpreter started ahead, with grpc and the SDK imported
      (:mod:`mmplug.host.warm`, as ``mmplug dev`` reloads and ``mmplug replay`` do): the first
      one while pytest collects the tests, then, while a module runs, those of the next
      modules (``AHEAD``; one serves a reload or a crashed plugin's restart too), forked from
      a zygote with the same imports after the first (a few ms each instead of an
      interpreter's start).
    * Stops that do not wait: a session's plugin is deactivated and told to shut down, and its
      exit is waited for in the background (:mod:`mmplug.host.reaper`) while the next module
      runs; the run's end waits for every exit.
    * The session kept across modules with ``--mmplug-scope package`` or ``session``: one at a
      time; modules asking for another plugin, world or interpreter (or, per package, another
      directory) stop it and start theirs.
    """

    def __init__(self, session_options: dict[str, Any]) -> None:
        self.reaper: Reaper | None = None
        self.pool: WarmPool | None = None
        self.key: object = None
        self.started: Session | str | None = None
        self.faults: list[str] = []
        self.session_options = session_options  # timeouts and transport (_session_options)
        self.asked_ahead = False  # the first spare was asked for (configure, collection)
        self.used = False  # a session was started

    def _pool(self) -> WarmPool:
        from mmplug.host.warm import LEAN_PRELOAD, WarmPool

        if self.pool is None:
            self.pool = WarmPool(LEAN_PRELOAD, fork=True)
        return self.pool

    def ahead(self, plugin_dir: Path, python: str) -> None:
        """Start the plugin's interpreter for the first session, on another thread."""
        from mmplug.host.warm import prepare_for

        pool = self._pool()
        threading.Thread(target=prepare_for, args=(pool, plugin_dir, python),
                         name="mmplug-warm", daemon=True).start()

    def start(self, plugin_dir: Path, world_name: str | None, python: str,
              tmp_path_factory: pytest.TempPathFactory, *, ahead: int,
              nodes: int = 1) -> Session | str:
        """A started session with the pytest plugin's state, or why it did not start; with
        ``ahead``, as many interpreters for the sessions that follow are started (or kept)."""
        _import_host()
        self.used = True
        from mmplug.errors import MmplugError
        from mmplug.host.clock import SystemClock
        from mmplug.host.fresh import open_world_store
        from mmplug.host.reaper import Reaper
        from mmplug.host.session import Session
        from mmplug.host.warm import prepare_for

        pool = self._pool()
        prepare_for(pool, plugin_dir, python)  # overlaps the host's start (none if waiting)
        if self.reaper is None:
            self.reaper = Reaper()
        reaper = self.reaper

        def spawn(command: list[str], *, cwd: Path, env: dict[str, str]) -> Any:
            popen = pool.spawn(command, cwd=cwd, env=env)
            for _ in range(ahead):  # the next modules' starts (or this one's reload)
                pool.prepare_async(command, cwd=cwd, env=env, depth=ahead)
            return popen

        store = None
        try:
            # the seeded world from the image cache (as for `mmplug fire`), on the real clock
            store = open_world_store(world_name)
            store.clock = SystemClock()
            session = Session([plugin_dir], store=store, python=python, spawner=spawn,
                              stopper=reaper.stop, nodes=nodes, **self.session_options)
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
        # where each test's clock starts (a test that moves it is put back: PluginHarness)
        session.__dict__["_mmplug_clock_offset"] = getattr(session.store.clock, "offset_ms",
                                                           None)
        return session

    def kept(self, key: object, start: Callable[[], Session | str]) -> Session | str:
        """The kept session for ``key``, started (after stopping another's) when needed."""
        if self.started is None or key != self.key:
            self.close_kept()
            self.key, self.started = key, start()
        return self.started

    def close_kept(self) -> None:
        started, self.started = self.started, None
        if started is not None and not isinstance(started, str):
            _close(started)
            report = _stop_faults(started, started.plugin_dirs[0])
            if report:
                self.faults.append(report)

    def close(self) -> None:
        """Stop the kept session, wait for every plugin's exit, kill the waiting spares."""
        try:
            self.close_kept()
            if self.reaper is not None:
                self.reaper.join()
        finally:
            if self.pool is not None:
                self.pool.close()


def _import_host() -> None:
    """Import the host (grpc, every hook and API message) with the garbage collector paused.

    The imports create tens of thousands of objects and no garbage; on their way, the first
    full collection of the run would fall due and walk the whole heap of the test process
    (docs/benchmarks.md). No test code runs meanwhile; the collector is resumed as it was.
    What exists then, the first time (modules, classes, message descriptors, the collected
    tests), is moved out of the collector's sight (``gc.freeze``): it lives until the process
    ends, and every full collection after it, pytest's own at the end of the run among them,
    would walk it again for nothing. Reference counting still frees what is dropped. Only
    once: the sessions started later are not frozen, so a closed one is collected.
    """
    import gc

    if "mmplug.host.session" in sys.modules:
        return
    running = gc.isenabled()
    gc.disable()
    try:
        import mmplug.host.hooks_client
        import mmplug.host.session  # noqa: F401
        from mmplug.host.warm import preload_host

        preload_host()  # the rest of what the first session's start and first test import
    finally:
        gc.freeze()  # what the imports made lives as long as the process
        if running:
            gc.enable()


@pytest.fixture(scope="session")
def _mmplug_run(pytestconfig: pytest.Config) -> Iterator[_Run]:
    """The run's warm spares, reaper and kept session; see :class:`_Run`."""
    run = pytestconfig.stash[_RUN]
    try:
        yield run
    finally:
        run.close()
    if run.faults:
        pytest.fail("\n".join(run.faults), pytrace=False)


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
    harness._begin_test()
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
    harness._begin_test()
    try:
        yield harness
    finally:
        harness.remove_stubs()
