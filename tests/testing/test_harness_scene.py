"""``plugin.fire`` builds its request from the store as it is when the hook is fired: a user a
test created, a user a test renamed, and in the next test the activated store again (the
request's world is kept between fires of an unchanged store, and read again after any write or
any restore: ``mmplug.host.payloads.scene_from_store``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmplug.errors import UsageError
from mmplug.testing import PluginHarness

PARROT = Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin"


@pytest.fixture(scope="module")
def mmplug_plugin_dir() -> Path:
    return PARROT


def _poster(plugin: PluginHarness, **fields: str) -> str:
    """The username of the user a fired MessageWillBePosted is posted by."""
    result = plugin.fire("MessageWillBePosted", **fields)
    assert result.ok, result.error
    user_id = result.request.post.user_id
    return str(plugin.seed("GetUser", user_id=user_id).user.username)


def test_a_user_created_by_the_test_is_the_poster_at_once(plugin: PluginHarness) -> None:
    assert _poster(plugin) == "alice"  # the world's first plain user, by username
    assert _poster(plugin) == "alice"  # (fired twice at an unchanged store)
    with pytest.raises(UsageError, match="no user 'aaron'"):
        plugin.fire("MessageWillBePosted", as_user="aaron")
    plugin.add_user("aaron")  # sorts before alice
    assert _poster(plugin) == "aaron"
    assert _poster(plugin, as_user="bob") == "bob"


def test_the_next_test_posts_as_the_world_user_again(plugin: PluginHarness) -> None:
    assert _poster(plugin) == "alice"
    with pytest.raises(UsageError, match="no user 'aaron'"):
        plugin.fire("MessageWillBePosted", as_user="aaron")


def test_a_renamed_user_is_posted_as_by_the_new_name(plugin: PluginHarness) -> None:
    alice = plugin.world.user("alice")
    plugin.seed("UpdateUser", user={**_fields(alice), "username": "zelda"})
    assert _poster(plugin) == "bob"  # zelda sorts last now
    assert _poster(plugin, as_user="zelda") == "zelda"


def _fields(user: object) -> dict[str, object]:
    from google.protobuf import json_format

    return json_format.MessageToDict(user, preserving_proto_field_name=True)  # type: ignore[arg-type]


def test_what_earlier_tests_recorded_is_not_kept(plugin: PluginHarness) -> None:
    """The session lives on for the next test (and for the whole run with
    ``--mmplug-scope session``); what earlier tests' hooks, API calls and logs were is not
    kept in it, only this test's."""
    recorder = plugin._recorder
    assert recorder.hook_calls == [] and recorder.api_calls == [] and recorder.logs == []
    for _ in range(3):
        _poster(plugin)
    assert len(plugin.hook_calls) == len(recorder.hook_calls) == 6  # MessageHasBeenPosted too
    assert plugin.api_calls == recorder.api_calls


def test_the_next_test_starts_with_nothing_recorded(plugin: PluginHarness) -> None:
    assert plugin._recorder.hook_calls == [] and plugin.hook_calls == []
