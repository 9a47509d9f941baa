"""The host's clock, moved on purpose: days pass in a test, and what the server does with time
happens as they pass.

A session's :class:`Timekeeper` (``session.clock``) moves the store's clock
(``advance(days=30)``, ``set(...)``) and, on the way:

* **wakes the SDK's scheduled jobs.** A plugin under mmplug's host does not sleep until a job
  is due: its SDK tells the host the earliest due time (``mmplug.ext.v1.HostClock/WakeAt``,
  served next to each PluginAPI) and the host calls the plugin's ``PluginClock/Tick`` when
  its clock reaches it. ``advance`` steps the clock from one due time to the next, ticks every
  node due there (at once, each on its own thread, as the nodes of a cluster run at once) and
  waits for the answers, which carry each node's next due time: moving 30 days runs a daily
  job 30 times, in order, before ``advance`` returns. A running clock (``mmplug dev``, the
  pytest fixture, ``Session`` by default) also ticks by itself when the wall clock gets to a
  due time, and the session's start runs what is due then; a standing one (``fire``,
  ``replay``: each call must find the time the recording did) only when moved.
* **expires KV entries:** every call already hides an entry whose expiry has passed, as the
  server does; after a move the entries that expired are deleted, so what the harness and the
  explorer show matches.
* **stamps new posts:** everything the host stores takes the clock's time.
* **runs data retention** when asked (``advance(..., data_retention=True)``): the server's
  (Enterprise) data retention job calls ``RunDataRetention(now, batch_size)`` once a day at
  ``DataRetentionSettings.DeletionJobStartTime`` (02:00 UTC by default); each such time the
  move passes, the hook is called on every plugin that implements it.

A plugin built with another SDK has no ``PluginClock``: its first tick answers UNIMPLEMENTED
and it is never ticked again.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, UsageError

if TYPE_CHECKING:
    from mmplug.host.hooks_client import HooksClient
    from mmplug.host.logs import LogRecord
    from mmplug.host.store import Store

DAY_MS = 86_400_000
DEFAULT_RETENTION_START = "02:00"
DEFAULT_RETENTION_BATCH = 3000
# A tick that keeps answering "due now" (a job whose wait strategy never waits) would hold a
# move forever; after this many ticks at one time the node is left until the clock moves on.
MAX_TICKS_AT_ONE_TIME = 100
# The times the clock can be put at: ones it can show (Python's datetime ends with 9999), with
# a year left for a running clock to run on.
_EPOCH = _dt.datetime(1970, 1, 1)
EARLIEST_MS = (_dt.datetime.min - _EPOCH) // _dt.timedelta(milliseconds=1)
LATEST_MS = (_dt.datetime(9999, 1, 1) - _EPOCH) // _dt.timedelta(milliseconds=1) - 1


@dataclass
class TickTarget:
    """One node the timekeeper can tick: its name (``plugin`` or ``plugin@node2``), the hooks
    client of its plugin process and what to do when it died during a tick."""

    key: str
    plugin_id: str
    client: HooksClient
    timeout: float
    tag: Callable[[], tuple[tuple[str, str], ...] | None] = lambda: None
    crashed: Callable[[BaseException], None] = lambda exc: None


@dataclass
class Tick:
    """What one tick did: the node, the time it was at, the jobs that ran."""

    key: str
    at_ms: int
    ran: list[str] = field(default_factory=list)
    next_due_ms: int = 0
    error: str | None = None


class Timekeeper:
    """A session's clock control (see the module docstring)."""

    def __init__(
        self,
        store: Callable[[], Store],
        targets: Callable[[], Iterable[TickTarget]],
        *,
        log: Callable[[LogRecord], None] = lambda record: None,
        run_data_retention: Callable[[int, int], None] | None = None,
    ) -> None:
        self._store = store
        self._targets = targets
        self._log = log
        self._run_data_retention = run_data_retention
        self._due: dict[str, int] = {}  # node -> next due (ms); absent or 0: nothing
        self._unsupported: set[str] = set()
        self._moving = threading.RLock()  # one move (or settle) at a time
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._workers: tuple[ThreadPoolExecutor, int] | None = None
        self.ticks: list[Tick] = []  # every tick of the session, in order

    # -- the time -------------------------------------------------------------------------
    def now_ms(self) -> int:
        """The host's time now (without stepping a stepping clock)."""
        return self._store().peek_ms()

    def now(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now_ms() / 1000, tz=_dt.timezone.utc)

    @property
    def running(self) -> bool:
        """Whether the clock runs on with the wall clock (else it moves only when told)."""
        return bool(getattr(self._store().clock, "running", False))

    # -- what the SDK asks (HostClock) --------------------------------------------------------
    def wake_at(self, key: str, at_ms: int) -> None:
        """Node ``key`` wants a tick when the clock reaches ``at_ms`` (0: nothing due)."""
        with self._changed:
            if at_ms:
                self._due[key] = at_ms
            else:
                self._due.pop(key, None)
            self._changed.notify_all()
        if self.running:
            self._ensure_thread()

    def forget(self, key: str) -> None:
        """Node ``key`` stopped: nothing of it is due any more."""
        with self._changed:
            self._due.pop(key, None)
            self._unsupported.discard(key)

    def due(self) -> dict[str, int]:
        """The next due time of each node that has one."""
        with self._changed:
            return dict(self._due)

    def command(self, *, advance: str | None = None, to: str | None = None,
                data_retention: bool = False) -> dict[str, Any]:
        """What ``mmplug clock``, ``mmplug dev``'s control channel and the explorer ask: move
        the clock by ``advance`` (``30d``, ``12h``, ...) or to ``to`` (ISO 8601), or only
        look; a JSON-ready answer: the time before and after, the jobs that ran (by node) and
        what is due next."""
        if advance is not None and to is not None:
            raise UsageError("give the clock either a duration to advance by or a time to be "
                             "set to, not both")
        before = self.now_ms()
        ticks: list[Tick] = []
        if advance is not None:
            ticks = self.advance(parse_duration(advance), data_retention=data_retention)
        elif to is not None:
            ticks = self.set(to, data_retention=data_retention)
        return {
            "before": _iso(before),
            "now": _iso(self.now_ms()),
            "running": self.running,
            "ran": [{"node": t.key, "at": _iso(t.at_ms), "job": job}
                    for t in ticks for job in t.ran],
            "failed": [{"node": t.key, "at": _iso(t.at_ms), "error": t.error}
                       for t in ticks if t.error],
            "ticks": len(ticks),
            "due": {key: _iso(at) for key, at in sorted(self.due().items())},
        }

    # -- moving the clock -----------------------------------------------------------------------
    def advance(self, delta: _dt.timedelta | None = None, *, days: float = 0, hours: float = 0,
                minutes: float = 0, seconds: float = 0,
                data_retention: bool = False) -> list[Tick]:
        """Move the clock forward (``advance(days=30)``, or a ``timedelta``), running every
        scheduled job that falls due on the way, in order; the ticks it made."""
        step = delta or _dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        step_ms = int(step.total_seconds() * 1000)
        if step_ms < 0:
            raise UsageError(f"the clock only moves forward here ({step} is negative)",
                             hint="use set(...) to put it anywhere, earlier too")
        with self._moving:
            return self._move_to(_reachable(self.now_ms() + step_ms, f"forward by {step}"),
                                 data_retention)

    def set(self, when: _dt.datetime | int | str, *, data_retention: bool = False) -> list[Tick]:
        """Put the clock at ``when`` (a datetime, milliseconds, or an ISO 8601 text; UTC
        unless it says otherwise). Forward, it is :meth:`advance`; backward, every node
        re-reads its jobs (the KV store may hold newer runs than the time now)."""
        target = _reachable(parse_time(when), f"to {when}")
        with self._moving:
            if target >= self.now_ms():
                return self._move_to(target, data_retention)
            return self.rewind(target)

    def rewind(self, to_ms: int) -> list[Tick]:
        """Put the clock back at ``to_ms`` (a test restoring its state) and have every node
        re-read its jobs."""
        with self._moving:
            self._store().clock.set(to_ms)  # type: ignore[attr-defined]
            keys = [t.key for t in self._live_targets()]
            return self._tick(keys, to_ms, rewound=True)

    def settle(self) -> list[Tick]:
        """Tick every node whose jobs are due now (the session's start does it once; with a
        stepping clock, nothing else runs them until the clock moves)."""
        with self._moving:
            return self._tick_due(self.now_ms())

    def _move_to(self, target: int, data_retention: bool) -> list[Tick]:
        done: list[Tick] = []
        clock = self._store().clock
        retention = self._retention_times(self.now_ms(), target) if data_retention else []
        while True:
            if self._closed:  # the session is closing: a long move ends at its next step
                raise MmplugError(f"the clock stopped at {_iso(self.now_ms())} on its way to "
                                  f"{_iso(target)}: the session is closing")
            pending = [at for at in self._due_live().values() if at <= target]
            pending += [at for at in retention if at <= target]
            if not pending:
                break
            at = min(pending)
            if at > self.now_ms():
                clock.set(at)  # type: ignore[attr-defined]
            if retention and retention[0] <= at:
                self._retention(retention.pop(0))
            done += self._tick_due(at)
        if target > self.now_ms():
            clock.set(target)  # type: ignore[attr-defined]
        self._purge_expired_kv()
        return done

    def poke(self) -> None:
        """A node became active (its due jobs may be ticked now)."""
        with self._changed:
            self._changed.notify_all()

    def _due_live(self) -> dict[str, int]:
        """The due times of the nodes that can be ticked now (active ones)."""
        live = {t.key for t in self._live_targets()}
        return {key: at for key, at in self.due().items() if key in live}

    def _tick_due(self, now: int) -> list[Tick]:
        done: list[Tick] = []
        for _ in range(MAX_TICKS_AT_ONE_TIME):
            keys = [key for key, at in self._due_live().items() if at <= now]
            if not keys:
                return done
            done += self._tick(keys, self.now_ms(), rewound=False)
        stuck = [key for key, at in self._due_live().items() if at <= now]
        for key in stuck:
            self._say("warn", key, f"its jobs are due again at once after "
                      f"{MAX_TICKS_AT_ONE_TIME} ticks at the same time; left until the clock "
                      "moves on")
            with self._changed:
                self._due[key] = now + 1
        return done

    def _live_targets(self) -> list[TickTarget]:
        return [t for t in self._targets() if t.key not in self._unsupported]

    def _tick(self, keys: list[str], at_ms: int, *, rewound: bool) -> list[Tick]:
        targets = [t for t in self._live_targets() if t.key in keys]
        if not targets:
            return []
        if len(targets) == 1:
            results = [self._tick_one(targets[0], at_ms, rewound)]
        else:  # the nodes of a cluster run at once: their jobs race for the cluster mutex
            results = list(self._pool(len(targets)).map(
                lambda t: self._tick_one(t, at_ms, rewound), targets))
        self.ticks.extend(results)
        return results

    def _tick_one(self, target: TickTarget, at_ms: int, rewound: bool) -> Tick:
        tick = Tick(target.key, at_ms)
        try:
            answer = target.client.tick(at_ms, rewound=rewound, running=self.running,
                                        metadata=target.tag(), timeout=target.timeout)
        except MmplugError as exc:  # the node died (or hung) while its jobs ran
            with self._changed:
                self._due.pop(target.key, None)
            tick.error = exc.message
            target.crashed(exc)
            return tick
        if answer is None:  # not mmplug's SDK: it has no scheduled jobs
            with self._changed:
                self._due.pop(target.key, None)
                self._unsupported.add(target.key)
            return tick
        tick.ran, tick.next_due_ms, tick.error = answer.ran, answer.next_due_ms, answer.error
        if tick.error:
            self._say("error", target.key, f"the tick failed: {tick.error}")
        with self._changed:
            if tick.next_due_ms:
                self._due[target.key] = tick.next_due_ms
            else:
                self._due.pop(target.key, None)
        for job in tick.ran:
            self._say("debug", target.key, f"job {job} ran", at=_iso(at_ms))
        return tick

    def _pool(self, size: int) -> ThreadPoolExecutor:
        with self._changed:
            if self._workers is None or self._workers[1] < size:
                if self._workers is not None:
                    self._workers[0].shutdown(wait=False)
                self._workers = (ThreadPoolExecutor(max_workers=size,
                                                    thread_name_prefix="mmplug-tick"), size)
            return self._workers[0]

    # -- what the server does as time passes ---------------------------------------------------
    def _purge_expired_kv(self) -> None:
        from mmplug.host.api.queries import purge_expired_kv

        purge_expired_kv(self._store(), self.now_ms())

    def _retention_times(self, start: int, end: int) -> list[int]:
        """The data retention job's start times in ``(start, end]``."""
        hour, minute = _retention_start(self._store())
        day = _dt.datetime.fromtimestamp(start / 1000, tz=_dt.timezone.utc).date()
        times: list[int] = []
        while True:
            at = int(_dt.datetime(day.year, day.month, day.day, hour, minute,
                                  tzinfo=_dt.timezone.utc).timestamp() * 1000)
            if at > end:
                return times
            if at > start:
                times.append(at)
            day += _dt.timedelta(days=1)

    def _retention(self, at_ms: int) -> None:
        if self._run_data_retention is not None:
            self._run_data_retention(at_ms, _retention_batch(self._store()))

    # -- a running clock ticks by itself -------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._changed:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="mmplug-clock", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            dues = list(self._due_live().values())
            with self._changed:
                if self._closed:
                    return
                wait = (min(dues) - self.now_ms()) / 1000 if dues else None
                if wait is None or wait > 0:
                    self._changed.wait(timeout=wait)
                    continue
            try:
                self.settle()
            except Exception as exc:  # a broken tick must not stop the clock's thread
                self._say("error", "", f"ticking the plugins failed: {exc}")

    def close(self) -> None:
        """Stop the clock's thread and end a move under way at its next step (the session
        closes the clock; so does a dev loop before it waits for a move's lock)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            thread, self._thread = self._thread, None
            workers, self._workers = self._workers, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if workers is not None:
            workers[0].shutdown(wait=False)

    def _say(self, level: str, key: str, message: str, **fields: Any) -> None:
        from mmplug.host.logs import host_record

        plugin_id, _, node = key.partition("@")
        record = host_record(plugin_id, level, f"clock: {message}", **fields)
        record.node = node
        self._log(record)


def parse_time(when: _dt.datetime | int | str) -> int:
    """Milliseconds since the epoch from a datetime, a number of milliseconds or an ISO 8601
    text (``2026-03-01``, ``2026-03-01T09:30``, ``...Z``; UTC unless it says otherwise)."""
    if isinstance(when, bool):
        raise UsageError(f"not a time: {when!r}")
    if isinstance(when, int):
        return when
    if isinstance(when, str):
        text = when.strip().replace("Z", "+00:00")
        try:
            when = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{when!r} is not a time",
                             hint="give an ISO 8601 date or time, e.g. 2026-03-01 or "
                                  "2026-03-01T09:30 (UTC unless it has an offset)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return int(when.timestamp() * 1000)


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> _dt.timedelta:
    """``30d``, ``12h``, ``90m``, ``45s``, ``1w``, ``1d12h`` (a plain number is seconds)."""
    import re

    cleaned = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", cleaned):
        return _dt.timedelta(seconds=float(cleaned))
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|min|m|h|d|w)", cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise UsageError(f"{text!r} is not a duration",
                         hint="write it like 30d, 12h, 90m, 45s, 1w or 1d12h")
    try:
        return _dt.timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
    except OverflowError:
        raise UsageError(f"{text!r} is too long a duration for the clock",
                         hint=_REACH) from None


_REACH = "move it by less, or to a time before 9999-01-01"


def _reachable(target_ms: int, move: str) -> int:
    """``target_ms``, when the clock can be put there; else a usage error (before it moves)."""
    if not EARLIEST_MS <= target_ms <= LATEST_MS:
        raise UsageError(f"the clock cannot move {move}: it keeps to the years 1 to 9998",
                         hint=_REACH)
    return target_ms


def _iso(ms: int) -> str:
    """In whole milliseconds (no float rounding past the last one of 9999)."""
    return (_EPOCH + _dt.timedelta(milliseconds=ms)).isoformat() + "Z"


def _retention_settings(store: Store) -> dict[str, Any]:
    from mmplug.host.api.queries import server_config_section

    return server_config_section(store, "DataRetentionSettings")


def _retention_start(store: Store) -> tuple[int, int]:
    text = str(_retention_settings(store).get("DeletionJobStartTime") or
               DEFAULT_RETENTION_START)
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        hour, minute = 2, 0
    return hour, minute


def _retention_batch(store: Store) -> int:
    value = _retention_settings(store).get("BatchSize")
    return value if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_BATCH
