"""A 1 GiB upload and a 1 GiB download through the front door, against a plain local server.

    python benchmarks/http_stream.py [MiB]        (default 1024)

The front door runs in `mmplug dev` (a separate process) in front of an SDK plugin whose
ServeHTTP counts the uploaded bytes / writes the download in 1 MiB pieces. The baselines are
plain servers doing the same in one process, no plugin behind them: aiohttp (what the front door
is built on) and the standard library's ThreadingHTTPServer. The client streams
from/to memory with a 1 MiB buffer. Prints throughput, the ratio to the baseline, and the peak
RSS (VmHWM) of the host (`mmplug dev`) and of the plugin process, and the CPU time (user +
system, all threads) each of them spent per GiB through the front door: throughput on a shared
machine swings with the load, CPU per GiB much less.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

MiB = 1024 * 1024
PLUGIN = '''from mmplug.sdk import Plugin, serve

BLOCK = bytes(range(256)) * 4096

class Stream(Plugin):
    def serve_http(self, context, response, request):
        if request.path == "/up":
            total = 0
            for chunk in request.body:
                total += len(chunk)
            response.write(str(total).encode())
        else:
            for _ in range(int(request.query["mib"][0])):
                response.write(BLOCK)

if __name__ == "__main__":
    serve(Stream)
'''
BASELINE = '''import sys
from aiohttp import web

BLOCK = bytes(range(256)) * 4096

async def handle(request):
    if request.path.endswith("/up"):
        total = 0
        while True:
            chunk = await request.content.read(65536)
            if not chunk:
                break
            total += len(chunk)
        return web.Response(body=str(total).encode())
    response = web.StreamResponse()
    await response.prepare(request)
    for _ in range(int(request.query["mib"])):
        await response.write(BLOCK)
    await response.write_eof()
    return response

app = web.Application()
app.router.add_route("*", "/{tail:.*}", handle)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
'''


STDLIB = '''import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BLOCK = bytes(range(256)) * 4096

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        left, total = int(self.headers["Content-Length"]), 0
        while left:
            chunk = self.rfile.read(min(left, 65536))
            left -= len(chunk)
            total += len(chunk)
        body = str(total).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        mib = int(parse_qs(urlsplit(self.path).query)["mib"][0])
        self.send_response(200)
        self.send_header("Content-Length", str(mib * len(BLOCK)))
        self.end_headers()
        for _ in range(mib):
            self.wfile.write(BLOCK)

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def upload(port: int, path: str, mib: int) -> float:
    block = os.urandom(MiB)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.putrequest("POST", path)
    conn.putheader("Content-Length", str(mib * MiB))
    conn.endheaders()
    for _ in range(mib):
        conn.send(block)
    answer = conn.getresponse().read()
    elapsed = time.perf_counter() - started
    conn.close()
    assert int(answer) == mib * MiB, answer
    return elapsed


def download(port: int, path: str, mib: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", f"{path}?mib={mib}")
    response = conn.getresponse()
    total = 0
    while True:
        chunk = response.read(MiB)
        if not chunk:
            break
        total += len(chunk)
    elapsed = time.perf_counter() - started
    conn.close()
    assert total == mib * MiB, total
    return elapsed


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _plugin_pid(project: Path) -> int:
    from mmplug.devloop.control import connect

    client = connect(project)
    assert client is not None
    with client:
        return int(client.status()["plugins"][0]["pid"])


def main(mib: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="mmplug-bench-http-"))
    project = root / "plugin"
    project.mkdir()
    (project / "plugin.py").write_text(PLUGIN)
    (project / "plugin.json").write_text(json.dumps({
        "id": "com.bench.stream", "name": "stream", "version": "0.1.0",
        "server": {"executable": "plugin.py"}}))
    (root / "baseline.py").write_text(BASELINE)
    (root / "stdlib.py").write_text(STDLIB)
    door, plain, stdlib = _port(), _port(), _port()
    procs = [
        subprocess.Popen([sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port",
                          str(door), "--store", ":memory:", "--python", sys.executable],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, str(root / "baseline.py"), str(plain)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, str(root / "stdlib.py"), str(stdlib)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        prefix = "/plugins/com.bench.stream"
        _wait(f"http://127.0.0.1:{door}{prefix}/down?mib=0")
        _wait(f"http://127.0.0.1:{plain}/down?mib=0")
        _wait(f"http://127.0.0.1:{stdlib}/down?mib=0")
        plugin_pid = _plugin_pid(project)
        rows = []
        for name, run in (("upload", upload), ("download", download)):
            path = "/up" if name == "upload" else "/down"
            base, std = run(plain, path, mib), run(stdlib, path, mib)
            before = cpu_seconds(procs[0].pid), cpu_seconds(plugin_pid)
            ours = run(door, f"{prefix}{path}", mib)
            used = [(cpu_seconds(pid) - was) * 1024 / mib
                    for pid, was in zip((procs[0].pid, plugin_pid), before, strict=True)]
            rows.append((name, mib / base, mib / std, mib / ours, *used))
        host_rss, plugin_rss = peak_rss_mib(procs[0].pid), peak_rss_mib(plugin_pid)
        base_rss = peak_rss_mib(procs[1].pid)
    finally:
        procs[0].send_signal(2)  # Ctrl-C for mmplug dev: it stops its plugin
        for proc in procs[1:]:
            proc.terminate()  # SIGINT is ignored when this script runs in the background
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # never leave a server behind
                proc.kill()
                proc.wait()
        shutil.rmtree(root, ignore_errors=True)
    print(f"{mib} MiB through the front door vs plain local servers "
          f"({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    for name, base_rate, std_rate, our_rate, host_cpu, plugin_cpu in rows:
        print(f"  {name:<9} front door {our_rate:7.1f} MiB/s | plain aiohttp {base_rate:7.1f} MiB/s"
              f" (ratio {our_rate / base_rate:4.2f}) | stdlib http.server {std_rate:7.1f} MiB/s"
              f" (ratio {our_rate / std_rate:4.2f}) | CPU s/GiB host {host_cpu:.2f},"
              f" plugin {plugin_cpu:.2f}")
    print(f"  peak RSS: host (mmplug dev) {host_rss:.0f} MiB, plugin {plugin_rss:.0f} MiB, "
          f"plain server {base_rss:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1024)
