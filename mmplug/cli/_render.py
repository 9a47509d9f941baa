"""Rendering of hook results, API calls, log lines and replay reports (rich), in one place.

Everything here takes the JSON shape of a cassette line (``docs/cassettes.md``), so a result
renders the same whether it came from a local session, a running ``mmplug dev`` or a cassette.
Imported inside command bodies only (rich is not loaded by ``mmplug --help``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from pathlib import Path

    from mmplug.cassette.batch import Outcome
    from mmplug.cassette.replay import ReplayReport
    from mmplug.check import Finding
    from mmplug.check import Report as CheckReport
    from mmplug.errors import MmplugError
    from mmplug.host.logs import LogRecord
    from mmplug.protocol.catalog import HookSpec

_LEVEL_STYLE = {"trace": "dim", "debug": "dim cyan", "info": "green", "warn": "yellow",
                "error": "bold red"}
MAX_JSON_LINES = 60


def _json(value: Any) -> Text:
    if value is None or value == {}:
        return Text("(empty)", style="dim")
    text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)
    lines = text.splitlines()
    if len(lines) > MAX_JSON_LINES:
        text = "\n".join([*lines[:MAX_JSON_LINES], f"... {len(lines) - MAX_JSON_LINES} more "
                          "lines (use --format json for everything)"])
    # rich's JSON highlighter rather than a pygments lexer: the same colours for JSON, without
    # pygments' imports before a fired hook's result can be shown
    from rich.highlighter import JSONHighlighter

    shown = Text(text)
    JSONHighlighter().highlight(shown)
    return shown


def _ms(seconds: Any) -> str:
    return f"{float(seconds or 0) * 1000:.1f} ms"


def verdict(entry: dict[str, Any]) -> Text:
    """One line saying what the hook decided."""
    if entry.get("error"):
        return Text(f"✗ failed: {entry['error']}", style="bold red")
    response = entry.get("response") or {}
    hook = entry.get("hook", "")
    if response.get("rejection_reason"):
        return Text(f"⊘ rejected: {response['rejection_reason']}", style="bold yellow")
    if hook in ("MessageWillBePosted", "MessageWillBeUpdated"):
        if response.get("modified_post"):
            return Text("✎ post modified", style="bold cyan")
        return Text("✔ allowed unchanged", style="bold green")
    http = entry.get("http")
    if isinstance(http, dict):
        style = "bold green" if int(http.get("status", 0)) < 400 else "bold yellow"
        return Text(f"✔ HTTP {http.get('status')}", style=style)
    return Text("✔ completed", style="bold green")


def _http_panel(http: dict[str, Any]) -> Panel:
    from mmplug.host.events import http_body

    body = http_body(http)
    headers = "\n".join(f"{k}: {v}" for k, v in http.get("headers", []))
    try:
        shown: Any = body.decode("utf-8")
        try:
            shown = _json(json.loads(shown))
        except ValueError:
            shown = Text(shown or "(empty body)")
    except UnicodeDecodeError:
        shown = Text(f"({len(body)} bytes of binary data)", style="dim")
    return Panel(Group(Text(f"HTTP {http.get('status')}", style="bold"), Text(headers),
                       Text(""), shown), title="response", title_align="left")


def _api_table(calls: list[dict[str, Any]]) -> Panel:
    from mmplug.cassette.readable import readable_call

    table = Table(show_header=True, header_style="bold", expand=True, show_lines=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("method", style="cyan", no_wrap=True)
    table.add_column("request")
    table.add_column("response / error")
    for i, call in enumerate(map(readable_call, calls), start=1):
        answer: Any = (Text(json.dumps(call["error"]), style="red") if call.get("error")
                       else _compact(call.get("response")))
        table.add_row(str(i), str(call.get("method")), _compact(call.get("request")), answer)
    return Panel(table, title=f"API calls ({len(calls)})", title_align="left")


def _compact(value: Any) -> Text:
    if value is None or value == {}:
        return Text("-", style="dim")
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return Text(text if len(text) <= 400 else text[:397] + "...")


def log_lines(logs: Iterable[dict[str, Any]]) -> Text:
    out = Text()
    for record in logs:
        level = str(record.get("level", "info"))
        out.append(f"{level.upper():5} ", style=_LEVEL_STYLE.get(level, ""))
        out.append(str(record.get("message", "")))
        fields = record.get("fields") or {}
        inline = {k: v for k, v in fields.items() if not (isinstance(v, str) and "\n" in v)}
        if inline:
            out.append("  " + " ".join(f"{k}={json.dumps(v)}" for k, v in inline.items()),
                       style="dim")
        out.append("\n")
        for key, value in fields.items():
            if key not in inline:
                out.append(f"      {key}:\n", style="dim")
                out.append("".join(f"      {line}\n" for line in value.rstrip().splitlines()),
                           style="dim")
    out.rstrip()
    return out


# How each kind of host note (mmplug.host.hookpath) is shown: what the host did around the
# hook as the server does, and where a real server differs.
_NOTE_LABEL = {"before": ("before", "cyan"), "after": ("after", "cyan"),
               "refused": ("server", "yellow"), "extension": ("server", "magenta"),
               "ignored": ("server", "magenta"), "differs": ("server", "magenta")}


def finding_line(finding: dict[str, Any]) -> str:
    """A `mmplug check` finding (as JSON) in the words the session logs it with."""
    from mmplug.check import Finding

    def field(key: str) -> str:
        return str(finding.get(key, ""))

    return Finding(field("kind"), field("subject"), field("message"), field("hint"),
                   where=field("where")).line()


def host_notes(notes: Iterable[dict[str, Any]]) -> Text:
    """The host's notes on a fired hook, one line each: ``after: saved the post ...``."""
    out = Text()
    for note in notes:
        label, style = _NOTE_LABEL.get(str(note.get("kind")), ("note", "dim"))
        out.append(f"  {label}: ", style=style)
        out.append(f"{note.get('text', '')}\n")
    out.rstrip()
    return out


