"""Session: the one object that owns a fake-host run.

A session owns the state store, one PluginAPI server per plugin, the plugin processes and the
hook-call pipeline. Every command and the pytest fixtures go through it; nothing else launches
plugin processes or opens sockets. It is a context manager that always cleans up::

    with Session(plugin_dirs=[path], store=":memory:") as s:
        result = s.fire("MessageWillBePosted", post={"message": "hi"})
        print(result.response, result.api_calls, result.logs)

What differs between the commands is given as options, not by subclassing: ``spawner``
(how a plugin process is started: the dev loop's warm spares, a cold fire's early start, an
attached plugin's relay), ``stopper`` (how one is stopped: the dev loop's reaper does not wait
for the exit), ``keep_going`` (a plugin that fails to start is recorded in ``start_errors``
instead of failing the session: ``mmplug dev`` shows it and reloads it on the next save) and
``lasting_api`` (each plugin's PluginAPI server lives as long as the session, across restarts:
an attached plugin keeps its API address) and ``nodes`` (a cluster in one host: each plugin
runs once per node, over the one store; see :mod:`mmplug.host.cluster`).

Observers (recorders, tracers, the CLI's log printer) attach with :meth:`Session.add_observer`
and receive ``on_hook_start(plugin_id, hook)`` (a call that is no consequence of another is
about to start), ``on_hook_call(CallEvent)`` (:mod:`mmplug.host.events`: the one event of a
call), ``on_api_call(ApiCall)``, ``on_log(LogRecord)`` and ``on_event(kind, payload)``; each
method is optional. They are called from the thread that saw
the event (hook caller, API server worker, stderr reader) and must not block.
"""

from __future__ import annotations

import copy
import itertools
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import ManifestError, MmplugError, PluginCrashError, UsageError
from mmplug.host import STATE_DB, STATE_DIR
from mmplug.host.cluster import (
    EVERY_NODE,
    Bus,
    RoundRobin,
    node_names,
    parse_node,
    pinned_node,
)
from mmplug.host.events import CallEvent, http_request
from mmplug.host.ids import random_id
from mmplug.host.logs import LogRecord, host_record
from mmplug.host.pipeline import Dispatcher, Observers, Plugins, where
from mmplug.host.timekeeper import TickTarget, Timekeeper, parse_time
from mmplug.protocol.names import CALL_HEADER, ENV_NODE

# The module of the host's log records that say a `mmplug check` finding (``fire`` shows them
# above its result, the pytest plugin as warnings).
FINDING_NOTICE = "mmplug.host.finding"

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable

    from google.protobuf.message import Message

    from mmplug.host.actions import Actor
    from mmplug.host.api import ApiCall
    from mmplug.host.hooks_client import HooksClient, HttpResponse
    from mmplug.host.http_codec import SignIn
    from mmplug.host.launcher import PluginProcess
    from mmplug.host.races import RaceDetector
    from mmplug.host.store import Store
    from mmplug.manifest import Manifest
    from mmplug.protocol.catalog import HookSpec

    # How a plugin process is started: ``spawner(command, cwd=..., env=...)``, as
    # :func:`mmplug.host._process.spawn`; how one is stopped: ``stopper(process)``, as
    # :meth:`~mmplug.host.launcher.PluginProcess.stop` (the fault name of a problem, or None).
    Spawner = Callable[..., subprocess.Popen[bytes]]
    Stopper = Callable[[PluginProcess], "str | None"]


# What a hook call gives: the one event of a call (HookResult is the name the pytest harness and
# the first releases documented; the same class).
HookResult = CallEvent


@dataclass
class PluginHandle:
    """A plugin under the session: its manifest, process and the hooks it implements."""

    id: str
    manifest: Manifest
    pid: int = 0
    implemented: list[str] = field(default_factory=list)
    # starting | loaded (not activated) | active | failed (to start) | crashed | stopped
    state: str = "stopped"
    shutdown_problem: MmplugError | None = None
    client: HooksClient | None = field(default=None, repr=False)
    api: Any = field(default=None, repr=False)
    warned: tuple[Any, ...] = field(default=(), repr=False)  # manifest warnings already said
    # what `mmplug check` finds (works here, not on a real server), said once per change
    findings: tuple[Any, ...] = field(default=(), repr=False)
    # With several nodes: the node this process runs on, and (on node1's handle, the one in
    # ``session.plugins``) the handles of the same plugin on the other nodes.
    node: str = ""
    replicas: list[PluginHandle] = field(default_factory=list, repr=False)

    @property
    def api_target(self) -> str | None:
        return str(self.api.address) if self.api is not None else None

    @property
    def key(self) -> str:
        """``plugin`` with one node, ``plugin@node2`` with several (collectors, the clock)."""
        return where(self.id, self.node)


