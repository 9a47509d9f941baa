"""Where ``mmplug fire`` sends a hook: the one seam between the command and a running host.

A target knows the world (to synthesize payloads), the hooks the plugin implements, and fires
one hook, answering with a :class:`FireOutcome`: the call as a cassette line (see
``docs/cassettes.md``), which is also what ``--format json`` prints. :class:`LocalTarget` runs
its own short deterministic session; a target that forwards to a running ``mmplug dev``
implements the same four members.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mmplug.errors import MmplugError, UsageError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.cassette.recorder import CassetteRecorder
    from mmplug.host.logs import LogRecord
    from mmplug.host.payloads import Scene
    from mmplug.host.session import HookResult, Session
    from mmplug.protocol.catalog import HookSpec


class FireOutcome:
    """One fired hook: the cassette line and the exit code the CLI should end with.

    Made from the line itself or from the hook's ``result``, whose line is built on first use:
    a cold ``mmplug fire`` builds it while the plugin is being stopped.
    """

    def __init__(self, entry: dict[str, Any] | None = None, *,
                 result: HookResult | None = None, warnings: list[str] | None = None,
                 findings: list[dict[str, str]] | None = None) -> None:
        if (entry is None) == (result is None):
            raise TypeError("FireOutcome takes an entry or a result")
        self._entry = entry
        self._result = result
        self.warnings = list(warnings or [])  # what the host said while loading the plugin
        # what `mmplug check` fails on: works under mmplug, not (so) on a real server
        self.findings = list(findings or [])

    @property
    def entry(self) -> dict[str, Any]:
        if self._entry is None:
            from mmplug.cassette.format import entry_dict

            assert self._result is not None
            self._entry = entry_dict(self._result, 1)
        if self.warnings and "warnings" not in self._entry:
            self._entry["warnings"] = self.warnings
        if self.findings and "findings" not in self._entry:
            self._entry["findings"] = self.findings
        return self._entry

    @property
    def ok(self) -> bool:
        if self._entry is None and self._result is not None:
            return self._result.error is None
        return self.entry.get("error") is None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


class FireTarget(Protocol):
    plugin_id: str

    def scene(self, as_user: str | None, channel: str | None) -> Scene: ...

    def implemented(self) -> list[str]: ...

    def commands(self) -> list[str]: ...

    def fire(self, spec: HookSpec, request: Message) -> FireOutcome: ...

    def fire_http(self, init: Message, body: bytes, hook: str = "ServeHTTP") -> FireOutcome:
        """ServeHTTP (or ServeMetrics: ``hook``) with the request ``init`` and ``body``."""

    def close(self) -> None:
        """Let go of the host; safe to call twice (also what leaving the ``with`` does)."""


class _Capture:
    """Keeps the OnActivate / OnDeactivate results the session runs on its own, and the
    last result of each hook (a call that crashed or timed out is reported, then raised)."""

    def __init__(self) -> None:
        self.results: dict[str, HookResult] = {}
        self.last: dict[str, HookResult] = {}
        self.warnings: list[str] = []  # the host's warnings about loading the plugin

    def on_hook_call(self, result: HookResult) -> None:
        if result.hook in ("OnActivate", "OnDeactivate"):
            self.results.setdefault(result.hook, result)
        self.last[result.hook] = result

    def on_log(self, record: LogRecord) -> None:
        from mmplug.host.launcher import LOAD_NOTICE

        if record.source == "host" and record.module == LOAD_NOTICE:
            self.warnings.append(record.message)


def registered_commands(store: Any, plugin_id: str) -> list[str]:
    import sqlite3

    try:
        with store.read() as db:
            rows = db.execute("SELECT DISTINCT trigger FROM plugin_slash_commands "
                              "WHERE plugin_id = ? ORDER BY trigger",
                              (plugin_id,)).fetchall()
    except sqlite3.Error:
        return []
    return [str(r[0]) for r in rows]


def warm_spare(plugin_dir: Path, python: str | None) -> Any:
    """Start the plugin's interpreter now (grpc and the SDK imported, waiting to be told to
    run the plugin), so that its start overlaps the host's; None when that is not possible."""
    from mmplug.errors import MmplugError

    try:
        from mmplug.devloop.warm import LEAN_PRELOAD, WarmPool
        from mmplug.host.launcher import find_python, plugin_env
        from mmplug.manifest import load_manifest

        manifest = load_manifest(plugin_dir)
        interpreter = find_python(manifest.plugin_dir, python)
    except (ImportError, MmplugError):
        return None  # the launch reports a bad manifest or interpreter properly
    if interpreter is None:
        return None
    pool = WarmPool(LEAN_PRELOAD)
    pool.prepare([interpreter, manifest.executable], cwd=manifest.plugin_dir,
                 env=plugin_env(None))
    return pool


