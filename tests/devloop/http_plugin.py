"""A plugin for the front door tests: echoes, streams, odd statuses, crashes, thread counts."""

import hashlib
import json
import os
import threading
import time

from mmplug.sdk import Plugin, serve

MiB = 1024 * 1024


def _busy() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("mmplug-ServeHTTP"))


class HttpTest(Plugin):
    def serve_http(self, context, response, request):
        path = request.path
        if path == "/echo" or path.startswith("/echo/"):
            sizes, digest, total = [], hashlib.sha256(), 0
            for chunk in request.body:
                sizes.append(len(chunk))
                digest.update(chunk)
                total += len(chunk)
            response.set_header("Content-Type", "application/json")
            response.write(json.dumps({
                "sizes": sizes, "total": total, "sha256": digest.hexdigest(),
                "headers": dict(request.headers.items()), "url": request.url,
                "method": request.method, "user": request.user_id,
                "request_uri": request.request_uri, "content_length": request.content_length,
                "host": request.host, "session_id": context.session_id,
            }))
        elif path == "/raw":
            response.set_header("Content-Type", "application/octet-stream")
            response.write(request.read_all())
        elif path == "/headers":
            response.add_header("Set-Cookie", "a=1")
            response.add_header("Set-Cookie", "b=2")
            response.set_header("X-Utf8", "\u00e9t\u00e9 \u2603")
            response.write_header(201)
        elif path == "/status":
            response.set_header("x-plugin-said", "so")
            response.write_header(int(request.query["code"][0]))
            response.write(b"odd")
        elif path == "/download":
            size = int(request.query["mib"][0])
            block = bytes(range(256)) * 4096  # 1 MiB
            for _ in range(size):
                response.write(block)
        elif path == "/drip":
            for index in range(3):
                response.write(f"part{index}\n")
                response.flush()
                time.sleep(0.3)
        elif path == "/events":  # server-sent events, flushed or not
            response.set_header("Content-Type", "text/event-stream")
            for index in range(2):
                response.write(f"data: {index}\n\n")
                if "flush" in request.query:
                    response.flush()
                time.sleep(0.5)
        elif path == "/flush-first":  # the head goes out before any body byte
            response.flush()
            response.write(b"late")
        elif path == "/answer":  # the headers ("Key: value"), status and writes the query says
            for item in request.query.get("h", []):
                key, _, value = item.partition(":")
                response.add_header(key, value.strip())
            response.write_header(int(request.query.get("code", ["200"])[0]))
            for piece in request.query.get("w", []):
                response.write(piece)
                if "flush" in request.query:
                    response.flush()
        elif path == "/small":
            response.write(b"hel")
            response.write(b"lo")
        elif path == "/no-body":
            response.set_header("X-Before", "1")
            response.write_header(int(request.query["code"][0]))
            response.write(b"refused")
            response.set_header("X-After", "1")
        elif path == "/die-before":
            os._exit(7)
        elif path == "/die-during":
            response.write(b"partial")
            response.flush()
            time.sleep(0.2)
            os._exit(7)
        elif path == "/busy":
            response.write(str(_busy() - 1).encode())  # not counting this request
        else:
            response.write_header(404)

    def serve_metrics(self, context, response, request):
        response.set_header("Content-Type", "text/plain; version=0.0.4")
        response.write(f"requests_total 1 # {request.path}\n".encode())


if __name__ == "__main__":
    serve(HttpTest)
