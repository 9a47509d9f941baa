"""The dev target: hooks fired into the running ``mmplug dev`` of the project.

Payloads are synthesized from the dev session's own store (so ids match its world), hooks go
through its control channel, and ServeHTTP goes through its front door, as a browser request
would.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, UsageError
from mmplug.protocol.names import ENV_DEBUG_LISTEN

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.cassette.recorder import CassetteRecorder
    from mmplug.devloop.control import ControlClient
    from mmplug.host.events import CallEvent
    from mmplug.host.payloads import Scene
    from mmplug.protocol.catalog import HookSpec


def connect_dev(folder: Path) -> ControlClient | None:
    """A control-channel client when a dev session runs ``folder``; else None."""
    from mmplug.host import STATE_DIR

    if not (Path(folder) / STATE_DIR / "dev.json").is_file():
        return None  # no session: spare a local fire the control channel's imports
    try:
        from mmplug.devloop.control import connect
    except ImportError:
        return None
    return connect(folder)


# Why the dev session cannot take a hook now, by the plugin's state: (what, what to do).
_NOT_RUNNING: dict[str, tuple[str, str]] = {
    "failed": ("failed to start", "fix the error shown by `mmplug dev` and save; it reloads"),
    "crashed": ("crashed and is being restarted", "fire again in a moment"),
    "given-up": ("crashed 3 times within a minute and is not restarted again",
                 "fix it and save; `mmplug dev` then starts it again"),
    "starting": ("is starting", "fire again in a moment"),
    "waiting": ("is not attached yet", f"start the plugin with {ENV_DEBUG_LISTEN} as "
                "`mmplug dev` shows"),
    "stopped": ("is stopped", "save a file of the plugin, or restart `mmplug dev`"),
}


class DevTarget:
    """Hooks fired into the dev session that runs the plugin in ``folder``."""

    def __init__(self, client: ControlClient, folder: Path,
                 record: str | Path | None = None, hook_timeout: float | None = None) -> None:
        """``hook_timeout``: fire's own deadline (``--hook-timeout``); the dev session's
        holds too."""
        self.client = client
        self.hook_timeout = hook_timeout
        status = client.status()
        plugins = list(status.get("plugins") or [])
        here = str(Path(folder).resolve())
        mine = [p for p in plugins if str(Path(p.get("directory", "")).resolve()) == here]
        chosen = mine or (plugins if len(plugins) == 1 else [])
        if not chosen:
            client.close()
            raise UsageError(f"the running dev session does not run the plugin in {folder}",
                             hint="run fire from the plugin's directory, or add --local")
        self.plugin = chosen[0]
        self.plugin_id = str(self.plugin["id"])
        self.store_path = status.get("store") or ""
        self.node_names = [str(n) for n in status.get("nodes") or [""]]
        self.front_door = status.get("front_door") or ""
        self.recorder: CassetteRecorder | None = None
        if record is not None:
            from mmplug.cassette.recorder import CassetteRecorder

            self.recorder = CassetteRecorder(record, plugin_id=self.plugin_id)

    def __enter__(self) -> DevTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Hang up on the dev session; idempotent."""
        self.client.close()
        if self.recorder is not None:
            self.recorder.close()

    def scene(self, as_user: str | None, channel: str | None) -> Scene:
        from mmplug.host.fresh import open_world_store
        from mmplug.host.payloads import scene_from_store
        from mmplug.host.store import Store

        if self.store_path and Path(self.store_path).is_file():
            store = Store.open(self.store_path)
        else:  # an in-memory dev store: the default world gives the same ids (same seed)
            store = open_world_store()
        try:
            return scene_from_store(store, as_user=as_user, channel=channel)
        finally:
            store.close()

    def commands(self) -> list[str]:
        from mmplug.fire.local import registered_commands
        from mmplug.host.store import Store

        if not self.store_path or not Path(self.store_path).is_file():
            return []
        store = Store.open(self.store_path)
        try:
            return registered_commands(store, self.plugin_id)
        finally:
            store.close()

    def implemented(self) -> list[str]:
        return sorted(self.plugin.get("implemented") or [])

    def describe(self) -> dict[str, str]:
        """Which session the hook goes to (fire says it with the result)."""
        pid = self.plugin.get("pid")
        text = "into the running `mmplug dev`" + (f" (plugin pid {pid})" if pid else "") \
            + "; its store and logs; --local for a throw-away session"
        return {"kind": "dev", "text": text}

    def _check(self, hook: str) -> list[str]:
        """Refuse a hook the plugin cannot take now; the warnings to show with one it can."""
        state = str(self.plugin.get("state") or "unknown")
        problem = str(self.plugin.get("problem") or "").strip()
        if state == "stuck":  # another hook may still answer: fire, and say so
            first = problem.splitlines()[0] if problem else "a hook did not answer in time"
            return [f"plugin {self.plugin_id} is stuck in the running `mmplug dev`: {first}; "
                    "save a file to reload it"]
        if state not in ("active", "attached"):
            what, todo = _NOT_RUNNING.get(state, (f"is {state}", "look at the `mmplug dev` "
                                                  "screen"))
            first = problem.splitlines()[0] if problem else ""
            raise MmplugError(
                f"plugin {self.plugin_id} {what} in the running `mmplug dev`"
                + (f": {first}" if first else ""),
                hint=f"{todo}; or fire into a throw-away session of its own with --local")
        if hook not in self.implemented():
            raise UsageError(f"plugin {self.plugin_id} does not implement {hook}",
                             hint="it implements: " + (", ".join(self.implemented()) or "none"))
        return []

    def fire(self, spec: HookSpec, request: Message, node: str | None = None) -> CallEvent:
        warnings = self._check(spec.go_name)
        extra = {"node": node} if node is not None else {}
        event = self.client.fire(spec.go_name, request, plugin_id=self.plugin_id,
                                 hook_timeout=self.hook_timeout, **extra)
        if self.recorder is not None:
            self.recorder.record(event)
        event.warnings, event.findings = warnings, self.findings()
        return event

    def findings(self) -> list[dict[str, str]]:
        """What `mmplug check` fails on for the plugin, as the dev session said it (read here
        again: cached by file times, see mmplug.check)."""
        from mmplug.check import cached_api_uses, load_findings
        from mmplug.manifest import find_manifest, read_json

        folder = Path(str(self.plugin.get("directory") or "."))
        try:
            raw = read_json(find_manifest(folder))
        except MmplugError:
            return []
        found = load_findings(raw, self.implemented(), cached_api_uses(folder))
        return [f.as_dict() for f in found]

    def nodes(self) -> list[str]:
        return list(self.node_names)

    def ha_findings(self, spec: HookSpec, request: Message) -> list[Any]:
        """The dev session's race detector reports on its own screen and log."""
        return []

    def fire_http(self, init: Message, body: bytes, hook: str = "ServeHTTP",
                  node: str | None = None) -> CallEvent:
        """Through the front door, like a browser (API calls are not reported this way); with
        ``node``, pinned to that node (``X-Mmplug-Node``)."""
        import copy
        import time

        from mmplug.host.events import CallEvent, http_dict, http_request

        if hook != "ServeHTTP":
            raise UsageError(f"{hook} cannot be fired into a running mmplug dev",
                             hint="its metrics listener serves it (the URL is on dev's "
                                  "screen); or fire it in a session of its own: --local")
        warnings = self._check("ServeHTTP")
        if not self.front_door:
            raise MmplugError("the dev session has no front door to send HTTP requests to")
        if node is not None:
            from mmplug.host.cluster import NODE_HEADER

            pinned: Any = copy.deepcopy(init)
            header = pinned.headers.add()
            header.key = NODE_HEADER
            header.values.append(str(node))
            init = pinned
        began = time.time()
        started = time.perf_counter()
        limit = self.hook_timeout or DEV_HTTP_TIMEOUT
        status, headers, answer = _http(self.front_door, self.plugin_id, init, body, limit)
        event = CallEvent("ServeHTTP", self.plugin_id, http_request(init),
                          duration_s=time.perf_counter() - started, started_at=began,
                          http=http_dict(status, headers, answer, body))
        if self.recorder is not None:
            self.recorder.record(event)
        event.warnings, event.findings = warnings, self.findings()
        return event