class Session:
    """A fake Mattermost host running one or more plugins. See the module docstring."""

    def __init__(
        self,
        plugin_dirs: Iterable[str | Path],
        *,
        store: str | Path | Store | None = None,
        world: Any = None,
        fresh: bool = False,
        python: str | None = None,
        start_timeout: float = 10.0,
        hook_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        deterministic_clock: bool = False,
        activate: bool = True,
        spawner: Spawner | None = None,
        stopper: Stopper | None = None,
        keep_going: bool = False,
        lasting_api: bool = False,
        api_port: int = 0,
        transport: str = "unix",
        private: bool = False,
        start_time: Any = None,
        nodes: int = 1,
        track_races: bool | None = None,
    ) -> None:
        """``transport``: how the plugins serve their hooks: ``"unix"``, a socket in a private
        folder (go-plugin's ``PLUGIN_UNIX_SOCKET_DIR``; the default), or ``"tcp"``, loopback
        TCP as under the server. ``private``: serve each plugin's PluginAPI on a unix socket
        in that folder instead of loopback TCP (see docs/security.md). ``start_time``: put
        the host's clock there before the plugins start (a datetime, milliseconds or ISO 8601
        text; ``session.clock`` moves it later, see :mod:`mmplug.host.timekeeper`).
        ``nodes``: run each plugin once per node, as a high-availability cluster does
        (:mod:`mmplug.host.cluster`). ``track_races``: tag each hook call so that the API
        calls it makes are known as its own (on with several nodes), which the race
        detector (:mod:`mmplug.host.races`) needs."""
        self.plugin_dirs = [Path(d).resolve() for d in plugin_dirs]
        if not self.plugin_dirs:
            raise UsageError("a session needs at least one plugin directory")
        if transport not in TRANSPORTS:
            raise UsageError(f"unknown plugin transport {transport!r}",
                             hint=f"use one of {', '.join(TRANSPORTS)}")
        if transport == "unix" and not _HAS_UNIX:  # pragma: no cover - not POSIX
            transport = "tcp"
        if private and not _HAS_UNIX:  # pragma: no cover - not POSIX
            raise UsageError("--private needs unix sockets, which this system lacks")
        self.transport = transport
        self.private = private
        self.world = world
        self.fresh = fresh
        self.python = python
        self.start_timeout = start_timeout
        self.hook_timeout = hook_timeout
        self.env = dict(env or {})
        self.deterministic_clock = deterministic_clock
        self.start_time = None if start_time is None else parse_time(start_time)
        # the host's clock, moved on purpose (advance(days=30)): it wakes the SDK's jobs
        self.clock = Timekeeper(lambda: self.store, self._tick_targets, log=self.emit_log,
                                run_data_retention=self._run_data_retention)
        # False: start each plugin and ask Implemented, but never activate it (mmplug check)
        self.activate = activate
        self.plugins: dict[str, PluginHandle] = {}
        self.logs: list[LogRecord] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        # the nodes: [""] for one; node1..nodeN for a cluster in one host
        self.node_names = node_names(nodes)
        self._dispatchers = {name: Dispatcher(self, name) for name in self.node_names}
        self.hooks = self._dispatchers[self.node_names[0]]
        self._round_robin = RoundRobin(self.node_names)
        self.cluster: Bus | None = Bus(self, self.node_names) if nodes > 1 else None
        self.track_races = nodes > 1 if track_races is None else track_races
        self._tags = itertools.count(1)
        self.tick_tags: dict[str, str] = {}  # the tag of a clock tick -> its node's key
        self.plugin_control = Plugins(self)
        self._install_tmp: Path | None = None  # InstallPlugin's folder for an in-memory store
        self._store_arg = store
        self._owns_store = not _is_store(store)
        self._store: Store | None = store if _is_store(store) else None  # type: ignore[assignment]
        self._observers = Observers()
        # the race detector (mmplug.host.races), watching every node's KV calls
        self.races: RaceDetector | None = None
        if self.track_races:
            from mmplug.host.races import RaceDetector

            self.races = RaceDetector(self._describe_tag)
            self._observers.add(self.races)
        self._started = False
        self.spawner = spawner  # None: mmplug.host._process.spawn
        self.stopper = stopper  # None: PluginProcess.stop (go-plugin's Kill)
        self.keep_going = keep_going
        self.lasting_api = lasting_api
        # Why a plugin did not start (keep_going): shown by the dev loop, cleared on a start.
        self.start_errors: dict[str, MmplugError] = {}
        # The loopback port of the next plugin's PluginAPI server (0: any free one), or in
        # private mode its socket (None: a new one); a plugin started early was told this
        # address (see mmplug.host._prelaunch).
        self.api_port = api_port
        self.api_socket: str | None = None
        # The private folder of the plugins' (and in private mode the API's) unix sockets:
        # made on the first start, or adopted from a plugin started early; removed at close.
        self.socket_dir: Path | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> Session:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Open the store, then start and activate every plugin; on failure undo everything
        (with ``keep_going``, a plugin that fails to start is left stopped instead and its
        error kept in :attr:`start_errors`)."""
        from mmplug.host.warm import preload_host
        from mmplug.manifest import load_manifest

        if self._started:
            return
        self._started = True
        if self.activate:  # (a session that only reads the hooks calls nothing of it)
            preload_host()  # while the plugin's interpreter starts (a spare), if it is one
        try:
            manifests = [load_manifest(d) for d in self.plugin_dirs]
            self.open_store()
            for manifest in manifests:
                if manifest.id in self.plugins:
                    raise UsageError(f"plugin {manifest.id} is given twice")
                self.plugins[manifest.id] = PluginHandle(manifest.id, manifest,
                                                         node=self.node_names[0])
            self._record_enabled(list(self.plugins))
            for handle in self.plugins.values():
                self._start_or_keep_going(handle)
            if self.clock.running and self.clock.due():
                self.clock.settle()  # jobs scheduled at activation run now, as on a server
        except BaseException:
            self.close()
            raise

    def _start_or_keep_going(self, handle: PluginHandle) -> None:
        if not self.keep_going:
            self.start_plugin(handle)
            return
        try:
            self.start_plugin(handle)
        except MmplugError as exc:
            self.stop_plugin(handle)
            self.start_errors[handle.id] = exc

    def close(self) -> None:
        """Deactivate and stop every plugin, stop the API servers, close the store."""
        self.clock.close()
        if self.cluster is not None:
            self.cluster.close()
        for handle in reversed(list(self.plugins.values())):
            self.stop_plugin(handle)
            for one in self.nodes_of(handle):
                self._stop_api(one)
        if self._store is not None and self._owns_store:
            self._store.close()
            self._store = None
        if self._install_tmp is not None:
            import shutil

            shutil.rmtree(self._install_tmp, ignore_errors=True)
            self._install_tmp = None
        if self.socket_dir is not None:
            import shutil

            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = None
        self._started = False

    @property
    def opened_store(self) -> Store | None:
        """The store once the session has opened it (or was given it), else None."""
        return self._store

    @property
    def store(self) -> Store:
        if self._store is None:
            raise MmplugError("the session is not started", hint="use `with Session(...) as s:`")
        return self._store

    def open_store(self) -> None:
        """Open (and seed) the store, as :meth:`start` does first; a caller may do it earlier
        to check something in it before any plugin starts."""
        if self._store is not None:
            return
        from mmplug.host.store import MEMORY, Store

        target = self._store_arg
        assert not isinstance(target, Store)
        if target is None:
            target = self.plugin_dirs[0] / STATE_DIR / STATE_DB
        if self.fresh and str(target) != MEMORY:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        self._store = Store.open(target)
        self._seed_world()

    def _seed_world(self) -> None:
        """Seed an empty store from the world (a name, a .json path or a World; default)."""
        from mmplug.host.world import World, load_world, seed_store

        world = self.world if isinstance(self.world, World) else load_world(self.world or "default")
        seed_store(self.store, world, deterministic_clock=self.deterministic_clock)
        if self.start_time is not None:
            self.store.clock.set(self.start_time)  # type: ignore[attr-defined]

    # -- one plugin ---------------------------------------------------------------------------
    def start_plugin(self, handle: PluginHandle) -> None:
        """Start one plugin of the session (its API server, its process), ask ``Implemented``
        and activate it, on every node; raises the fault when it cannot (what was started is
        left for :meth:`stop_plugin`)."""
        for one in self.nodes_of(handle, create=True):
            self._start_node(one)

    def _start_node(self, handle: PluginHandle) -> None:
        """Start the plugin of ``handle`` on its node (see :meth:`start_plugin`)."""
        from mmplug.host.hooks_client import HooksClient
        from mmplug.host.launcher import launch

        handle.state = "starting"
        handle.shutdown_problem = None
        self.start_errors.pop(handle.id, None)
        self._warn_manifest(handle)
        self._check_server_version(handle)
        uses = self._read_code(handle) if self.activate else None
        handle.api = self._start_api(handle)
        process = launch(
            handle.manifest,
            python=self.python,
            api_target=handle.api_target,
            env=self._node_env(handle),
            start_timeout=self.start_timeout,
            log_sink=self._log_sink(handle),
            spawner=self.spawner,
            socket_dir=str(self._sockets()) if self.transport == "unix" else None,
        )
        handle.client = HooksClient(process, self.hook_timeout)
        handle.pid = process.pid
        self.emit_log(self._on_node(host_record(handle.id, "debug", "plugin started",
                                                pid=process.pid), handle))
        handle.implemented = self._known_hooks(handle.id, handle.client.implemented())
        if uses is None:
            handle.state = "loaded"
            return
        self._warn_findings(handle, uses)
        if "OnActivate" in handle.implemented:  # while it runs, the plugin is not yet active
            result = self.invoke(handle, "OnActivate", handle.client.new_request("OnActivate"))
            if result.error is not None:
                handle.state = "stopped"
                failure = process.fault("activate-failed", error=result.error)
                process.kill()
                raise failure
        handle.state = "active"
        self.clock.poke()  # jobs it scheduled while activating may run now
        self.emit_log(self._on_node(host_record(handle.id, "info", "plugin activated",
                                                hooks=len(handle.implemented)), handle))

    # -- nodes ----------------------------------------------------------------------------------
    def nodes_of(self, handle: PluginHandle | str, *, create: bool = False
                 ) -> list[PluginHandle]:
        """The handles of one plugin, one per node (node1's first); ``create``: make the
        missing ones (and give them the manifest node1's handle has now)."""
        first = self.plugin(handle) if isinstance(handle, str) else handle
        if len(self.node_names) == 1:
            return [first]
        if create:
            while len(first.replicas) < len(self.node_names) - 1:
                name = self.node_names[len(first.replicas) + 1]
                first.replicas.append(PluginHandle(first.id, first.manifest, node=name))
            for replica in first.replicas:
                replica.manifest = first.manifest
        return [first, *first.replicas]

    def plugin_on(self, plugin_id: str, node: str) -> PluginHandle:
        """The handle of ``plugin_id`` on ``node`` (``""``: node1's, the only one with one
        node)."""
        first = self.plugin(plugin_id)
        if not node or node == first.node:
            return first
        for replica in first.replicas:
            if replica.node == node:
                return replica
        raise UsageError(f"plugin {first.id} does not run on {node!r}",
                         hint="nodes: " + ", ".join(self.node_names))

    def node(self, value: str | int | None = None) -> str:
        """The node a request from outside goes to: ``value`` (``2``, ``"node2"``), else the
        next one round robin (``""`` with one node)."""
        if value is not None and value != "":
            return parse_node(value, self.node_names)
        return self._round_robin.next()

    def _node_env(self, handle: PluginHandle) -> dict[str, str]:
        if not handle.node:
            return self.env
        # for the plugin's own logs; a real server has no such variable (docs/ha.md)
        return {**self.env, ENV_NODE: handle.node}

    def _log_sink(self, handle: PluginHandle) -> Callable[[LogRecord], None]:
        if not handle.node:
            return self.emit_log
        return lambda record: self.emit_log(self._on_node(record, handle))

    @staticmethod
    def _on_node(record: LogRecord, handle: PluginHandle) -> LogRecord:
        record.node = handle.node
        return record

    def _tag(self) -> tuple[str, tuple[tuple[str, str], ...] | None]:
        """A new hook call's tag and the metadata that carries it (none when calls are not
        tracked): mmplug's SDK echoes it on the API calls the hook makes."""
        if not self.track_races:
            return "", None
        tag = str(next(self._tags))
        return tag, ((CALL_HEADER, f"{tag};site"),)

    def _warn_manifest(self, handle: PluginHandle) -> None:
        """What the server accepts in plugin.json but bundling refuses (or frowns on), said
        when the plugin loads, and again on a reload only if it changed."""
        from mmplug.host.launcher import load_notice

        warnings = handle.manifest.warnings
        if warnings == handle.warned:
            return
        handle.warned = warnings
        for finding in warnings:
            refuses = " (mmplug bundle refuses this)" if finding.severity == "error" else ""
            self.emit_log(load_notice(handle.id,
                                       f"{handle.manifest.path.name}: {finding}{refuses}"))

    @staticmethod
    def _read_code(handle: PluginHandle) -> list[tuple[str, str]]:
        """The PluginAPI methods the plugin's code calls (``mmplug check``'s reading, cached
        by file times). Read in the starting thread, before the plugin starts, not beside its
        start on another thread: CPython 3.11 before 3.11.8 keeps one AST recursion counter
        per interpreter, so parsing on a thread while another thread compiles (pytest
        rewriting a module mmplug imports lazily) fails with "AST constructor recursion depth
        mismatch"."""
        from mmplug.check import cached_api_uses

        return cached_api_uses(handle.manifest.plugin_dir)

    def _warn_findings(self, handle: PluginHandle, uses: list[tuple[str, str]]) -> None:
        """What ``mmplug check`` would fail on (a hook a real server never calls, a method
        newer than min_server_version, ...), said when the plugin loads, and again on a
        reload only if it changed (``handle.findings`` holds them). ``uses``: the PluginAPI
        calls of the plugin's code (:meth:`_read_code`)."""
        from mmplug.check import load_findings

        findings = tuple(load_findings(handle.manifest.raw, handle.implemented, uses))
        if findings == handle.findings:
            return
        handle.findings = findings
        for finding in findings:
            record = host_record(handle.id, "warn", finding.line())
            record.module = FINDING_NOTICE
            self.emit_log(record)

    def _check_server_version(self, handle: PluginHandle) -> None:
        """The server's activation check: a plugin whose ``min_server_version`` is newer than
        the server is not started ("plugin requires Mattermost X")."""
        from mmplug.host.api.server_info import DEFAULT_SERVER_VERSION, SERVER_META
        from mmplug.manifest import semver_core

        wanted = handle.manifest.raw.get("min_server_version")
        if not wanted:
            return
        version = str((self.store.get_meta(SERVER_META) or {}).get("version")
                      or DEFAULT_SERVER_VERSION)
        have = semver_core(version)
        if have is not None and have < (semver_core(wanted) or have):
            raise ManifestError(
                f"plugin {handle.id} requires Mattermost {wanted} (min_server_version in "
                f"{handle.manifest.path.name}); the fake host is Mattermost {version}",
                hint="lower min_server_version, or seed a world whose server.version is newer "
                "(--world, see docs/state.md)")

    def _known_hooks(self, plugin_id: str, names: list[str]) -> list[str]:
        """Like the server: hook names it does not know are dropped with a warning."""
        from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

        for name in names:
            if name not in HOOKS_BY_GO_NAME:
                self.emit_log(host_record(plugin_id, "warn", f"Implemented lists {name!r}, "
                                           "which is not a Mattermost hook; it is ignored"))
        return [name for name in names if name in HOOKS_BY_GO_NAME]

    def _sockets(self) -> Path:
        """The session's private folder for unix sockets (0700, made on first use)."""
        if self.socket_dir is None:
            from mmplug.host._private import socket_dir

            self.socket_dir = Path(socket_dir())
        return self.socket_dir

    def _api_socket(self) -> str | None:
        """In private mode, the unix socket of the next plugin's PluginAPI server."""
        if not self.private:
            return None
        path, self.api_socket = self.api_socket, None
        if path is None:
            import itertools

            for n in itertools.count(1):  # the first name no running server holds
                candidate = self._sockets() / f"api-{n}.sock"
                if not candidate.exists():
                    path = str(candidate)
                    break
        return path

    def _start_api(self, handle: PluginHandle) -> Any:
        from mmplug.host.api.server import ApiServer
        from mmplug.host.api.stubs import Stubs

        if handle.api is not None:  # lasting_api: the server of the previous process
            return handle.api
        stubs = Stubs()
        stubs.load_file(handle.manifest.plugin_dir)  # the project's mmplug.stubs.json, if any
        api = ApiServer(
            self.store,
            handle.id,
            handle.manifest,
            hooks=self._dispatchers[handle.node or self.node_names[0]],
            plugins=self.plugin_control,
            observer=self._on_api_call,
            log_sink=lambda level, message, kv: self._on_api_log(handle.id, level, message, kv,
                                                                 handle.node),
            emit=self.emit_event,
            stubs=stubs,
            port=self.api_port,
            unix_socket=self._api_socket(),
            clock=_NodeClock(self.clock, handle.key),
            node=handle.node,
            cluster=self.cluster,
        )
        self.api_port = 0
        api.start()
        return api

    def _tick_targets(self) -> list[TickTarget]:
        """The running plugins on every node, as the clock ticks them (see
        :mod:`mmplug.host.timekeeper`)."""
        targets = []
        for handle in self.all_handles():
            client = handle.client
            if handle.state != "active" or client is None:
                continue

            def crashed(exc: BaseException, handle: PluginHandle = handle) -> None:
                client = handle.client
                if isinstance(exc, PluginCrashError) or (
                        client is not None and client.process.exit_code(wait=1.0) is not None):
                    handle.state = "crashed"
                    message = "the plugin died while its scheduled jobs ran (clock tick)"
                else:
                    message = f"clock tick failed: {exc}"
                self.emit_log(self._on_node(host_record(handle.id, "error", message), handle))

            def tag(handle: PluginHandle = handle) -> tuple[tuple[str, str], ...] | None:
                tag, metadata = self._tag()
                if tag:
                    self.tick_tags[tag] = handle.key
                return metadata

            targets.append(TickTarget(handle.key, handle.id, client, self.hook_timeout,
                                      tag=tag, crashed=crashed))
        return targets

    def _describe_tag(self, tag: str) -> str | None:
        key = self.tick_tags.get(tag)
        return None if key is None else f"a clock tick: its scheduled jobs (call {tag})"

    def all_handles(self) -> list[PluginHandle]:
        """Every plugin on every node."""
        return [one for first in list(self.plugins.values()) for one in self.nodes_of(first)]

    def _run_data_retention(self, now_ms: int, batch_size: int) -> None:
        """The server's data retention job, at one of its daily start times: RunDataRetention
        on every plugin that implements it."""
        for handle in list(self.plugins.values()):
            if handle.state == "active" and "RunDataRetention" in handle.implemented:
                self.fire("RunDataRetention", plugin_id=handle.id, now_time=now_ms,
                          batch_size=batch_size)

    def stop_plugin(self, handle: PluginHandle) -> None:
        """Deactivate (if it runs) and stop one plugin, on every node (the handle of one node
        other than node1: on that node only); it stays in the session. Its PluginAPI server
        stops too, unless the session keeps them (``lasting_api``)."""
        first = self.plugins.get(handle.id)
        if first is not handle:
            self._stop_node(handle)
            return
        for one in reversed(self.nodes_of(handle)):
            self._stop_node(one)

    def _stop_node(self, handle: PluginHandle) -> None:
        from mmplug.host.api.queries import forget_slash_commands

        self.clock.forget(handle.key)
        client = handle.client
        if client is not None:
            if handle.state == "active" and "OnDeactivate" in handle.implemented:
                try:
                    result = self.invoke(handle, "OnDeactivate",
                                         client.new_request("OnDeactivate"))
                    if result.error:
                        self.emit_log(self._on_node(host_record(
                            handle.id, "warn", f"OnDeactivate failed: {result.error}"), handle))
                except MmplugError as exc:
                    self.emit_log(self._on_node(host_record(handle.id, "warn", exc.message),
                                                handle))
            stop = self.stopper or _stop
            problem = stop(client.process)
            if problem is not None:
                from mmplug.host.faults import fault

                handle.shutdown_problem = fault(problem, handle.id)
                # warn, as go-plugin logs "plugin failed to exit gracefully"; the commands
                # that end with the stop end with this error too (raise_stop_faults)
                record = host_record(handle.id, "warn", handle.shutdown_problem.message,
                                     hint=handle.shutdown_problem.hint)
                record.module = STOP_FAULT
                self.emit_log(self._on_node(record, handle))
            handle.client = None
            if handle is self.plugins.get(handle.id):  # as the server forgets on deactivation
                forget_slash_commands(self.store, handle.id)
        if not self.lasting_api:
            self._stop_api(handle)
        if handle.state != "crashed":
            handle.state = "stopped"

    @staticmethod
    def _stop_api(handle: PluginHandle) -> None:
        if handle.api is not None:
            handle.api.stop()
            handle.api = None

    def stop_faults(self) -> list[MmplugError]:
        """What went wrong when the plugins were last stopped: a plugin without
        ``plugin.GRPCController`` (the server waits 2 s, then kills it)."""
        return [h.shutdown_problem for h in self.all_handles()
                if h.shutdown_problem is not None]

    def raise_stop_faults(self) -> None:
        """Raise the first of :meth:`stop_faults`: a command that ends with the stop (fire,
        run, replay, check, dev) ends with the fault, in its words, and a non-zero exit."""
        faults = self.stop_faults()
        if faults:
            raise faults[0]

    def reload(self, plugin_id: str) -> PluginHandle:
        """Stop the plugin, re-read its manifest, relaunch and activate it (the dev loop, the
        pytest harness). A plugin.json whose id changed is refused: the plugin has this slot."""
        from mmplug.manifest import load_manifest

        handle = self.plugin(plugin_id)
        manifest = load_manifest(handle.manifest.plugin_dir)
        if manifest.id != handle.id:
            raise UsageError(f"plugin.json now says id {manifest.id!r}; this session runs it as "
                             f"{handle.id!r}", hint="change the id back, or start a new session")
        self.stop_plugin(handle)
        handle.manifest = manifest
        try:
            self.start_plugin(handle)
        except BaseException:
            self.stop_plugin(handle)
            raise
        return handle

    # -- plugins added, enabled, disabled and removed while the session runs ------------------
    # (the PluginAPI's InstallPlugin, EnablePlugin, DisablePlugin, RemovePlugin)
    def add_plugin(self, plugin_dir: str | Path, *, start: bool = True) -> PluginHandle:
        """Load another plugin into the running session; start and activate it if ``start``."""
        from mmplug.manifest import load_manifest

        manifest = load_manifest(plugin_dir)
        if manifest.id in self.plugins:
            raise UsageError(f"plugin {manifest.id} is already in this session")
        handle = PluginHandle(manifest.id, manifest)
        self.plugins[manifest.id] = handle
        if start:
            self._record_enabled([manifest.id])
            self.set_plugin_enabled(manifest.id, True)
        return handle

    def _record_enabled(self, plugin_ids: list[str]) -> None:
        """The plugins the session runs are enabled in the configuration
        (``PluginSettings.PluginStates``), as on a server where a running plugin always is: a
        configuration save then keeps them running (see ``plugins.sync_active_state``). A
        configuration that has them off (plugins off, or their state false) would keep a
        server from running them: that is said once, in a load warning."""
        if not self.activate:
            return
        from mmplug.host.api.plugins import record_running
        from mmplug.host.launcher import load_notice

        for plugin_id, settings in record_running(self.store, plugin_ids).items():
            said = " and ".join(settings)
            self.emit_log(load_notice(plugin_id, (
                f"the configuration has {said} false: a server with it would not run this "
                f"plugin. mmplug runs it as you asked and sets {said} true in the session's "
                "configuration; to match, leave the false out of the world's config (or, if "
                "an earlier DisablePlugin or SaveConfig saved it, start with --fresh)")))

    def set_plugin_enabled(self, plugin_id: str, enabled: bool) -> None:
        """Start and activate a stopped plugin, or deactivate and stop a running one. A plugin
        that fails to start is left in state ``failed`` with the fault logged (as the server
        logs "Unable to activate plugin")."""
        handle = self.plugin(plugin_id)
        if not enabled:
            self.stop_plugin(handle)
            return
        if handle.state == "active":
            return
        try:
            self.start_plugin(handle)
        except MmplugError as exc:
            self.stop_plugin(handle)
            handle.state = "failed"
            self.emit_log(host_record(handle.id, "error", f"unable to activate the plugin: "
                                       f"{exc.message}", hint=exc.hint))

    def remove_plugin(self, plugin_id: str) -> None:
        """Stop the plugin and forget it; a plugin InstallPlugin unpacked is deleted too (a
        project's own files never are)."""
        handle = self.plugin(plugin_id)
        self.stop_plugin(handle)
        for one in self.nodes_of(handle):
            self._stop_api(one)
        del self.plugins[handle.id]
        plugin_dir = handle.manifest.plugin_dir
        if plugin_dir.parent == self.install_root():
            import shutil

            shutil.rmtree(plugin_dir, ignore_errors=True)

    def install_root(self) -> Path:
        """Where InstallPlugin unpacks bundles: ``.mmplug/plugins`` beside a state file, or a
        folder of the session's own for an in-memory store."""
        store = self.store
        if store.path != ":memory:":
            return Path(store.path).resolve().parent / "plugins"
        if self._install_tmp is None:
            import tempfile

            self._install_tmp = Path(tempfile.mkdtemp(prefix="mmplug-installed-"))
        return self._install_tmp

    def poll(self) -> None:
        """Raise ``PluginCrashError`` if a running plugin's process has exited on its own."""
        for handle in self.all_handles():
            client = handle.client
            if handle.state != "active" or client is None:
                continue
            code = client.process.exit_code()
            if code is not None:
                handle.state = "crashed"
                raise client.process.fail("exited", code=code)

    def plugin(self, plugin_id: str | None = None) -> PluginHandle:
        """The plugin ``plugin_id``; with None, the only plugin of the session."""
        if plugin_id is None:
            if len(self.plugins) != 1:
                raise UsageError("this session runs several plugins; name one with plugin_id",
                                 hint=f"plugins: {', '.join(self.plugins)}")
            return next(iter(self.plugins.values()))
        try:
            return self.plugins[plugin_id.lower()]
        except KeyError:
            raise UsageError(f"no plugin {plugin_id!r} in this session",
                             hint=f"plugins: {', '.join(self.plugins) or '(none)'}") from None

    # -- hooks ---------------------------------------------------------------------------------
    def fire(
        self,
        hook: str | HookSpec,
        request: Message | None = None,
        plugin_id: str | None = None,
        *,
        hook_timeout: float | None = None,
        node: str | int | None = None,
        **fields: Any,
    ) -> CallEvent:
        """Call ``hook`` (Go or snake_case name, any case, or its catalog entry) on one plugin
        and report it all; ``hook_timeout`` replaces the session's deadline for this call.

        With several nodes the call goes to ``node`` (``2``, ``"node2"``), else to the next
        node round robin; a lifecycle or configuration hook goes to every node, as the server
        sends it (the event of node1's call is returned, the others reach the observers).

        The host does around the call what the server does around it (the post of
        MessageHasBeenPosted is saved first, an allowed MessageWillBePosted is saved and
        MessageHasBeenPosted follows, ...): :mod:`mmplug.host.hookpath`, whose notes are in
        the event's ``host``."""
        from mmplug.host import hookpath
        from mmplug.host.hooks_client import build_request
        from mmplug.host.payloads import resolve_hook

        spec = hook if not isinstance(hook, str) else resolve_hook(hook)
        if spec.streaming:
            raise UsageError(f"{spec.go_name} is a stream; use serve_http() for it")
        handle = self._pick(spec.go_name, plugin_id)
        message = build_request(spec, request, fields)
        if len(self.node_names) > 1:
            if node is None and spec.go_name in EVERY_NODE:
                events = [hookpath.run(self, self._ready(one, spec.go_name), spec.go_name,
                                       _copy(message), hook_timeout)
                          for one in self.nodes_of(handle)]
                return events[0]
            handle = self._ready(self.plugin_on(handle.id, self.node(node)), spec.go_name)
        elif node is not None:
            self.node(node)  # names the nodes there are (one)
        return hookpath.run(self, handle, spec.go_name, message, hook_timeout)

    def _ready(self, handle: PluginHandle, hook: str) -> PluginHandle:
        """``handle`` (of one node), if it can take ``hook`` now."""
        if handle.state != "active":
            raise MmplugError(f"plugin {handle.id} is not running on {handle.node} (state: "
                              f"{handle.state})", hint="reload it, or start a new session")
        return handle

    def _pick(self, hook: str, plugin_id: str | None) -> PluginHandle:
        if plugin_id is None and len(self.plugins) > 1:
            having = [h for h in self.plugins.values() if hook in h.implemented]
            if len(having) == 1:
                return having[0]
        handle = self.plugin(plugin_id)
        if handle.state != "active":
            raise MmplugError(f"plugin {handle.id} is not running (state: {handle.state})",
                              hint="reload it, or start a new session")
        if hook != "Implemented" and hook not in handle.implemented:
            raise MmplugError(
                f"plugin {handle.id} does not implement {hook}",
                hint="it implements: " + (", ".join(sorted(handle.implemented)) or "no hooks"),
            )
        return handle

    def invoke(
        self, handle: PluginHandle, hook: str, request: Message, timeout: float | None = None
    ) -> CallEvent:
        """Call ``hook`` (Go name) on a running plugin: the hook-call pipeline (context, call,
        collect API calls and logs, notify). :meth:`fire` checks and builds the request first;
        the dispatcher calls this for the hooks the API server runs."""
        from mmplug.host.hook_wire import as_read, as_sent, dropped_note, unsent_note
        from mmplug.host.hooks_client import fill_context

        client = handle.client
        if client is None:
            raise MmplugError(f"plugin {handle.id} is not running")
        fill_context(request, handle.id, random_id())
        process = client.process
        # Logs belong to the call that produced them: what the plugin wrote before this call
        # goes to no collector of it, what it wrote during the call is drained into it.
        process.drain_output()
        began = time.time()
        started = time.perf_counter()
        observers = self._observers
        key = handle.key
        nested = observers.begin_call(key)
        if not nested:  # a recorder notes the clock and ids a replay of this call starts from
            self._notify("on_hook_start", handle.id, hook)
        tag, metadata = self._tag()
        collector = observers.open(key, tag)
        try:
            # only what the server's gRPC hook client copies crosses, both ways
            event = client.call(hook, as_sent(hook, request), timeout, metadata)
        except MmplugError as exc:
            if process.exit_code() is not None:
                handle.state = "crashed"
            process.drain_output()
            observers.close(key, collector)
            self._notify("on_hook_call", CallEvent(
                hook, handle.id, request, None, exc.message, collector.api_calls,
                collector.logs, time.perf_counter() - started, node=handle.node, nested=nested,
                started_at=began, state=handle.state, tag=tag))
            raise
        except BaseException:
            observers.close(key, collector)
            raise
        process.drain_output()
        observers.close(key, collector)
        event.request = request  # as the host made it (a replay fires it again)
        for note in (unsent_note(hook, request), dropped_note(hook, event.response)):
            if note is not None:
                event.host.append(note)
        if event.response is not None:
            event.response = as_read(hook, event.response)
        event.api_calls = collector.api_calls
        event.logs = collector.logs
        event.nested = nested
        event.started_at = began
        event.state = handle.state
        event.node = handle.node
        event.tag = tag
        self._notify("on_hook_call", event)
        return event

    def serve_http(
        self,
        plugin_id: str | None,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body_iter: Iterable[bytes] = (),
        rpc: str = "ServeHTTP",
        *,
        report: bool = True,
        node: str | int | None = None,
        init: Message | None = None,
    ) -> HttpResponse:
        """Send one HTTP request to the plugin's ServeHTTP (or with ``rpc="ServeMetrics"`` to
        its ServeMetrics); the answer streams back (another plugin's ``PluginHTTP``, the pytest
        harness). ``headers`` are the request's as a client sends them (its
        ``Mattermost-User-Id`` names the user the request is made as, whom the server knows
        from the session), ``path`` what follows ``/plugins/<id>``; the plugin gets the request
        as the server's ``servePluginRequest`` leaves it, unless ``init`` is the request
        already made (``PluginHTTP``'s). Observers hear of it when its headers are in, unless
        ``report`` is False (:meth:`call_http` reports the whole call). With several nodes it
        goes to ``node``, or to the node its ``X-Mmplug-Node`` header names, else round
        robin."""
        from mmplug.host.hookpath import marks
        from mmplug.host.hooks_client import HttpResponse
        from mmplug.host.http_codec import clean_redirect

        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        handle = self.plugin(plugin_id)
        if len(self.node_names) > 1:
            pinned, pairs = pinned_node(pairs)
            handle = self.plugin_on(handle.id, self.node(node if node is not None else pinned))
        if init is None:  # the server's router cleans the path before it routes
            moved = clean_redirect(_client_target(handle.id, path, rpc)[1])
            if moved is not None:
                return HttpResponse.plain(moved)
        if handle.client is None or rpc not in handle.implemented:
            return _not_served(handle, rpc)
        if init is None:
            init, body_iter = self._client_request(handle.id, method, path, pairs, rpc, body_iter)
        began = time.time()
        started = time.perf_counter()
        tag, metadata = self._tag()
        response = handle.client.serve_http(init, body_iter, rpc=rpc, metadata=metadata)
        response.node = handle.node
        response.tag = tag
        if report:
            self._notify("on_hook_call", CallEvent(rpc, handle.id, http_request(init),
                                                   error=response.error,
                                                   duration_s=time.perf_counter() - started,
                                                   host=marks(rpc), started_at=began,
                                                   state=handle.state, node=handle.node,
                                                   tag=tag))
        return response

    def report_call(self, event: CallEvent) -> None:
        """Tell the observers about a hook call made outside the session's own client (the dev
        loop's front door streams ServeHTTP itself), as the session does for its own."""
        self._notify("on_hook_call", event)

    def user_named(self, who: str, given: str = "--as") -> tuple[str, str]:
        """(id, username) of the user ``who`` (username, @username or id) in the store;
        ``given`` names where ``who`` came from, for the error."""
        from mmplug.host.api.queries import some_usernames, user_by_name

        found = user_by_name(self.store, who.strip().lstrip("@"))
        if found is None:
            known = some_usernames(self.store)
            raise UsageError(f"{given} {who}: no such user in the fake host's store",
                             hint="users: " + (", ".join(known) or "none") + " (or give a user id)")
        return found

    def _client_request(self, plugin_id: str, method: str, path: str,
                        headers: list[tuple[str, str]], rpc: str, body: Iterable[bytes]
                        ) -> tuple[Message, Iterable[bytes]]:
        """The request a client sends to ``path`` of ``plugin_id`` (ServeMetrics: on the
        metrics listener) with ``headers``, as the plugin gets it (the codec's one cleaning),
        and its body: made as the user its ``Mattermost-User-Id`` header names (mmplug's own
        way), else as the session its token signs in (the server's; the body is read whole
        first when the server reads it for the CSRF check)."""
        from mmplug.host.http_codec import USER_ID_HEADER, Identity, header_value, plugin_request

        prefix, target = _client_target(plugin_id, path, rpc)
        method = method.upper()  # as HTTP client libraries send it
        who = Identity(header_value(headers, USER_ID_HEADER) or None)
        if who.user_id is None:
            signing = self.sign_in(method, target, headers)
            if signing.credentials.token:
                whole = b""
                if signing.needs_body:
                    whole = b"".join(body)
                    body = [whole]
                who = signing.identity(whole)
        init = plugin_request(method, target, prefix, headers, user_id=who.user_id,
                              signed_in=who.signed_in,
                              context={"request_id": random_id(), "session_id": who.session_id})
        return init, body

    def sign_in(self, method: str, target: str, pairs: Iterable[tuple[str, str]]) -> SignIn:
        """How ``servePluginRequest`` signs in a request to ``target`` with the header pairs
        ``pairs``: by its session token, against the store's sessions and personal access
        tokens (see :class:`~mmplug.host.http_codec.SignIn`)."""
        from mmplug.host.api.users_sessions import session_of_token, strict_csrf
        from mmplug.host.http_codec import SignIn

        return SignIn(method, target, pairs, lambda token: session_of_token(self.store, token),
                      strict_csrf=lambda: strict_csrf(self.store), name_of=self._username)

    def _username(self, user_id: str) -> str:
        try:
            return self.user_named(user_id)[1]
        except MmplugError:
            return user_id

    def call_http(self, init: Message, body: bytes = b"", plugin_id: str | None = None,
                  rpc: str = "ServeHTTP", node: str | int | None = None) -> CallEvent:
        """One whole ServeHTTP (or ServeMetrics) call (``mmplug fire``, a replay): send the
        request, read the whole answer as a client of the server reads it, and report it as one
        event, with the API calls and logs of the plugin meanwhile and the answer in ``http``.
        With several nodes: on ``node``, the node of its ``X-Mmplug-Node`` header, else the
        next round robin."""
        from mmplug.host.events import http_dict
        from mmplug.host.hookpath import marks

        first = self.plugin(plugin_id)
        headers = [(h.key, v) for h in init.headers for v in h.values]  # type: ignore[attr-defined]
        handle = first
        if len(self.node_names) > 1:
            pinned, headers = pinned_node(headers)
            handle = self.plugin_on(first.id, self.node(node if node is not None else pinned))
        self.drain_output(handle.id, handle.node)  # earlier output is not this request's
        tag = str(next(self._tags)) if self.track_races else ""
        collector = self._observers.open(handle.key, tag)
        began = time.time()
        started = time.perf_counter()
        try:
            answer = self._serve_tagged(handle, init, headers, body, rpc, tag)
            status, answer_headers, payload = answer.as_client(
                init.method or "GET")  # type: ignore[attr-defined]
            self.drain_output(handle.id, handle.node)  # what it wrote while answering is
        finally:
            self._observers.close(handle.key, collector)
        event = CallEvent(rpc, handle.id, http_request(init), None, answer.error,
                          collector.api_calls, collector.logs, time.perf_counter() - started,
                          http=http_dict(status, answer_headers, payload, body),
                          host=marks(rpc), started_at=began, state=handle.state,
                          node=handle.node, tag=tag)
        self._notify("on_hook_call", event)
        return event

    def _serve_tagged(self, handle: PluginHandle, init: Message, headers: list[tuple[str, str]],
                      body: bytes, rpc: str, tag: str) -> HttpResponse:
        """:meth:`serve_http` on ``handle``'s node with the tag ``tag`` (made by the caller,
        which collects what the call does under it)."""
        from mmplug.host.http_codec import client_headers

        if handle.client is None or rpc not in handle.implemented:
            return _not_served(handle, rpc)
        made: Any = init
        request, _ = self._client_request(handle.id, made.method or "GET", made.url or "/",
                                          client_headers(headers, len(body)), rpc, [body])
        metadata = ((CALL_HEADER, f"{tag};site"),) if tag else None
        return handle.client.serve_http(request, iter([body]), rpc=rpc, metadata=metadata)

    def in_flight(self, plugin_id: str | None = None) -> bool:
        """Whether a hook call of ``plugin_id`` (None: of any plugin) is in flight (a hook the
        host runs now is then nested in it: CreatePost running MessageWillBePosted)."""
        return self._observers.in_flight(plugin_id)

    def consequences(self) -> Any:
        """While this runs (a context manager), hook calls of this thread are consequences of
        the call before (nested: a replay does not fire them, see :mod:`mmplug.host.hookpath`)."""
        return self._observers.consequences()

    def action(self) -> Any:
        """While this runs (a context manager), the first hook call of this thread is a user
        action's (recorded); the rest are its consequences (see :mod:`mmplug.host.actions`)."""
        return self._observers.action()

    def as_user(self, who: str, node: str | int | None = None) -> Actor:
        """A user of the world acting through the server's own paths (post, reply, slash
        command, react, edit, delete): see :mod:`mmplug.host.actions`. With several nodes,
        ``node`` pins the user's actions to one (else each goes to the next node)."""
        from mmplug.host.actions import Actor

        return Actor(self, who, node)

    def host_context(self, node: str | None = None) -> Any:
        """An :class:`~mmplug.host.api.ApiContext` for the host's own actions (a user posts,
        the host saves what a fired hook allowed): the session's store, hooks and events, no
        calling plugin. With several nodes the hooks it causes run on ``node`` (default: the
        next one round robin, as a user's request)."""
        from mmplug.host.api._registry import ApiContext

        name = self.node(node) if len(self.node_names) > 1 else ""
        return ApiContext(self.store, "", None, self._dispatchers[name or self.node_names[0]],
                          self.plugin_control, emit=self.emit_event,
                          log=lambda level, message, kv: self._on_api_log("", level, message, kv,
                                                                          name),
                          node=name, cluster=self.cluster)

    # -- events from the plugin side -------------------------------------------------------------
    def add_observer(self, observer: object) -> None:
        self._observers.add(observer)

    def remove_observer(self, observer: object) -> None:
        self._observers.remove(observer)

    def _notify(self, method: str, *args: Any) -> None:
        for failure in self._observers.notify(method, *args):
            self.logs.append(host_record("", "error", failure))

    def drain_output(self, plugin_id: str | None = None, node: str = "") -> None:
        """Wait until what the plugin (on ``node``) wrote on stdout and stderr so far has been
        logged (so it goes to the observers and collectors attached now, not to later
        ones)."""
        first = self.plugin(plugin_id)
        client = self.plugin_on(first.id, node).client if node else first.client
        if client is not None:
            client.process.drain_output()

    def emit_log(self, record: LogRecord) -> None:
        """Log ``record``: the session's log, the collectors of calls in flight, the observers."""
        self.logs.append(record)
        for collector in self._observers.collectors_of(where(record.plugin_id, record.node)):
            collector.logs.append(record)
        self._notify("on_log", record)

    def _on_api_log(self, plugin_id: str, level: str, message: str, kv: dict[str, Any],
                    node: str = "") -> None:
        from mmplug.host.logs import normalize_level

        self.emit_log(LogRecord(level=normalize_level(level) or "info", message=message,
                                plugin_id=plugin_id, fields=dict(kv), source="api", node=node))

    def _on_api_call(self, call: ApiCall) -> None:
        for collector in self._observers.collectors_for(where(call.plugin_id, call.node),
                                                        call.tag):
            collector.api_calls.append(call)
        self._notify("on_api_call", call)

    def emit_event(self, kind: str, payload: dict[str, Any]) -> None:
        """A side effect the API emulation reports (a post, a WebSocket event, a dialog)."""
        self.events.append((kind, payload))
        self._notify("on_event", kind, payload)

    def logs_for(self, plugin_id: str, level: str = "trace") -> list[LogRecord]:
        from mmplug.host.logs import filter_logs

        return filter_logs([r for r in self.logs if r.plugin_id == plugin_id], level)


def _client_target(plugin_id: str, path: str, rpc: str) -> tuple[str, str]:
    """(the prefix, the request target) a client sends for ``path`` of ``plugin_id``
    (ServeMetrics: on the metrics listener)."""
    prefix = f"/plugins/{plugin_id}" + ("/metrics" if rpc == "ServeMetrics" else "")
    return prefix, prefix + (path if path.startswith("/") else "/" + path)


def _not_served(handle: PluginHandle, rpc: str) -> HttpResponse:
    """The server's answer for a plugin that does not implement ``rpc`` (ServeHTTP or
    ServeMetrics): ``http.NotFound`` (``(*hooksGRPCClient).ServeHTTP``)."""
    from mmplug.host.hooks_client import HttpResponse
    from mmplug.host.http_codec import NOT_FOUND

    what = "serve HTTP" if rpc == "ServeHTTP" else f"implement {rpc}"
    return HttpResponse.plain(NOT_FOUND, f"plugin {handle.id} does not {what}")


def _stop(process: PluginProcess) -> str | None:
    return process.stop()


def _copy(message: Message) -> Message:
    return copy.deepcopy(message)


# The module of the log record a stop fault is said with (commands that end with the fault as
# their error leave it out of their log stream).
STOP_FAULT = "mmplug.host.stop"
TRANSPORTS = ("unix", "tcp")
_HAS_UNIX = hasattr(socket, "AF_UNIX")


def _is_store(value: object) -> bool:
    return value is not None and not isinstance(value, (str, Path))


class _NodeClock:
    """The host's clock as one plugin's API server serves it (HostClock): its wake-ups are
    that plugin's."""

    def __init__(self, clock: Timekeeper, key: str) -> None:
        self._clock = clock
        self._key = key

    def now_ms(self) -> int:
        return self._clock.now_ms()

    def wake_at(self, at_ms: int) -> None:
        self._clock.wake_at(self._key, at_ms)
