"""A 1 GiB upload and a 1 GiB download through the front door, against honest baselines.

    python benchmarks/http_stream.py [MiB] [ROUNDS]        (defaults 1024, 3)

The front door runs in `mmplug dev` (a separate process) in front of an SDK plugin whose
ServeHTTP counts the uploaded bytes / writes the download in 1 MiB pieces. Three baselines:

* plain servers doing the same in one process, no plugin behind them: aiohttp (what the front
  door is built on) and the standard library's ThreadingHTTPServer;
* the physical limit of the design: a minimal aiohttp server relaying each request to a bare
  grpcio server over the same ServeHTTP streams (64 KiB chunks up, as the server sends them;
  1 MiB down, as the plugin writes them), with no code of mmplug in the path and the least work
  per chunk (framed in one copy, read as a view).

Every server is warmed before it is measured, as `mmplug dev` is (a first upload and download
of a quarter of the size), and every server process gets the malloc settings `mmplug dev`
applies to itself (mmplug.devloop._memory) and grpcio's I/O as mmplug chooses it for its own
processes (mmplug.protocol.grpc_env): a plain aiohttp server under glibc's defaults runs
several times slower before its first large download than after it, which made earlier
baselines flatter the front door. The client streams from/to memory with a 1 MiB buffer.
The servers take turns within each of ROUNDS rounds. Prints the median throughputs and the
ratios, the peak RSS (VmHWM) of the host (`mmplug dev`) and of the
plugin process, and the CPU time (user + system, all threads) each spent per GiB through the
front door: throughput on a shared machine swings with the load, CPU per GiB much less.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import statistics
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
# Every server process of this benchmark starts with the malloc settings of `mmplug dev` and
# grpcio's I/O as mmplug's host and SDK choose it for themselves (mmplug.protocol.grpc_env):
# the relay's grpcio server and client with grpc's defaults would be a slower baseline.
TUNE = ("from mmplug.devloop._memory import tune_for_streaming; tune_for_streaming()\n"
        "import mmplug.protocol.grpc_env\n")

BASELINE = TUNE + '''import sys
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


STDLIB = TUNE + '''import sys
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


# The physical limit of the design: a bare grpcio server with ServeHTTP's streams behind a
# minimal aiohttp relay, moving each body chunk with the least work a relay can do: framed as
# its protobuf message in one copy (tag, length, bytes) and read back as a view into the bytes
# grpc received; messages that hold more than a body chunk go through protobuf. Only the
# protocol's message classes come from mmplug; the framing is written out here (protobuf's own
# API would copy every chunk twice each way, a slower baseline than mmplug's path).
WIRE = """
def frame(data):
    length, varint = len(data), bytearray()
    while length > 0x7F:
        varint.append((length & 0x7F) | 0x80)
        length >>= 7
    varint.append(length)
    return b"".join((b"\\x12", varint, data))

def chunk(data):
    # the body_chunk of a message holding only that field, as a view; None for any other
    if len(data) < 2 or data[0] != 0x12:
        return None
    length, shift, at = 0, 0, 1
    while True:
        byte = data[at]
        at += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return memoryview(data)[at:] if at + length == len(data) else None
