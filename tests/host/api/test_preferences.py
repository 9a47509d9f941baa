"""Preferences over real gRPC."""

from __future__ import annotations

import pytest
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as pb

pytestmark = pytest.mark.usefixtures("quiet_host")


def pref(user_id: str, name: str, value: str = "v", category: str = "plugin") -> pb.Preference:
    return pb.Preference(user_id=user_id, category=category, name=name, value=value)


def test_world_preferences_are_readable(host: Host) -> None:
    alice = host.user("alice")
    req = pb.GetPreferenceForUserRequest(
        user_id=alice, category="display_settings", name="use_military_time"
    )
    assert host.api.GetPreferenceForUser(req).preference.value == "true"


def test_update_then_get_all_sorted(host: Host) -> None:
    bob = host.user("bob")
    prefs = [pref(bob, "zeta", "1"), pref(bob, "alpha", "2")]
    assert not host.api.UpdatePreferencesForUser(
        pb.UpdatePreferencesForUserRequest(user_id=bob, preferences=prefs)
    ).error.id
    got = host.api.GetPreferencesForUser(pb.GetPreferencesForUserRequest(user_id=bob)).preferences
    assert [(p.name, p.value) for p in got] == [("alpha", "2"), ("zeta", "1")]


def test_update_overwrites_and_fires_preferences_have_changed(host: Host) -> None:
    bob = host.user("bob")
    host.api.UpdatePreferencesForUser(
        pb.UpdatePreferencesForUserRequest(user_id=bob, preferences=[pref(bob, "k", "old")])
    )
    host.api.UpdatePreferencesForUser(
        pb.UpdatePreferencesForUserRequest(user_id=bob, preferences=[pref(bob, "k", "new")])
    )
    req = pb.GetPreferenceForUserRequest(user_id=bob, category="plugin", name="k")
    assert host.api.GetPreferenceForUser(req).preference.value == "new"
    fired = host.hooks.named("PreferencesHaveChanged")
    assert [p.value for p in fired[-1].preferences] == ["new"]  # type: ignore[attr-defined]
    assert host.events("preferences_changed")


def test_delete_preferences(host: Host) -> None:
    bob = host.user("bob")
    host.api.UpdatePreferencesForUser(
        pb.UpdatePreferencesForUserRequest(user_id=bob, preferences=[pref(bob, "gone")])
    )
    host.api.DeletePreferencesForUser(
        pb.DeletePreferencesForUserRequest(user_id=bob, preferences=[pref(bob, "gone")])
    )
    req = pb.GetPreferenceForUserRequest(user_id=bob, category="plugin", name="gone")
    rsp = host.api.GetPreferenceForUser(req)
    assert (rsp.error.status_code, rsp.error.id) == (400, "app.preference.get.app_error")
    assert host.events("preferences_deleted")


def test_preferences_of_another_user_are_forbidden(host: Host) -> None:
    rsp = host.api.UpdatePreferencesForUser(
        pb.UpdatePreferencesForUserRequest(
            user_id=host.user("bob"), preferences=[pref(host.user("alice"), "sneaky")]
        )
    )
    assert rsp.error.status_code == 403


def test_preference_limits_are_checked(host: Host) -> None:
    bob = host.user("bob")
    rsp = host.api.UpdatePreferencesForUser(
        pb.UpdatePreferencesForUserRequest(user_id=bob, preferences=[pref(bob, "n" * 33)])
    )
    assert (rsp.error.status_code, rsp.error.id) == (
        400,
        "model.preference.is_valid.name.app_error",
    )


def test_preferences_of_unknown_user_are_an_empty_list(host: Host) -> None:
    # As the server: the store answers an empty list; nobody checks that the user exists.
    rsp = host.api.GetPreferencesForUser(pb.GetPreferencesForUserRequest(user_id="x" * 26))
    assert not rsp.error.id and list(rsp.preferences) == []
