"""The explorer's web server: loopback only, a random token on every request, one SSE stream.

Security, as Jupyter does it: the printed URL carries a random token (``/?token=...``); the
first visit trades it for an HttpOnly, SameSite=Strict cookie (scoped to this port) and a
redirect to ``/``, so the token leaves the address bar. Every request must carry the token (the
cookie, ``Authorization: Bearer``, ``X-Mmplug-Token`` or ``?token=``), or it gets 401. Requests
that change state need it in a header or the query: a cookie alone is refused (a page of
another site can make the browser send the cookie, never a header), and a foreign ``Origin`` is
refused too. The ``Host`` must be a loopback name of this port (no DNS rebinding). The page
gets the token in a ``<meta>`` tag and sends it as ``X-Mmplug-Token``; assets ship inside the
package, nothing is fetched from elsewhere (a Content-Security-Policy of 'self').
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.devloop._loop_thread import LoopThread
from mmplug.errors import MmplugError, UsageError
from mmplug.explorer.api import ROUTES, ApiError

if TYPE_CHECKING:
    from aiohttp import web

    from mmplug.devloop.loop import DevLoop
    from mmplug.explorer.backend import Backend

DEFAULT_PORT = 8066
HOST = "127.0.0.1"
STATIC = Path(__file__).parent / "static"
INFO_FILE = "explorer.json"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
QUEUE_SIZE = 500
KEEPALIVE_S = 15.0


class Hub:
    """The live stream: one asyncio queue per connected page (server-sent events)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[asyncio.Queue[tuple[str, Any] | None]] = set()

    def publish(self, event: str, data: Any) -> None:
        """From any thread: send ``event`` to every page (nothing to do when none listens)."""
        loop = self.loop
        if loop is None or not self.clients:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(self._put, (event, data))

    def _put(self, item: tuple[str, Any] | None) -> None:
        for queue in list(self.clients):
            if queue.full():  # a page that does not keep up: it reloads what it shows
                with contextlib.suppress(asyncio.QueueEmpty):
                    while not queue.empty():
                        queue.get_nowait()
                queue.put_nowait(("reset", {}))
            queue.put_nowait(item)

    def close(self) -> None:
        self._put(None)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-store"})
        await response.prepare(request)
        queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self.clients.add(queue)
        try:
            await response.write(b"event: hello\ndata: {}\n\n")
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if item is None:
                    break
                event, data = item
                text = json.dumps(data, ensure_ascii=False, default=str)
                await response.write(f"event: {event}\ndata: {text}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.clients.discard(queue)
        return response


class Explorer(LoopThread):
    """The explorer of one backend: its server thread, token, stream and thread pool."""

    thread_name = "mmplug-explorer"

    def __init__(self, backend: Backend, *, port: int | None = DEFAULT_PORT,
                 fallback: bool = True, token: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.port = DEFAULT_PORT if port is None else port
        self.fallback = fallback  # the default port taken: take any free one
        self.token = token or secrets.token_urlsafe(24)
        self.hub = Hub()
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="mmplug-explorer")
        self._runner: Any = None
        self._handled_dialogs: set[int] = set()
        self._info_path: Path | None = None
        backend.trace.listeners.append(lambda calls: self.hub.publish("calls", calls))
        if backend.capture is not None:
            backend.capture.listeners.append(self._on_change)

    # -- the dev loop's hook -----------------------------------------------------------------
    @classmethod
    def for_loop(cls, loop: DevLoop, port: int | None = None) -> Explorer:
        """An explorer for ``loop`` whose capture is attached before the session starts (so
        the trace has OnActivate); :meth:`start` serves it once the loop runs."""
        from mmplug.explorer.backend import LiveBackend
        from mmplug.explorer.capture import TraceCapture

        trace = _open_trace(loop.plugin_dirs[0], fresh=True)
        capture = TraceCapture(trace)
        loop.add_observer(capture)
        trace.start()
        return cls(LiveBackend(loop, trace, capture), port=port, fallback=port is None)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def login_url(self) -> str:
        """The URL to open: with the token (printed by ``mmplug dev``)."""
        return f"{self.url}/?token={self.token}"

    # -- lifecycle (the loop thread: LoopThread) ------------------------------------------------
    def start(self) -> None:
        try:
            super().start()
        except BaseException:
            self.pool.shutdown(wait=False)
            raise
        self._write_info()

    def stop(self) -> None:
        super().stop()
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self._info_path is not None:
            self._info_path.unlink(missing_ok=True)
            self._info_path = None

    def close(self) -> None:
        """Stop serving (if it still does), write the rest of the trace, close the backend."""
        self.stop()
        self.backend.trace.close()
        self.backend.close()

    def _attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.hub.loop = loop

    def _before_shutdown(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.call_soon_threadsafe(self.hub.close)

    async def _startup(self) -> None:
        from aiohttp import web

        self._runner = web.AppRunner(self.app(), handle_signals=False, shutdown_timeout=1.0,
                                     access_log=None)
        await self._runner.setup()
        try:
            await self._bind(self.port)
        except OSError as exc:
            if not self.fallback:
                raise UsageError(f"cannot listen on {HOST}:{self.port} for the explorer: "
                                 f"{exc.strerror or exc}",
                                 hint="pick another port with --explorer-port, or turn the "
                                 "explorer off with --no-explorer") from None
            await self._bind(0)

    async def _bind(self, port: int) -> None:
        from aiohttp import web

        site = web.TCPSite(self._runner, HOST, port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[-1][1])

    async def _shutdown(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None

    def _write_info(self) -> None:
        """``.mmplug/explorer.json`` (mode 0600): the URL and token, for ``mmplug explore`` and
        scripts of the same user."""
        path = self.backend.project / ".mmplug" / INFO_FILE
        data = json.dumps({"url": self.url, "token": self.token, "pid": os.getpid(),
                           "live": self.backend.live}).encode()
        from mmplug._atomic import write_file

        try:
            write_file(path, data, mode=0o600)
        except OSError:
            return  # the URL is printed; the file is a convenience
        self._info_path = path

    # -- the aiohttp application -------------------------------------------------------------
    def app(self) -> web.Application:
        from aiohttp import web

        app = web.Application(middlewares=[self._guard, self._errors],
                              client_max_size=8 * 1024 * 1024)
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._asset)
        for route in ROUTES:
            async def handle(request: web.Request, _route: Any = route) -> web.StreamResponse:
                answer: web.StreamResponse = await _route.handler(self, request)
                return answer

            app.router.add_route(route.method, route.path, handle)
        return app

    def _allowed_hosts(self) -> set[str]:
        return {f"{name}:{self.port}" for name in (HOST, "localhost", "[::1]")}

    def _token_of(self, request: web.Request) -> tuple[str | None, str]:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), "header"
        if "X-Mmplug-Token" in request.headers:
            return request.headers["X-Mmplug-Token"], "header"
        if "token" in request.query:
            return request.query["token"], "query"
        cookie = request.cookies.get(self._cookie_name())
        if cookie:
            return cookie, "cookie"
        return None, ""

    def _cookie_name(self) -> str:
        return f"mmplug-explorer-{self.port}"

    @property
    def _guard(self) -> Any:
        from aiohttp import web

        @web.middleware
        async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
            api = request.path.startswith("/api/")
            if request.host not in self._allowed_hosts():
                return _refusal(api, 403, "this explorer answers only on its loopback address",
                                f"open {self.url}/")
            given, via = self._token_of(request)
            if given is None or not secrets.compare_digest(given.encode(), self.token.encode()):
                what = "no token" if given is None else "a wrong token"
                return _refusal(api, 401, f"this request carries {what}",
                                "open the URL `mmplug dev` printed (it ends in ?token=...), or "
                                "send the token: Authorization: Bearer TOKEN (it is in "
                                ".mmplug/explorer.json)")
            if request.method not in SAFE_METHODS:
                if via == "cookie":
                    return _refusal(api, 403, "a request that changes state needs the token in "
                                    "a header (X-Mmplug-Token) or the query, not a cookie alone",
                                    "cross-site requests carry cookies, never headers")
                origin = request.headers.get("Origin")
                if origin is not None and origin.removeprefix("http://") not in \
                        self._allowed_hosts():
                    return _refusal(api, 403, f"requests from {origin} are refused", None)
            if via == "query" and request.path == "/" and request.method == "GET":
                response: web.StreamResponse = web.Response(status=303,
                                                            headers={"Location": "/"})
                response.set_cookie(self._cookie_name(), self.token, httponly=True,
                                    samesite="Strict", path="/")
                return response
            response = await handler(request)
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("X-Frame-Options", "DENY")
            return response

        return guard

    @property
    def _errors(self) -> Any:
        from aiohttp import web

        @web.middleware
        async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
            from mmplug.explorer.backend import NotLive

            try:
                response: web.StreamResponse = await handler(request)
                return response
            except web.HTTPException:
                raise
            except NotLive as exc:
                return _problem(409, exc.message, exc.hint)
            except ApiError as exc:
                return _problem(exc.status, exc.message, exc.hint)
            except MmplugError as exc:
                return _problem(int(getattr(exc, "status", 400)), exc.message, exc.hint)
            except Exception as exc:  # a bug: say what, never a traceback page
                return _problem(500, f"the explorer failed: {type(exc).__name__}: {exc}",
                                "this is a bug in mmplug; please report it")

        return errors

    async def _page(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        html = (STATIC / "index.html").read_text(encoding="utf-8")
        html = html.replace("{{TOKEN}}", self.token)
        return web.Response(text=html, content_type="text/html",
                            headers={"Content-Security-Policy": _CSP})

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        name = request.match_info["name"]
        if name not in _ASSETS:
            raise web.HTTPNotFound()
        return web.Response(body=(STATIC / name).read_bytes(), content_type=_ASSETS[name],
                            charset="utf-8")

    # -- operations of the API that need the explorer itself ---------------------------------
    def _on_change(self, kind: str, payload: dict[str, Any]) -> None:
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        post = (data or {}).get("post") or payload.get("post") or {}
        if isinstance(post, str):
            post = {}
        broadcast = payload.get("broadcast") or {}
        self.hub.publish("change", {
            "kind": kind, "event": payload.get("event", ""),
            "channel_id": payload.get("channel_id") or broadcast.get("channel_id")
            or post.get("channel_id", ""),
            "user_id": payload.get("user_id") or broadcast.get("user_id", ""),
            "plugin_id": payload.get("plugin_id", "")})

    def refire(self, seq: int, request: dict[str, Any] | None) -> dict[str, Any]:
        """Fire recorded call ``seq`` again (with ``request`` instead of the recorded one)."""
        from google.protobuf import json_format

        from mmplug.host.payloads import find_hook
        from mmplug.protocol.messages import message_class

        backend = self.backend
        original, _ = backend.trace.hook_result(seq)
        spec = find_hook(original.hook)
        if spec is None or spec.streaming:
            raise ApiError(f"{original.hook} cannot be fired again from the trace",
                           hint="send HTTP requests from the HTTP view")
        message = message_class(spec.request)()
        if request is None:
            message.CopyFrom(original.request)
        else:
            if not isinstance(request, dict):
                raise ApiError(f"request must be a JSON object (the fields of "
                               f"{message.DESCRIPTOR.name}), not {type(request).__name__}",
                               hint="send {\"request\": {...}}; the schema lists the fields")
            try:
                json_format.ParseDict(request, message)
            except (json_format.ParseError, TypeError, ValueError) as exc:
                raise ApiError(f"the request is not a valid {message.DESCRIPTOR.name}: {exc}",
                               hint="fix the field named; the schema lists the fields") from None
        for name in ("context", "plugin_context"):  # a fresh request id, as for a new call
            if name in message.DESCRIPTOR.fields_by_name and message.HasField(name):
                getattr(message, name).request_id = ""

        def fire() -> Any:
            capture = backend.capture
            assert capture is not None
            with capture.action(f"re-fire #{seq}", "", plugin_id=original.plugin_id,
                                original=seq, edited=request is not None) as details:
                result = backend.fire(original.hook, message, original.plugin_id)
                details["outcome"] = "failed" if result.error else "ok"
                return result

        result = backend.run(fire)
        new_seq = backend.capture.seq_of(result) if backend.capture else None
        backend.trace.flush()
        return {"original": seq, "call": new_seq, "error": result.error}

    def open_dialogs(self, user_id: str) -> list[dict[str, Any]]:
        from mmplug.explorer import state

        found = []
        for event in state.events(self.backend, kinds=("open_dialog",), limit=50):
            if event["seq"] in self._handled_dialogs:
                continue
            payload = event["payload"]
            if user_id and payload.get("user_id") != user_id:
                continue
            found.append({"id": event["seq"], "user_id": payload.get("user_id", ""),
                          "plugin_id": event["plugin_id"], "dialog": payload.get("dialog", {})})
        return found

    def submit_dialog(self, user_id: str, event_seq: int, channel_id: str,
                      submission: dict[str, Any], cancelled: bool) -> dict[str, Any]:
        from mmplug.explorer import actions
        from mmplug.host.api.queries import event_payload

        payload = event_payload(self.backend.store, event_seq, "open_dialog")
        if payload is None:
            raise ApiError(f"no dialog #{event_seq}", status=404)
        if payload.get("user_id") != user_id:
            raise ApiError("the dialog was opened for another user", status=403,
                           hint="submit it as the user who triggered it")
        answer = actions.submit_dialog(self.backend, user_id, payload.get("dialog") or {},
                                       channel_id, submission, cancelled=cancelled)
        if cancelled or not (answer.get("error") or answer.get("errors")):
            self._handled_dialogs.add(event_seq)
            self.hub.publish("change", {"kind": "dialog", "user_id": user_id})
        return answer

    def http_routes(self) -> list[dict[str, Any]]:
        from mmplug.devloop._index import find_routes

        out = []
        for plugin_id, manifest in self.backend.manifests().items():
            routes = [{"methods": list(r.methods), "path": r.path, "where": r.where}
                      for r in find_routes(Path(manifest.plugin_dir))]
            out.append({"plugin_id": plugin_id, "routes": routes})
        return out

    async def try_http(self, plugin_id: str, method: str, path: str, user: str, body: str,
                       headers: dict[str, Any]) -> dict[str, Any]:
        """One request through the front door (as a browser or curl would make it)."""
        import time

        import aiohttp

        base = self.backend.front_door_url()
        if base is None:
            from mmplug.explorer.backend import NotLive

            raise NotLive("sending a request")
        verb = method.upper()
        if verb not in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            raise ApiError(f"{method!r} is not an HTTP method")
        sent = {str(k): str(v) for k, v in headers.items()}
        sent["X-Mmplug-User"] = user or "anonymous"
        url = f"{base}/plugins/{plugin_id}/{path.lstrip('/')}"
        started = time.perf_counter()
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as client, client.request(
                verb, url, data=body.encode() if body else None, headers=sent) as answer:
            data = await answer.content.read(256 * 1024)
            more = not answer.content.at_eof()
            return {"status": answer.status, "headers": [[k, v] for k, v in answer.headers.items()],
                    "body": data.decode("utf-8", "replace"), "truncated": more,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "url": url}


def _problem(status: int, message: str, hint: str | None) -> web.Response:
    from aiohttp import web

    return web.Response(text=json.dumps({"error": message, "hint": hint or ""}), status=status,
                        content_type="application/json")


def _refusal(api: bool, status: int, message: str, hint: str | None) -> web.Response:
    from aiohttp import web

    if api:
        return _problem(status, message, hint)
    import html

    body = (f"<!doctype html><meta charset=utf-8><title>mmplug explorer</title>"
            f"<h1>mmplug explorer: {status}</h1><p>{html.escape(message)}.</p>"
            f"<p>{html.escape(hint or '')}</p>")
    return web.Response(text=body, status=status, content_type="text/html")


def _open_trace(project: Path, *, fresh: bool) -> Any:
    """The project's trace file, or a private temporary one when ``.mmplug/`` is not
    writable."""
    from mmplug.explorer.trace import TRACE_DB, TraceStore

    try:
        return TraceStore(project / ".mmplug" / TRACE_DB, fresh=fresh)
    except (MmplugError, OSError):
        return TraceStore(None)


def open_offline(project: Path, *, port: int | None = None) -> Explorer:
    """The explorer of a project's state without a dev session (``mmplug explore``)."""
    from mmplug.explorer.backend import OfflineBackend
    from mmplug.explorer.trace import TRACE_DB, TraceStore
    from mmplug.host.snapshots import state_path
    from mmplug.host.store import Store

    path = state_path(project)
    if not path.is_file():
        from mmplug.errors import StoreError

        raise StoreError(f"no fake-host state in {path.parent}",
                         hint="run the plugin once (`mmplug dev` or `mmplug run`) to create it")
    trace_path = project / ".mmplug" / TRACE_DB
    trace = TraceStore(trace_path if trace_path.is_file() else None, fresh=False)
    store = Store.open(path)
    return Explorer(OfflineBackend(project, store, trace), port=port, fallback=port is None)