class LocalTarget:
    """A short session of its own over a fresh world (no side effects on project state)."""

    def __init__(
        self,
        plugin_dir: str | Path,
        *,
        world: str | None = None,
        python: str | None = None,
        start_timeout: float = 10.0,
        hook_timeout: float = 30.0,
        record: str | Path | None = None,
        pool: Any = None,
        transport: str = "unix",
        private: bool = False,
    ) -> None:
        """``pool``: a warm pool already preparing the plugin's interpreter, or a plugin process
        started early (:class:`~mmplug.host._prelaunch.Prelaunch`); else a warm pool is
        started here. ``transport``, ``private``: as :class:`~mmplug.host.session.Session`'s."""
        from mmplug.cassette._session import deterministic_session

        # the plugin's interpreter imports grpc and the SDK while we set up the host
        self._pool = pool if pool is not None else warm_spare(Path(plugin_dir), python)
        self._capture = _Capture()
        try:
            self.session: Session = deterministic_session(
                plugin_dir, world=world, python=python, start_timeout=start_timeout,
                hook_timeout=hook_timeout, observers=(self._capture,), transport=transport,
                private=private)
        except BaseException:
            if self._pool is not None:
                self._pool.close()
            raise
        adopt = getattr(self._pool, "adopt", None)
        if adopt is not None:  # a plugin started early: the session takes what it was told
            adopt(self.session)
        elif self._pool is not None:
            self.session.spawner = self._pool.spawn
        # Only the fired hook is recorded (not the start and stop around it), so that the
        # lines of several `fire --record` runs replay one after another in one session.
        self.recorder: CassetteRecorder | None = None
        if record is not None:
            from mmplug.cassette.recorder import CassetteRecorder

            self.recorder = CassetteRecorder(record)
            self.recorder.bind(self.session.store)
        self.store = self.session.store
        self.plugin_id = ""
        self._started = False
        self._closed = False
        self._failed: MmplugError | None = None

    def __enter__(self) -> LocalTarget:
        return self

    def _start(self) -> None:
        """Start the session on first use, so that a bad payload fails before any launch."""
        if self._started:
            return
        self._started = True
        try:
            self.session.start()
        except MmplugError as exc:
            activation = self._capture.results.get("OnActivate")
            if activation is None or activation.error is None:
                raise
            self._failed = exc  # OnActivate failed: a result for `fire OnActivate`
            self.plugin_id = activation.plugin_id
            return
        self.plugin_id = self.session.plugin().id

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
            return
        try:  # an error is on its way out already: it is the one to tell
            self.close()
        except MmplugError:
            pass

    def close(self) -> None:
        """Stop the plugin (OnDeactivate, shutdown), the session and the store; idempotent.
        Raises the fault of a plugin that did not stop as the server expects (no
        plugin.GRPCController): the fire's result is shown, and the command fails with it."""
        if self._closed:
            return
        self._closed = True
        try:
            self.session.close()
        finally:
            self._close()
        self.session.raise_stop_faults()

    def _close(self) -> None:
        self.store.close()
        if self._pool is not None:
            self._pool.close()
        self._close_recorder()

    def _close_recorder(self) -> None:
        if self.recorder is not None:
            self.recorder.close()

    def scene(self, as_user: str | None, channel: str | None) -> Scene:
        from mmplug.host.payloads import scene_from_store

        return scene_from_store(self.store, as_user=as_user, channel=channel)

    def commands(self) -> list[str]:
        """The slash-command triggers the plugin registered (after its activation)."""
        self._start()
        return registered_commands(self.store, self.plugin_id)

    def implemented(self) -> list[str]:
        self._start()
        if self._failed is not None:
            return ["OnActivate"]
        return sorted(self.session.plugin().implemented)

    def fire(self, spec: HookSpec, request: Message) -> FireOutcome:
        self._start()
        if self._failed is not None and spec.go_name != "OnActivate":
            raise self._failed
        self._check_implemented(spec.go_name)
        if spec.go_name == "OnActivate":
            result = self._capture.results.pop("OnActivate")
        elif spec.go_name == "OnDeactivate":
            self.session.close()  # the host calls OnDeactivate itself when it stops a plugin
            result = self._capture.results.pop("OnDeactivate")
        else:
            if self.recorder is not None:
                self.recorder.mark()
            self._capture.last.pop(spec.go_name, None)
            try:
                result = self.session.fire(spec.go_name, request)
            except MmplugError as exc:  # crashed or timed out: show what it did until then
                broken = self._capture.last.get(spec.go_name)
                if broken is None:
                    raise
                from mmplug.cassette.format import entry_dict

                entry = entry_dict(broken, 1)
                entry["error"], entry["hint"] = exc.message, exc.hint
                if exc.details:
                    entry["details"] = exc.details
                return FireOutcome(entry, warnings=self._capture.warnings,
                                   findings=self._findings())
        if self.recorder is not None:
            self.recorder.record(result)
        return FireOutcome(result=result, warnings=self._capture.warnings,
                           findings=self._findings())

    def fire_http(self, init: Message, body: bytes, hook: str = "ServeHTTP") -> FireOutcome:
        from mmplug.cassette.http import call_http

        self._start()
        if self._failed is not None:
            raise self._failed
        self._check_implemented(hook)
        if self.recorder is not None:
            self.recorder.mark()
        outcome = call_http(self.session, init, body, rpc=hook)
        if self.recorder is not None:
            self.recorder.record(outcome.result, http=outcome.http)
        return FireOutcome(outcome.entry, warnings=self._capture.warnings,
                           findings=self._findings())

    def _findings(self) -> list[dict[str, str]]:
        """The session's `mmplug check` findings about the plugin (said when it loaded)."""
        handle = self.session.plugins.get(self.plugin_id)
        return [f.as_dict() for f in handle.findings] if handle is not None else []

    def describe(self) -> dict[str, Any]:
        """Which session the hook goes to (fire says it with the result)."""
        return {"kind": "local", "text": "in a throw-away session of its own (a fresh world; "
                "nothing is kept)"}

    def _check_implemented(self, hook: str) -> None:
        have = self.implemented()
        if hook not in have:
            raise UsageError(
                f"plugin {self.plugin_id} does not implement {hook}",
                hint="it implements: " + (", ".join(have) or "no hooks")
                + "; add the hook to the plugin class to fire it",
            )
