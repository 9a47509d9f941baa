"""The process's scheduled jobs (``mmplug.sdk.cluster.schedule``): when each is due, and who
wakes it.

Under a real server (the wall clock) each job has a thread that sleeps until the job is due,
as the Go plugin API's job has a goroutine. Under mmplug's fake host (``MMPLUG_HOST_CLOCK=1``)
no job sleeps: the scheduler tells the host the earliest time a job is due
(``HostClock/WakeAt``) and the host calls ``PluginClock/Tick`` when its clock gets there, by
itself or because a test moved it (``plugin.clock.advance(days=30)``). A tick evaluates the
jobs that are due, one after the other, and answers when they are done, with the next due
time: so a test that moves the clock 30 days sees the 30 runs happen, in order, before
``advance`` returns.

Evaluating a job is the Go job's loop body: take the job's cluster mutex (without waiting: a
node that does not get it looks again when the holder's lock would expire), read the job's
metadata from the KV store, run the callback if the wait strategy says it is time, write the
time it finished, release the mutex.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from . import _calltag, _clock, _kvsteps
from ._kvsteps import CompareAndSet, Get, Now, Run, Steps
from ._refresh import REFRESHER, Held

if TYPE_CHECKING:
    import grpc  # type: ignore[import-untyped]

    from ._async import LoopRunner
    from ._plugin import Plugin

T = TypeVar("T")
log = logging.getLogger("mmplug.sdk.cluster")
CRON_PREFIX = "cron_"
LOCK_TTL_MS = 15_000
# How long a node waits (wall time) for another node's run of the same job to end before it
# looks again when that node's lock would expire: long enough for a short run, so that a
# cluster settles a due job in one round; a node that died holding the lock costs this once.
LOCK_PATIENCE = 0.25
MIN_RETRY_MS = 1_000
MAX_RETRY_MS = 5 * 60_000


@dataclass(frozen=True)
class JobMetadata:
    """What the cluster knows of a job, kept in the KV store under ``cron_<key>`` (the Go
    plugin API's layout): when it last finished, on any node (None: never)."""

    last_finished: _dt.datetime | None = None

    def encode(self) -> bytes:
        finished = self.last_finished
        text = ("0001-01-01T00:00:00Z" if finished is None else
                finished.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z"))
        return json.dumps({"LastFinished": text}, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes | None) -> JobMetadata:
        if not raw:
            return cls()
        try:
            text = str(json.loads(raw)["LastFinished"])
        except (ValueError, KeyError, TypeError):
            log.warning("job metadata %r is unreadable; the job runs as if never run", raw[:80])
            return cls()
        if text.startswith("0001-"):
            return cls()
        return cls(_parse_time(text))


def _parse_time(text: str) -> _dt.datetime | None:
    """An RFC 3339 time as Go writes it (``Z``, up to nanoseconds); None when unreadable."""
    text = text.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Python < 3.11 takes at most 6 fractional digits
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        value = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)


NextWait = Callable[[_dt.datetime, JobMetadata], _dt.timedelta]


class Job:
    """A job scheduled with :func:`mmplug.sdk.cluster.schedule`; ``close()`` stops it on this
    node (the other nodes keep running it)."""

    def __init__(self, scheduler: Scheduler, plugin: Plugin, key: str,
                 next_wait: NextWait, callback: Callable[[], Any]) -> None:
        if not key:
            raise ValueError("a job needs a key (its metadata is kept under cron_<key>)")
        self.key = key
        self.metadata_key = CRON_PREFIX + key
        self.mutex_key = _kvsteps.MUTEX_PREFIX + self.metadata_key
        self.next_wait = next_wait
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback)
        self._plugin = plugin
        self._scheduler = scheduler
        self.due_ms = 0  # evaluated at once, as the Go job's first loop
        self.closed = threading.Event()
        self._running = threading.Lock()
        self._runner_ident: int | None = None
        self._failures = 0
        self.thread: threading.Thread | None = None

    def close(self) -> None:
        """Stop scheduling this job on this node; a run in progress finishes first (unless
        this is called from the job's own callback)."""
        if self.closed.is_set():
            return
        self.closed.set()
        self._scheduler.remove(self)
        if self._running.acquire(blocking=not self._in_own_run()):
            self._running.release()

    def _in_own_run(self) -> bool:
        return self._runner_ident == threading.get_ident()

    def metadata(self) -> JobMetadata:
        """The job's metadata as the KV store holds it now (a blocking call, also in an
        ``AsyncPlugin``: use it from a thread or a test, not on the plugin's loop)."""
        return JobMetadata.decode(_sync_call(self._plugin, lambda api: api.kv_get(
            self.metadata_key)))

    # -- one evaluation ----------------------------------------------------------------------
    def evaluate(self, runner: LoopRunner) -> tuple[int, bool]:
        """Take the mutex, run the callback if it is due, release: ``(next due ms, ran)``."""
        with self._running:
            if self.closed.is_set():
                return 0, False
            self._runner_ident = threading.get_ident()
            ran: list[bool] = []
            try:
                if self.is_async:
                    async def evaluate_async() -> int:
                        return await _kvsteps.drive_async(
                            self._plugin.api, self._steps(ran),  # type: ignore[arg-type]
                            run=self.callback)

                    due: int = runner.call(evaluate_async)
                else:
                    due = _kvsteps.drive(self._plugin.api, self._steps(ran),
                                         run=self.callback)
            except Exception as exc:  # the KV store failing: look again later, backing off
                self._failures += 1
                wait = min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** (self._failures - 1))
                log.error("job %s could not be evaluated: %s; trying again in %d s",
                          self.key, exc, wait // 1000, extra={"job": self.key})
                return _clock.now_ms() + wait, False
            finally:
                self._runner_ident = None
            self._failures = 0
            return due, bool(ran)

    def _steps(self, ran: list[bool]) -> Steps[int]:
        held, busy_until = yield from _kvsteps.lock_within(self.mutex_key, LOCK_TTL_MS,
                                                           LOCK_PATIENCE)
        if held is None:  # another node holds it: look again when its lock would expire
            now: int = yield Now()
            return busy_until if busy_until > now else now + MIN_RETRY_MS
        try:
            raw: bytes | None = yield Get(self.metadata_key)
            metadata = JobMetadata.decode(raw)
            now = yield Now()
            wait = self.next_wait(_clock.from_ms(now), metadata)
            if wait > _dt.timedelta(0):
                return now + _ms(wait)
            refresher = _Refresher.start(self, held)
            try:
                yield Run()
            except Exception:
                log.exception("job %s raised; it counts as run", self.key,
                              extra={"job": self.key})
            finally:
                held = refresher.stop()
            ran.append(True)
            finished: int = yield Now()
            metadata = JobMetadata(_clock.from_ms(finished))
            if not (yield CompareAndSet(self.metadata_key, raw, metadata.encode())):
                log.error("job %s: its metadata changed while it ran (its lock expired and "
                          "another node ran it too); keeping the other node's", self.key,
                          extra={"job": self.key})
            return finished + max(_ms(self.next_wait(_clock.from_ms(finished), metadata)),
                                  1)
        finally:
            yield CompareAndSet(self.mutex_key, held, None)


def _ms(delta: _dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


class _Refresher:
    """Keeps a job's lock from expiring while its callback runs (the process's one lock
    refresher, every half of the lock's time to live, in wall time)."""

    def __init__(self, held: Held) -> None:
        self._held = held

    @classmethod
    def start(cls, job: Job, held: bytes) -> _Refresher:
        return cls(REFRESHER.keep(job.mutex_key, held, LOCK_TTL_MS / 1000,
                                  lambda value: _refresh_sync(job, value)))

    def stop(self) -> bytes:
        return self._held.stop()


def _refresh_sync(job: Job, held: bytes) -> bytes | None:
    """One refresh, with a sync client (an async plugin's client belongs to its loop, which
    may be busy running the very job)."""
    return _sync_call(job._plugin, lambda api: _kvsteps.drive(
        api, _kvsteps.refresh(job.mutex_key, held, LOCK_TTL_MS)))


def _sync_call(plugin: Plugin, call: Callable[[Any], T]) -> T:
    """``call(api)`` with the plugin's sync client, or, for an ``AsyncPlugin``, a sync client
    of the same PluginAPI."""
    from ._aio import AsyncAPIClient
    from ._client import APIClient

    api = plugin.api
    if not isinstance(api, AsyncAPIClient):
        return call(api)
    with APIClient(api.target) as client:
        return call(client)


class Scheduler:
    """The jobs of this process (one per plugin process)."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self._lock = threading.Lock()
        self.runner: LoopRunner | None = None
        self.host = _clock.host_clock_enabled()

    def loop_runner(self) -> LoopRunner:
        if self.runner is None:
            from ._async import LoopRunner

            self.runner = LoopRunner()
        return self.runner

    def add(self, job: Job) -> None:
        with self._lock:
            self.jobs.append(job)
        if self.host:
            _clock.wake_at(max(_clock.now_ms(), 1))
            return
        job.thread = threading.Thread(target=self._wall_loop, args=(job,),
                                      name=f"mmplug-job-{job.key}", daemon=True)
        job.thread.start()

    def remove(self, job: Job) -> None:
        with self._lock:
            if job in self.jobs:
                self.jobs.remove(job)

    def close(self) -> None:
        for job in list(self.jobs):
            job.closed.set()
        with self._lock:
            self.jobs.clear()

    def next_due(self) -> int:
        with self._lock:
            dues = [job.due_ms for job in self.jobs]
        return min(dues) if dues else 0

    # -- under the wall clock ---------------------------------------------------------------
    def _wall_loop(self, job: Job) -> None:
        while not job.closed.is_set():
            wait = job.due_ms - _clock.now_ms()
            if wait > 0:
                job.closed.wait(wait / 1000)
                continue
            job.due_ms, _ran = job.evaluate(self.loop_runner())

    # -- under mmplug's host: PluginClock/Tick ----------------------------------------------
    def tick(self, now_ms: int, rewound: bool) -> tuple[int, list[str]]:
        """Evaluate the jobs due at ``now_ms`` (every job when the host's clock went back);
        the next due time and the keys of the jobs that ran."""
        with self._lock:
            due = [job for job in self.jobs if rewound or job.due_ms <= now_ms]
        ran: list[str] = []
        for job in due:
            job.due_ms, did = job.evaluate(self.loop_runner())
            if did:
                ran.append(job.key)
        return self.next_due(), ran


_SCHEDULER: Scheduler | None = None
_SCHEDULER_LOCK = threading.Lock()


def scheduler() -> Scheduler:
    global _SCHEDULER
    with _SCHEDULER_LOCK:
        if _SCHEDULER is None:
            _SCHEDULER = Scheduler()
        return _SCHEDULER


def install(runner: LoopRunner) -> None:
    """``serve()``: async callbacks run on the plugin's loop of ``async def`` hooks."""
    scheduler().runner = runner


def shutdown() -> None:
    """``serve()``, as the plugin stops: no job runs any more."""
    with _SCHEDULER_LOCK:
        found = _SCHEDULER
    if found is not None:
        found.close()
    _clock.close()


def tick_handler() -> grpc.GenericRpcHandler:
    """``mmplug.ext.v1.PluginClock/Tick`` for the plugin's gRPC server (its messages are
    imported on the first tick: a plugin that schedules nothing never loads them)."""
    import grpc

    path = f"/{_clock.PLUGIN_CLOCK_SERVICE}/Tick"

    def tick(request: Any, context: grpc.ServicerContext) -> Any:
        from mmplug.protocol import mmplug_ext_pb2 as ext

        token = _calltag.enter(_calltag.from_metadata(context.invocation_metadata()))
        at = _clock.in_tick(request.now_ms, request.running)
        try:
            due, ran = scheduler().tick(request.now_ms, request.rewound)
        finally:
            _clock.end_tick(at)
            _calltag.leave(token)
        return ext.TickResponse(next_due_ms=due, ran=ran)

    def parse(data: bytes) -> Any:
        from mmplug.protocol import mmplug_ext_pb2 as ext

        return ext.TickRequest.FromString(data)

    method = grpc.unary_unary_rpc_method_handler(tick, parse, lambda m: m.SerializeToString())

    class TickService(grpc.GenericRpcHandler):  # type: ignore[misc]
        def service(self, details: Any) -> Any:
            return method if details.method == path else None

    return TickService()
