"""A real terminal for tests of interactive commands: the command runs in a subprocess whose
stdin, stdout and stderr are the slave side of a pseudo-terminal (``os.openpty``), so it sees a
terminal exactly as on a user's screen (``isatty``, readline, rich's terminal output), and the
test types into the master side and reads what was shown."""

from __future__ import annotations

import os
import re
import select
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\r|\x07")


def plain(text: str) -> str:
    """``text`` without terminal control sequences and carriage returns."""
    return _ANSI.sub("", text)


class Terminal:
    """``mmplug ARGS`` on a pseudo-terminal of ``columns`` x ``rows``."""

    def __init__(self, *args: str, cwd: Path, columns: int = 160, rows: int = 50,
                 env: dict[str, str] | None = None) -> None:
        import fcntl
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("FORCE_COLOR", "COLUMNS", "LINES", "NO_COLOR")}
        environment.update({"TERM": "xterm", "COLUMNS": str(columns), **(env or {})})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd, env=environment,
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.master = master
        self.seen = ""  # everything shown so far, without control sequences
        self.mark = 0  # where the next expect() starts looking

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the command ended and closed the terminal
            return False
        if not data:
            return False
        self.seen += plain(data.decode("utf-8", "replace"))
        return True

    def expect(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        """Wait until ``pattern`` (a regular expression) shows after the previous match."""
        deadline = time.monotonic() + timeout
        compiled = re.compile(pattern)
        while True:
            found = compiled.search(self.seen, self.mark)
            if found is not None:
                self.mark = found.end()
                return found
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self.process.poll() is not None
                             and not self._read(0.1)):
                raise AssertionError(f"{pattern!r} was not shown; the terminal shows:\n"
                                     f"{self.seen[self.mark:][-4000:]}")

    def type(self, line: str) -> None:
        """Type ``line`` and Enter."""
        os.write(self.master, (line + "\r").encode())

    def wait(self, timeout: float = 60.0) -> int:
        """The exit code, reading the rest of the output meanwhile."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.1):
            pass
        return self.process.wait(timeout=max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self.master)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
