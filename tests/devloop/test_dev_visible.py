"""The dev loop is visible: a line per hook call and per front door request (with the status
the client got), the acting user per request, a useful page at /, and crash reports that say
how the plugin ended and what happens next."""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devloop_support import Events, dev_loop, processes_in, wait_for
from plugin_projects import write_plugin_project
from rich.console import Console

from mmplug.cli._dev_screen import DevLog
from mmplug.cli._dev_terminal import Printer

PLUGIN_ID = "com.example.visible"
SOURCE = '''
import os, signal, sys
from mmplug.sdk import Plugin, Router, serve

http = Router()


@http.get("/whoami")
def whoami(plugin, request):
    return {"user": request.user_id, "headers": sorted(dict(request.headers.items()))}


@http.post("/upload")
def upload(plugin, request):
    if not request.user_id:
        request.response.write_header(401)
        request.response.write(b"log in first")
        return None
    return {"bytes": sum(len(chunk) for chunk in request.body)}


@http.get("/items/{item}")
def item(plugin, request):
    return {"item": request.params["item"]}


class Visible(Plugin):
    http = http

    def execute_command(self, context, args):
        if args.command.startswith("/die"):
            print("about to die on purpose", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return {"response_type": "ephemeral", "text": "hi"}


if __name__ == "__main__":
    serve(Visible)
'''
MiB = 1024 * 1024


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return write_plugin_project(tmp_path / "visible", PLUGIN_ID, SOURCE, name="Visible")


class Running:
    def __init__(self, loop: Any, log: Path, events: Events) -> None:
        self.loop, self.log, self.events = loop, log, events

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.loop.front_door.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


@pytest.fixture()
def running(project: Path, tmp_path: Path) -> Iterator[Running]:
    loop = dev_loop(project, watch=False)
    log = DevLog(tmp_path / "dev.log")
    printer = Printer(Console(file=io.StringIO(), width=200), loop, "info", log)
    events = Events()
    loop.add_observer(printer)
    loop.add_observer(events)
    try:
        with loop:
            yield Running(loop, tmp_path / "dev.log", events)
    finally:
        log.close()
    assert processes_in(project) == []


def test_a_rejected_upload_is_logged_with_the_status_the_client_got(running: Running) -> None:
    status, body = running.request("POST", f"/plugins/{PLUGIN_ID}/upload", b"x" * 12 * MiB)
    assert (status, body) == (401, b"log in first")
    line = wait_for(lambda: [x for x in running.lines() if "/upload" in x])
    assert line[-1].endswith(f"⇄ POST /plugins/{PLUGIN_ID}/upload as anonymous → 401 "
                             f"({line[-1].rsplit('(', 1)[1]}")
    # no request logged with a 502 and no Bad Gateway (a bare "502" matched a timestamp or a
    # duration of the log: 22:30:50.502, "(502 ms)")
    logged = "\n".join(running.lines())
    assert "→ 502" not in logged and "Bad Gateway" not in logged


def test_each_hook_call_and_request_gets_one_line(running: Running) -> None:
    result = running.loop.fire("ExecuteCommand", args={"command": "/hi"})
    assert result.ok
    status, _ = running.request("GET", f"/plugins/{PLUGIN_ID}/whoami")
    assert status == 200
    wait_for(lambda: any("/whoami" in x for x in running.lines()))
    lines = running.lines()
    hooks = [x for x in lines if "⚡ ExecuteCommand" in x]
    assert len(hooks) == 1 and f"→ {PLUGIN_ID}: ok (" in hooks[0]
    requests = [x for x in lines if "⇄ " in x]
    assert len(requests) == 1 and "GET /plugins/" in requests[0] and "→ 200" in requests[0]
    assert not any("⚡ ServeHTTP" in x for x in lines)  # the request line tells it


def test_the_acting_user_is_picked_per_request(running: Running) -> None:
    path = f"/plugins/{PLUGIN_ID}/whoami"
    _, anonymous = running.request("GET", path)
    _, alice = running.request("GET", path, headers={"X-Mmplug-User": "alice"})
    _, by_id = running.request("GET", path, headers={
        "X-Mmplug-User": json.loads(alice)["user"]})
    status, unknown = running.request("GET", path, headers={"X-Mmplug-User": "nobody"})
    assert json.loads(anonymous)["user"] == ""
    assert len(json.loads(alice)["user"]) == 26 and json.loads(by_id) == json.loads(alice)
    assert "X-Mmplug-User" not in json.loads(alice)["headers"]  # mmplug's, not the plugin's
    assert status == 400 and b"nobody" in unknown and b"alice" in unknown  # names the users
    assert unknown.count(b"X-Mmplug-User") == 1, unknown  # the header named once
    wait_for(lambda: len([x for x in running.lines() if "⇄ " in x]) == 4)
    shown = [x.split("⇄ ", 1)[1].split(" →")[0] for x in running.lines() if "⇄ " in x]
    assert shown == [f"GET {path} as anonymous", f"GET {path} as alice",
                     f"GET {path} as alice", f"GET {path} as nobody"]


