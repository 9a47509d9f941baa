"""`mmplug fire` goes into a running `mmplug dev` through its control channel."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from plugin_projects import write_plugin_project

Cli = Callable[..., subprocess.CompletedProcess[str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_dev(plugin_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """``mmplug dev`` of ``plugin_dir`` in its own process (its output in ``dev.log`` under
    ``tmp_path``) until the block ends; stopped with Ctrl-C."""
    pointer = plugin_dir / ".mmplug" / "dev.json"
    log = (tmp_path / "dev.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", "dev", str(plugin_dir), "--port",
         str(free_port()), "--python", sys.executable, "--store", ":memory:"],
        stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not pointer.is_file():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mmplug dev did not start:\n{(tmp_path / 'dev.log').read_text()}")
            time.sleep(0.05)
        yield plugin_dir
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture()
def dev_session(parrot_plugin: Path, tmp_path: Path) -> Iterator[Path]:
    with running_dev(parrot_plugin, tmp_path) as plugin_dir:
        yield plugin_dir


def test_fire_goes_into_the_running_dev_session(cli: Cli, dev_session: Path,
                                                tmp_path: Path) -> None:
    cassette = tmp_path / "dev.jsonl"
    deadline = time.monotonic() + 30
    while True:  # the plugin may still be activating right after the pointer appears
        result = cli("fire", "ExecuteCommand", "/parrot from dev", "--format", "json",
                     "--record", str(cassette), cwd=dev_session)
        if result.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    assert result.returncode == 0, doc.get("error") or result.stderr
    assert doc["response"]["response"]["text"] == "repeated 8 characters"
    # the dev session's state: the post counter its own MessageHasBeenPosted keeps
    status = cli("fire", "ServeHTTP", "GET", "/status", "--format", "json", cwd=dev_session)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["http"]["status"] == 200
    lines = cassette.read_text().splitlines()
    assert json.loads(lines[1])["hook"] == "ExecuteCommand"
    local = cli("fire", "OnActivate", "--local", "--format", "json", cwd=dev_session)
    assert local.returncode == 0 and json.loads(local.stdout)["hook"] == "OnActivate"


def test_fire_into_dev_reads_the_answer_after_an_informational_one(
        cli: Cli, tmp_path: Path) -> None:
    """(*hooksGRPCClient).writeHTTPResponseHeaders calls WriteHeader(103): Go's net/http
    sends an informational answer, then a 200 with the body; fire into dev shows that 200, as
    it does without dev and as Go's and curl's clients do."""
    with running_dev(_http_plugin(tmp_path), tmp_path) as plugin_dir:
        result = _fire_once_up(cli, plugin_dir, "ServeHTTP", "GET",
                               "/answer?code=103&h=Link:</a.css>&w=hello", "--format", "json")
        assert result.returncode == 0, result.stdout + result.stderr
        http = json.loads(result.stdout)["http"]
        assert (http["status"], http["body"]) == (200, "hello")
        assert ["Link", "</a.css>"] in http["headers"]


def test_fire_into_dev_sends_every_value_of_a_repeated_header(cli: Cli, tmp_path: Path
                                                              ) -> None:
    """`--header 'X-A: 1' --header 'X-A: 2'` reaches the plugin with both values, as a
    browser's repeated header reaches it through the server (fire into dev kept the last)."""
    with running_dev(_http_plugin(tmp_path), tmp_path) as plugin_dir:
        result = _fire_once_up(cli, plugin_dir, "ServeHTTP", "POST", "/echo", "--header",
                               "X-A: 1", "--header", "X-A: 2", "--header", "X-B: 1",
                               "--header", "x-b: 2", "--data", "x", "--format", "json")
        assert result.returncode == 0, result.stdout + result.stderr
        seen = json.loads(json.loads(result.stdout)["http"]["body"])["headers"]
        assert seen["X-A"] == ["1", "2"]
        assert seen["X-B"] == ["1", "2"]


TOKENS_PLUGIN = """
import json

from mmplug.sdk import Plugin, serve


class Tokens(Plugin):
    def serve_http(self, context, response, request):
        if request.path == "/mint":  # a session of bob's, as a login would make
            bob = self.api.get_user_by_username("bob")
            session = self.api.create_session({"user_id": bob.id})
            response.write(json.dumps({"token": session.token, "bob": bob.id}))
            return
        response.write(json.dumps({"user": request.user_id,
                                   "authorization": request.headers.get("Authorization")}))


if __name__ == "__main__":
    serve(Tokens)
"""


def test_fire_into_dev_is_signed_in_by_the_token_it_carries(cli: Cli, tmp_path: Path) -> None:
    """servePluginRequest (server/channels/app/plugin_requests.go): a request that carries a
    session token of the running dev's store is made as that session's user and loses its
    Authorization header; a token of no session leaves it anonymous, header kept."""
    project = write_plugin_project(tmp_path / "tokens", "com.example.tokens", TOKENS_PLUGIN)
    with running_dev(project, tmp_path) as plugin_dir:

        def fire(*args: str) -> Any:
            result = _fire_once_up(cli, plugin_dir, "ServeHTTP", "GET", *args,
                                   "--format", "json")
            assert result.returncode == 0, result.stdout + result.stderr
            return json.loads(json.loads(result.stdout)["http"]["body"])

        minted = fire("/mint")
        signed = fire("/whoami", "--header", f"Authorization: Bearer {minted['token']}")
        assert signed == {"user": minted["bob"], "authorization": None}
        unknown = fire("/whoami", "--header", "Authorization: Bearer nosuchtoken")
        assert unknown == {"user": "", "authorization": "Bearer nosuchtoken"}


def _http_plugin(tmp_path: Path) -> Path:
    """A project of the dev loop tests' HTTP plugin."""
    return write_plugin_project(tmp_path / "http", "com.example.http",
                                Path(__file__).resolve().parents[1] / "devloop"
                                / "http_plugin.py")


def _fire_once_up(cli: Cli, plugin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`mmplug fire ARGS` into the running dev, again until it answers (the plugin may still
    be activating right after the pointer appears) or 30 s have passed."""
    deadline = time.monotonic() + 30
    while True:
        result = cli("fire", *args, cwd=plugin_dir)
        if result.returncode == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.2)
