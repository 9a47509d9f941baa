"""Payload synthesis and field overrides: what `mmplug fire` sends when the user types little."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import json_format

from mmplug.errors import UsageError
from mmplug.host.payload_fields import apply_json, set_field
from mmplug.host.payloads import build_payload, default_scene, resolve_hook, synthesize
from mmplug.protocol.catalog import HOOKS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "payloads"


def as_dict(message: object) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["MessageWillBePosted", "message_will_be_posted",
                                  "MESSAGEWILLBEPOSTED", "messageWillBePosted"])
def test_hook_names_any_case_go_or_python(name: str) -> None:
    assert resolve_hook(name).go_name == "MessageWillBePosted"


def test_a_typo_suggests_the_closest_hooks() -> None:
    with pytest.raises(UsageError) as err:
        resolve_hook("MessageWillBePostd")
    assert "is not a Mattermost plugin hook" in err.value.message
    assert "did you mean MessageWillBePosted" in err.value.hint
    with pytest.raises(UsageError) as far:
        resolve_hook("zzzz")
    assert far.value.hint.startswith("hooks are: OnActivate, ")  # Implemented is not fired


@pytest.mark.parametrize("spec", HOOKS, ids=[h.go_name for h in HOOKS])
def test_every_hook_gets_a_request_and_it_is_deterministic(spec) -> None:  # type: ignore[no-untyped-def]
    first = as_dict(synthesize(spec, default_scene()))
    second = as_dict(synthesize(spec, default_scene()))
    assert first == second
    wanted = {p for p in first} | {"context", "body_chunk"}  # an empty body is a valid body
    names = {f.name for f in synthesize(spec, default_scene()).DESCRIPTOR.fields}
    # every field except the session's own context is filled
    assert names <= wanted, f"{spec.go_name} leaves {names - wanted} empty"


def test_message_will_be_posted_is_a_new_post_by_the_user_in_the_channel() -> None:
    scene = default_scene()
    post = as_dict(synthesize("MessageWillBePosted", scene, message="hi there"))["post"]
    assert post["message"] == "hi there"
    assert post["user_id"] == scene.user_id and post["channel_id"] == scene.channel_id
    assert "id" not in post  # the server gives the id after the hook
    assert post["pending_post_id"].startswith(scene.user_id)


def test_edits_pair_an_old_and_a_new_version_of_the_same_post() -> None:
    data = as_dict(synthesize("MessageWillBeUpdated", default_scene()))
    assert data["new_post"]["id"] == data["old_post"]["id"]
    assert data["new_post"]["message"] != data["old_post"]["message"]


def test_execute_command_carries_the_command_text() -> None:
    args = as_dict(synthesize("ExecuteCommand", default_scene(), command="/echo hi"))["args"]
    assert args["command"] == "/echo hi"
    assert args["team_id"] and args["channel_id"] and args["user_id"]


def test_json_and_set_override_any_field() -> None:
    spec = resolve_hook("MessageWillBePosted")
    request = build_payload(spec, default_scene(), document={"post": {"message": "from json"}},
                            sets=["post.props.urgent=true", "post.is_pinned=yes",
                                  "post.file_ids=[\"a\"]", "post.file_ids.1=b"])
    post = as_dict(request)["post"]
    assert post["message"] == "from json"
    assert post["props"] == {"urgent": True}
    assert post["is_pinned"] is True
    assert post["file_ids"] == ["a", "b"]
    assert post["user_id"]  # the rest of the synthesized post stays


def test_set_reaches_into_lists_by_index() -> None:
    request = synthesize("MessagesWillBeConsumed", default_scene())
    set_field(request, "posts[1].message=second")
    set_field(request, "posts.2.message=third")
    assert [p.message for p in request.posts][1:] == ["second", "third"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("expr", "says"), [
    ("post.mesage=x", "has no field 'post.mesage'"),
    ("post.create_at=yesterday", "'post.create_at' wants an integer"),
    ("post.is_pinned=maybe", "'post.is_pinned' wants true or false"),
    ("post.message.deeper=1", "post.message is a string and has no fields"),
    ("post.file_ids.7=x", "index 7 is out of range"),
    ("post.message", "missing '='"),
])
def test_bad_set_names_the_field_path(expr: str, says: str) -> None:
    request = synthesize("MessageWillBePosted", default_scene())
    with pytest.raises(UsageError) as err:
        set_field(request, expr)
    assert says in err.value.message


def test_unknown_field_suggests_the_closest_names() -> None:
    request = synthesize("MessageWillBePosted", default_scene())
    with pytest.raises(UsageError) as err:
        set_field(request, "post.mesage=x")
    assert "did you mean message" in err.value.hint


@pytest.mark.parametrize(("doc", "says"), [
    ({"post": {"create_at": True}}, "'post.create_at' wants an integer, got true"),
    ({"post": "text"}, "'post' wants Post"),
    ({"posts": []}, "has no field 'posts'"),
    ({"post": {"file_ids": "x"}}, "'post.file_ids' is a list"),
    (["not", "an", "object"], "must be a JSON object"),
])
def test_bad_json_names_the_field_path(doc: object, says: str) -> None:
    request = synthesize("MessageWillBePosted", default_scene())
    with pytest.raises(UsageError) as err:
        apply_json(request, doc, "--json")
    assert says in err.value.message and err.value.message.startswith("--json")


def test_payload_fixtures_exist_for_every_hook_and_parse() -> None:
    from mmplug.protocol.messages import message_class

    for spec in HOOKS:
        path = FIXTURES / f"{spec.go_name}.json"
        assert path.is_file(), f"missing {path.name}: run fixtures/payloads/generate.py"
        document = json.loads(path.read_text(encoding="utf-8"))
        json_format.ParseDict(document, message_class(spec.request)())


def test_payload_fixtures_are_what_the_synthesizer_makes_today() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_payloads", FIXTURES / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.render_all().items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, (
            f"fixtures/payloads/{name} is stale: run python fixtures/payloads/generate.py")


def test_the_scene_follows_a_store_image_loaded_without_a_write() -> None:
    """The scene is kept while the store is unchanged; loading a whole image (the per-test
    restore of the pytest plugin) changes it without a single write, and it is read again."""
    from mmplug.host.fresh import open_world_store
    from mmplug.host.payloads import scene_from_store

    store, other = open_world_store(), open_world_store()
    try:
        with other.tx() as db:
            db.execute("UPDATE users SET username = 'aaa', "
                       "data = json_set(data, '$.username', 'aaa') WHERE username = 'alice'")
        renamed = other.image()
        assert scene_from_store(store).user["username"] == "alice"
        store.load_image(renamed)
        assert scene_from_store(store).user["username"] == "aaa"
        assert scene_from_store(other).user["username"] == "aaa"
    finally:
        store.close()
        other.close()
