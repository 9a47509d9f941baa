"""Replay aligns a hook's API calls as sequences, and shows KV values as the text they hold."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from mmplug.cassette.compare import Ignore, compare_entries


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def call(method: str, **request: object) -> dict[str, object]:
    return {"method": method, "request": request, "response": {}, "error": None}


def entry(*calls: dict[str, object]) -> dict[str, object]:
    return {"hook": "MessageHasBeenPosted", "request": {}, "response": {}, "error": None,
            "api_calls": list(calls)}


RECORDED = entry(call("KVGet", key="posts"), call("KVSet", key="posts", value=b64("1")),
                 call("LogInfo", message="counted"), call("KVGet", key="other"),
                 call("KVGet", key="third"))


def test_an_added_call_is_one_difference_not_a_mismatch_of_every_later_call() -> None:
    replayed = entry(*RECORDED["api_calls"][:2], call("KVSet", key="audit", value=b64("seen")),
                     *RECORDED["api_calls"][2:])
    [added] = compare_entries(RECORDED, replayed, Ignore())
    assert added.call and added.label == "call #3 KVSet" and added.path == "api_calls[2]"
    assert added.shown is not None and added.shown[1]["request"]["value"] == "seen"


def test_a_left_out_call_is_one_difference() -> None:
    replayed = entry(*(c for c in RECORDED["api_calls"] if c["method"] != "LogInfo"))
    [missing] = compare_entries(RECORDED, replayed, Ignore())
    assert missing.call and missing.label == "call #3 LogInfo" and missing.missing


def test_calls_that_line_up_are_compared_field_by_field_with_text_values() -> None:
    replayed = entry(call("KVSet", key="first", value=b64("x")), *RECORDED["api_calls"][:1],
                     call("KVSet", key="posts", value=b64("2")), *RECORDED["api_calls"][2:])
    differences = compare_entries(RECORDED, replayed, Ignore())
    assert [(d.path, d.label) for d in differences] == [
        ("api_calls[0]", "call #1 KVSet"),
        ("api_calls[1].request.value", "call #2 KVSet (#3 in the replay)")]
    changed = differences[1]
    assert (changed.expected, changed.actual) == (b64("1"), b64("2"))
    assert changed.shown == ("1", "2")  # the KV value as the text it holds


def test_binary_values_stay_base64() -> None:
    binary = base64.b64encode(b"\x00\xff\x10").decode()
    replayed = entry(call("KVGet", key="posts"), call("KVSet", key="posts", value=binary),
                     *RECORDED["api_calls"][2:])
    [changed] = compare_entries(RECORDED, replayed, Ignore())
    assert changed.shown == ("1", binary)


def test_the_replay_screen_names_the_added_call(parrot_plugin: Path) -> None:
    cassette = parrot_plugin / "session.jsonl"
    fired = run(parrot_plugin, "fire", "MessageHasBeenPosted", "--record", str(cassette))
    assert fired.returncode == 0, fired.stdout + fired.stderr
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace(
        'self.api.kv_set_json("posts", total)',
        'self.api.kv_set("audit", b"seen")\n        self.api.kv_set_json("posts", total)'))
    replayed = run(parrot_plugin, "replay", str(cassette), "--check")
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert "+ call #2 KVSet" in replayed.stdout
    assert '"value": "seen"' in replayed.stdout  # decoded, not c2Vlbg==
    assert "call #3" not in replayed.stdout  # the KVSet after it lines up: no difference
    recorded = cassette.read_text()
    assert b64("1") in recorded and '"value": "1"' not in recorded  # the file keeps base64


def run(plugin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin",
           **{k: v for k, v in os.environ.items() if k == "MMPLUG_CACHE_DIR"}}
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", *args, "--python",
                           sys.executable], cwd=plugin, capture_output=True, text=True,
                          timeout=60, env=env)


def test_an_answers_framing_is_not_compared_its_body_is() -> None:
    """A ServeHTTP answer recorded before answers were read as a client reads them has no
    Content-Length; the replayed one has: that alone is no difference, another body is."""
    recorded = {"hook": "ServeHTTP", "http": {"status": 200, "body": "hello",
                                              "headers": [["Content-Type", "text/plain"]]}}
    replayed = {"hook": "ServeHTTP", "http": {"status": 200, "body": "hello", "headers": [
        ["Content-Type", "text/plain"], ["Content-Length", "5"]]}}
    assert compare_entries(recorded, replayed, Ignore()) == []
    replayed["http"]["body"] = "hullo"
    [changed] = compare_entries(recorded, replayed, Ignore())
    assert changed.path == "http.body"


def test_the_content_type_go_sniffs_is_not_compared_another_one_is() -> None:
    """A ServeHTTP answer recorded before answers were read as a client reads them has no
    Content-Type where the plugin set none; the replayed one has the type Go sniffs from the
    body: that alone is no difference; a type the plugin set differently is."""
    recorded = {"hook": "ServeHTTP", "http": {"status": 200, "body": "<html>hi</html>",
                                              "headers": []}}
    replayed = {"hook": "ServeHTTP", "http": {"status": 200, "body": "<html>hi</html>",
                                              "headers": [["Content-Type",
                                                           "text/html; charset=utf-8"]]}}
    assert compare_entries(recorded, replayed, Ignore()) == []
    replayed["http"]["headers"] = [["Content-Type", "application/json"]]
    [changed] = compare_entries(recorded, replayed, Ignore())
    assert changed.path.startswith("http.headers")
