"""Building blocks for plugins that run on several server nodes at once (high availability).

Mattermost starts a plugin once per node of a cluster: every node runs its own process of the
plugin, they share the database (the KV store, posts, config) and nothing else. These helpers
are the Python counterparts of the Go plugin API's ``cluster`` package, built on the KV store's
atomic operations, for sync plugins (``self.api``) and async ones (``await``)::

    from datetime import timedelta
    from mmplug.sdk import Plugin
    from mmplug.sdk.cluster import Counter, Mutex, schedule

    class Digest(Plugin):
        def on_activate(self):
            # once a day across the whole cluster, whichever node gets there first
            self.job = schedule(self, "daily-digest", self.send_digest, every=timedelta(days=1))

        def on_deactivate(self):
            self.job.close()

        def message_has_been_posted(self, context, post):
            Counter(self.api, f"posts:{post.channel_id}").add(1)     # never loses an update

        def send_digest(self):
            with Mutex(self.api, "digest-state"):                   # one node at a time
                ...

Guarantees and limits are in docs/sdk.md ("Several nodes: mmplug.sdk.cluster").
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, overload

from . import _clock, _kvsteps
from ._refresh import REFRESHER, Held
from ._scheduler import Job, JobMetadata, NextWait, scheduler

if TYPE_CHECKING:
    from types import TracebackType

    from ._aio import AsyncAPIClient
    from ._client import APIClient
    from ._plugin import AsyncPlugin, Plugin

DEFAULT_TTL = 15.0
_MIN_WAIT = 0.05
_MAX_WAIT = 1.0


def now() -> _dt.datetime:
    """The time now (UTC): the fake host's clock under mmplug (which a test can move), the
    wall clock under a real server. Decide "today" and "yesterday" with it."""
    return _clock.now()


def _lock_key(name: str) -> str:
    if not name:
        raise ValueError("a mutex needs a name (its KV key is mutex_<name>)")
    return _kvsteps.MUTEX_PREFIX + name


class Mutex:
    """A lock held by one node of the cluster at a time (and by one thread of it), kept in the
    KV store under ``mutex_<name>``, like the Go plugin API's ``cluster.Mutex``.

    ``with Mutex(self.api, "name"):`` waits for the lock; ``try_lock()`` does not wait. The lock
    expires ``ttl`` seconds after it was taken unless its holder refreshes it, which a held
    Mutex does by itself every ``ttl / 2`` seconds: a node that dies holding it blocks the
    others for at most ``ttl``. Mutexes with the same name in the same plugin are one lock;
    different plugins never share one."""

    def __init__(self, api: APIClient, name: str, *, ttl: float = DEFAULT_TTL) -> None:
        self.api = api
        self.name = name
        self.key = _lock_key(name)
        self.ttl = ttl
        self._keeper: Held | None = None
        self._guard = threading.Lock()

    @property
    def locked(self) -> bool:
        """Whether this object holds the lock."""
        return self._keeper is not None

    def try_lock(self) -> bool:
        """Take the lock if nobody holds it; whether it was taken."""
        if self._keeper is not None:
            return False
        held, _until = _kvsteps.drive(self.api, _kvsteps.try_lock(self.key, self._ttl_ms()))
        if held is None:
            return False
        self._hold(held)
        return True

    def lock(self, timeout: float | None = None) -> None:
        """Wait for the lock (at most ``timeout`` seconds: then ``TimeoutError``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        wait = _MIN_WAIT
        while not self.try_lock():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"mutex {self.name!r}: not acquired within {timeout} s")
            time.sleep(wait if left is None else min(wait, left))
            wait = min(_MAX_WAIT, wait * 2)

    def unlock(self) -> None:
        """Release the lock (``RuntimeError`` when not held)."""
        held = self._release()
        _kvsteps.drive(self.api, _kvsteps.unlock(self.key, held))

    def __enter__(self) -> Mutex:
        self.lock()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.unlock()

    def _ttl_ms(self) -> int:
        return int(self.ttl * 1000)

    def _hold(self, held: bytes) -> None:
        def refresh(value: bytes) -> bytes | None:
            return _kvsteps.drive(self.api, _kvsteps.refresh(self.key, value, self._ttl_ms()))

        keeper = REFRESHER.keep(f"mutex_{self.name}", held, self.ttl, refresh)
        with self._guard:
            self._keeper = keeper

    def _release(self) -> bytes:
        with self._guard:
            keeper, self._keeper = self._keeper, None
        if keeper is None:
            raise RuntimeError(f"mutex {self.name!r} is not held")
        return keeper.stop()


