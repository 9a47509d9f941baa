"""The explorer's JSON API against a live dev session (the bot, slash-command and dialog
plugins): the token, the trace, the chat's server paths, state edits, keeping calls, and the
OpenAPI document against every route the server has."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from explorer_support import Client


def _town(client: Client) -> str:
    world = client.get("/api/world")
    return next(c["id"] for c in world["channels"] if c["name"] == "town-square")


def _wait(condition: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# -- the token ---------------------------------------------------------------------------------
def test_requests_without_the_token_are_refused(client: Client) -> None:
    town = _town(client)
    for method, path, body in (("GET", "/api/status", None), ("GET", "/", None),
                               ("GET", "/static/app.js", None), ("GET", "/api/openapi.json", None),
                               ("POST", "/api/chat/post",
                                {"user": "alice", "channel_id": town, "message": "x"})):
        status, data, _ = client.call(method, path, body, token=None)
        assert status == 401, (method, path)
    status, data, _ = client.call("GET", "/api/status", token=None,
                                  headers={"X-Mmplug-Token": "not-the-token"})
    assert status == 401 and "wrong token" in data["error"]
    # the page's cookie alone reads, but never changes state (CSRF)
    assert client.call("GET", "/api/status", token="cookie")[0] == 200
    status, data, _ = client.call("POST", "/api/chat/post",
                                  {"user": "alice", "channel_id": town, "message": "csrf"},
                                  token="cookie")
    assert status == 403 and "cookie" in data["error"]
    # a foreign page cannot post even with the token in the query
    status, _, _ = client.call("POST", "/api/state/reset", {}, token="query",
                               headers={"Origin": "http://evil.example"})
    assert status == 403
    # DNS rebinding: another Host name is refused
    assert client.call("GET", "/api/status", headers={"Host": "evil.example"})[0] == 403
    posts = client.get(f"/api/channels/{town}/posts")["posts"]
    assert not any(p["message"] in ("x", "csrf") for p in posts)


def test_the_printed_url_trades_the_token_for_a_cookie(client: Client) -> None:
    explorer = client.explorer
    status, _, headers = client.call("GET", "/", token="query")
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    assert f"mmplug-explorer-{explorer.port}={explorer.token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, page, headers = client.call("GET", "/", token="cookie")
    assert status == 200 and b"mmplug explorer" in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_the_token_file_is_private(live: Any) -> None:
    info = Path(live.plugin_dirs[0]) / ".mmplug" / "explorer.json"
    data = json.loads(info.read_text())
    assert data["url"] == live.explorer.url and data["token"] == live.explorer.token
    assert stat.S_IMODE(info.stat().st_mode) == 0o600


# -- OpenAPI -----------------------------------------------------------------------------------
def test_openapi_documents_every_route_and_nothing_else(live: Any, client: Client) -> None:
    doc = client.get("/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for route in live.explorer.app().router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter", "")
        if path.startswith("/api/") and route.method != "HEAD":
            served.add((route.method, path))
    assert served == documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == {part[1:-1] for part in path.split("/") if part.startswith("{")}


# -- chat and trace ----------------------------------------------------------------------------
def test_a_post_takes_the_servers_path_and_the_trace_shows_it(client: Client) -> None:
    town = _town(client)
    saved = client.post("/api/chat/post", {"user": "alice", "channel_id": town,
                                           "message": "hi @bot-bot"})["post"]
    posts = _wait(lambda: [p for p in client.get(f"/api/channels/{town}/posts")["posts"]
                           if p.get("root_id") == saved["id"]], "the bot's reply")
    assert posts[0]["message"].startswith("I have seen")
    calls = client.get("/api/calls?kind=action&limit=5")["calls"]
    action = next(c for c in calls if c["name"] == "post")
    detail = client.get(f"/api/calls/{action['seq']}")
    caused = [c["name"] for c in detail["children"]]
    assert caused[:2] == ["MessageWillBePosted", "MessageWillBePosted"] or \
        "MessageHasBeenPosted" in caused
    has_been = client.get("/api/calls?hook=MessageHasBeenPosted&user=alice&plugin=com.example.bot")
    seq = has_been["calls"][0]["seq"]
    call = client.get(f"/api/calls/{seq}")
    assert call["request"]["post"]["message"] == "hi @bot-bot"
    # what the plugin got (hooksGRPCClient.MessageHasBeenPosted sets plugin_context and post
    # only), and apart, the request as the host made it, which a re-fire sends
    assert "context" not in call["request"]
    assert call["request_as_made"]["context"]["plugin_id"] == "com.example.bot"
    methods = [a["method"] for a in call["api_calls"]]
    assert "CreatePost" in methods and all(a["offset_s"] is not None for a in call["api_calls"])
    assert any(c["name"] == "MessageWillBePosted" and c["nested"] for c in call["children"])


def test_a_rejected_post_is_an_error_with_the_plugins_reason(client: Client) -> None:
    town = _town(client)
    status, data, _ = client.call("POST", "/api/chat/post", {"user": "bob", "channel_id": town,
                                                            "message": "a badword here"})
    assert status == 400 and "Message blocked" in data["error"]
    failed = client.get("/api/calls?errors=1&kind=action")["calls"]
    assert failed and "Message blocked" in failed[0]["error"]
    found = client.get("/api/calls?text=BADWORD&hook=MessageWillBePosted")["calls"]
    assert found and all(c["name"] == "MessageWillBePosted" for c in found)


def test_a_slash_command_answer_is_only_for_its_user(client: Client) -> None:
    town = _town(client)
    world = client.get("/api/world")
    assert any(c["trigger"] == "cmd-plugin" and c["hint"] for c in world["commands"])
    answer = client.post("/api/chat/post", {"user": "alice", "channel_id": town,
                                            "message": "/cmd-plugin echo only for alice"})
    assert answer["response"]["response_type"] == "ephemeral"
    mine = client.get(f"/api/channels/{town}/posts?as=alice")["ephemeral"]
    assert any(p["message"] == "only for alice" for p in mine)
    theirs = client.get(f"/api/channels/{town}/posts?as=bob")["ephemeral"]
    assert not any(p["message"] == "only for alice" for p in theirs)
    status, data, _ = client.call("POST", "/api/chat/post", {"user": "alice", "channel_id": town,
                                                            "message": "/nosuch thing"})
    assert status == 404 and "/nosuch" in data["error"]


def test_reactions_edits_and_deletes_run_their_hooks(client: Client) -> None:
    town = _town(client)
    post = client.post("/api/chat/post", {"user": "bob", "channel_id": town,
                                          "message": "to be changed"})["post"]
    client.post("/api/chat/react", {"user": "alice", "post_id": post["id"], "emoji": "smile"})
    shown = {p["id"]: p for p in client.get(f"/api/channels/{town}/posts")["posts"]}
    assert shown[post["id"]]["reactions"] == [{"user_id": shown[post["id"]]["reactions"][0]
                                               ["user_id"], "emoji": "smile"}]
    status, _, _ = client.call("POST", "/api/chat/edit", {"user": "alice",
                                                            "post_id": post["id"],
                                                            "message": "not mine"})
    assert status == 403
    client.post("/api/chat/edit", {"user": "bob", "post_id": post["id"], "message": "changed"})
    client.post("/api/chat/delete", {"user": "bob", "post_id": post["id"]})
    assert post["id"] not in {p["id"] for p in client.get(f"/api/channels/{town}/posts")["posts"]}
    names = [c["name"] for c in client.get("/api/calls?kind=action&limit=4")["calls"]]
    assert names[:3] == ["delete", "edit", "edit"] or names[:2] == ["delete", "edit"]


def test_a_dialog_is_submitted_to_the_plugin_as_the_server_does(client: Client) -> None:
    town = _town(client)
    client.post("/api/chat/post", {"user": "alice", "channel_id": town, "message": "/survey"})
    dialogs = client.get("/api/dialogs?user=alice")["dialogs"]
    assert dialogs and dialogs[0]["dialog"]["dialog"]["title"] == "Survey"
    assert client.get("/api/dialogs?user=bob")["dialogs"] == []
    number = dialogs[0]["id"]
    answer = client.post("/api/dialogs/submit", {"user": "alice", "dialog": number,
                                                 "channel_id": town, "submission": {}})
    assert answer["answer"]["errors"] == {"color": "say a color"}
    client.post("/api/dialogs/submit", {"user": "alice", "dialog": number, "channel_id": town,
                                        "submission": {"color": "teal"}})
    posts = client.get(f"/api/channels/{town}/posts")["posts"]
    assert any(p["message"] == "survey/s1: teal" for p in posts)
    assert all(d["id"] != number for d in client.get("/api/dialogs?user=alice")["dialogs"])


def test_a_recorded_call_is_fired_again_edited(client: Client) -> None:
    calls = client.get("/api/calls?hook=MessageWillBePosted&plugin=com.example.bot")["calls"]
    original = client.get(f"/api/calls/{calls[-1]['seq']}")
    schema = client.get("/api/hooks/MessageWillBePosted/schema")
    assert "post" in [f["name"] for f in schema["fields"]]
    request = original["request"]
    request["post"]["message"] = "now with badword"
    fired = client.post(f"/api/calls/{original['seq']}/fire", {"request": request})
    again = client.get(f"/api/calls/{fired['call']}")
    assert again["name"] == "MessageWillBePosted"
    assert again["outcome"].startswith("rejected: Message blocked")
    status, data, _ = client.call("POST", f"/api/calls/{original['seq']}/fire",
                                  {"request": {"post": {"mesage": "typo"}}})
    assert status == 400 and "mesage" in data["error"]
    status, data, _ = client.call("POST", f"/api/calls/{original['seq']}/fire",
                                  {"request": "notadict"})
    assert status == 400 and "request must be a JSON object" in data["error"]
    assert isinstance(data["hint"], str) and data["hint"]


# -- state -------------------------------------------------------------------------------------
def test_a_kv_value_set_here_is_what_the_plugin_reads(client: Client) -> None:
    town = _town(client)
    client.call("PUT", "/api/kv/com.example.bot/stats:blocked", {"value": "41"})
    entries = {e["key"]: e for e in client.get("/api/kv/com.example.bot")["entries"]}
    assert entries["stats:blocked"]["value"] == "41"
    assert entries["stats:blocked"]["encoding"] == "json"
    saved = client.post("/api/chat/post", {"user": "alice", "channel_id": town,
                                           "message": "count please @bot-bot"})["post"]
    reply = _wait(lambda: [p for p in client.get(f"/api/channels/{town}/posts")["posts"]
                           if p.get("root_id") == saved["id"]], "the reply")
    assert reply[0]["message"].endswith("blocked 41.")
    status, data, _ = client.call("PUT", "/api/kv/com.example.bot/x", {"value": "{",
                                                                       "encoding": "json"})
    assert status == 400 and "not JSON" in data["error"]
    client.call("DELETE", "/api/kv/com.example.bot/stats:blocked")
    assert "stats:blocked" not in {e["key"] for e in client.get("/api/kv/com.example.bot")
                                   ["entries"]}


def test_saving_settings_fires_on_configuration_change(client: Client) -> None:
    before = client.get("/api/calls?hook=OnConfigurationChange")["matched"]
    saved = client.call("PUT", "/api/settings/com.example.bot",
                        {"settings": {"blocked_words": "rhubarb", "reply_to_mentions": True}})
    assert saved[0] == 200 and saved[1]["saved"]["blocked_words"] == "rhubarb"
    after = client.get("/api/calls?hook=OnConfigurationChange")
    assert after["matched"] == before + 1  # the bot implements it; the others do not
    town = _town(client)
    status, data, _ = client.call("POST", "/api/chat/post", {"user": "bob", "channel_id": town,
                                                            "message": "rhubarb pie"})
    assert status == 400 and "rhubarb" in data["error"]
    client.call("PUT", "/api/settings/com.example.bot", {"settings": {}})


def test_snapshots_save_and_restore_the_state(client: Client, live: Any) -> None:
    client.call("PUT", "/api/kv/com.example.bot/marker", {"value": "before"})
    client.post("/api/snapshots", {"name": "explorer-test", "force": True})
    client.call("PUT", "/api/kv/com.example.bot/marker", {"value": "after"})
    assert "explorer-test" in [s["name"] for s in client.get("/api/snapshots")["snapshots"]]
    client.post("/api/snapshots/explorer-test/restore", {})
    entries = {e["key"]: e["value"] for e in client.get("/api/kv/com.example.bot")["entries"]}
    assert entries["marker"] == "before"
    _wait(lambda: all(s.state == "active" for s in live.status.values())
          and client.get("/api/calls?kind=lifecycle&limit=1")["calls"][0]["name"] == "reload",
          "the plugins to restart on the restored state")
    client.call("DELETE", "/api/snapshots/explorer-test")
    tables = client.get("/api/tables/users")["users"]
    assert "alice" in [u["username"] for u in tables] and "password" not in tables[0]


def test_http_requests_go_through_the_front_door_as_a_user(client: Client) -> None:
    answer = client.post("/api/http/request", {"plugin_id": "com.example.dialog",
                                               "method": "POST", "path": "/submit",
                                               "user": "alice", "body": "not json"})
    assert answer["status"] == 502 or answer["status"] >= 500
    routes = client.get("/api/http/routes")
    assert {p["plugin_id"] for p in routes["plugins"]} == {"com.example.bot", "com.example.cmd",
                                                          "com.example.dialog"}
    calls = client.get("/api/calls?kind=http&limit=1")["calls"]
    assert calls[0]["name"] == "POST /plugins/com.example.dialog/submit"


# -- keeping calls -----------------------------------------------------------------------------
def _replay_and_test(project: Path, name: str) -> subprocess.CompletedProcess[str]:
    """`mmplug replay --check` of the kept cassette ``name`` and a run of its generated test,
    each asserted to pass; the test run."""
    env = {**os.environ, "NO_COLOR": "1"}
    replay = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "replay",
                             f"fixtures/cassettes/{name}.jsonl", str(project), "--check",
                             "--python", sys.executable], cwd=project, capture_output=True,
                            text=True, timeout=120, env=env)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"tests/test_{name.replace('-', '_')}.py"], cwd=project,
                          capture_output=True, text=True, timeout=120, env=env)
    assert test.returncode == 0, test.stdout + test.stderr
    return test


def test_two_calls_kept_as_a_cassette_replay_and_as_a_test_pass(client: Client, live: Any,
                                                               projects: dict[str, Path]) -> None:
    town = _town(client)
    for text in ("first kept", "second kept"):
        client.post("/api/chat/post", {"user": "alice", "channel_id": town, "message": text})
    calls = client.get("/api/calls?hook=MessageWillBePosted&plugin=com.example.bot&text=kept")
    seqs = [c["seq"] for c in calls["calls"][:2]]
    assert len(seqs) == 2
    saved = client.post("/api/cassettes", {"calls": seqs, "name": "kept-two", "test": True})
    project = projects["bot"]
    assert saved["written"] == ["fixtures/cassettes/kept-two.jsonl", "tests/test_kept_two.py"]
    status, data, _ = client.call("POST", "/api/cassettes", {"calls": seqs, "name": "kept-two"})
    assert status == 409 and "exists" in data["error"]
    test = _replay_and_test(project, "kept-two")
    assert "1 passed" in test.stdout


def test_a_chat_post_and_the_bots_reply_kept_together_replay_clean(
        client: Client, projects: dict[str, Path]) -> None:
    """The calls of one chat action (MessageWillBePosted, then MessageHasBeenPosted, whose
    handler replies through CreatePost) are kept with the second as nested: a replay fires the
    first, which does the rest again (host/actions.py, hookpath.py) and sees one reply, not two."""
    town = _town(client)
    client.post("/api/chat/post", {"user": "alice", "channel_id": town,
                                   "message": "kept together @bot-bot"})
    seqs = []
    for hook in ("MessageWillBePosted", "MessageHasBeenPosted"):
        found = client.get(f"/api/calls?hook={hook}&plugin=com.example.bot&text=kept+together")
        seqs.append(found["calls"][0]["seq"])
    has_been = client.get(f"/api/calls/{seqs[1]}")
    assert "CreatePost" in [a["method"] for a in has_been["api_calls"]]
    client.post("/api/cassettes", {"calls": seqs, "name": "kept-action", "test": True})
    project = projects["bot"]
    lines = (project / "fixtures/cassettes/kept-action.jsonl").read_text().splitlines()
    kept = [json.loads(line) for line in lines[-2:]]
    assert [(c["hook"], c.get("nested", False)) for c in kept] == [
        ("MessageWillBePosted", False), ("MessageHasBeenPosted", True)]
    _replay_and_test(project, "kept-action")
    alone = client.post("/api/cassettes", {"calls": seqs[1:], "name": "kept-reply"})
    assert alone["calls"] == 1
    entry = json.loads((project / "fixtures/cassettes/kept-reply.jsonl").read_text()
                       .splitlines()[-1])
    # kept alone, the reply is a call of its own (a nested line would be skipped by replay)
    assert entry["hook"] == "MessageHasBeenPosted" and not entry.get("nested")
