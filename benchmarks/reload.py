"""Save -> new code serving: `mmplug dev` (warm spare), `mmplug dev --no-warm` (cold restart)
and `uvicorn --reload` serving an equivalent tiny app, side by side on this machine.

    python benchmarks/reload.py [ROUNDS]

Each round rewrites the served file (atomically, as editors do) and polls the HTTP endpoint
until the new version answers; the time from the write to that answer is one sample. The three
servers take turns round by round, so load spikes on the machine hit them alike. Prints the
median per server and ratios to uvicorn (the baseline).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PLUGIN = '''from mmplug.sdk import Plugin, serve

VERSION = "{version}"

class Tiny(Plugin):
    def serve_http(self, context, response, request):
        response.write(VERSION.encode())

if __name__ == "__main__":
    serve(Tiny)
'''
ASGI = '''VERSION = "{version}"

async def app(scope, receive, send):
    assert scope["type"] == "http"
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": VERSION.encode()}})
'''
PAUSE_S = 1.0  # between saves: a developer does not save 10 times a second


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read()  # type: ignore[no-any-return]
    except OSError:
        return None


def _write(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.swp")
    temp.write_text(text)
    os.replace(temp, path)


class Server:
    def __init__(self, name: str, root: Path, template: str, filename: str) -> None:
        self.name, self.root, self.template = name, root, template
        self.file = root / filename
        self.port = _port()
        self.samples: list[float] = []
        self.proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True)
        self.file.write_text(template.format(version="v0"))

    def start(self, command: list[str], path: str) -> None:
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.proc = subprocess.Popen(command, cwd=self.root, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while _get(self.url) != b"v0":
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name} did not come up")
            time.sleep(0.05)

    def round(self, index: int) -> None:
        version = f"v{index}".encode()
        started = time.perf_counter()
        _write(self.file, self.template.format(version=version.decode()))
        deadline = started + 30
        while _get(self.url) != version:
            if time.perf_counter() > deadline:
                raise SystemExit(f"{self.name} never served {version!r}")
            time.sleep(0.001)
        self.samples.append(time.perf_counter() - started)

    def stop(self) -> None:
        if self.proc is not None:
            interrupt(self.proc)


def interrupt(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C for a server under test (mmplug dev stops its plugin on it), then SIGKILL if it
    has not ended in 20 s."""
    proc.send_signal(2)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="mmplug-bench-reload-"))
    servers = []
    for name, flags in (("mmplug dev (warm spare)", []), ("mmplug dev --no-warm", ["--no-warm"])):
        server = Server(name, root / name.split()[-1].strip("()-"), PLUGIN, "plugin.py")
        (server.root / "plugin.json").write_text(json.dumps({
            "id": "com.bench.tiny", "name": "tiny", "version": "0.1.0",
            "server": {"executable": "plugin.py"}}))
        server.start([sys.executable, "-m", "mmplug.cli.main", "dev", ".", "--port",
                      str(server.port), "--store", ":memory:", "--python", sys.executable,
                      *flags], "/plugins/com.bench.tiny/")
        servers.append(server)
    uvicorn = Server("uvicorn --reload (baseline)", root / "uvicorn", ASGI, "app.py")
    uvicorn.start([sys.executable, "-m", "uvicorn", "app:app", "--reload", "--port",
                   str(uvicorn.port), "--log-level", "warning"], "/")
    servers.append(uvicorn)
    try:
        for index in range(1, rounds + 1):
            for server in servers:
                time.sleep(PAUSE_S)
                server.round(index)
    finally:
        for server in servers:
            server.stop()
    base = statistics.median(uvicorn.samples)
    print(f"save -> new code serving, median of {rounds} saves "
          f"({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    for server in servers:
        median = statistics.median(server.samples)
        p90 = sorted(server.samples)[int(0.9 * (len(server.samples) - 1))]
        print(f"  {server.name:<30} {median * 1000:7.1f} ms  (p90 {p90 * 1000:6.1f} ms)"
              f"  ratio to uvicorn {median / base:5.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