class AsyncMutex:
    """:class:`Mutex` for an ``AsyncPlugin``: ``async with AsyncMutex(self.api, "name"):``,
    ``await m.try_lock()``; it refreshes itself on the plugin's event loop."""

    def __init__(self, api: AsyncAPIClient, name: str, *, ttl: float = DEFAULT_TTL) -> None:
        self.api = api
        self.name = name
        self.key = _lock_key(name)
        self.ttl = ttl
        self._held: bytes | None = None
        self._refresher: asyncio.Task[None] | None = None

    @property
    def locked(self) -> bool:
        return self._held is not None

    async def try_lock(self) -> bool:
        if self._held is not None:
            return False
        held, _until = await _kvsteps.drive_async(
            self.api, _kvsteps.try_lock(self.key, int(self.ttl * 1000)))
        if held is None:
            return False
        self._held = held
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop())
        return True

    async def lock(self, timeout: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        wait = _MIN_WAIT
        while not await self.try_lock():
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                raise TimeoutError(f"mutex {self.name!r}: not acquired within {timeout} s")
            await asyncio.sleep(wait if left is None else min(wait, left))
            wait = min(_MAX_WAIT, wait * 2)

    async def unlock(self) -> None:
        held, self._held = self._held, None
        if held is None:
            raise RuntimeError(f"mutex {self.name!r} is not held")
        refresher, self._refresher = self._refresher, None
        if refresher is not None and refresher is not asyncio.current_task():
            refresher.cancel()
        await _kvsteps.drive_async(self.api, _kvsteps.unlock(self.key, held))

    async def __aenter__(self) -> AsyncMutex:
        await self.lock()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.unlock()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 2)
            held = self._held
            if held is None:
                return
            value = await _kvsteps.drive_async(
                self.api, _kvsteps.refresh(self.key, held, int(self.ttl * 1000)))
            if self._held is not held:
                return
            if value is None:
                _kvsteps.log.error("mutex %s: the lock expired before it was refreshed; "
                                   "another node may hold it now", self.name)
                return
            self._held = value


class Counter:
    """An integer in the KV store that any node adds to without losing an update: a read and a
    compare-and-set, again while another writer got there first. The value is decimal text,
    so ``kv_get_json(key)`` reads it as a number too."""

    def __init__(self, api: APIClient, key: str) -> None:
        self.api = api
        self.key = key

    def add(self, delta: int = 1) -> int:
        """Add ``delta`` (negative subtracts); the value after this addition."""
        return _kvsteps.drive(self.api, _kvsteps.add(self.key, delta))

    def value(self) -> int:
        """The value now (0 when the key is absent)."""
        return _kvsteps.parse_count(self.api.kv_get(self.key), self.key)


class AsyncCounter:
    """:class:`Counter` for an ``AsyncPlugin``: ``await AsyncCounter(self.api, key).add(1)``."""

    def __init__(self, api: AsyncAPIClient, key: str) -> None:
        self.api = api
        self.key = key

    async def add(self, delta: int = 1) -> int:
        return await _kvsteps.drive_async(self.api, _kvsteps.add(self.key, delta))

    async def value(self) -> int:
        return _kvsteps.parse_count(await self.api.kv_get(self.key), self.key)