def test_the_front_doors_root_lists_routes_and_docs(running: Running) -> None:
    status, page = running.request("GET", "/")
    text = page.decode()
    assert status == 200 and "<html>" in text
    assert f"href='/plugins/{PLUGIN_ID}/whoami'" in text  # a GET route: a link
    assert f"POST <code>/plugins/{PLUGIN_ID}/upload</code>" in text
    assert f"<code>/plugins/{PLUGIN_ID}/items/{{item}}</code>" in text
    assert "anonymously" in text and "X-Mmplug-User" in text
    docs = [part.split("'")[0] for part in text.split("href='")[1:] if "/_mmplug/docs/" in part]
    assert "/_mmplug/docs/http.md" in docs
    status, doc = running.request("GET", "/_mmplug/docs/http.md")
    assert status == 200 and b"X-Mmplug-User" in doc
    # a path out of the docs is cleaned first, as the server's router cleans every path (a
    # 301 to the clean one), and the clean one is no doc: nothing outside docs/ is served
    assert running.request("GET", "/_mmplug/docs/../README.md")[0] == 301
    assert running.request("GET", "/README.md")[0] == 404


def test_a_crash_report_names_the_signal_the_restart_and_keeps_the_stderr_tail(
        running: Running) -> None:
    from mmplug.errors import PluginCrashError

    with pytest.raises(PluginCrashError) as crash:
        running.loop.fire("ExecuteCommand", args={"command": "/die"})
    assert "was killed by SIGKILL during ExecuteCommand" in crash.value.render()
    running.events.wait(lambda: any("restarting in" in p for p in running.events.problems))
    report = next(p for p in running.events.problems if "restarting in" in p)
    assert report.splitlines()[0] == "the plugin process was killed by SIGKILL while the " \
        "host was running it"
    assert "  | about to die on purpose" in report.splitlines()  # on its own indented line
    assert report.splitlines()[-1].startswith("restarting in ")
    running.events.wait(lambda: running.loop.status[PLUGIN_ID].state == "active")
    screen = "\n".join(running.lines())
    assert f"✗ {PLUGIN_ID}: the plugin process was killed by SIGKILL" in screen
    assert "\n    | about to die on purpose" in screen  # indented under the ✗ line
    assert "waiting for the next save" not in screen  # a restart follows, not a save


def test_a_killed_plugin_is_reported_by_signal(running: Running) -> None:
    os.kill(running.loop.status[PLUGIN_ID].pid, signal.SIGTERM)
    running.events.wait(lambda: any("restarting in" in p for p in running.events.problems))
    report = next(p for p in running.events.problems if "restarting in" in p)
    assert "exited with code 0" in report or "killed by SIGTERM" in report


def test_the_dev_screen_shows_the_traceback_once(parrot_plugin: Path, tmp_path: Path) -> None:
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace("from mmplug.sdk import",
                                                 "import pkg\nfrom mmplug.sdk import", 1))
    (parrot_plugin / "pkg").mkdir()
    (parrot_plugin / "pkg" / "__init__.py").write_text("def f(:\n")
    loop = dev_loop(parrot_plugin, watch=False)
    log = DevLog(tmp_path / "dev.log")
    loop.add_observer(Printer(Console(file=io.StringIO()), loop, "info", log))
    with loop:
        loop.reload("com.example.parrot")  # a warm spare starts it this time
    log.close()
    text = (tmp_path / "dev.log").read_text()
    assert text.count("Traceback (most recent call last):") == 2  # one per start
    assert text.count("✗ com.example.parrot: SyntaxError: invalid syntax (pkg/__init__.py:1)") \
        == 2
    assert "<frozen runpy>" not in text and "<string>" not in text
    assert loop.status["com.example.parrot"].problem == \
        "SyntaxError: invalid syntax (pkg/__init__.py:1)"


def test_an_activation_error_is_told_once(parrot_plugin: Path, tmp_path: Path) -> None:
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace(
        "    def on_activate(self):\n", "    def on_activate(self):\n        {}['missing']\n"))
    loop = dev_loop(parrot_plugin, watch=False)
    log = DevLog(tmp_path / "dev.log")
    loop.add_observer(Printer(Console(file=io.StringIO()), loop, "info", log))
    with loop:
        pass
    log.close()
    text = (tmp_path / "dev.log").read_text()
    assert text.count("Traceback (most recent call last):") == 1  # the plugin's own log line
    assert "✗ com.example.parrot: KeyError: 'missing' (plugin.py:" in text
    assert "the traceback is in the plugin's log above" in text
