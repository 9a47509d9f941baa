"""What the live status screen costs `mmplug dev`: the same session on a terminal with the
screen, on a terminal with `--plain` (plain lines: the baseline), and on a pipe (as CI).

    python benchmarks/dev_screen.py [ROUNDS]

Each `mmplug dev` runs on a pseudo-terminal of 50 x 200 (a large window: the most to redraw)
or a pipe, whose output a thread drains as a terminal would. The three take turns, round by
round, on two measures:

* save -> new code serving (as benchmarks/reload.py): the reload latency must not suffer;
* a log flood: one request makes the plugin log FLOOD lines; the time until the last one is in
  `.mmplug/dev.log`, and the CPU time the `mmplug dev` process spent meanwhile.

Then the CPU time of each `mmplug dev` process while idle for IDLE_S (the once-a-second
redraw). Prints medians and ratios to `--plain`. Last, in this process: the time one redraw of
the full 50 x 200 screen takes, against printing one log line plainly on such a terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reload import PAUSE_S, _get, _port, _write, interrupt

PLUGIN = '''from mmplug.sdk import Plugin, serve

VERSION = "{version}"

class Flood(Plugin):
    def serve_http(self, context, response, request):
        if request.path == "/flood":
            for n in range({flood}):
                self.logger.info(f"flood line {{n}} of the load test", extra={{"n": n}})
        response.write(VERSION.encode())

if __name__ == "__main__":
    serve(Flood)
'''
FLOOD = 2000
IDLE_S = 5.0
ROWS, COLUMNS = 50, 200
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Dev:
    def __init__(self, name: str, root: Path, terminal: bool, flags: list[str]) -> None:
        self.name = name
        self.root = root
        self.port = _port()
        self.reloads: list[float] = []
        self.floods: list[float] = []
        self.flood_cpu: list[float] = []
        self.idle_cpu = 0.0
        root.mkdir(parents=True)
        (root / "plugin.json").write_text(json.dumps({
            "id": "com.bench.flood", "name": "flood", "version": "0.1.0",
            "server": {"executable": "plugin.py"}}))
        (root / "plugin.py").write_text(PLUGIN.format(version="v0", flood=FLOOD))
        command = [sys.executable, "-m", "mmplug.cli.main", "dev", ".", "--port", str(self.port),
                   "--store", ":memory:", "--python", sys.executable, *flags]
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        if terminal:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            self.proc = subprocess.Popen(command, cwd=root, stdin=slave, stdout=slave,
                                         stderr=slave, env=env, start_new_session=True)
            os.close(slave)
            self.out = master
        else:
            self.proc = subprocess.Popen(command, cwd=root, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
            assert self.proc.stdout is not None
            self.out = self.proc.stdout.fileno()
        self.drained = 0
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        self.url = f"http://127.0.0.1:{self.port}/plugins/com.bench.flood/"
        deadline = time.monotonic() + 60
        while _get(self.url) != b"v0":
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not come up")
            time.sleep(0.05)

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.out, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.drained += len(chunk)

    def reload(self, index: int) -> None:
        version = f"v{index}"
        started = time.perf_counter()
        _write(self.root / "plugin.py", PLUGIN.format(version=version, flood=FLOOD))
        while _get(self.url) != version.encode():
            if time.perf_counter() - started > 30:
                raise SystemExit(f"{self.name} never served {version}")
            time.sleep(0.001)
        self.reloads.append(time.perf_counter() - started)

    def flood(self, index: int) -> None:
        log = self.root / ".mmplug" / "dev.log"
        last = f"flood line {FLOOD - 1} of the load test"
        before = log.read_text().count(last)
        cpu = _cpu_s(self.proc.pid)
        started = time.perf_counter()
        with urllib.request.urlopen(self.url + "flood", timeout=60) as response:
            response.read()
        while log.read_text().count(last) == before:
            if time.perf_counter() - started > 60:
                raise SystemExit(f"{self.name}: the flood never reached the log")
            time.sleep(0.005)
        self.floods.append(time.perf_counter() - started)
        time.sleep(0.2)  # the last redraws of the flood
        self.flood_cpu.append(_cpu_s(self.proc.pid) - cpu)

    def idle(self) -> None:
        cpu = _cpu_s(self.proc.pid)
        time.sleep(IDLE_S)
        self.idle_cpu = _cpu_s(self.proc.pid) - cpu

    def stop(self) -> None:
        interrupt(self.proc)
        self.reader.join(5)
        if self.proc.stdout is None:
            os.close(self.out)
        else:
            self.proc.stdout.close()


def redraw_cost(repeat: int = 200) -> tuple[float, float]:
    """Seconds per full-screen redraw and per plainly printed log line (to /dev/null)."""
    from datetime import datetime, timezone

    from rich.console import Console
    from rich.live import Live

    from mmplug.cli._dev_screen import DevScreen, LogTail, render_status
    from mmplug.cli._render import render_log
    from mmplug.devloop.status import PluginStatus, Reload
    from mmplug.host.logs import LogRecord

    status = PluginStatus("com.bench.flood", "/p", state="active", pid=4242,
                          implemented=["OnActivate", "ServeHTTP"], last_reload=Reload("start"))
    tail = LogTail()
    records = [LogRecord(time=datetime.now(timezone.utc), level="info", message=f"line {n}",
                         plugin_id="com.bench.flood", fields={"n": n}) for n in range(200)]
    for record in records:
        tail.append(render_log(record))
    with open(os.devnull, "w") as sink:
        console = Console(file=sink, force_terminal=True, width=COLUMNS, height=ROWS)
        screen = DevScreen(lambda: render_status([status], "http://127.0.0.1:8065"), tail)
        with Live(screen, console=console, auto_refresh=False) as live:
            started = time.perf_counter()
            for n in range(repeat):
                tail.append(render_log(records[n % len(records)]))
                live.refresh()
            redraw = (time.perf_counter() - started) / repeat
        plain = Console(file=sink, force_terminal=True, width=COLUMNS, height=ROWS,
                        soft_wrap=True, highlight=False)
        started = time.perf_counter()
        for n in range(repeat):
            plain.print(render_log(records[n % len(records)]))
        line = (time.perf_counter() - started) / repeat
    return redraw, line


def main(rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="mmplug-bench-screen-"))
    devs: list[Dev] = []
    try:
        for name, terminal, flags in (("terminal, live screen", True, []),
                                      ("terminal, --plain (baseline)", True, ["--plain"]),
                                      ("pipe", False, [])):
            devs.append(Dev(name, root / name.split(",")[-1].strip(" -()"), terminal, flags))
        for index in range(1, rounds + 1):
            for dev in devs:
                time.sleep(PAUSE_S)
                dev.reload(index)
            for dev in devs:
                dev.flood(index)
        for dev in devs:
            dev.idle()
    finally:
        for dev in devs:
            dev.stop()
    base = devs[1]
    print(f"mmplug dev on a {COLUMNS}x{ROWS} terminal vs --plain vs a pipe, {rounds} rounds "
          f"({os.cpu_count()} cores, Python {sys.version.split()[0]}, load "
          f"{os.getloadavg()[0]:.1f})")

    def ratio(value: float, baseline: float) -> str:
        return f"{value / baseline:5.2f}" if baseline > 0 else "  n/a"

    for dev in devs:
        reload, flood = statistics.median(dev.reloads), statistics.median(dev.floods)
        cpu = statistics.median(dev.flood_cpu)
        print(f"  {dev.name:<30} reload {reload * 1000:6.1f} ms"
              f" ({ratio(reload, statistics.median(base.reloads))})"
              f"  {FLOOD}-line flood {flood * 1000:6.0f} ms"
              f" ({ratio(flood, statistics.median(base.floods))})"
              f", cpu {cpu * 1000:5.0f} ms ({ratio(cpu, statistics.median(base.flood_cpu))})"
              f"  idle cpu {dev.idle_cpu / IDLE_S * 100:4.1f} %"
              f"  output {dev.drained / 1e6:5.1f} MB")
    redraw, line = redraw_cost()
    print(f"  one {COLUMNS}x{ROWS} redraw {redraw * 1000:.2f} ms; one plain log line "
          f"{line * 1000:.3f} ms (ratio {redraw / line:.0f}); at most 20 redraws a second")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
