"""The local target: a short deterministic session of its own over a fresh world."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, StoreError, UsageError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.cassette.recorder import CassetteRecorder
    from mmplug.host.events import CallEvent
    from mmplug.host.logs import LogRecord
    from mmplug.host.payloads import Scene
    from mmplug.host.session import Session
    from mmplug.protocol.catalog import HookSpec


class _Capture:
    """Keeps the OnActivate / OnDeactivate events the session runs on its own, and the last
    event of each hook (a call that crashed or timed out is reported, then raised)."""

    def __init__(self) -> None:
        self.events: dict[str, CallEvent] = {}
        self.last: dict[str, CallEvent] = {}
        self.warnings: list[str] = []  # the host's warnings about loading the plugin

    def on_hook_call(self, event: CallEvent) -> None:
        if event.hook in ("OnActivate", "OnDeactivate"):
            self.events.setdefault(event.hook, event)
        self.last[event.hook] = event

    def on_log(self, record: LogRecord) -> None:
        from mmplug.host.launcher import LOAD_NOTICE

        if record.source == "host" and record.module == LOAD_NOTICE:
            self.warnings.append(record.message)


def registered_commands(session_store: Any, plugin_id: str) -> list[str]:
    """The slash-command triggers ``plugin_id`` registered ([] when the store cannot tell)."""
    from mmplug.host.api.queries import slash_triggers

    try:
        return slash_triggers(session_store, plugin_id)
    except StoreError:
        return []


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
        nodes: int = 1,
        start_time: str | None = None,
    ) -> None:
        """``pool``: a warm pool already preparing the plugin's interpreter, or a plugin process
        started early (:class:`~mmplug.host._prelaunch.Prelaunch`); else a warm pool is
        started here. ``transport``, ``private``, ``nodes``, ``start_time``: as
        :class:`~mmplug.host.session.Session`'s."""
        from mmplug.host.fresh import deterministic_session

        if pool is None and nodes == 1:  # the interpreter imports grpc and the SDK meanwhile
            from mmplug.host.warm import spare_for

            pool = spare_for(Path(plugin_dir), python)
        self._pool = pool
        self._capture = _Capture()
        try:
            self.session: Session = deterministic_session(
                plugin_dir, world=world, python=python, start_timeout=start_timeout,
                hook_timeout=hook_timeout, observers=(self._capture,), transport=transport,
                private=private, nodes=nodes, start_time=start_time)
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
            activation = self._capture.events.get("OnActivate")
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
            self.store.close()
            if self._pool is not None:
                self._pool.close()
            if self.recorder is not None:
                self.recorder.close()
        self.session.raise_stop_faults()

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

    def fire(self, spec: HookSpec, request: Message, node: str | None = None) -> CallEvent:
        self._start()
        if self._failed is not None and spec.go_name != "OnActivate":
            raise self._failed
        self._check_implemented(spec.go_name)
        if spec.go_name == "OnActivate":
            event = self._capture.events.pop("OnActivate")
        elif spec.go_name == "OnDeactivate":
            self.session.close()  # the host calls OnDeactivate itself when it stops a plugin
            event = self._capture.events.pop("OnDeactivate")
        else:
            if self.recorder is not None:
                self.recorder.mark()
            self._capture.last.pop(spec.go_name, None)
            try:
                event = self.session.fire(spec, request, node=node)
            except MmplugError as exc:  # crashed or timed out: show what it did until then
                broken = self._capture.last.get(spec.go_name)
                if broken is None:
                    raise
                broken.error, broken.hint, broken.details = exc.message, exc.hint, exc.details
                return self._annotated(broken)
        if self.recorder is not None:
            self.recorder.record(event)
        return self._annotated(event)

    def fire_http(self, init: Message, body: bytes, hook: str = "ServeHTTP",
                  node: str | None = None) -> CallEvent:
        self._start()
        if self._failed is not None:
            raise self._failed
        self._check_implemented(hook)
        if self.recorder is not None:
            self.recorder.mark()
        event = self.session.call_http(init, body, rpc=hook, node=node)
        if self.recorder is not None:
            self.recorder.record(event)
        return self._annotated(event)

    def _annotated(self, event: CallEvent) -> CallEvent:
        """The event with what loading the plugin gave: the host's warnings and the session's
        `mmplug check` findings about the plugin (said when it loaded)."""
        event.warnings = list(self._capture.warnings)
        handle = self.session.plugins.get(self.plugin_id)
        event.findings = [f.as_dict() for f in handle.findings] if handle is not None else []
        return event

    def describe(self) -> dict[str, str]:
        """Which session the hook goes to (fire says it with the result)."""
        nodes = [n for n in self.session.node_names if n]
        shape = f" of {len(nodes)} nodes" if nodes else ""
        return {"kind": "local", "text": f"in a throw-away session{shape} of its own (a fresh "
                "world; nothing is kept)"}

    def nodes(self) -> list[str]:
        return list(self.session.node_names)

    def ha_findings(self, spec: HookSpec, request: Message) -> list[Any]:
        """The race detector's findings and, with several nodes, whether they answer
        ``request`` differently (from the same shared state)."""
        from mmplug.host.races import compare_answers

        session = self.session
        if len(session.node_names) < 2 or self._failed is not None:
            return []
        if session.cluster is not None:
            session.cluster.settle()
        found: list[Any] = list(session.races.findings()) if session.races else []
        if spec.go_name in ("OnActivate", "OnDeactivate"):
            return found
        if spec.streaming:
            init: Any = request.init  # type: ignore[attr-defined]
            headers = [(h.key, v) for h in init.headers for v in h.values]
            different = compare_answers(session, plugin_id=self.plugin_id,
                                        http=(init.method or "GET", init.url or "/"),
                                        headers=headers,
                                        body=bytes(request.body_chunk))  # type: ignore[attr-defined]
        else:
            different = compare_answers(session, spec.go_name, request,
                                        plugin_id=self.plugin_id)
        if different is not None:
            found.append(different)
        return found

    def _check_implemented(self, hook: str) -> None:
        have = self.implemented()
        if hook not in have:
            raise UsageError(
                f"plugin {self.plugin_id} does not implement {hook}",
                hint="it implements: " + (", ".join(have) or "no hooks")
                + "; add the hook to the plugin class to fire it",
            )