def print_outcome(console: Console, entry: dict[str, Any], *, show_request: bool = False
                  ) -> None:
    """The pretty form of one fired hook."""
    took = _ms(entry.get("duration_s"))
    where = f"@{entry['node']}" if entry.get("node") else ""
    title = Text.assemble((entry.get("hook", "?"), "bold"), " → ",
                          (entry.get("plugin_id", "") + where, "magenta"), f"  ({took})")
    console.print(title)
    for warning in entry.get("warnings") or []:  # the host's notes on loading the plugin
        console.print(Text(f"warning: {warning}", style="yellow"))
    for finding in entry.get("findings") or []:  # what `mmplug check` fails on
        console.print(Text(f"warning: {finding_line(finding)}", style="yellow"))
    session = entry.get("session")
    if isinstance(session, dict) and session.get("text"):
        console.print(Text(f"fired {session['text']}", style="dim"))
    console.print(verdict(entry))
    notes = host_notes(entry.get("host") or [])
    if notes.plain:
        console.print(notes)
    if entry.get("details"):
        console.print(Text(str(entry["details"]), style="dim"))
    if entry.get("hint"):
        console.print(Text(f"hint: {entry['hint']}", style="yellow"))
    from mmplug.cassette.readable import readable_entry

    shown = readable_entry({k: entry.get(k) for k in ("hook", "request", "response")})
    if show_request:
        console.print(Panel(_json(shown.get("request")), title="request", title_align="left"))
    if isinstance(entry.get("http"), dict):
        console.print(_http_panel(entry["http"]))
    elif not entry.get("error"):
        console.print(Panel(_json(shown.get("response")), title="response", title_align="left"))
    calls = entry.get("api_calls") or []
    if calls:
        console.print(_api_table(calls))
    else:
        console.print(Text("no API calls", style="dim"))
    logs = entry.get("logs") or []
    if logs:
        console.print(Panel(log_lines(logs), title=f"logs ({len(logs)})", title_align="left"))


def print_run(console: Console, run: dict[str, Any], findings: list[str]) -> None:
    """The pretty form of a ``fire --count``/``--nodes`` run: how the calls went, then each
    finding of the race detector and of the comparison of the nodes' answers."""
    nodes = [n for n in run.get("nodes") or [] if n]
    shape = f" on {len(nodes)} nodes" if nodes else ""
    console.print(Text.assemble((str(run.get("hook")), "bold"),
                                f": {run['calls']} call(s){shape}, {run['concurrency']} at once"))
    session = run.get("session")
    if isinstance(session, dict) and session.get("text"):
        console.print(Text(f"fired {session['text']}", style="dim"))
    spread = ", ".join(f"{node} {n}" for node, n in sorted(run.get("by_node", {}).items())
                       if node != "-")
    failed = int(run.get("failed") or 0)
    line = Text.assemble(("✔ " if not failed else "✘ ", "green" if not failed else "red"),
                         f"{run['calls'] - failed} ok, {failed} failed; p50 "
                         f"{_ms(run.get('p50_s'))}, p95 {_ms(run.get('p95_s'))}")
    if spread:
        line.append(f"; {spread}", style="dim")
    console.print(line)
    for error in run.get("errors") or []:
        console.print(Text(f"  {error}", style="red"))
    if nodes and not findings:
        console.print(Text("no race found in the KV access, and the nodes answer alike",
                           style="green"))
    for text in findings:
        console.print()
        head, _, rest = text.partition("\n")
        console.print(Text(head, style="bold red"))
        if rest:
            console.print(Text(rest))


def print_hooks(console: Console, specs: Iterable[HookSpec], implemented: Iterable[str] = ()
                ) -> None:
    have = set(implemented)
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("hook", style="bold")
    table.add_column("python name", style="cyan")
    table.add_column("since")
    table.add_column("")
    for spec in specs:
        mark = Text("implemented", style="green") if spec.go_name in have else Text("")
        table.add_row(spec.go_name, spec.py_name, spec.min_server_version, mark)
    console.print(table)


