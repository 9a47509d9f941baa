"""The host's clock moves on purpose (session.clock): days pass, scheduled jobs run as they fall
due, KV entries expire, new posts take the new time, data retention runs when asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmplug.errors import UsageError
from mmplug.host.session import Session
from mmplug.host.timekeeper import parse_duration, parse_time

CLUSTER = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_plugin"
START = "2026-03-01T10:00:00Z"


def _daily_counts(session: Session) -> dict[str, int]:
    with session.store.read() as db:
        rows = db.execute("SELECT key, value FROM kv WHERE key LIKE 'daily:2%'").fetchall()
    return {r["key"].removeprefix("daily:"): int(bytes(r["value"])) for r in rows}


def _get(session: Session, path: str) -> bytes:
    return session.serve_http(None, "GET", path, [], iter([])).read()


@pytest.fixture()
def session() -> Iterator[Session]:
    with Session([CLUSTER], store=":memory:", start_time=START) as s:
        yield s


def test_the_clock_starts_where_asked_and_runs_on(session: Session) -> None:
    now = session.clock.now()
    assert dt.timedelta(0) <= now - dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone.utc) \
        < dt.timedelta(minutes=5)
    assert session.clock.running
    assert b'"at": "2026-03-01T10:' in _get(session, "/stored")  # the SDK reads the host's time


def test_thirty_days_run_a_daily_job_once_a_day(session: Session) -> None:
    # the job ran once when the plugin was activated (it had never run), as on a server
    assert _daily_counts(session) == {"2026-03-01": 1}
    ticks = session.clock.advance(days=30)
    counts = _daily_counts(session)
    days = [(dt.date(2026, 3, 1) + dt.timedelta(days=n)).isoformat() for n in range(31)]
    assert counts == dict.fromkeys(days, 1)
    assert sum(len(t.ran) for t in ticks) == 30
    assert all(t.ran == ["daily"] for t in ticks if t.ran)
    # each run happened at 00:00 UTC of its day (the clock runs on: within a moment), in order
    runs = [t.at_ms for t in ticks if t.ran]
    assert runs == sorted(runs)
    assert all(dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).time() < dt.time(0, 0, 1)
               for ms in runs)


def test_the_job_metadata_survives_a_restart(session: Session) -> None:
    session.clock.advance(hours=20)  # 2026-03-02T06:00: today's run is done
    session.reload("com.example.cluster")
    session.clock.settle()
    assert _daily_counts(session)["2026-03-02"] == 1  # not run again by the new process


def test_kv_entries_with_expiry_vanish_when_the_clock_passes_them(session: Session) -> None:
    from mmplug.sdk import APIClient

    with APIClient(session.plugin().api_target) as api:
        api.kv_set_with_expiry("short", "lived", 3600)
        api.kv_set("forever", "here")
    session.clock.advance(minutes=59)
    assert _get(session, "/kv/short") == b'{"value": "lived"}'
    session.clock.advance(minutes=2)
    assert _get(session, "/kv/short") == b'{"value": null}'
    assert _get(session, "/kv/forever") == b'{"value": "here"}'
    with session.store.read() as db:  # gone from the store too, as the host shows it
        assert db.execute("SELECT count(*) FROM kv WHERE key='short'").fetchone()[0] == 0


def test_new_posts_take_the_moved_time(session: Session) -> None:
    session.clock.advance(days=10)
    post = session.as_user("alice").post("town-square", "ten days later")
    created = dt.datetime.fromtimestamp(post.create_at / 1000, dt.timezone.utc)
    assert created.date() == dt.date(2026, 3, 11)


def test_data_retention_runs_at_its_daily_time_when_asked(session: Session) -> None:
    session.clock.advance(days=3)
    with session.store.read() as db:
        assert db.execute("SELECT count(*) FROM kv WHERE key LIKE 'retention:%'").fetchone()[0] \
            == 0
    session.clock.advance(days=3, data_retention=True)
    with session.store.read() as db:
        keys = [r[0] for r in db.execute("SELECT key FROM kv WHERE key LIKE 'retention:%' "
                                          "ORDER BY key")]
    times = [dt.datetime.fromtimestamp(int(k.split(":")[1]) / 1000, dt.timezone.utc)
             for k in keys]
    assert [t.isoformat() for t in times] == [
        "2026-03-05T02:00:00+00:00", "2026-03-06T02:00:00+00:00", "2026-03-07T02:00:00+00:00"]


def test_setting_the_clock_back_makes_the_jobs_look_again(session: Session) -> None:
    session.clock.advance(days=2)
    assert session.clock.due()["com.example.cluster"] > parse_time("2026-03-03T00:00Z")
    with session.store.tx() as db:  # as if the state were restored to the first day
        db.execute("DELETE FROM kv WHERE key LIKE 'cron_%' OR key LIKE 'daily:2026-03-0_' "
                   "AND key != 'daily:2026-03-01'")
    session.clock.set("2026-03-01T12:00Z")
    # the job re-read its (deleted) metadata: it ran at once, and is due tomorrow at 00:00
    assert session.clock.due()["com.example.cluster"] == parse_time("2026-03-02T00:00Z")


def test_the_command_answer_names_the_runs() -> None:
    with Session([CLUSTER], store=":memory:", start_time=START,
                 deterministic_clock=True) as session:
        answer = session.clock.command(advance="2d")
    assert answer["before"].startswith("2026-03-01T10:00")
    assert answer["now"].startswith("2026-03-03T10:00")
    # a standing clock (fire, replay) runs nothing until it moves: the first run comes then
    assert [(r["node"], r["job"], r["at"]) for r in answer["ran"]] == [
        ("com.example.cluster", "daily", "2026-03-01T10:00:00.001000Z"),
        ("com.example.cluster", "daily", "2026-03-02T00:00:00Z"),
        ("com.example.cluster", "daily", "2026-03-03T00:00:00Z")]
    assert answer["due"] == {"com.example.cluster": "2026-03-04T00:00:00Z"}


def test_bad_times_and_durations_are_usage_errors() -> None:
    assert parse_duration("1d12h") == dt.timedelta(days=1, hours=12)
    assert parse_duration("90") == dt.timedelta(seconds=90)
    for bad in ("tomorrow", "3 parsecs", "1d-2h"):
        with pytest.raises(UsageError, match="is not a duration"):
            parse_duration(bad)
    with pytest.raises(UsageError, match="is not a time"):
        parse_time("next tuesday")
    with Session([CLUSTER], store=":memory:") as session, \
            pytest.raises(UsageError, match="only moves forward"):
        session.clock.advance(days=-1)
