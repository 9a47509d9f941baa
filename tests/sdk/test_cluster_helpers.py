"""mmplug.sdk.cluster on its own: the mutex, the counter and a job under the wall clock (as
under a real server, where no host drives the time), against a real PluginAPI server and store;
an AsyncPlugin's helpers under the host's clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mmplug.host.session import Session
from mmplug.sdk import APIClient, Plugin, _clock, _kvsteps
from mmplug.sdk.cluster import (
    Counter,
    JobMetadata,
    Mutex,
    schedule,
    wait_for_interval,
    wait_for_rounded_interval,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    """The PluginAPI of a running plugin (the test talks to its KV namespace)."""
    with Session([FIXTURES / "cluster_plugin"], store=":memory:") as session:
        target = session.plugin().api_target
        assert target is not None
        yield target


@pytest.fixture()
def api(target: str) -> Iterator[APIClient]:
    with APIClient(target) as client:
        yield client


def test_outside_mmplug_the_helpers_go_by_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MMPLUG_HOST_CLOCK", raising=False)
    assert not _clock.host_clock_enabled()
    before = dt.datetime.now(UTC)
    assert before - dt.timedelta(seconds=1) <= _clock.now() <= dt.datetime.now(UTC)


def test_a_mutex_is_held_by_one_holder_at_a_time(api: APIClient) -> None:
    first, second = Mutex(api, "one-at-a-time"), Mutex(api, "one-at-a-time")
    assert first.try_lock()
    assert not second.try_lock()
    with pytest.raises(TimeoutError, match="one-at-a-time"):
        second.lock(timeout=0.2)
    first.unlock()
    with second:
        assert second.locked and not first.try_lock()
    assert api.kv_get("mutex_one-at-a-time") is None
    with pytest.raises(RuntimeError, match="not held"):
        first.unlock()


def test_a_lock_left_by_a_dead_holder_is_taken_over_once_expired(api: APIClient) -> None:
    # a node died holding it: the value says it expired a second ago
    api.kv_set("mutex_orphan", _kvsteps.lock_value(_clock.now_ms() - 1000))
    taker = Mutex(api, "orphan")
    assert taker.try_lock()
    taker.unlock()
    api.kv_set("mutex_fresh", _kvsteps.lock_value(_clock.now_ms() + 60_000))
    assert not Mutex(api, "fresh").try_lock()  # still valid: left alone


def test_a_held_mutex_refreshes_itself(api: APIClient) -> None:
    mutex = Mutex(api, "refreshed", ttl=0.2)
    mutex.lock()
    try:
        first = api.kv_get("mutex_refreshed")
        changed = threading.Event()

        def watch() -> None:
            while not changed.is_set():
                if api.kv_get("mutex_refreshed") != first:
                    changed.set()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        assert changed.wait(10)  # refreshed every ttl/2 while held
        assert not Mutex(api, "refreshed").try_lock()
    finally:
        changed.set()
        mutex.unlock()


def test_a_counter_loses_no_update_under_concurrency(api: APIClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: Counter(api, "hits").add(1), range(200)))
    assert Counter(api, "hits").value() == 200
    assert sorted(results) == list(range(1, 201))  # every addition saw a distinct value
    assert api.kv_get_json("hits") == 200
    api.kv_set("hits", "many")
    with pytest.raises(ValueError, match="not a counter"):
        Counter(api, "hits").add(1)


def test_a_counter_whose_compare_and_set_always_fails_gives_up_with_an_error() -> None:
    """The steps of Counter.add driven by hand: a KV store that refuses every compare-and-set
    (a stub answering false, a writer that never stops) ends in RuntimeError after
    ADD_ATTEMPTS tries with bounded pauses between them, not in a loop until the deadline."""
    steps = _kvsteps.add("hits", 1)
    step, tries, paused = next(steps), 0, []
    with pytest.raises(RuntimeError, match="failed 100 times"):
        while True:
            if isinstance(step, _kvsteps.CompareAndSet):
                tries += 1
                step = steps.send(False)
            elif isinstance(step, _kvsteps.Sleep):
                paused.append(step.seconds)
                step = steps.send(None)
            else:
                step = steps.send(b"7")
    assert tries == _kvsteps.ADD_ATTEMPTS
    assert paused and max(paused) <= 0.05


def test_a_job_under_the_wall_clock_runs_on_its_own_thread(
        api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MMPLUG_HOST_CLOCK", raising=False)
    from mmplug.sdk._scheduler import Scheduler

    class Standalone(Plugin):
        pass

    plugin = Standalone()
    plugin.api = api
    runs: list[int] = []
    twice = threading.Event()

    def run() -> None:
        runs.append(1)
        if len(runs) == 2:
            twice.set()

    jobs = Scheduler()
    assert not jobs.host
    from mmplug.sdk import _scheduler

    monkeypatch.setattr(_scheduler, "_SCHEDULER", jobs)
    job = schedule(plugin, "wall", run, every=dt.timedelta(milliseconds=50))
    try:
        assert twice.wait(10)
    finally:
        job.close()
    metadata = job.metadata()
    assert metadata.last_finished is not None
    assert api.kv_get("mutex_cron_wall") is None  # released after each run


def test_job_metadata_reads_and_writes_the_go_layout() -> None:
    at = dt.datetime(2026, 3, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert JobMetadata(at).encode() == b'{"LastFinished":"2026-03-01T00:00:00.123456Z"}'
    go = b'{"LastFinished":"2026-03-01T00:00:00.123456789Z"}'  # Go writes nanoseconds
    assert JobMetadata.decode(go).last_finished == at
    assert JobMetadata.decode(b'{"LastFinished":"0001-01-01T00:00:00Z"}').last_finished is None
    assert JobMetadata.decode(None) == JobMetadata()
    assert JobMetadata.decode(b"garbage") == JobMetadata()


def test_wait_strategies() -> None:
    never = JobMetadata()
    ran = JobMetadata(dt.datetime(2026, 3, 1, 12, 1, tzinfo=UTC))
    at = dt.datetime(2026, 3, 1, 12, 4, tzinfo=UTC)
    five = dt.timedelta(minutes=5)
    assert wait_for_interval(five)(at, never) == dt.timedelta(0)
    assert wait_for_interval(five)(at, ran) == dt.timedelta(minutes=2)  # 12:06
    assert wait_for_rounded_interval(five)(at, ran) == dt.timedelta(minutes=1)  # 12:05
    daily = wait_for_rounded_interval(dt.timedelta(days=1))
    assert daily(at, ran) == dt.timedelta(hours=11, minutes=56)  # midnight UTC
    with pytest.raises(ValueError, match="positive"):
        wait_for_interval(dt.timedelta(0))


def test_schedule_checks_its_arguments() -> None:
    class Sync(Plugin):
        pass

    async def coroutine() -> None:
        pass

    with pytest.raises(ValueError, match=r"every=\.\.\. or next_wait"):
        schedule(Sync(), "x", lambda: None)
    with pytest.raises(TypeError, match="a Plugin schedules a plain def"):
        schedule(Sync(), "x", coroutine, every=60)
    with pytest.raises(ValueError, match="needs a key"):
        schedule(Sync(), "", lambda: None, every=60)


def test_an_async_plugin_uses_the_async_helpers_under_the_host_clock() -> None:
    with Session([FIXTURES / "cluster_async_plugin"], store=":memory:",
                 start_time="2026-03-01T10:00Z") as session:
        alice = session.as_user("alice")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: alice.post("town-square", "counter hits"), range(20)))
            list(pool.map(lambda n: alice.post("town-square", "mutex guarded"), range(20)))
        session.clock.advance(days=3)
        with session.store.read() as db:
            kv = {r["key"]: bytes(r["value"]) for r in db.execute("SELECT key, value FROM kv")}
    assert kv["hits"] == b"20" and kv["guarded"] == b"20"
    assert {k: v for k, v in kv.items() if k.startswith("daily:")} == {
        "daily:2026-03-01": b"1", "daily:2026-03-02": b"1", "daily:2026-03-03": b"1",
        "daily:2026-03-04": b"1"}
