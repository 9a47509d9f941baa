"""Tests run the real plugin process under mmplug's fake host (see `mmplug.testing`)."""

import hashlib
import json


def get_json(plugin, method, path, body=b"", user=None):
    user_id = plugin.world.user(user).id if user else None
    status, headers, data = plugin.http(method, path, body, user_id=user_id)
    assert headers.get("Content-Type", "").startswith("application/json")
    return status, json.loads(data)


def test_logs_its_routes_on_activation(plugin):
    result = plugin.fire("OnActivate")
    [record] = [r for r in result.logs if r.message == "serving HTTP"]
    assert "POST /plugins/{{cookiecutter.plugin_id}}/api/v1/upload" in record.fields["routes"]


def test_status_is_public(plugin):
    status, body = get_json(plugin, "GET", "/api/v1/status")
    assert status == 200
    assert body["ok"] is True


def test_me_needs_a_logged_in_user(plugin):
    assert get_json(plugin, "GET", "/api/v1/me")[0] == 401
    status, body = get_json(plugin, "GET", "/api/v1/me", user="alice")
    assert (status, body["username"]) == (200, "alice")


def test_notes_are_kept_per_user_in_the_kv_store(plugin):
    status, body = get_json(plugin, "POST", "/api/v1/notes", b'{"text": "buy milk"}', "alice")
    assert (status, body) == (201, {"notes": ["buy milk"]})
    alice = plugin.world.user("alice")
    assert plugin.kv_get_json(f"notes:{alice.id}") == ["buy milk"]
    assert get_json(plugin, "GET", "/api/v1/notes", user="bob")[1] == {"notes": []}


def test_bad_note_is_a_400(plugin):
    status, body = get_json(plugin, "POST", "/api/v1/notes", b"not json", "alice")
    assert status == 400 and "error" in body


def test_upload_is_streamed_and_hashed(plugin):
    chunks = [b"x" * 65536] * 16  # 1 MiB in 16 chunks
    status, body = get_json(plugin, "POST", "/api/v1/upload", chunks, "alice")
    assert status == 200
    assert body == {"bytes": 1 << 20, "sha256": hashlib.sha256(b"".join(chunks)).hexdigest()}


def test_upload_above_the_limit_is_refused(plugin):
    plugin.configure(max_upload_mb=1)
    assert plugin.fire("OnConfigurationChange").ok
    status, body = get_json(plugin, "POST", "/api/v1/upload", [b"y" * (1 << 20), b"y"], "alice")
    assert status == 413 and body["limit_bytes"] == 1 << 20
