"""ServeHTTP through ``mount_asgi`` against a plain ``serve_http`` handler doing the same work,
each plugin in its own process, called over gRPC from this process as the server would.

    python benchmarks/sdk_asgi.py [SMALL_CALLS] [MIB]      (default 500 calls, 64 MiB)

Cases (interleaved round by round so load spikes hit both plugins alike):
small GET (median per request), a MIB download (64 KiB writes) and a MIB upload (64 KiB chunks).
Prints medians and the ratio of the ASGI mount to the plain handler (the baseline).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CHUNK = 64 * 1024

PLAIN = '''
from mmplug.sdk import Plugin, serve
BLOCK = b"d" * 65536

class Plain(Plugin):
    def serve_http(self, context, response, request):
        if request.path == "/up":
            total = sum(len(chunk) for chunk in request.body)
            response.write(str(total))
        elif request.path == "/down":
            for _ in range(int(request.query["mib"][0]) * 16):
                response.write(BLOCK)
        else:
            response.set_header("Content-Type", "text/plain")
            response.write(b"ok")

serve(Plain)
'''

ASGI = '''
from mmplug.sdk import Plugin, mount_asgi, serve
BLOCK = b"d" * 65536

async def app(scope, receive, send):
    if scope["path"] == "/up":
        total, more = 0, True
        while more:
            message = await receive()
            total += len(message["body"])
            more = message["more_body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(total).encode()})
    elif scope["path"] == "/down":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        mib = int(scope["query_string"].decode().split("=")[1])
        for _ in range(mib * 16):
            await send({"type": "http.response.body", "body": BLOCK, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

class Asgi(Plugin):
    http = mount_asgi(app)

serve(Asgi)
'''


def start(script: Path) -> tuple[subprocess.Popen[bytes], grpc.Channel]:
    env = dict(os.environ, MATTERMOST_PLUGIN="Securely message teams, anywhere.",
               PLUGIN_PROTOCOL_VERSIONS="1", PYTHONPATH=str(REPO), MMPLUG_LOG_LEVEL="error")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    address = proc.stdout.readline().decode().split("|")[3]
    options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    return proc, grpc.insecure_channel(address, options=options)


def caller(channel: grpc.Channel) -> Callable[..., bytes]:
    from mmplug.sdk._proto import HOOKS_SERVICE, message_class

    req, init = message_class("ServeHTTPRequest"), message_class("ServeHTTPRequestInit")
    method = channel.stream_stream(
        f"/{HOOKS_SERVICE}/ServeHTTP", request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=message_class("ServeHTTPResponse").FromString)

    def messages(url: str, chunks: int) -> Iterator[Any]:
        head = init(method="POST" if chunks else "GET", url=url, proto="HTTP/1.1")
        if not chunks:
            yield req(init=head, body_complete=True)
            return
        block = b"u" * CHUNK
        yield req(init=head, body_chunk=block, body_complete=chunks == 1)
        for n in range(2, chunks + 1):
            yield req(body_chunk=block, body_complete=n == chunks)

    def call(url: str, chunks: int = 0) -> bytes:
        body = b""
        size = 0
        for message in method(messages(url, chunks), timeout=120):
            size += len(message.body_chunk)
            if size < 64:
                body += message.body_chunk
        return body

    return call


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    small = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    with tempfile.TemporaryDirectory() as tmp:
        procs, calls = [], {}
        for name, code in (("plain serve_http (baseline)", PLAIN), ("mount_asgi", ASGI)):
            script = Path(tmp) / f"{name.split()[0]}.py"
            script.write_text(code)
            proc, channel = start(script)
            procs.append((proc, channel))
            calls[name] = caller(channel)
        try:
            run(calls, small, mib)
        finally:
            for proc, channel in procs:
                channel.close()
                proc.kill()
                proc.wait()


def run(calls: dict[str, Callable[..., bytes]], small: int, mib: int) -> None:
    for call in calls.values():  # warm up and check the answers
        assert call("/small") == b"ok"
        assert call("/up", 16) == str(16 * CHUNK).encode()
        for _ in range(50):
            call("/small")
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(small):
        for name, call in calls.items():
            times.setdefault((name, "small"), []).append(timed(lambda c=call: c("/small")))
    for _ in range(5):
        for name, call in calls.items():
            times.setdefault((name, "down"), []).append(
                timed(lambda c=call: c(f"/down?mib={mib}")))
            times.setdefault((name, "up"), []).append(
                timed(lambda c=call: c("/up", mib * 1024 * 1024 // CHUNK)))
    base = next(iter(calls))
    print(f"{'case':<34}{'small GET':>14}{'ratio':>7}{f'{mib} MiB down':>16}{'ratio':>7}"
          f"{f'{mib} MiB up':>14}{'ratio':>7}")
    for name in calls:
        row = f"{name:<34}"
        for case in ("small", "down", "up"):
            value = statistics.median(times[(name, case)])
            ratio = value / statistics.median(times[(base, case)])
            shown = f"{value * 1e6:.0f} µs" if case == "small" else f"{mib / value:.0f} MiB/s"
            width = 16 if case == "down" else 14
            row += f"{shown:>{width}}{ratio:>7.2f}"
        print(row)
    print("ratio: time relative to the baseline (above 1 = slower)")


if __name__ == "__main__":
    main()
