"""The dev loop: one Session kept alive across saves, crashes and broken code.

:class:`DevLoop` owns, besides the session: the warm spare pool, the file watcher, a reload
worker (saves are coalesced: however many arrive during a reload, one more reload follows), a
supervisor thread (exit and health checks, restarts with backoff, gives up after 3 crashes),
the front door and the control channel. Everything it starts it stops in :meth:`close`.

Observers get, on top of the session's ``on_log``/``on_hook_call``/...: ``on_session(session)``
before it starts, ``on_status()`` when a plugin's status changes, ``on_reloading(plugin_id,
why)``, ``on_reload(plugin_id, Reload)``, ``on_problem(plugin_id, text)`` and
``on_exchange(CallEvent)`` per front door request (the event of the request, origin
``FRONT_DOOR``; the session's observers hear of those the plugin was sent as hook calls).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.devloop.status import PluginStatus, Reload
from mmplug.devloop.supervise import (
    HEALTH_EVERY_S,
    POLL_EVERY_S,
    CrashPolicy,
    check_handle,
)
from mmplug.errors import MmplugError, UsageError
from mmplug.host.faults import report
from mmplug.host.reaper import Reaper

if TYPE_CHECKING:
    from mmplug.devloop.attach import Attachment
    from mmplug.devloop.frontdoor import FrontDoor, Route
    from mmplug.devloop.watch import Save
    from mmplug.host.events import CallEvent
    from mmplug.host.http_codec import Identity, SignIn
    from mmplug.host.session import PluginHandle, Session


class DevLoop:
    """See the module docstring. Use as a context manager or call start()/close()."""

    def __init__(
        self,
        plugin_dirs: Iterable[str | Path],
        *,
        port: int | None = 8065,
        metrics_port: int | None = None,
        as_user: str | None = None,
        watch: bool = True,
        warm: bool = True,
        control: bool = True,
        attach: str | None = None,
        ignore: tuple[Path, ...] = (),
        explorer: bool = False,
        explorer_port: int | None = None,
        **session_args: Any,
    ) -> None:
        self.plugin_dirs = [Path(d).resolve() for d in plugin_dirs]
        if not self.plugin_dirs:
            raise UsageError("mmplug dev needs at least one plugin directory")
        self.port, self.metrics_port = port, metrics_port
        self.as_user = as_user
        self.options = {"watch": watch, "warm": warm, "control": control, "explorer": explorer}
        self.explorer_port = explorer_port  # None: 8066, or any free port when it is taken
        self.explorer: Any = None  # mmplug.explorer.server.Explorer
        self.attach = attach
        self.ignore = ignore  # files we write into the project (a cassette): not saves
        self.session_args = session_args
        self.session: Session | None = None
        self.front_door: FrontDoor | None = None
        self.status: dict[str, PluginStatus] = {}
        self.start_errors: dict[str, MmplugError] = {}
        self._observers: list[object] = []
        self._lock = threading.RLock()
        self._pending: dict[str, str] = {}
        self._reloading: set[str] = set()
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._policies: dict[str, CrashPolicy] = {}
        self._threads: list[threading.Thread] = []
        self._closers: list[Any] = []
        self._user_id: str | None = None
        self._user_name = "anonymous"
        self._acting: dict[str, tuple[str | None, str]] = {}  # X-Mmplug-User values seen
        self.pool: Any = None
        self.reaper: Reaper | None = None
        self.attachment: Attachment | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> DevLoop:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self.options["control"]:  # before any plugin starts on the state the other one holds
            from mmplug.devloop.control import refuse_running

            refuse_running(self.plugin_dirs)
        try:
            self._start_session()
            self._start_services()
        except BaseException:
            self.close()
            raise

    def _start_session(self) -> None:
        """The session, composed for the dev loop: plugins that fail to start are shown and
        reloaded on the next save (``keep_going``); old processes exit in the background (the
        reaper); reloads start from warm spares; an attached plugin is reached through relays
        and keeps its PluginAPI server for the whole run."""
        from mmplug.host.session import Session

        if self.attach is not None and self.session_args.get("private"):
            raise UsageError("--private cannot be used with --attach: a plugin started by hand "
                             "(MMPLUG_DEBUG_LISTEN) serves on TCP and finds the PluginAPI on "
                             "TCP", hint="drop --private while you debug (docs/security.md)")
        session = Session(self.plugin_dirs, keep_going=True,
                          lasting_api=self.attach is not None, **self.session_args)
        if self.as_user:  # an unknown --as is refused before anything starts
            session.open_store()
            self._user_id, self._user_name = session.user_named(self.as_user)
        if self.options["explorer"] and self.explorer is None:  # its capture sees OnActivate
            from mmplug.explorer.server import Explorer

            self.explorer = Explorer.for_loop(self, self.explorer_port)

        self.reaper = Reaper()
        spawner: Any = None
        stopper: Any = self.reaper.stop
        if self.attach is not None:
            from mmplug.devloop.attach import Attachment

            self.attachment = Attachment(self.attach, on_problem=self._attach_problem)
            spawner, stopper = self.attachment, self.attachment.stop
        elif self.options["warm"]:
            from mmplug.host.warm import WarmPool

            self.pool = WarmPool()
            spawner = self.pool.spawn
        session.spawner, session.stopper = spawner, stopper
        self.session = session  # (after the explorer: it meets the session in on_session)
        for observer in self._observers:
            session.add_observer(observer)
        self._notify("on_session", session)  # before start: recorders see OnActivate
        started = time.perf_counter()
        session.start()
        for handle in session.plugins.values():
            self.status[handle.id] = PluginStatus(handle.id, str(handle.manifest.plugin_dir))
            self._policies[handle.id] = CrashPolicy()
            error = session.start_errors.get(handle.id)
            self._finish(handle, Reload("start", duration_s=time.perf_counter() - started),
                         error)

    def _start_services(self) -> None:
        assert self.session is not None
        if self.options["watch"] and self.attach is None:  # first: then every save is seen
            from mmplug.devloop.watch import Watcher

            watcher = Watcher(self.plugin_dirs, self._on_save, ignore=self.ignore)
            watcher.start()
            self._closers.append(watcher.stop)
        if self.port is not None:
            from mmplug.devloop.frontdoor import FrontDoor

            self.front_door = FrontDoor(self._route, port=self.port,
                                        metrics_port=self.metrics_port,
                                        identify=self.identify,
                                        on_exchange=self._on_exchange,
                                        waiting=self._restarting,
                                        pages=self._front_page,
                                        slow_after=self.session.hook_timeout,
                                        on_slow=self._http_slow)
            self.front_door.start()
            self._closers.append(self.front_door.stop)
        if self.options["control"]:
            from mmplug.devloop.control import ControlServer

            server = ControlServer(self.plugin_dirs, self._control_handlers(), self._info())
            server.start()
            self._closers.append(server.close)
        if self.explorer is not None:
            self.explorer.start()
        self._spawn_thread(self._reload_worker, "mmplug-reload")
        self._spawn_thread(self._supervise, "mmplug-supervise")

    def _spawn_thread(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def close(self) -> None:
        """Stop watching, serving and supervising; deactivate and stop every plugin."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception as exc:  # keep closing the rest
                self._notify("on_problem", "", f"closing: {exc}")
        self._closers.clear()
        explorer, self.explorer = self.explorer, None
        if explorer is not None:  # before the session: no request reaches a closed store
            try:
                explorer.stop()
            except Exception as exc:
                self._notify("on_problem", "", f"closing the explorer: {exc}")
        if self.attachment is not None:
            self.attachment.cancel()  # a reattach waiting for the plugin gives up at once
        for thread in self._threads:
            thread.join(10.0)
        self._threads.clear()
        if self.session is not None:  # a clock move (`mmplug clock`) holds the lock: end it
            self.session.clock.close()
        with self._lock:
            if self.session is not None:
                if self.attachment is None:
                    self.session.stopper = None  # the last stop waits for the exit (go-plugin)
                self.session.close()
        if self.attachment is not None:
            self.attachment.close()
        if explorer is not None:  # the trace keeps OnDeactivate too
            explorer.close()
        if self.reaper is not None:
            self.reaper.join()
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def add_observer(self, observer: object) -> None:
        self._observers.append(observer)
        if self.session is not None:
            self.session.add_observer(observer)

    # -- reloads ------------------------------------------------------------------------------
    def request_reload(self, plugin_id: str, why: str) -> None:
        """Queue a reload of ``plugin_id`` (coalesced with any already queued)."""
        with self._wake:
            self._pending[plugin_id] = why
            self._wake.notify_all()

    def reload(self, plugin_id: str, why: str = "requested") -> Reload:
        """Reload now: OnDeactivate, stop, start (warm), OnActivate. Never raises plugin errors."""
        session = self._session()
        with self._lock:
            handle = session.plugin(plugin_id)
            if why != REATTACH:  # attempts to reattach keep saying "waiting"
                self._set(handle.id, state="starting")
            started = time.perf_counter()
            hits = self.pool.hits if self.pool is not None else 0
            error: MmplugError | None = None
            if not _after_crash(why):
                self._reloading.add(handle.id)
            try:
                session.reload(handle.id)
            except MmplugError as exc:
                error = exc
            except Exception as exc:  # not the plugin's fault: say what broke, keep looping
                error = MmplugError(f"reloading failed: {type(exc).__name__}: {exc}")
            finally:
                self._reloading.discard(handle.id)
            record = Reload(why, duration_s=time.perf_counter() - started)
            record.warm = self.pool is not None and self.pool.hits > hits
            self._finish(handle, record, error)
        return record

    def _finish(self, handle: PluginHandle, record: Reload, error: MmplugError | None) -> None:
        """Update the status after a (re)start and warm a spare for the next one."""
        if error is not None and self.attach is not None:
            self._wait_for_attach(handle.id, record)
            return
        if error is not None:
            text = report(error, handle.id)
            record.ok, record.error = False, text
            self._set(handle.id, state="failed", pid=0,
                      problem=error.message.removeprefix(f"plugin {handle.id}: "),
                      last_reload=record)
            self._notify("on_problem", handle.id, text)
        else:
            self._set(handle.id, state="attached" if self.attach else "active", pid=handle.pid,
                      implemented=list(handle.implemented), problem=None, last_reload=record,
                      attached_to=self.attach)
        self._notify("on_reload", handle.id, record)
        self._prepare_spare(handle)

    def _wait_for_attach(self, plugin_id: str, record: Reload) -> None:
        """The attached plugin is not (or no longer) there: keep waiting for it."""
        from mmplug.devloop.attach import start_command

        if self.status[plugin_id].state != "waiting":
            text = (f"waiting for the plugin at {self.attach}; start it with: "
                    f"{start_command(str(self.attach), self.api_target)}")
            self._set(plugin_id, state="waiting", pid=0, problem=text)
            self._notify("on_problem", "", text)
        if not self._stopping.wait(ATTACH_RETRY_S):
            self.request_reload(plugin_id, REATTACH)

    def _prepare_spare(self, handle: PluginHandle) -> None:
        if self.pool is None or self._stopping.is_set():
            return
        from mmplug.host._child_env import find_python, plugin_env

        session = self._session()
        python = find_python(handle.manifest.plugin_dir, session.python)
        if python is not None:
            self.pool.prepare_async([python, handle.manifest.executable],
                                    cwd=handle.manifest.plugin_dir,
                                    env=plugin_env(None, session.env))

    def _on_save(self, save: Save) -> None:
        for status in self.status.values():
            if Path(status.directory) == save.root:
                self._policies[status.id].reset()
                self.request_reload(status.id, f"{save.trigger} changed")

    def _reload_worker(self) -> None:
        while not self._stopping.is_set():
            with self._wake:
                while not self._pending and not self._stopping.is_set():
                    self._wake.wait()
                if self._stopping.is_set():
                    return
                plugin_id, why = next(iter(self._pending.items()))
                del self._pending[plugin_id]
            self._notify("on_reloading", plugin_id, why)
            try:
                self.reload(plugin_id, why)
            except Exception as exc:  # a bug must not end reloading for the session
                self._notify("on_problem", plugin_id, f"reload failed: {exc!r}")

    # -- supervision --------------------------------------------------------------------------
    def _supervise(self) -> None:
        last_health = time.monotonic()
        while not self._stopping.wait(POLL_EVERY_S):
            check_health = time.monotonic() - last_health >= HEALTH_EVERY_S
            if check_health:
                last_health = time.monotonic()
            for plugin_id in list(self.status):
                try:
                    problem = self._check(plugin_id, check_health)
                    if problem is not None:
                        self._crashed(plugin_id, problem)
                except Exception as exc:  # keep supervising the others
                    self._notify("on_problem", plugin_id, f"supervision failed: {exc!r}")

    def _check(self, plugin_id: str, check_health: bool) -> str | None:
        handle = self._session().plugins.get(plugin_id)
        if handle is None or self.status[plugin_id].state not in ("active", "attached",
                                                                   "stuck"):
            return None
        return check_handle(handle, check_health and not self._lock_busy())

    def _lock_busy(self) -> bool:
        if self._lock.acquire(blocking=False):
            self._lock.release()
            return False
        return True

    def _crashed(self, plugin_id: str, problem: str) -> None:
        """Report a crash as ``fire`` does (the plugin's error, the exit code or signal, the
        stderr tail on its own indented lines), then restart with backoff or give up."""
        session = self._session()
        handle = session.plugin(plugin_id)
        headline, text = problem, problem
        if handle.client is not None:
            process = handle.client.process
            code = process.exit_code(wait=0.2)
            if self.attach is None and code is None:
                process.kill()  # alive but failing its health check: hung, no OnDeactivate
                error = process.fault("unhealthy", error=problem.removeprefix("health check "))
            else:
                error = process.fault("exited", code="unknown" if code is None else code)
            headline = error.message.removeprefix(f"plugin {plugin_id}: ")
            text = report(error, plugin_id)
        handle.state = "crashed"  # so the restart does not call OnDeactivate on it
        if self.attach is not None:
            self._set(plugin_id, state="crashed", problem=headline)
            self._wait_for_attach(plugin_id, Reload(REATTACH))
            return
        delay = self._policies[plugin_id].crashed()
        crashes = self._policies[plugin_id].count
        limit = self._policies[plugin_id].limit
        if delay is None:
            with self._lock:
                session.stop_plugin(handle)
            after = (f"it crashed {crashes} times within a minute, so it is not restarted "
                     "again (the server deactivates such plugins); fix it and save")
            self._set(plugin_id, state="given-up", pid=0, problem=f"{headline}\n{after}",
                      crashes=crashes)
            self._notify("on_problem", plugin_id, f"{text}\n{after}")
            return
        after = f"restarting in {delay:g} s (crash {crashes} of {limit} within a minute)"
        self._set(plugin_id, state="crashed", problem=f"{headline}\n{after}", crashes=crashes)
        self._notify("on_problem", plugin_id, f"{text}\n{after}")
        if not self._stopping.wait(delay):
            self.request_reload(plugin_id, f"{CRASH_RESTART} {crashes}")

    # -- hooks and HTTP -----------------------------------------------------------------------
    def fire(self, hook: str, request: Any = None, plugin_id: str | None = None,
             hook_timeout: float | None = None, **fields: Any) -> CallEvent:
        """Fire a hook into the session (``mmplug fire`` into dev). ``hook_timeout``, the
        caller's deadline, holds as well as the session's: the shorter one applies. A hook
        that does not answer in time leaves the plugin ``stuck``, said on the screen and in
        the log: its handler may still be running in the plugin."""
        from mmplug.errors import HookTimeoutError

        session = self._session()
        limit = session.hook_timeout if hook_timeout is None else min(hook_timeout,
                                                                      session.hook_timeout)
        with self._lock:
            try:
                return session.fire(hook, request, plugin_id, hook_timeout=limit, **fields)
            except HookTimeoutError as exc:
                self._stuck(exc)
                raise

    def _http_slow(self, plugin_id: str, what: str, limit: float) -> None:
        """A front door request the plugin has not begun to answer within the hook timeout:
        the plugin is stuck as with a hook (the request itself waits on, as on the server)."""
        self._stuck(MmplugError(
            f"plugin {plugin_id}: {what} has not answered after {limit:g} s (--hook-timeout; "
            "the server, like the front door, waits for as long as the client does)",
            hint="make the handler answer sooner (move slow work to a thread), or raise "
                 "--hook-timeout"))

    def _stuck(self, error: MmplugError) -> None:
        """A hook call ran past its deadline: the plugin is stuck until it is reloaded."""
        from datetime import datetime

        stuck = next((pid for pid in self.status if error.message.startswith(f"plugin {pid}:")),
                     None)
        if stuck is None:
            return
        cause = error.message.removeprefix(f"plugin {stuck}: ")
        problem = (f"{cause} at {datetime.now():%H:%M:%S}; it may still be running in the "
                   "plugin, holding a thread of its gRPC server")
        self._set(stuck, state="stuck", problem=f"{problem}\nsave a file to reload it")
        lines = [f"stuck: {problem}"]
        if error.hint:
            lines.append(f"hint: {error.hint}")
        lines.append("save a file to reload it")
        self._notify("on_problem", stuck, "\n".join(lines))

    def _route(self, plugin_id: str, node: str | None = None) -> Route | None:
        """Where a front door request for ``plugin_id`` goes: with several nodes, the node its
        ``X-Mmplug-Node`` header names, else the next one round robin."""
        from mmplug.devloop.frontdoor import Route

        session = self.session
        handle = session.plugins.get(plugin_id.lower()) if session else None
        if handle is None or session is None:
            return None
        if len(session.node_names) > 1:
            handle = session.plugin_on(handle.id, session.node(node))
        elif node is not None:
            session.node(node)  # there is one node: a usage error names it
        if handle.state != "active" or handle.client is None:
            return None
        handshake = handle.client.process.handshake
        if handshake is None:
            return None
        return Route(handle.id, handshake.target, frozenset(handle.implemented), handle.pid,
                     handle.node)

    def _restarting(self, plugin_id: str) -> bool:
        """Whether ``plugin_id`` is being reloaded (after a save or on request, not after a
        crash), so an HTTP request should wait for the new process."""
        key = plugin_id.lower()
        pending = self._pending.get(key)
        return key in self._reloading or (pending is not None and not _after_crash(pending))

    def acting_user(self, header: str | None) -> tuple[str | None, str]:
        """Who a front door request is made as: the user its ``X-Mmplug-User`` header names
        (``anonymous`` for none), else the ``--as`` user, else nobody. (user id, name)."""
        if header is None:
            return self._user_id, self._user_name
        name = header.strip()
        if name.lower() in ("", "anonymous", "none"):
            return None, "anonymous"
        known = self._acting.get(name)
        if known is None:
            known = self._session().user_named(name, given="X-Mmplug-User")
            self._acting[name] = known
        return known

    def identify(self, header: str | None, method: str, target: str,
                 pairs: list[tuple[str, str]]) -> Identity | SignIn:
        """Who a front door request is made as: the user its ``X-Mmplug-User`` header names
        (mmplug's own), else the session its token signs in as the server does, else, without
        a token, the ``--as`` user."""
        from mmplug.host.http_codec import Identity

        if header is None:
            signing = self._session().sign_in(method, target, pairs)
            if signing.credentials.token:
                return signing
        user_id, name = self.acting_user(header)
        return Identity(user_id, name)

    def _front_page(self, path: str) -> tuple[str, str] | None:
        """The front door's own pages: ``/`` lists the plugins' routes; the docs."""
        from mmplug.devloop import _index

        if path in ("/", "/plugins", "/plugins/"):
            session = self.session
            plugins = [_index.PluginEntry(s.id, s.state, Path(s.directory),
                                          "ServeHTTP" in s.implemented or s.state != "active")
                       for s in self.status.values()]
            if session is None:
                plugins = []
            return "text/html", _index.index_page(plugins, self._user_name,
                                                  self._user_id is None)
        if path.startswith(_index.DOCS_PREFIX):
            text = _index.doc_text(path[len(_index.DOCS_PREFIX):])
            return None if text is None else ("text/plain", text)
        return None

    def _on_exchange(self, event: CallEvent, delivered: bool) -> None:
        self._notify("on_exchange", event)
        if delivered and self.session is not None:
            self.session.report_call(event)  # recorders see front door requests too

    def ha_findings(self) -> list[str]:
        """What the race detector found over the run (several nodes), as text."""
        session = self.session
        if session is None or session.races is None:
            return []
        try:
            if session.cluster is not None:
                session.cluster.settle(timeout=5.0)
            return [finding.describe() for finding in session.races.findings()]
        except Exception as exc:  # the report must never keep the dev loop from stopping
            return [f"the race detector could not report: {exc}"]

    # -- control channel ----------------------------------------------------------------------
    def _control_handlers(self) -> dict[str, Any]:
        from mmplug.devloop._control_ops import handlers

        return handlers(self)

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "plugins": list(self.status), "directories": [str(d) for d in self.plugin_dirs],
            "front_door": self.front_door.url if self.front_door else None}
        api = self.api_target
        if self.attach is not None and api:  # where an attached plugin finds the PluginAPI
            info["api_targets"] = {plugin_id: api for plugin_id in self.status}
        return info

    @property
    def api_target(self) -> str | None:
        """Where an attached plugin finds the PluginAPI (None when not attached)."""
        return self.attachment.api_target if self.attachment is not None else None

    def _attach_problem(self, error: MmplugError) -> None:
        if self.session is not None:
            from mmplug.host.logs import host_record

            self.session.emit_log(host_record("", "warn", error.message, hint=error.hint))

    # -- helpers ------------------------------------------------------------------------------
    def _session(self) -> Session:
        if self.session is None:
            raise MmplugError("the dev loop is not running")
        return self.session

    def _set(self, plugin_id: str, **changes: Any) -> None:
        status = self.status[plugin_id]
        for key, value in changes.items():
            setattr(status, key, value)
        self._notify("on_status")

    def _notify(self, method: str, *args: Any) -> None:
        for observer in list(self._observers):
            callback = getattr(observer, method, None)
            if callback is not None:
                try:
                    callback(*args)
                except Exception:  # a broken observer must not break the loop
                    pass


CRASH_RESTART = "restart after crash"
REATTACH = "reattach"
ATTACH_RETRY_S = 0.2


def _after_crash(why: str) -> bool:
    return why.startswith(CRASH_RESTART)