def print_replay_error(console: Console, cassette: Path, error: MmplugError) -> None:
    """A cassette of a folder that could not be replayed, and why."""
    console.print(Text(f"✗ {cassette}: not replayed", style="bold red"))
    console.print(Text(error.render()), style="red")


def print_folder_summary(console: Console, folder: Path, outcomes: list[Outcome]) -> None:
    """The line after a folder's reports: how many cassettes matched, differ, failed."""
    matched = sum(1 for o in outcomes if o.ok)
    differ = sum(1 for o in outcomes if o.report is not None and not o.report.ok)
    failed = sum(1 for o in outcomes if o.error is not None)
    parts = [f"{matched} all match"] + ([f"{differ} differ"] if differ else []) + \
        ([f"{failed} not replayed"] if failed else [])
    style = "bold green" if matched == len(outcomes) else "bold red"
    console.print(Text(f"{folder}: {len(outcomes)} cassettes, " + ", ".join(parts),
                       style=style))


_REPORT_STYLE = {"ok": "bold green", "failed": "bold red", "problem": "red",
                 "removed": "red", "added": "green", "path": "bold", "expected": "red",
                 "actual": "green", "updated": "bold yellow"}


def print_report(console: Console, report: ReplayReport) -> None:
    """A replay report (its words: ``ReplayReport.describe``): one line when all matched, else
    a panel per mismatched call."""
    title: str | None = None
    body = Text()

    def flush() -> None:
        if title is not None:
            body.rstrip()
            console.print(Panel(body, title=title, title_align="left", border_style="red"))

    for line in report.describe():
        if line.kind == "mismatch":
            flush()
            title, body = line.text, Text()
        elif line.kind in ("ok", "failed", "updated"):
            flush()
            title = None
            console.print(Text(line.text, style=_REPORT_STYLE[line.kind]))
        else:
            style = _REPORT_STYLE[line.kind]
            if line.text.endswith(("(not recorded)", "(missing in the replay)")):
                style = f"dim {style}"
            body.append(line.text + "\n", style=style)
    flush()


_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "note": "dim"}


def check_findings(findings: Iterable[Finding]) -> Text:
    """Findings of ``mmplug check`` (also printed once by dev and fire), one block each."""
    out = Text()
    for finding in findings:
        out.append(f"{finding.severity:<8}", style=_SEVERITY_STYLE[finding.severity])
        out.append(f"{finding.subject}", style="bold")
        if finding.where:
            out.append(f"  ({finding.where})", style="dim")
        out.append(f"\n        {finding.message}\n")
        if finding.hint:
            out.append(f"        fix: {finding.hint}\n", style="dim")
    return out


def print_check_report(console: Console, report: CheckReport, *, as_json: bool = False) -> None:
    if as_json:
        data = {"plugin_id": report.plugin_id, "server_version": report.server_version,
                "version_source": report.version_source, "implemented": report.implemented,
                "failed": report.failed, "findings": [f.as_dict() for f in report.findings]}
        console.print_json(json.dumps(data))
        return
    counts = {s: sum(f.severity == s for f in report.findings) for s in _SEVERITY_STYLE}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    against = (f"against Mattermost {report.server_version} ({report.version_source})"
               if report.server_version else "without a server version")
    head = Text.assemble((report.plugin_id or report.manifest_file, "bold"),
                         f": {summary or 'nothing to report'}, checked {against}")
    console.print(head)
    if report.findings:
        console.print(check_findings(report.findings), end="")
    verdict_line = ("✗ works under mmplug but not as shown on a real server"
                    if report.failed else "✔ nothing that works only under mmplug")
    console.print(Text(verdict_line, style="bold red" if report.failed else "bold green"))


# -- log records ------------------------------------------------------------------------------
_LOG_STYLES = {
    "trace": "dim",
    "debug": "dim cyan",
    "info": "green",
    "warn": "bold yellow",
    "error": "bold red",
}


def render_log(record: LogRecord) -> Text:
    """The one place a log record is turned into terminal output (a rich ``Text``)."""
    local = record.time.astimezone()
    text = Text()
    text.append(local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d} ", style="dim")
    text.append(f"{record.level.upper():<5} ", style=_LOG_STYLES.get(record.level, ""))
    origin = record.plugin_id or "host"
    if record.node:
        origin = f"{origin}@{record.node}"
    if record.source == "host":
        origin = f"mmplug:{origin}"
    elif record.source == "stdout":
        origin = f"{origin} stdout"
    text.append(f"[{origin}] ", style="magenta" if record.source != "host" else "blue")
    text.append(record.message)
    for key, value in record.fields.items():
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        text.append(f" {key}=", style="cyan")
        text.append(shown)
    return text
