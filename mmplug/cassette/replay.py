"""Replaying a cassette against a fresh deterministic session and comparing the results.

    report = replay_cassette("tests/cassettes/hello.jsonl", plugin_dir=".")
    assert report.ok, report.render()

The session is built from the world named in the cassette header (seeded ids, stepping
clock); before each call the clock and id sequence are put back where the recording found
them. Each call is fired with its recorded request; the response and the API calls it made
are compared with the recorded ones (see :mod:`mmplug.cassette.compare`). With
``update=True`` a cassette that differs is rewritten atomically with the new results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mmplug.cassette.compare import Difference, Ignore, absent, compare_entries
from mmplug.cassette.format import CassetteError, Entry, read_cassette, write_cassette
from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.events import CallEvent
    from mmplug.host.session import Session
    from mmplug.host.warm import WarmPool


@dataclass
class Mismatch:
    """A recorded call the replay did not reproduce."""

    line: int
    seq: int
    hook: str
    differences: list[Difference] = field(default_factory=list)
    problem: str = ""  # the call could not be made at all (not implemented, crashed)


@dataclass
class ReplayReport:
    cassette: Path
    plugin_id: str
    calls: int = 0
    skipped: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    updated: bool = False
    duration_s: float = 0.0  # the whole replay, sessions started and stopped included
    calls_s: float = 0.0  # the time spent replaying calls alone
    entries: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # a plugin that did not stop as the server expects (no plugin.GRPCController)
    stop_faults: list[MmplugError] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def describe(self) -> list[Line]:
        """The report as lines of plain words, each with its kind (what it is); the one
        wording of a replay's outcome: :meth:`render` joins them, the CLI styles them."""

        summary = (f"{self.calls} calls replayed in {_ms(self.duration_s)}"
                   + (f", {self.skipped} nested skipped" if self.skipped else ""))
        if self.ok:
            return [Line("ok", f"✔ {self.cassette}: {summary}, all match")]
        lines = [Line("failed", f"✗ {self.cassette}: {summary}, "
                                f"{len(self.mismatches)} mismatched")]
        for m in self.mismatches:
            lines.append(Line("mismatch", f"line {m.line}: #{m.seq} {m.hook}"))
            if m.problem:
                lines.append(Line("problem", m.problem))
            for d in m.differences:
                expected, actual = d.shown or (d.expected, d.actual)
                if d.call:  # a whole API call, made in one run only
                    if absent(d.actual):
                        lines.append(Line("removed", f"- {d.label} {_call_summary(expected)}  "
                                                     "(not made in the replay)"))
                    else:
                        lines.append(Line("added", f"+ {d.label} {_call_summary(actual)}  "
                                                   "(new in the replay)"))
                    continue
                lines.append(Line("path", d.path + (f"  ({d.label})" if d.label else "")))
                lines.append(Line("expected", "  - " + ("(not recorded)" if absent(expected)
                                                        else _dumps(expected))))
                lines.append(Line("actual", "  + " + ("(missing in the replay)" if absent(actual)
                                                      else _dumps(actual))))
        if self.updated:
            lines.append(Line("updated", f"cassette rewritten with the new results: "
                                         f"{self.cassette}"))
        return lines

    def render(self) -> str:
        """A plain-text account of the replay (for assertion messages and logs)."""
        out = []
        for line in self.describe():
            indent = "    " if line.kind not in ("ok", "failed", "mismatch", "updated") else \
                ("  " if line.kind == "mismatch" else "")
            out.append(indent + line.text)
        return "\n".join(out)