# -- scheduled jobs -------------------------------------------------------------------------
def wait_for_interval(interval: _dt.timedelta) -> NextWait:
    """Run ``interval`` after the job last finished anywhere in the cluster (and at once when
    it never ran): a job first run at 12:01 every 5 minutes runs at 12:06, 12:11, ..."""
    if interval <= _dt.timedelta(0):
        raise ValueError(f"a job's interval must be positive, not {interval}")

    def next_wait(at: _dt.datetime, metadata: JobMetadata) -> _dt.timedelta:
        if metadata.last_finished is None:
            return _dt.timedelta(0)
        return max(_dt.timedelta(0), interval - (at - metadata.last_finished))

    return next_wait


def wait_for_rounded_interval(interval: _dt.timedelta) -> NextWait:
    """Run on the next multiple of ``interval`` after the last finish (and at once when it
    never ran), as Go's ``time.Truncate`` counts them: a day runs at 00:00 UTC, an hour on the
    hour. Runs are not ``interval`` apart when a run finishes late."""
    if interval <= _dt.timedelta(0):
        raise ValueError(f"a job's interval must be positive, not {interval}")
    zero = _dt.datetime(1, 1, 1, tzinfo=_dt.timezone.utc)  # Go's zero time

    def next_wait(at: _dt.datetime, metadata: JobMetadata) -> _dt.timedelta:
        if metadata.last_finished is None:
            return _dt.timedelta(0)
        target = zero + ((metadata.last_finished + interval - zero) // interval) * interval
        return max(_dt.timedelta(0), target - at)

    return next_wait


@overload
def schedule(plugin: AsyncPlugin, key: str, run: Callable[[], Awaitable[Any]], *,
             every: _dt.timedelta | float | None = None, rounded: bool = False,
             next_wait: NextWait | None = None) -> Job: ...


@overload
def schedule(plugin: Plugin, key: str, run: Callable[[], Any], *,
             every: _dt.timedelta | float | None = None, rounded: bool = False,
             next_wait: NextWait | None = None) -> Job: ...


def schedule(plugin: Plugin, key: str, run: Callable[[], Any], *,
             every: _dt.timedelta | float | None = None, rounded: bool = False,
             next_wait: NextWait | None = None) -> Job:
    """Run ``run()`` once per interval across the whole cluster: on whichever node gets to it
    first, never on two nodes at once, and not again before the interval has passed since it
    last finished anywhere (the time is kept in the KV store under ``cron_<key>``, so a restart
    or a reload does not run it early). It runs at once when it never ran.

    ``every``: the interval (a ``timedelta`` or seconds), ``rounded=True`` to run on its
    multiples (daily at 00:00 UTC); or ``next_wait(now, metadata) -> timedelta`` for any
    other rule. ``run`` is an ``async def`` in an ``AsyncPlugin`` (it is awaited on the
    plugin's loop, and the job uses the async client), a plain function in a ``Plugin``. Close
    the job in ``on_deactivate``. Under mmplug the host's clock drives it: a test moving the
    clock 30 days sees 30 daily runs."""
    from ._plugin import AsyncPlugin

    if (every is None) == (next_wait is None):
        raise ValueError("schedule() takes either every=... or next_wait=..., and one of them")
    if every is not None:
        interval = every if isinstance(every, _dt.timedelta) else _dt.timedelta(seconds=every)
        next_wait = (wait_for_rounded_interval(interval) if rounded
                     else wait_for_interval(interval))
    assert next_wait is not None
    if isinstance(plugin, AsyncPlugin) != asyncio.iscoroutinefunction(run):
        kind = "an AsyncPlugin" if isinstance(plugin, AsyncPlugin) else "a Plugin"
        needs = "an async def" if isinstance(plugin, AsyncPlugin) else "a plain def"
        raise TypeError(f"job {key!r}: {kind} schedules {needs} callback "
                        f"({getattr(run, '__qualname__', run)!r} is not one)")
    jobs = scheduler()
    job = Job(jobs, plugin, key, next_wait, run)
    jobs.add(job)
    return job


__all__ = [
    "AsyncCounter",
    "AsyncMutex",
    "Counter",
    "Job",
    "JobMetadata",
    "Mutex",
    "NextWait",
    "now",
    "schedule",
    "wait_for_interval",
    "wait_for_rounded_interval",
]
