"""The time the SDK's cluster helpers go by: the host's under mmplug, the wall clock elsewhere.

A real server has no clock to offer, so under it :func:`now_ms` is ``time.time()``. mmplug's
fake host can move its clock (``plugin.clock.advance(days=30)``, ``mmplug dev``'s ``clock``
command); it says that it serves its clock with ``MMPLUG_HOST_CLOCK=1`` in the plugin's
environment, and the SDK then reads the time from the host's ``mmplug.ext.v1.HostClock``
service (an extension of the protocol a real server does not have, next to the PluginAPI) and
leaves the waking of scheduled jobs to the host (``PluginClock/Tick``, see ``_scheduler``). A
plugin's code is the same in both cases.
"""

from __future__ import annotations

import contextvars
import datetime as _dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from mmplug.protocol.names import HOST_CLOCK_SERVICE, PLUGIN_CLOCK_SERVICE

from . import _env

__all__ = ["HOST_CLOCK_SERVICE", "PLUGIN_CLOCK_SERVICE", "host_clock_enabled", "now", "now_ms"]
CALL_TIMEOUT = 10.0
log = logging.getLogger("mmplug.sdk.clock")


def host_clock_enabled() -> bool:
    """Whether the host serves its clock (mmplug's fake host); never under a real server."""
    return _env.resolve(_env.HOST_CLOCK) == "1"


class _HostClock:
    """A small client of ``HostClock`` on the PluginAPI's address (its own channel)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channel: Any = None
        self._calls: dict[str, Callable[..., Any]] = {}
        self._failed = False

    def _call(self, name: str, request: Any, response_cls: Any) -> Any:
        found = self._calls.get(name)
        if found is None:
            import grpc  # type: ignore[import-untyped]

            from ._client import CHANNEL_OPTIONS, resolve_target

            with self._lock:
                if self._channel is None:
                    self._channel = grpc.insecure_channel(resolve_target(None),
                                                          options=CHANNEL_OPTIONS)
                found = self._channel.unary_unary(
                    f"/{HOST_CLOCK_SERVICE}/{name}",
                    request_serializer=lambda message: message.SerializeToString(),
                    response_deserializer=response_cls.FromString,
                )
                self._calls[name] = found
        return found(request, timeout=CALL_TIMEOUT)

    def now_ms(self) -> int | None:
        """The host's time, or None when the host cannot be asked (it is going away)."""
        from mmplug.protocol import mmplug_ext_pb2 as ext

        try:
            return int(self._call("Now", ext.NowRequest(), ext.NowResponse).now_ms)
        except Exception as exc:  # grpc.RpcError: the host stopping; keep going on wall time
            self._say_once(exc)
            return None

    def wake_at(self, at_ms: int) -> None:
        """Ask the host for a ``Tick`` once its time reaches ``at_ms`` (0: nothing to do)."""
        from mmplug.protocol import mmplug_ext_pb2 as ext

        try:
            self._call("WakeAt", ext.WakeAtRequest(at_ms=at_ms), ext.WakeAtResponse)
        except Exception as exc:  # grpc.RpcError
            self._say_once(exc)

    def _say_once(self, exc: BaseException) -> None:
        if not self._failed:
            self._failed = True
            log.warning("the host's clock is not reachable (%s); using the wall clock", exc)

    def close(self) -> None:
        with self._lock:
            channel, self._channel = self._channel, None
            self._calls.clear()
        if channel is not None:
            channel.close()


_HOST = _HostClock()
# During a host's tick: (the tick's time, time.monotonic() when it came, whether the host's
# clock runs on meanwhile), so the jobs it runs read the time without asking the host again.
_TICK: contextvars.ContextVar[tuple[int, float, bool] | None] = contextvars.ContextVar(
    "mmplug_tick", default=None)


def in_tick(now: int, running: bool) -> contextvars.Token[tuple[int, float, bool] | None]:
    """The code run for a host's tick reads its time (see :func:`now_ms`)."""
    return _TICK.set((now, time.monotonic(), running))


def end_tick(token: contextvars.Token[tuple[int, float, bool] | None]) -> None:
    _TICK.reset(token)


def now_ms() -> int:
    """Milliseconds since the epoch: the host's clock under mmplug, else the wall clock."""
    tick = _TICK.get()
    if tick is not None:
        at, since, running = tick
        return at + (int((time.monotonic() - since) * 1000) if running else 0)
    if host_clock_enabled():
        found = _HOST.now_ms()
        if found is not None:
            return found
    return time.time_ns() // 1_000_000


def now() -> _dt.datetime:
    """The time now (UTC, aware): the host's clock under mmplug, else the wall clock.

    Use it where a plugin decides by the date or the time of day (a daily digest of
    "yesterday"), so that a test moving mmplug's clock moves the plugin's idea of today."""
    return from_ms(now_ms())


def from_ms(value: int) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(value / 1000, tz=_dt.timezone.utc)


def to_ms(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return int(value.timestamp() * 1000)


def wake_at(at_ms: int) -> None:
    _HOST.wake_at(at_ms)


def close() -> None:
    _HOST.close()