"""

GRPC_PLAIN = TUNE + WIRE + '''import sys
from concurrent import futures
import grpc
from mmplug.protocol import hooks_http_pb2 as pb

BLOCK = bytes(range(256)) * 4096

def serve_http(requests, context):
    first = pb.ServeHTTPRequest.FromString(next(requests))
    url = first.init.url
    if url.startswith("/up"):
        total = 0
        for data in requests:
            view = chunk(data)
            total += len(view) if view is not None else \\
                len(pb.ServeHTTPRequest.FromString(data).body_chunk)
        yield pb.ServeHTTPResponse(init=pb.ServeHTTPResponseInit(status_code=200))
        yield pb.ServeHTTPResponse(body_chunk=str(total).encode(), body_complete=True)
        return
    for _ in requests:
        pass
    yield pb.ServeHTTPResponse(init=pb.ServeHTTPResponseInit(status_code=200))
    for _ in range(int(url.split("mib=")[1])):
        yield frame(BLOCK)
    yield pb.ServeHTTPResponse(body_complete=True)

handler = grpc.method_handlers_generic_handler("mattermost.pluginapi.v1.PluginHooks", {
    "ServeHTTP": grpc.stream_stream_rpc_method_handler(
        serve_http, request_deserializer=None,
        response_serializer=lambda m: m if isinstance(m, bytes) else m.SerializeToString())})
options = [("grpc.max_receive_message_length", 64 << 20),
           ("grpc.max_send_message_length", 64 << 20)]
server = grpc.server(futures.ThreadPoolExecutor(8), options=options)
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port(f"127.0.0.1:{sys.argv[1]}")
server.start()
server.wait_for_termination()
'''

# A minimal aiohttp server relaying each request to that grpcio server over one stream.
RELAY = TUNE + WIRE + '''import sys
import grpc
from aiohttp import web
from mmplug.protocol import hooks_http_pb2 as pb

CHUNK = 64 * 1024
options = [("grpc.max_receive_message_length", 64 << 20),
           ("grpc.max_send_message_length", 64 << 20)]

async def handle(request):
    channel = request.app["channel"]
    call = channel.stream_stream("/mattermost.pluginapi.v1.PluginHooks/ServeHTTP",
                                 request_serializer=None, response_deserializer=None)()
    await call.write(pb.ServeHTTPRequest(init=pb.ServeHTTPRequestInit(
        method=request.method, url=request.path_qs)).SerializeToString())
    while True:
        data = await request.content.read(CHUNK)
        if not data:
            break
        await call.write(frame(data))
    await call.write(pb.ServeHTTPRequest(body_complete=True).SerializeToString())
    await call.done_writing()
    response = None
    async for data in call:
        view = chunk(data)
        if view is None:
            message = pb.ServeHTTPResponse.FromString(data)
            if message.HasField("init"):
                response = web.StreamResponse(status=message.init.status_code)
                await response.prepare(request)
            view = message.body_chunk
        if view:
            await response.write(view)
    await response.write_eof()
    return response

async def start(app):
    app["channel"] = grpc.aio.insecure_channel(f"127.0.0.1:{sys.argv[2]}", options=options)

app = web.Application(client_max_size=0)
app.on_startup.append(start)
app.router.add_route("*", "/{tail:.*}", handle)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
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


def main(mib: int, rounds: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="mmplug-bench-http-"))
    project = root / "plugin"
    project.mkdir()
    (project / "plugin.py").write_text(PLUGIN)
    (project / "plugin.json").write_text(json.dumps({
        "id": "com.bench.stream", "name": "stream", "version": "0.1.0",
        "server": {"executable": "plugin.py"}}))
    scripts = {"baseline": BASELINE, "stdlib": STDLIB, "grpc_plain": GRPC_PLAIN, "relay": RELAY}
    for name, text in scripts.items():
        (root / f"{name}.py").write_text(text)
    door, plain, stdlib, bare, relay = _port(), _port(), _port(), _port(), _port()

    def server(name: str, *args: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, str(root / f"{name}.py"), *map(str, args)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    procs = [
        subprocess.Popen([sys.executable, "-m", "mmplug.cli.main", "dev", str(project), "--port",
                          str(door), "--store", ":memory:", "--python", sys.executable],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        server("baseline", plain), server("stdlib", stdlib), server("grpc_plain", bare),
        server("relay", relay, bare),
    ]
    prefix = "/plugins/com.bench.stream"
    targets = {"front door": (door, prefix), "plain aiohttp": (plain, ""),
               "stdlib http.server": (stdlib, ""), "aiohttp->grpcio relay": (relay, "")}
    try:
        for port, path in targets.values():
            _wait(f"http://127.0.0.1:{port}{path}/down?mib=0")
        plugin_pid = _plugin_pid(project)
        warm = max(1, mib // 4)
        for port, path in targets.values():  # every server warmed alike before it counts
            upload(port, f"{path}/up", warm)
            download(port, f"{path}/down", warm)
        rows = []
        for name, run in (("upload", upload), ("download", download)):
            path = "/up" if name == "upload" else "/down"
            samples: dict[str, list[float]] = {label: [] for label in targets}
            cpu: list[list[float]] = []
            for _ in range(rounds):  # the servers take turns, so load swings hit them alike
                for label, (port, base) in targets.items():
                    if label == "front door":
                        before = cpu_seconds(procs[0].pid), cpu_seconds(plugin_pid)
                        samples[label].append(mib / run(port, f"{base}{path}", mib))
                        cpu.append([(cpu_seconds(pid) - was) * 1024 / mib for pid, was in
                                    zip((procs[0].pid, plugin_pid), before, strict=True)])
                    else:
                        samples[label].append(mib / run(port, f"{base}{path}", mib))
            rates = {label: statistics.median(values) for label, values in samples.items()}
            used = [statistics.median(side) for side in zip(*cpu, strict=True)]
            rows.append((name, rates, used))
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
    print(f"{mib} MiB through the front door vs warmed baselines, medians of {rounds} rounds "
          f"({os.cpu_count()} cores, Python {sys.version.split()[0]}, load "
          f"{os.getloadavg()[0]:.1f})")
    for name, rates, (host_cpu, plugin_cpu) in rows:
        ours = rates["front door"]
        others = " | ".join(f"{label} {rate:7.1f} MiB/s (ratio {ours / rate:4.2f})"
                            for label, rate in rates.items() if label != "front door")
        print(f"  {name:<9} front door {ours:7.1f} MiB/s | {others} | CPU s/GiB host "
              f"{host_cpu:.2f}, plugin {plugin_cpu:.2f}")
    print(f"  peak RSS: host (mmplug dev) {host_rss:.0f} MiB, plugin {plugin_rss:.0f} MiB, "
          f"plain server {base_rss:.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1024,
         int(sys.argv[2]) if len(sys.argv) > 2 else 3)
