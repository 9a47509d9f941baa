"""The front door: a loopback HTTP server that forwards ``/plugins/<id>/...`` to ServeHTTP.

aiohttp serves HTTP on its own event loop thread; each request becomes one ServeHTTP stream
(a grpc.aio channel per plugin process). Bodies stream both ways in chunks of at most 64 KiB
without being buffered whole; ``flush`` from the plugin is honoured; a client that goes away
cancels the plugin's stream and a plugin that fails mid-answer closes the client's connection.
Status mapping as the server does it: unknown or inactive plugin 404, status 0 -> 200, out of
range -> 500, failure before the first response message -> 502, stream cannot open -> 503.
Unlike the server, a request that arrives while a plugin is being reloaded waits (up to 10 s)
for the new process instead of failing: saving and reloading the browser must just work.
Each request is made as the server makes it, as the user of the session its token (the
``Authorization`` header, the ``MMAUTHTOKEN`` cookie, the ``access_token`` parameter) signs in;
mmplug's own ways come on top: the user an ``X-Mmplug-User`` header names (``anonymous`` for
none), else, for a request without a token, the ``--as`` user. ``GET /`` answers a page linking
every plugin's routes and the docs. A request's head is read as Go's net/http server reads
it: what Go passes (a repeated header) reaches the plugin, what Go refuses gets Go's answer.
ServeMetrics works the same way on the metrics listener (``/plugins/<id>/metrics``).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mmplug.devloop._loop_thread import LoopThread
from mmplug.errors import UsageError

if TYPE_CHECKING:
    from mmplug.host.events import CallEvent
    from mmplug.host.http_codec import Identity, SignIn

DEFAULT_PORT = 8065
DEFAULT_METRICS_PORT = 8067
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Route:
    """A running plugin the front door can reach: its id, gRPC target and hooks."""

    plugin_id: str
    target: str
    implemented: frozenset[str]
    generation: int = 0  # changes with every plugin process (a reload may reuse the address)
    node: str = ""  # which node's process (several nodes)


# plugin id, the node asked for (X-Mmplug-Node; None: the next one) -> its route; a node that
# is not there raises a UsageError (the client gets a 400)
Resolver = Callable[[str, "str | None"], "Route | None"]
# Told of every request, as the call's event (origin FRONT_DOOR; the status the client was
# sent, the acting user, the error) and whether the plugin was sent the request at all.
OnExchange = Callable[["CallEvent", bool], None]
# Who a request is made as, from its X-Mmplug-User header (None: the header is absent), method,
# target and header pairs: an Identity (mmplug's own choices: the header's user, else the --as
# user), or the SignIn of the session token it carries (the server's way, which may need the
# body). Raises MmplugError for an X-Mmplug-User the store does not know.
Identify = Callable[[str | None, str, str, list[tuple[str, str]]], "Identity | SignIn"]


def _anonymous(header: str | None, method: str, target: str,
               pairs: list[tuple[str, str]]) -> Identity:
    from mmplug.host.http_codec import Identity

    return Identity()


class FrontDoor(LoopThread):
    """Owns the HTTP listener(s), their event loop thread and the grpc.aio channels.
    ``start()`` binds and serves (a UsageError when a port is taken)."""

    thread_name = "mmplug-frontdoor"
    start_timeout = START_TIMEOUT

    def __init__(
        self,
        resolve: Resolver,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        metrics_port: int | None = None,
        identify: Identify = _anonymous,
        on_exchange: OnExchange = lambda event, delivered: None,
        waiting: Callable[[str], bool] = lambda plugin_id: False,
        pages: Callable[[str], tuple[str, str] | None] | None = None,
        slow_after: float = 30.0,
        on_slow: Callable[[str, str, float], None] = lambda plugin_id, what, limit: None,
    ) -> None:
        super().__init__()
        self.resolve = resolve
        # a request the plugin has not begun to answer after ``slow_after`` seconds is
        # reported (``on_slow``); it goes on waiting, as the server does, until the client
        # gives up
        self.slow_after = slow_after
        self.on_slow = on_slow
        self.waiting = waiting
        self.host = host
        self.port = port
        self.metrics_port = metrics_port
        self.identify = identify
        self.on_exchange = on_exchange
        self.pages = pages  # the front door's own pages (``/``): path -> (type, text)
        self._runners: list[Any] = []
        self._bridge: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def metrics_url(self) -> str | None:
        return None if self.metrics_port is None else f"http://{self.host}:{self.metrics_port}"

    def active_streams(self) -> int:
        return 0 if self._bridge is None else int(self._bridge.active)

    # -- on the loop thread (LoopThread.start and stop run these) ---------------------------
    async def _startup(self) -> None:
        from aiohttp import web

        from mmplug.devloop._go_reading import GoServer
        from mmplug.devloop._http_bridge import Bridge

        self._bridge = Bridge(self.resolve, self.identify, self.on_exchange, self.waiting,
                              self.pages, self.slow_after, self.on_slow)
        listeners = [(self.port, False)]
        if self.metrics_port is not None:
            listeners.append((self.metrics_port, True))
        for port, metrics in listeners:
            handler = self._bridge.metrics if metrics else self._bridge.serve
            refused = functools.partial(self._bridge.refused,
                                        "ServeMetrics" if metrics else "ServeHTTP")
            server = GoServer(handler, handler_cancellation=True, on_refused=refused)
            runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
            await runner.setup()
            self._runners.append(runner)
            site = web.TCPSite(runner, self.host, port, reuse_address=True)
            try:
                await site.start()
            except OSError as exc:
                raise UsageError(
                    f"cannot listen on {self.host}:{port}: {exc.strerror or exc}",
                    hint="another program (or `mmplug dev`) uses that port; pick another with "
                    + ("--metrics-port" if metrics else "--port"),
                ) from None
            if port == 0:  # let tests ask for any free port
                bound = runner.addresses[-1][1]
                if metrics:
                    self.metrics_port = bound
                else:
                    self.port = bound

    async def _shutdown(self) -> None:
        for runner in reversed(self._runners):
            with contextlib.suppress(Exception):
                await runner.cleanup()
        self._runners.clear()
        if self._bridge is not None:
            await self._bridge.close()


def timed(started: float) -> float:
    return time.perf_counter() - started
