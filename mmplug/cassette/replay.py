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
from typing import TYPE_CHECKING, Any

from mmplug.cassette.compare import Difference, Ignore, absent, compare_entries
from mmplug.cassette.format import CassetteError, Entry, read_cassette, write_cassette
from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from mmplug.host.session import HookResult, Session


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
    duration_s: float = 0.0
    entries: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def render(self) -> str:
        """A plain-text account of every mismatch (for assertion messages and logs)."""
        head = (f"{self.cassette}: {self.calls} calls replayed, "
                f"{len(self.mismatches)} mismatched")
        lines = [head]
        for m in self.mismatches:
            lines.append(f"  line {m.line} (#{m.seq} {m.hook}):")
            if m.problem:
                lines.append(f"    {m.problem}")
            for d in m.differences:
                lines.append(f"    {d.path}: expected {_show(d.expected)}, got {_show(d.actual)}")
        return "\n".join(lines)


def _show(value: Any) -> str:
    if absent(value):
        return "(nothing)"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


class _Activation:
    """Catches the OnActivate the session runs at start (an observer)."""

    def __init__(self) -> None:
        self.result: HookResult | None = None

    def on_hook_call(self, result: HookResult) -> None:
        if result.hook == "OnActivate" and self.result is None:
            self.result = result


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
) -> ReplayReport:
    """Replay every call of the cassette at ``path`` against the plugin in ``plugin_dir``."""
    import time

    from mmplug.cassette._session import deterministic_session

    cassette = read_cassette(path)
    folder = _plugin_dir(plugin_dir, cassette.plugin_id)
    report = ReplayReport(cassette.path, cassette.plugin_id)
    started = time.perf_counter()
    world = cassette.world.get("name") or None
    matcher = Ignore(ignore)
    runs = _runs(cassette.entries)
    for run in runs:
        activation = _Activation()
        session = deterministic_session(folder, world=world, python=python,
                                        hook_timeout=hook_timeout, observers=(activation,))
        try:
            with session:
                for entry in run:
                    _replay_one(session, entry, activation, matcher, report)
        finally:
            session.store.close()
    report.duration_s = time.perf_counter() - started
    if update and not report.ok:
        header = dict(cassette.header)
        from mmplug import __version__

        header["mmplug_version"] = __version__
        write_cassette(cassette.path, header, report.entries)
        report.updated = True
    return report


def _runs(entries: list[Entry]) -> list[list[Entry]]:
    """The entries split where the recording started a new session (``session_start``)."""
    runs: list[list[Entry]] = [[]]
    for entry in entries:
        if entry.data.get("session_start") and runs[-1]:
            runs.append([])
        runs[-1].append(entry)
    return [run for run in runs if run] or [[]]


def _replay_one(session: Session, entry: Entry, activation: _Activation, matcher: Ignore,
                report: ReplayReport) -> None:
    from mmplug.cassette._session import rewind

    data = entry.data
    if data.get("nested"):
        report.skipped += 1
        report.entries.append(data)
        return
    report.calls += 1
    rewind(session.store, data.get("at_ms"), data.get("ids"))
    try:
        replayed = _fire(session, entry, activation)
    except MmplugError as exc:
        report.mismatches.append(Mismatch(entry.line, int(data.get("seq", 0)), entry.hook,
                                          problem=exc.message))
        report.entries.append(data)
        return
    replayed["seq"] = data.get("seq", report.calls)
    for key in ("at_ms", "ids"):
        if key in data:
            replayed[key] = data[key]
    report.entries.append(replayed)
    differences = compare_entries(data, replayed, matcher)
    if differences:
        report.mismatches.append(Mismatch(entry.line, int(data.get("seq", 0)), entry.hook,
                                          differences))


def _fire(session: Session, entry: Entry, activation: _Activation) -> dict[str, Any]:
    from mmplug.cassette.format import entry_dict, from_json
    from mmplug.host.plugin_client import message_class
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    data = entry.data
    spec = HOOKS_BY_GO_NAME[entry.hook]
    where = f"{report_where(entry)} request"
    if spec.streaming:
        return _fire_http(session, entry)
    if entry.hook == "OnActivate" and activation.result is not None:
        result, activation.result = activation.result, None
        return entry_dict(result, 0)
    request = from_json(message_class(spec.request), data["request"], where)
    result = session.fire(entry.hook, request, plugin_id=data.get("plugin_id") or None)
    return entry_dict(result, 0)


def report_where(entry: Entry) -> str:
    return f"line {entry.line} ({entry.hook})"


def _fire_http(session: Session, entry: Entry) -> dict[str, Any]:
    from mmplug.cassette.format import from_json, http_body
    from mmplug.cassette.http import call_http
    from mmplug.host.plugin_client import message_class

    data = entry.data
    init = from_json(message_class("ServeHTTPRequestInit"), data["request"].get("init", {}),
                     f"{report_where(entry)} request")
    body = http_body(data.get("http") or {}, "request_body")
    return call_http(session, init, body, plugin_id=data.get("plugin_id") or None).entry
