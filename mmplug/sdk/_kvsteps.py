"""The KV logic of the cluster helpers, written once for the sync and the async client.

Each helper (a mutex's lock, a job's run, a counter's add) is a generator of *steps*: it
yields what it needs done (read a key, compare-and-set it, the time, run the job's callback)
and gets the outcome sent back. :func:`drive` performs the steps with the sync ``APIClient``,
:func:`drive_async` awaits them with the ``AsyncAPIClient``; the logic does not know which.
An exception a step raised is thrown back into the generator at its ``yield``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import _clock

if TYPE_CHECKING:
    from ._aio import AsyncAPIClient
    from ._client import APIClient

T = TypeVar("T")
log = logging.getLogger("mmplug.sdk.cluster")


class Get(NamedTuple):
    """The value of ``key`` (None: absent)."""

    key: str


class CompareAndSet(NamedTuple):
    """Atomically: set ``key`` to ``new`` (None: delete it) if it holds ``old`` (None: absent).
    The answer is whether it did."""

    key: str
    old: bytes | None
    new: bytes | None


class Now(NamedTuple):
    """The time in milliseconds (the host's under mmplug, see ``_clock``)."""


class Run(NamedTuple):
    """Run the job's callback (only the driver knows whether to await it)."""


class Sleep(NamedTuple):
    """Wait ``seconds`` of wall time (``asyncio.sleep`` on the async driver)."""

    seconds: float


Step = Get | CompareAndSet | Now | Run | Sleep
Steps = Generator[Step, Any, T]


def drive(api: APIClient, steps: Steps[T], run: Callable[[], Any] | None = None) -> T:
    """Perform ``steps`` with the sync client; its result."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        error = value = None
        try:
            if isinstance(step, Get):
                value = api.kv_get(step.key)
            elif isinstance(step, CompareAndSet):
                value = api.kv_set_with_options(step.key, step.new, atomic=True,
                                                old_value=step.old)
            elif isinstance(step, Now):
                value = _clock.now_ms()
            elif isinstance(step, Sleep):
                time.sleep(step.seconds)
            else:
                assert run is not None
                value = run()
        except BaseException as exc:  # handed to the generator at its yield
            error = exc


async def drive_async(api: AsyncAPIClient, steps: Steps[T],
                      run: Callable[[], Any] | None = None) -> T:
    """Perform ``steps`` with the async client (on its loop); its result."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        error = value = None
        try:
            if isinstance(step, Get):
                value = await api.kv_get(step.key)
            elif isinstance(step, CompareAndSet):
                value = await api.kv_set_with_options(step.key, step.new, atomic=True,
                                                      old_value=step.old)
            elif isinstance(step, Now):
                value = _clock.now_ms()
            elif isinstance(step, Sleep):
                await asyncio.sleep(step.seconds)
            else:
                assert run is not None
                value = await run()
        except BaseException as exc:  # handed to the generator at its yield
            error = exc


# -- the mutex --------------------------------------------------------------------------------
MUTEX_PREFIX = "mutex_"


def lock_value(expires_ms: int) -> bytes:
    """The lock's value: its expiry in Unix nanoseconds (as the Go plugin API's mutex writes
    it), with random sub-millisecond digits so that two holders never write the same value."""
    return str(expires_ms * 1_000_000 + random.randrange(1_000_000)).encode()


def lock_expiry_ms(value: bytes | None) -> int | None:
    """The expiry a lock value holds (None: no lock; a value that is no number counts as
    expired, 0)."""
    if value is None:
        return None
    try:
        return int(value.decode()) // 1_000_000
    except (UnicodeDecodeError, ValueError):
        return 0


def try_lock(key: str, ttl_ms: int) -> Steps[tuple[bytes | None, int]]:
    """One attempt to take the lock ``key``: ``(value, 0)`` when taken (``value`` is ours, for
    refreshing and unlocking), else ``(None, until)``: the time it is held to."""
    now: int = yield Now()
    value = lock_value(now + ttl_ms)
    if (yield CompareAndSet(key, None, value)):
        return value, 0
    current: bytes | None = yield Get(key)
    expiry = lock_expiry_ms(current)
    if expiry is not None and expiry > now:
        return None, expiry
    if current is not None:  # expired: its holder is gone; remove it, if nobody did yet
        yield CompareAndSet(key, current, None)
    now = yield Now()
    value = lock_value(now + ttl_ms)
    if (yield CompareAndSet(key, None, value)):
        return value, 0
    return None, now


def lock_within(key: str, ttl_ms: int, patience: float) -> Steps[tuple[bytes | None, int]]:
    """:func:`try_lock`, again and again for up to ``patience`` seconds of wall time (sleeping
    1, 2, 4, ... ms between tries) while another holder has it: a holder that is busy for a
    moment lets go in time, one that died does not."""
    waited, pause = 0.0, 0.001
    while True:
        held, until = yield from try_lock(key, ttl_ms)
        if held is not None or waited >= patience:
            return held, until
        yield Sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.05, max(patience - waited, 0.001))


def refresh(key: str, held: bytes, ttl_ms: int) -> Steps[bytes | None]:
    """Move the lock's expiry on; the new value, or None when the lock is not ours any more."""
    now: int = yield Now()
    value = lock_value(now + ttl_ms)
    if (yield CompareAndSet(key, held, value)):
        return value
    return None


def unlock(key: str, held: bytes) -> Steps[bool]:
    """Release the lock if it is still ours (a compare-and-delete: a lock that expired and
    was taken by another node is left to that node)."""
    done: bool = yield CompareAndSet(key, held, None)
    return done


# -- the counter ------------------------------------------------------------------------------
def parse_count(value: bytes | None, key: str) -> int:
    if value is None:
        return 0
    try:
        return int(value.decode())
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"the KV value of {key!r} is not a counter (an integer in decimal): "
                         f"{value[:40]!r}") from None


ADD_ATTEMPTS = 100  # compare-and-sets an addition tries before it gives up


def add(key: str, delta: int) -> Steps[int]:
    """Add ``delta`` to the integer under ``key`` atomically (read, then compare-and-set,
    again while another writer got there first, with a growing random pause after the
    first tries so that writers that keep colliding spread out); the new value. A
    compare-and-set that fails ``ADD_ATTEMPTS`` times raises ``RuntimeError`` rather than
    holding the hook until its deadline."""
    pause = 0.001
    for attempt in range(1, ADD_ATTEMPTS + 1):
        current: bytes | None = yield Get(key)
        new = parse_count(current, key) + delta
        if (yield CompareAndSet(key, current, str(new).encode())):
            return new
        if attempt >= 3:
            yield Sleep(random.uniform(0, pause))
            pause = min(pause * 2, 0.05)
    raise RuntimeError(f"counter {key!r}: the compare-and-set failed {ADD_ATTEMPTS} times in "
                       "a row (another writer changes the key all the time, or the KV store "
                       "refuses it)")