class Line(NamedTuple):
    """One line of a report's account: ``kind`` (ok, failed, mismatch, problem, removed,
    added, path, expected, actual, updated) says what it is, for the renderer."""

    kind: str
    text: str


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _call_summary(call: Any) -> str:
    """An API call's request in one short line."""
    request = call.get("request") if isinstance(call, dict) else call
    text = json.dumps(request or {}, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


class _Activation:
    """Catches the OnActivate the session runs at start (an observer)."""

    def __init__(self) -> None:
        self.event: CallEvent | None = None

    def on_hook_call(self, event: CallEvent) -> None:
        if event.hook == "OnActivate" and self.event is None:
            self.event = event


def _plugin_dir(plugin_dir: str | Path | None, plugin_id: str) -> Path:
    from mmplug.manifest import load_manifest

    folder = Path(plugin_dir or ".")
    manifest = load_manifest(folder)
    if manifest.id != plugin_id:
        raise CassetteError(
            f"the cassette records plugin {plugin_id!r}, but {folder} holds {manifest.id!r}",
            hint="give the directory of the plugin the cassette was recorded with")
    return folder


def replay_cassette(
    path: str | Path,
    plugin_dir: str | Path | None = None,
    *,
    ignore: Iterable[str] = (),
    update: bool = False,
    python: str | None = None,
    hook_timeout: float = 30.0,
    world: str | Path | None = None,
    one_cpu: bool = False,
    start_timeout: float = 10.0,
    transport: str = "unix",
    private: bool = False,
    spares: WarmPool | None = None,
) -> ReplayReport:
    """Replay every call of the cassette at ``path`` against the plugin in ``plugin_dir``
    (``world``: a world name or file instead of the one the header names; ``one_cpu``: the
    calls with this process and the plugin on one CPU, see :mod:`mmplug.host.affinity`;
    ``transport``, ``private``: as :class:`~mmplug.host.session.Session`'s; ``spares``: a
    warm pool the caller keeps across replays, left holding a spare for the next one, instead
    of one of this replay's own)."""
    import time

    cassette = read_cassette(path)
    folder = _plugin_dir(plugin_dir, cassette.plugin_id)
    report = ReplayReport(cassette.path, cassette.plugin_id)
    started = time.perf_counter()
    seed_world = world or cassette.world.get("name") or None
    ignored = [*cassette.header.get("ignore", []), *ignore]  # the cassette's own, then ours
    replayer = _Replayer(folder, seed_world, python, hook_timeout, Ignore(ignored), report,
                         one_cpu, start_timeout, {"transport": transport, "private": private})
    runs = _runs(cassette.entries)
    replayer.start_spare(spares)
    try:
        for index, run in enumerate(runs):
            replayer.run(run, another_follows=index < len(runs) - 1)
    finally:
        replayer.close()
    report.duration_s = time.perf_counter() - started
    if update and not report.ok:
        header = dict(cassette.header)
        from mmplug import __version__

        header["mmplug_version"] = __version__
        write_cassette(cassette.path, header, report.entries)
        report.updated = True
    return report


# Pinning every thread of both processes costs about a millisecond; a call on one CPU saves
# tens of microseconds: a run of fewer calls (one `mmplug fire --record` each) is not pinned.
ONE_CPU_FROM = 32


def _runs(entries: list[Entry]) -> list[list[Entry]]:
    """The entries split where the recording started a new session (``session_start``)."""
    runs: list[list[Entry]] = [[]]
    for entry in entries:
        if entry.data.get("session_start") and runs[-1]:
            runs.append([])
        runs[-1].append(entry)
    return [run for run in runs if run]


def _where(entry: Entry, path: Path | str = "") -> str:
    return f"{path}:{entry.line}: ({entry.hook}) request" if path else \
        f"line {entry.line} ({entry.hook}) request"


def _parse_requests(run: list[Entry], path: Path | str = ""
                    ) -> list[Message | CassetteError | None]:
    """Each entry's request message (None for nested lines, an error for a bad request)."""
    from mmplug.cassette.format import from_json
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME
    from mmplug.protocol.messages import message_class

    parsed: list[Message | CassetteError | None] = []
    for entry in run:
        if entry.data.get("nested"):
            parsed.append(None)
            continue
        spec = HOOKS_BY_GO_NAME[entry.hook]
        try:
            if spec.streaming:
                parsed.append(from_json(message_class("ServeHTTPRequestInit"),
                                        entry.data["request"].get("init", {}),
                                        _where(entry, path)))
            else:
                parsed.append(from_json(message_class(spec.request), entry.data["request"],
                                        _where(entry, path)))
        except CassetteError as exc:
            parsed.append(exc)
    return parsed


class _Replayer:
    """Replays runs of entries, each in a fresh session, into one report."""

    def __init__(self, folder: Path, world: str | Path | None, python: str | None,
                 hook_timeout: float, matcher: Ignore, report: ReplayReport,
                 one_cpu: bool = False, start_timeout: float = 10.0,
                 sockets: dict[str, Any] | None = None) -> None:
        self.folder, self.world, self.python = folder, world, python
        self.hook_timeout, self.matcher, self.report = hook_timeout, matcher, report
        self.one_cpu, self.start_timeout = one_cpu, start_timeout
        self.sockets = sockets or {}  # the sessions' transport and private mode
        self.pool: Any = None  # warm spares of the plugin's interpreter
        self.kept = False  # the pool is the caller's: it stays, with a spare for what follows
        # Sessions stop without waiting for their plugin's exit, which nothing here depends
        # on (the next session starts meanwhile); the replay waits for the exits at its end.
        from mmplug.host.reaper import Reaper

        self.reaper = Reaper()

    def start_spare(self, pool: WarmPool | None = None) -> None:
        """Start the plugin's interpreter now (grpc and the SDK imported, waiting to be told
        to run the plugin), while the host sets up the first session; in ``pool`` when given
        (kept by the caller: none is started when one is waiting there already)."""
        from mmplug.host.warm import prepare_for, spare_for

        if pool is not None:
            self.pool, self.kept = pool, True
            prepare_for(pool, self.folder, self.python)
        else:
            self.pool = spare_for(self.folder, self.python)

    def close(self) -> None:
        try:
            self.reaper.join()
        finally:
            if self.pool is not None and not self.kept:
                self.pool.close()

    def _spawn_and_prepare(self, command: list[str], *, cwd: Path, env: dict[str, str]
                           ) -> Any:
        """Launch from the waiting spare and start the next one, for the next session."""
        popen = self.pool.spawn(command, cwd=cwd, env=env)
        self.pool.prepare_async(command, cwd=cwd, env=env)
        return popen

    def run(self, run: list[Entry], another_follows: bool = False) -> None:
        """Start a session while another thread parses the requests; then replay in order."""
        import threading
        import time

        from mmplug.host.affinity import one_cpu
        from mmplug.host.fresh import deterministic_session

        parsed: list[Message | CassetteError | None] = []
        where = self.report.cassette

        def parse() -> None:
            try:
                parsed.extend(_parse_requests(run, where))
            except BaseException as exc:  # the requests could not be read: said after join
                parsed[:] = [CassetteError(f"{where}: the requests could not be read: {exc!r}")
                             ] * len(run)

        parser = threading.Thread(target=parse, name="mmplug-replay-parse", daemon=True)
        parser.start()
        activation = _Activation()
        spawner = None
        if self.pool is not None:
            prepare = another_follows or self.kept  # a kept pool serves the next replay too
            spawner = self._spawn_and_prepare if prepare else self.pool.spawn
        session = deterministic_session(self.folder, world=self.world, python=self.python,
                                        start_timeout=self.start_timeout,
                                        hook_timeout=self.hook_timeout,
                                        observers=(activation,), spawner=spawner,
                                        stopper=self.reaper.stop, **self.sockets)
        try:
            with session:
                parser.join()
                bad = next((p for p in parsed if isinstance(p, CassetteError)), None)
                if bad is not None:
                    raise bad  # a request that is not a valid message: bad input, not a diff
                begun = time.perf_counter()
                with one_cpu([h.pid for h in session.plugins.values() if h.pid],
                             enabled=self.one_cpu and len(run) >= ONE_CPU_FROM):
                    for entry, request in zip(run, parsed, strict=True):
                        self._one(session, entry, request, activation)
                self.report.calls_s += time.perf_counter() - begun
        finally:
            parser.join()
            session.store.close()
        self.report.stop_faults.extend(session.stop_faults())

    def _one(self, session: Session, entry: Entry, request: Message | CassetteError | None,
             activation: _Activation) -> None:
        from mmplug.host.fresh import rewind

        data, report = entry.data, self.report
        if data.get("nested"):
            report.skipped += 1
            report.entries.append(data)
            return
        report.calls += 1
        rewind(session.store, data.get("at_ms"), data.get("ids"))
        try:
            if isinstance(request, CassetteError):
                raise request
            assert request is not None
            replayed = self._fire(session, entry, request, activation)
        except MmplugError as exc:
            report.mismatches.append(Mismatch(entry.line, int(data.get("seq", 0)), entry.hook,
                                              problem=exc.message))
            report.entries.append(data)
            return
        for key in ("seq", "at_ms", "ids", "session_start"):
            if key in data:
                replayed[key] = data[key]
        report.entries.append(replayed)
        differences = compare_entries(data, replayed, self.matcher)
        if differences:
            report.mismatches.append(Mismatch(entry.line, int(data.get("seq", 0)), entry.hook,
                                              differences))

    def _fire(self, session: Session, entry: Entry, request: Message,
              activation: _Activation) -> dict[str, Any]:
        from mmplug.host.events import http_body
        from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

        data = entry.data
        plugin_id = data.get("plugin_id") or None
        spec = HOOKS_BY_GO_NAME[entry.hook]
        if spec.streaming:
            body = http_body(data.get("http") or {}, "request_body")
            return session.call_http(request, body, plugin_id=plugin_id,
                                     rpc=entry.hook).to_dict()
        if entry.hook == "OnActivate" and activation.event is not None:
            event, activation.event = activation.event, None
            return event.to_dict(request=data["request"])
        return session.fire(spec, request, plugin_id=plugin_id).to_dict(request=data["request"])
