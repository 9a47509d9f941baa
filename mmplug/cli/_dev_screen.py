"""The ``mmplug dev`` screen on a terminal: the status on top, the newest log lines below it.

The dev loop (:mod:`mmplug.devloop`) produces the data (plugin status, reloads, log records,
call events); this module and :mod:`mmplug.cli._dev_terminal` render it.

:class:`DevScreen` is a rich renderable that always fills the terminal: the status (cropped if
the terminal is too short for it), then as many of the newest log entries as fit, wrapped to
the terminal width. :class:`LiveScreen` shows it in a rich ``Live`` region and redraws it only
when something changed (a log line, a status change, a resize), at most every 50 ms, and once
a second for the "n s ago" of the last reload. :class:`DevLog` is the file every line also goes
to (``.mmplug/dev.log``), since log lines that leave the screen are not kept in the terminal.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mmplug.devloop.status import PluginStatus, describe_reload

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.live import Live
    from rich.segment import Segment
    from rich.text import Text

KEEP_ENTRIES = 2000  # log entries kept for the screen (the file has them all)
MIN_LOG_LINES = 4  # the status is cropped before the log area gets smaller than this
MIN_INTERVAL_S = 0.05  # at most 20 redraws a second, however fast logs come
TICK_S = 1.0  # redraw this often anyway: "(3 s ago)" keeps counting


class _Entry:
    """One log entry and its lines at the last width it was drawn at."""

    __slots__ = ("lines", "text", "width")

    def __init__(self, text: Text) -> None:
        self.text = text
        self.width = 0
        self.lines: list[list[Segment]] = []

    def render(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        if self.width != options.max_width:
            self.lines = console.render_lines(self.text, options, pad=False)
            self.width = options.max_width
        return self.lines


class LogTail:
    """The newest log entries, appended from any thread."""

    def __init__(self, keep: int = KEEP_ENTRIES) -> None:
        self._entries: deque[_Entry] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def append(self, text: Text) -> None:
        with self._lock:
            self._entries.append(_Entry(text))

    def newest(self, count: int) -> list[_Entry]:
        """The last ``count`` entries, oldest first."""
        if count <= 0:
            return []
        with self._lock:
            size = len(self._entries)
            return [self._entries[i] for i in range(max(0, size - count), size)]


class DevScreen:
    """Status on top, the newest log lines below, exactly as tall as the terminal.

    ``final`` draws the last frame left on the terminal when the session ends: no blank
    padding, and ``reserve`` lines kept free for what is printed after it.
    """

    def __init__(self, status: Callable[[], RenderableType], tail: LogTail) -> None:
        self.status = status
        self.tail = tail
        self.final = False
        self.reserve = 0

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        from rich.segment import Segment
        from rich.text import Text

        height = max(1, (options.height or options.size.height) - self.reserve)
        options = options.update(height=None, no_wrap=False, overflow="fold")
        status = console.render_lines(self.status(), options, pad=False)
        room_for_status = height - MIN_LOG_LINES if height > 2 * MIN_LOG_LINES else height // 2
        if len(status) > max(1, room_for_status):
            status = status[:max(1, room_for_status) - 1]
            status.append(console.render_lines(Text("… (terminal too short for the whole "
                                                     "status)", style="dim"), options,
                                                pad=False)[0])
        room = height - len(status)
        logs: list[list[Segment]] = []
        for entry in reversed(self.tail.newest(room)):
            logs[:0] = entry.render(console, options)
            if len(logs) >= room:
                break
        logs = logs[max(0, len(logs) - room):] if room > 0 else []
        if not self.final:
            logs.extend([] for _ in range(room - len(logs)))  # the frame fills the terminal
        newline = Segment.line()
        for line in status + logs:
            yield from line
            yield newline


class LiveScreen:
    """Shows a :class:`DevScreen` in a rich ``Live`` region; :meth:`changed` asks for a redraw."""

    def __init__(self, console: Console, status: Callable[[], RenderableType],
                 min_interval: float = MIN_INTERVAL_S) -> None:
        self.console = console
        self.tail = LogTail()
        self.screen = DevScreen(status, self.tail)
        self.min_interval = min_interval
        self.redraws = 0
        self._live: Live | None = None
        self._wake = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None

    def append(self, text: Text) -> None:
        self.tail.append(text)
        self._wake.set()

    def changed(self) -> None:
        self._wake.set()

    def start(self) -> None:
        from rich.live import Live

        self._live = Live(self.screen, console=self.console, auto_refresh=False,
                          transient=False, vertical_overflow="crop")
        self._live.start(refresh=True)
        self._thread = threading.Thread(target=self._run, name="mmplug-screen", daemon=True)
        self._thread.start()

    def stop(self, reserve: int = 0) -> None:
        """Leave the final status and the last log lines on the terminal, cursor shown."""
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._live is not None:
            self.screen.final, self.screen.reserve = True, reserve
            self._live.stop()  # draws the final frame, a newline, shows the cursor
            self._live = None

    def _run(self) -> None:
        last = 0.0
        while True:
            self._wake.wait(TICK_S)
            if self._closing:
                return
            delay = last + self.min_interval - time.monotonic()
            if delay > 0:  # more changes coming in the meantime are drawn together
                time.sleep(delay)
            self._wake.clear()
            if self._closing:
                return
            live = self._live
            if live is not None:
                try:
                    live.refresh()
                except Exception:  # a broken frame must not freeze the screen for good
                    pass
                self.redraws += 1
            last = time.monotonic()


class DevLog:
    """``.mmplug/dev.log``: every line ``mmplug dev`` shows, as plain text.

    Started fresh on each run; the previous run's file is kept as ``dev.log.1``.
    """

    def __init__(self, path: Path) -> None:
        from mmplug.host._private import private_dir, private_file, tighten_file

        self.path = path
        private_dir(path.parent)  # .mmplug/: 0700, the log 0600 (docs/security.md)
        if path.exists():
            kept = path.with_name(path.name + ".1")
            path.replace(kept)
            tighten_file(kept)
        private_file(path)
        self._file: TextIO | None = path.open("w", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def write(self, text: str, stamp: bool = False) -> None:
        """Append ``text`` (any number of lines); ``stamp`` prefixes the local time."""
        if stamp:
            now = datetime.now()
            text = now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d} " + text
        with self._lock:
            if self._file is not None:
                self._file.write(text.rstrip("\n") + "\n")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


_STATE_STYLE = {"active": "bold green", "attached": "bold green", "starting": "yellow",
                "stuck": "bold yellow",
                "failed": "bold red", "crashed": "bold red", "given-up": "bold red",
                "stopped": "dim", "waiting": "yellow"}


def render_status(
    plugins: list[PluginStatus], url: str | None, metrics_url: str | None = None,
    now: datetime | None = None, log_path: str | None = None,
    problem_lines: int | None = None, acting: str | None = None, explorer: str | None = None,
) -> RenderableType:
    """A compact table: one block per plugin, then who front door requests are made as and
    where the full log is.

    ``problem_lines`` crops a long problem (a crash with its stderr tail) to that many lines.
    """
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for status in plugins:
        state = Text(status.state, style=_STATE_STYLE.get(status.state, ""))
        if status.pid:
            state.append(f"  pid {status.pid}", style="dim")
        if status.attached_to:
            state.append(f"  attached to {status.attached_to}", style="dim")
        table.add_row(Text(status.id, style="cyan bold"), state)
        hooks = ", ".join(status.implemented) or "none"
        table.add_row("hooks", Text(hooks, style="dim"))
        if url and "ServeHTTP" in status.implemented:
            table.add_row("http", f"{url}/plugins/{status.id}/")
        if metrics_url and "ServeMetrics" in status.implemented:
            table.add_row("metrics", f"{metrics_url}/plugins/{status.id}/metrics")
        if status.last_reload is not None:
            table.add_row("reload", describe_reload(status.last_reload, now))
        if status.problem:
            table.add_row("problem", Text(_crop(status.problem, problem_lines), style="red"))
    if url and acting:
        who = Text(acting, style="bold" if acting != "anonymous" else "yellow")
        who.append("  (X-Mmplug-User: NAME picks a user per request; see "
                   f"{url}/)", style="dim")
        table.add_row("as", who)
    if explorer:
        table.add_row("explorer", Text(explorer, style="bold"))
    if log_path:
        table.add_row("log", Text(log_path, style="dim"))
    return table


def _crop(text: str, lines: int | None) -> str:
    parts = text.splitlines()
    if lines is None or len(parts) <= lines:
        return text
    return "\n".join(parts[:lines]) + f"\n… {len(parts) - lines} more lines in the log"