# How long fire waits for the front door's answer without --hook-timeout (the dev session's
# default hook timeout).
DEV_HTTP_TIMEOUT = 30.0


def _http(base: str, plugin_id: str, init: Any, body: bytes, timeout: float
          ) -> tuple[int, list[tuple[str, str]], bytes]:
    """The request through the front door; ``timeout`` for the whole answer (on expiry the
    connection closes, which cancels the plugin's stream as a browser going away does)."""
    import urllib.error
    import urllib.request

    from mmplug.host.http_codec import ACTING_USER_HEADER, USER_ID_HEADER, token_decides

    url = f"{base.rstrip('/')}/plugins/{plugin_id}{init.url or '/'}"
    request = urllib.request.Request(url, data=body or None, method=init.method or "GET")
    pairs = [(header.key, value) for header in init.headers for value in header.values]
    user = None if token_decides(pairs, init.url or "/") else ""
    repeated: list[tuple[str, str]] = []  # a name's values after its first, sent line by line
    for key, value in pairs:
        if key.lower() == USER_ID_HEADER.lower():
            user = user or value
            continue  # the front door drops it: it is told the user as a browser's session is
        if request.has_header(key.capitalize()):  # urllib keeps one value a name
            repeated.append((key, value))
        else:
            request.add_header(key, value)
    if user is not None:  # else the front door signs the request in by its token
        request.add_header(ACTING_USER_HEADER, user or "anonymous")
    try:
        with _opener(repeated).open(request, timeout=timeout) as reply:
            return reply.status, list(reply.headers.items()), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, list(exc.headers.items()), exc.read()
    except TimeoutError:
        raise _slow(plugin_id, init, timeout) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _slow(plugin_id, init, timeout) from None
        raise MmplugError(f"cannot reach the dev session's front door at {base}: {exc}"
                          ) from None
    except OSError as exc:
        raise MmplugError(f"cannot reach the dev session's front door at {base}: {exc}") from None


