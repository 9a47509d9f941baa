"""Plugin log records: parsing the plugin's stderr the way go-plugin's client does, and rendering.

Each stderr line becomes one :class:`LogRecord`:

* a JSON object line in hclog's shape (``@level``, ``@message``, ``@timestamp``, ``@module``,
  any other key is a field) keeps its level, message, time, module and key/values;
* any other line is kept verbatim as a plain record. Its level comes from an hclog-style
  ``[INFO]`` prefix or Python's default ``WARNING:name:msg`` logging format; a Python traceback
  is marked ``error`` from its first line to the exception line; anything else is ``info``
  (go-plugin would log it at debug; a developer wants to see a stray ``print(file=stderr)``).

Records from the host itself (module ``mmplug.host``) and from the plugin's ``Log*`` API calls
(source ``api``) use the same type, so one renderer (``render_log`` in :mod:`mmplug.cli._render`:
the host produces records, the CLI renders them) and one level filter serve them all.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import termios
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from mmplug._json import loads

LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warn", "error")
_ALIASES = {"warning": "warn", "critical": "error", "fatal": "error", "err": "error"}
_BRACKET = re.compile(r"^\s*\[(TRACE|DEBUG|INFO|WARN|WARNING|ERROR)\]\s*", re.IGNORECASE)
_PYLOG = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):")
_TRACEBACK_START = "Traceback (most recent call last):"
TAIL_LINES = 20


def normalize_level(level: str) -> str | None:
    """The canonical level name for ``level`` (case-insensitive), or None if unknown."""
    name = level.strip().lower()
    name = _ALIASES.get(name, name)
    return name if name in LEVELS else None


def level_at_least(level: str, threshold: str) -> bool:
    """True when ``level`` is as severe as ``threshold`` or more."""
    return LEVELS.index(level) >= LEVELS.index(threshold)


@dataclass
class LogRecord:
    """One log line of a plugin (or of the host about a plugin)."""

    level: str
    message: str
    plugin_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    module: str = ""
    source: str = "stderr"  # "stderr" | "stdout" | "api" | "host"
    raw: str = ""
    node: str = ""  # which node of the host (several nodes: node1, node2, ...)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "message": self.message,
            "plugin_id": self.plugin_id,
            "fields": dict(self.fields),
            "time": self.time.isoformat(),
            "module": self.module,
            "source": self.source,
            **({"node": self.node} if self.node else {}),
        }


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_json(line: str, plugin_id: str) -> LogRecord | None:
    try:
        data = loads(line)
    except ValueError:  # not JSON (a plain line), or deeper than any log line is
        return None
    if not isinstance(data, dict):
        return None
    level = data.pop("@level", None)
    level_name = normalize_level(level) if isinstance(level, str) else None
    message = data.pop("@message", "")
    if level_name is None or not isinstance(message, str):
        return None
    when = _parse_time(data.pop("@timestamp", None))
    module = data.pop("@module", "")
    record = LogRecord(
        level=level_name,
        message=message,
        plugin_id=plugin_id,
        fields=data,
        module=module if isinstance(module, str) else str(module),
        raw=line,
    )
    if when is not None:
        record.time = when
    return record


class StderrParser:
    """Turns stderr lines of one plugin into records; keeps the little state tracebacks need."""

    def __init__(self, plugin_id: str = "") -> None:
        self.plugin_id = plugin_id
        self._in_traceback = False

    def parse(self, line: str) -> LogRecord:
        line = line.rstrip("\r\n")
        if line.lstrip().startswith("{"):
            record = _parse_json(line, self.plugin_id)
            if record is not None:
                self._in_traceback = False
                return record
        return self._plain(line)

    def _plain(self, line: str) -> LogRecord:
        level = "info"
        message = line
        if line.startswith(_TRACEBACK_START):
            self._in_traceback = True
            level = "error"
        elif self._in_traceback:
            level = "error"
            if line and not line[0].isspace():
                self._in_traceback = False  # the exception line ends the traceback
        elif (match := _BRACKET.match(line)) is not None:
            level = normalize_level(match.group(1)) or "info"
            message = line[match.end() :]
        elif (match := _PYLOG.match(line)) is not None:
            level = normalize_level(match.group(1)) or "info"
        return LogRecord(level=level, message=message, plugin_id=self.plugin_id, raw=line)


def parse_stderr_line(line: str, plugin_id: str = "") -> LogRecord:
    """Parse one stderr line without traceback state (see :class:`StderrParser`)."""
    return StderrParser(plugin_id).parse(line)


def host_record(plugin_id: str, level: str, message: str, **fields: Any) -> LogRecord:
    """A record the host writes about a plugin (launch, shutdown, faults)."""
    return LogRecord(
        level=level,
        message=message,
        plugin_id=plugin_id,
        fields=fields,
        module="mmplug.host",
        source="host",
    )


def display_lines(record: LogRecord) -> list[str]:
    """A stderr record as lines to read: a plain line as written; a JSON log line as its level
    and message, short fields inline, multi-line fields (a logged traceback) on their own lines."""
    if record.source != "stderr" or not record.raw.lstrip().startswith("{") \
            or record.raw == record.message:
        return [record.raw or record.message]
    inline = []
    blocks: list[str] = []
    for key, value in record.fields.items():
        if isinstance(value, str) and "\n" in value:
            blocks.extend(value.rstrip("\n").splitlines())
        else:
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            inline.append(f"{key}={shown}")
    head = " ".join([record.level.upper(), record.message, *inline])
    return [head, *blocks]


def filter_logs(records: list[LogRecord], level: str) -> list[LogRecord]:
    """The records at ``level`` or above."""
    threshold = normalize_level(level) or "trace"
    return [r for r in records if level_at_least(r.level, threshold)]


class LinePump:
    """Reads one pipe of a plugin on a thread and hands every line to ``on_line``.

    :meth:`drain` is what makes log attribution exact: after a hook call returns, whatever the
    plugin wrote on this pipe during the call is already in the pipe (the write returned before
    the plugin sent its answer); drain() returns once all of it has been handed on, so the
    lines reach the call's collector before it closes, never the next call's.
    """

    def __init__(self, stream: IO[bytes], name: str, on_line: Callable[[str], None],
                 on_eof: Callable[[], None] = lambda: None) -> None:
        self._fd = stream.fileno()
        self._stream = stream
        self._on_line = on_line
        self._on_eof = on_eof
        self._partial = b""
        self._busy = False
        self._eof = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            # Wait until there is something to read, then mark the pump busy *before* taking
            # the bytes out of the pipe: drain() sees either bytes pending or a busy pump,
            # never a moment where a read chunk is in flight unaccounted for.
            try:
                poller.poll()
            except OSError:
                pass
            with self._cond:
                self._busy = True
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            try:
                self._feed(chunk)
            finally:
                with self._cond:
                    self._busy = False
                    self._eof = not chunk
                    self._cond.notify_all()
            if not chunk:
                try:
                    self._on_eof()
                except Exception:  # an observer must not break the pump
                    pass
                return

    def _feed(self, chunk: bytes) -> None:
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        if not chunk and self._partial:
            lines.append(self._partial)
            self._partial = b""
        for raw in lines:
            text = raw.decode("utf-8", "replace").rstrip("\r")
            try:
                self._on_line(text)
            except Exception:  # a failing observer must not stop log collection
                pass

    def _pending(self) -> int:
        try:
            buf = fcntl.ioctl(self._fd, termios.FIONREAD, b"\0\0\0\0")
        except OSError:
            return 0
        return int(struct.unpack("i", buf)[0])

    def drain(self, timeout: float = 1.0) -> None:
        """Wait until everything written to the pipe so far has been handed on (or EOF)."""
        # Fast path, the usual case after a hook call: nothing in the pipe and, checked after
        # that, the pump not busy (it marks itself busy before taking bytes out of the pipe).
        if self._eof or (not self._pending() and not self._busy):
            return
        with self._cond:
            self._cond.wait_for(lambda: self._eof or (not self._busy and not self._pending()),
                                timeout)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def close(self) -> None:
        self.join(1.0)
        self._stream.close()


class StderrPump(LinePump):
    """Parses stderr lines into records for ``sink`` and keeps the last raw lines.

    With ``hold``, records are kept back instead of going to ``sink`` until :meth:`release`:
    while a plugin starts, its stderr is either the prelude of a running plugin (released when
    it is up) or the story of why it did not start, which the launch fault tells once, with the
    traceback cut to the plugin's own frames (:meth:`take_held`).
    """

    def __init__(
        self, stream: IO[bytes], plugin_id: str, sink: Callable[[LogRecord], None],
        *, hold: bool = False,
    ) -> None:
        self._sink = sink
        self._parser = StderrParser(plugin_id)
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._records: deque[LogRecord] = deque(maxlen=TAIL_LINES)
        self._held: list[LogRecord] | None = [] if hold else None
        self._hold_lock = threading.Lock()
        super().__init__(stream, f"{plugin_id}-stderr", self._line)

    def _line(self, text: str) -> None:
        if not text.strip():
            return
        self._tail.append(text)
        record = self._parser.parse(text)
        self._records.append(record)
        with self._hold_lock:
            if self._held is not None:
                self._held.append(record)
                return
        self._sink(record)

    def release(self) -> None:
        """Stop holding: the held records go to the sink, in order, then every new one."""
        while True:
            with self._hold_lock:
                held = self._held
                if not held:
                    self._held = None
                    return
                self._held = []
            for record in held:
                try:
                    self._sink(record)
                except Exception:  # a failing observer must not stop log collection
                    pass

    def take_held(self) -> list[LogRecord]:
        """The records held back so far (the pump keeps holding what comes next)."""
        with self._hold_lock:
            held, self._held = (self._held or []), ([] if self._held is not None else None)
        return held

    def tail(self, count: int = TAIL_LINES) -> list[str]:
        """The last ``count`` stderr lines as written (raw)."""
        return list(self._tail)[-count:]

    def tail_lines(self, count: int = TAIL_LINES) -> list[str]:
        """The last ``count`` stderr records as lines to read (:func:`display_lines`)."""
        return [line for record in list(self._records)[-count:]
                for line in display_lines(record)]

    def emit(self, records: list[LogRecord]) -> None:
        """Hand ``records`` (taken with :meth:`take_held`) to the sink after all."""
        for record in records:
            try:
                self._sink(record)
            except Exception:  # a failing observer must not stop log collection
                pass
