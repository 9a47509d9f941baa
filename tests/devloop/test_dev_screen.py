"""The `mmplug dev` screen: the status on top, the newest log lines below, all in the log file."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from rich.text import Text

from mmplug.cli._dev_screen import MIN_LOG_LINES, DevLog, DevScreen, LiveScreen
from mmplug.cli._dev_terminal import Printer
from mmplug.devloop.status import PluginStatus, Reload

WIDTH, HEIGHT = 80, 20


def _screen_text(screen: DevScreen, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    console = Console(record=True, width=width, height=height, color_system=None,
                      file=io.StringIO())
    console.print(screen, end="")
    return console.export_text().splitlines()


def _loop(*plugins: PluginStatus) -> SimpleNamespace:
    """What the printer reads from the dev loop to draw the status."""
    return SimpleNamespace(status={p.id: p for p in plugins}, front_door=None)


_logs: list[DevLog] = []


@pytest.fixture(autouse=True)
def _close_logs() -> Iterator[None]:
    yield
    while _logs:
        _logs.pop().close()


def _printer(tmp_path: Path, *plugins: PluginStatus) -> tuple[Printer, LiveScreen, DevLog]:
    console = Console(width=WIDTH, height=HEIGHT, file=io.StringIO())
    log = DevLog(tmp_path / ".mmplug" / "dev.log")
    _logs.append(log)
    printer = Printer(console, _loop(*plugins), "info", log, ".mmplug/dev.log")  # type: ignore[arg-type]
    screen = LiveScreen(console, printer.renderable)
    printer.screen = screen
    return printer, screen, log


def _active() -> PluginStatus:
    return PluginStatus("com.x", "/p", state="active", pid=42, implemented=["OnActivate"],
                        last_reload=Reload("plugin.py changed", duration_s=0.05, warm=True))


def test_the_status_is_on_top_and_the_log_lines_below_it_fill_the_terminal(
        tmp_path: Path) -> None:
    printer, screen, _ = _printer(tmp_path, _active())
    for n in range(3):
        printer.emit(f"log line {n}")
    lines = _screen_text(screen.screen)
    assert len(lines) == HEIGHT  # the frame always fills the terminal
    assert "mmplug dev" in lines[0]
    status = next(i for i, line in enumerate(lines) if "com.x" in line and "active" in line)
    logfile = next(i for i, line in enumerate(lines) if ".mmplug/dev.log" in line)
    first_log = next(i for i, line in enumerate(lines) if "log line 0" in line)
    assert status < logfile < first_log
    assert [line for line in lines[first_log:] if line.strip()] == [
        f"log line {n}" for n in range(3)]


def test_long_logs_keep_the_newest_lines_visible(tmp_path: Path) -> None:
    printer, screen, _ = _printer(tmp_path, _active())
    for n in range(500):
        printer.emit(f"log line {n:03d}")
    printer.emit("x" * (WIDTH * 2 + 10))  # wraps over three lines
    lines = _screen_text(screen.screen)
    assert len(lines) == HEIGHT
    assert lines[-3:] == ["x" * WIDTH, "x" * WIDTH, "x" * 10]
    assert lines[-4] == "log line 499"
    shown = [line for line in lines if line.startswith("log line")]
    assert shown == [f"log line {n:03d}" for n in range(500 - len(shown), 500)]
    assert "com.x" in "\n".join(lines[:len(lines) - len(shown) - 3])  # the status stays on top


def test_a_resize_redraws_at_the_new_size(tmp_path: Path) -> None:
    printer, screen, _ = _printer(tmp_path, _active())
    for n in range(100):
        printer.emit(f"log line {n:03d}")
    for width, height in ((60, 12), (120, 40)):
        lines = _screen_text(screen.screen, width, height)
        assert len(lines) == height and len(lines[0]) == width  # the panel's top border
        assert lines[-1] == "log line 099"


def test_a_terminal_too_short_for_the_status_crops_it_not_the_logs(tmp_path: Path) -> None:
    plugins = [PluginStatus(f"com.x{n}", "/p", state="active", implemented=["OnActivate"])
               for n in range(10)]
    printer, screen, _ = _printer(tmp_path, *plugins)
    for n in range(50):
        printer.emit(f"log line {n:03d}")
    lines = _screen_text(screen.screen, height=14)
    assert len(lines) == 14
    assert any("terminal too short" in line for line in lines)
    assert lines[-MIN_LOG_LINES:] == [f"log line {n:03d}" for n in range(50 - MIN_LOG_LINES, 50)]


def test_a_long_problem_is_cropped_in_the_status_and_whole_in_the_log(tmp_path: Path) -> None:
    traceback = "\n".join(["the plugin exited with code 1", "Traceback (most recent call last):"]
                          + [f'  File "plugin.py", line {n}' for n in range(20)]
                          + ["SyntaxError: invalid syntax"])
    failed = PluginStatus("com.x", "/p", state="failed", problem=traceback)
    printer, screen, log = _printer(tmp_path, failed)
    printer.on_problem("com.x", traceback)
    log.close()
    lines = _screen_text(screen.screen, height=40)
    status_end = next(i for i, line in enumerate(lines) if line.startswith("╰"))
    assert "more lines in the log" in "\n".join(lines[:status_end])
    assert lines[status_end + 1] == "✗ com.x: the plugin exited with code 1"
    # the whole traceback is in the log area, on its own lines indented under the first
    assert "  SyntaxError: invalid syntax" in lines
    text = (tmp_path / ".mmplug" / "dev.log").read_text()
    indented = traceback.replace("\n", "\n  ")
    assert indented in text and "waiting for the next save" in text


def test_the_log_file_gets_every_line_in_order_and_a_new_run_starts_it_fresh(
        tmp_path: Path) -> None:
    printer, _, log = _printer(tmp_path, _active())
    printer.on_reloading("com.x", "plugin.py changed")
    for n in range(3000):  # more than the screen keeps
        printer.emit(Text(f"12:00:00.000 INFO  [com.x] line {n}"), stamp=False)
    printer.on_reload("com.x", Reload("plugin.py changed", duration_s=0.061, warm=True))
    log.close()
    path = tmp_path / ".mmplug" / "dev.log"
    lines = path.read_text().splitlines()
    assert lines[0].endswith("↻ com.x: plugin.py changed, reloading")
    assert lines[1:3001] == [f"12:00:00.000 INFO  [com.x] line {n}" for n in range(3000)]
    assert lines[3001].endswith("✓ com.x active (plugin.py changed: 61 ms, warm)")
    assert len(lines) == 3002
    DevLog(path).close()
    assert path.read_text() == ""
    assert (tmp_path / ".mmplug" / "dev.log.1").read_text().splitlines() == lines


def test_the_live_screen_redraws_at_most_every_interval_and_leaves_a_final_frame() -> None:
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, height=HEIGHT, force_terminal=True,
                      color_system=None)
    screen = LiveScreen(console, lambda: Text("STATUS"), min_interval=0.05)
    screen.start()
    started = time.monotonic()
    for n in range(2000):
        screen.append(Text(f"log line {n}"))
        if n % 100 == 0:
            time.sleep(0.01)
    time.sleep(0.2)
    elapsed = time.monotonic() - started
    screen.stop(reserve=4)
    assert 1 <= screen.redraws <= elapsed / 0.05 + 2, (screen.redraws, elapsed)
    final = out.getvalue().rsplit("\x1b[2K", 1)[-1]  # the last frame, after the erasures
    lines = final.replace("\x1b[?25h", "").splitlines()
    assert lines[0] == "STATUS"
    assert lines[-1] == "log line 1999"
    assert len(lines) == HEIGHT - 4  # room left for the lines printed after it
    assert out.getvalue().endswith("\x1b[?25h")  # the cursor is shown again