def _slow(plugin_id: str, init: Any, timeout: float) -> MmplugError:
    """ServeHTTP that did not answer within fire's deadline, as the hook-timeout fault."""
    from mmplug.host.faults import fault

    return fault("hook-timeout", plugin_id,
                 hook=f"ServeHTTP {init.method or 'GET'} {init.url or '/'}", timeout=timeout)


def _opener(repeated: list[tuple[str, str]]) -> Any:
    """A urllib opener whose client reads the answer as Go's and curl's do: the
    informational (1xx) answers before it are passed over (``http.client`` passes over
    ``100 Continue`` only, and would take a ``103 Early Hints`` for the answer). Its request
    carries the ``repeated`` headers too, each on a line of its own after the first value of
    its name, as a browser sends them (urllib keeps one value a name)."""
    import http.client
    import urllib.request

    class FinalResponse(http.client.HTTPResponse):
        def _read_status(self) -> tuple[str, int, str]:
            while True:
                version, status, reason = super()._read_status()  # type: ignore[misc]
                if status in (100, 101) or not 100 <= status <= 199:
                    return version, status, reason
                http.client.parse_headers(self.fp)  # the informational answer's headers

    class Connection(http.client.HTTPConnection):
        response_class = FinalResponse

        def endheaders(self, message_body: Any = None, *, encode_chunked: bool = False
                       ) -> None:
            for key, value in repeated:
                self.putheader(key, value)
            super().endheaders(message_body, encode_chunked=encode_chunked)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    return urllib.request.build_opener(Handler)
