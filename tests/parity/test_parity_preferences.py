"""Server parity of user preferences: GetPreferenceForUser, GetPreferencesForUser,
UpdatePreferencesForUser, DeletePreferencesForUser."""

from __future__ import annotations

import json

import pytest
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as pb
from mmplug.protocol import common_pb2

APP = "server/channels/app/preference.go"
IS_VALID = "server/public/model/preference.go: (*Preference).IsValid"
UNKNOWN = "u" * 26


def _pref(user_id: str, name: str = "k", value: str = "v", category: str = "pp") -> pb.Preference:
    return pb.Preference(user_id=user_id, category=category, name=name, value=value)


def _update(host: Host, user_id: str, *prefs: pb.Preference) -> common_pb2.AppError:
    req = pb.UpdatePreferencesForUserRequest(user_id=user_id, preferences=list(prefs))
    return host.api.UpdatePreferencesForUser(req).error


def _get(
    host: Host, user_id: str, name: str, category: str = "pp"
) -> pb.GetPreferenceForUserResponse:
    req = pb.GetPreferenceForUserRequest(user_id=user_id, category=category, name=name)
    rsp: pb.GetPreferenceForUserResponse = host.api.GetPreferenceForUser(req)
    return rsp


@pytest.mark.parity("GetPreferencesForUser", APP + ": (*App).GetPreferencesForUser")
def test_preferences_of_an_unknown_user_are_an_empty_list(quiet_host: Host) -> None:
    """Nobody checks that the user exists: an unknown user has no preferences, not a 404."""
    rsp = quiet_host.api.GetPreferencesForUser(pb.GetPreferencesForUserRequest(user_id=UNKNOWN))
    assert not rsp.error.id and list(rsp.preferences) == []


@pytest.mark.parity(
    "GetPreferenceForUser", APP + ": (*App).GetPreferenceByCategoryAndNameForUser"
)
def test_a_missing_preference_is_a_400(quiet_host: Host) -> None:
    """A preference that does not exist is a 400 `app.preference.get.app_error` (the server
    wraps the not-found as a bad request), not a 404."""
    err = _get(quiet_host, quiet_host.user("bob"), "never-set").error
    assert (err.status_code, err.id) == (400, "app.preference.get.app_error")


@pytest.mark.parity("UpdatePreferencesForUser", APP + ": (*App).UpdatePreferences")
def test_update_of_another_users_preference_is_a_403(quiet_host: Host) -> None:
    """Updating a preference whose user_id is not the user of the call is a 403
    `api.preference.update_preferences.set.app_error`, and nothing is saved."""
    bob, alice = quiet_host.user("bob"), quiet_host.user("alice")
    err = _update(quiet_host, bob, _pref(bob, "mine"), _pref(alice, "theirs"))
    assert (err.status_code, err.id) == (403, "api.preference.update_preferences.set.app_error")
    assert _get(quiet_host, bob, "mine").error.id


@pytest.mark.parity("DeletePreferencesForUser", APP + ": (*App).DeletePreferences")
def test_delete_of_another_users_preference_is_a_403_with_its_own_id(quiet_host: Host) -> None:
    """Deleting another user's preference is a 403
    `api.preference.delete_preferences.delete.app_error`."""
    bob, alice = quiet_host.user("bob"), quiet_host.user("alice")
    req = pb.DeletePreferencesForUserRequest(user_id=bob, preferences=[_pref(alice)])
    err = quiet_host.api.DeletePreferencesForUser(req).error
    assert (err.status_code, err.id) == (403, "api.preference.delete_preferences.delete.app_error")


@pytest.mark.parity("UpdatePreferencesForUser", IS_VALID)
def test_update_for_an_unknown_but_well_formed_user_is_saved(quiet_host: Host) -> None:
    """The user is not looked up: preferences of any 26-character user id are saved."""
    assert not _update(quiet_host, UNKNOWN, _pref(UNKNOWN, "ghost")).id
    assert _get(quiet_host, UNKNOWN, "ghost").preference.value == "v"


@pytest.mark.parity("UpdatePreferencesForUser", IS_VALID)
def test_update_checks_the_user_id_format(quiet_host: Host) -> None:
    """A user id that is not a 26-character id is a 400 `model.preference.is_valid.id.app_error`."""
    err = _update(quiet_host, "short", _pref("short"))
    assert (err.status_code, err.id) == (400, "model.preference.is_valid.id.app_error")


@pytest.mark.parametrize(
    ("category", "name", "value", "field"),
    [
        ("", "n", "v", "category"),
        ("c" * 33, "n", "v", "category"),
        ("é" * 17, "n", "v", "category"),  # 34 bytes: the limit counts bytes
        ("c", "n" * 33, "v", "name"),
        ("c", "n", "v" * 20001, "value"),
    ],
)
@pytest.mark.parity("UpdatePreferencesForUser", IS_VALID)
def test_update_checks_category_name_and_value_sizes(
    quiet_host: Host, category: str, name: str, value: str, field: str
) -> None:
    """Category 1-32 bytes, name up to 32 bytes, value up to 20000 characters; otherwise a
    400 `model.preference.is_valid.<field>.app_error`."""
    bob = quiet_host.user("bob")
    err = _update(quiet_host, bob, _pref(bob, name, value, category))
    assert (err.status_code, err.id) == (400, f"model.preference.is_valid.{field}.app_error")


@pytest.mark.parity("UpdatePreferencesForUser", IS_VALID)
def test_update_accepts_a_value_of_20000_characters(quiet_host: Host) -> None:
    """A value may be as long as 20000 characters (not 2000)."""
    bob = quiet_host.user("bob")
    assert not _update(quiet_host, bob, _pref(bob, "long", "v" * 20000)).id


PRE_UPDATE = "server/public/model/preference.go: (*Preference).PreUpdate"
SAVE = "server/channels/store/sqlstore/preference_store.go: (SqlPreferenceStore).saveTx"


def _theme(host: Host, user_id: str, value: str) -> str:
    assert not _update(host, user_id, _pref(user_id, "", value, "theme")).id
    saved: str = _get(host, user_id, "", "theme").preference.value
    return saved


@pytest.mark.parity("UpdatePreferencesForUser", f"{PRE_UPDATE}; {SAVE}")
def test_update_of_a_theme_whitens_bad_colours(quiet_host: Host) -> None:
    """In a `theme` preference, colours that are not #rgb/#rrggbb become #ffffff (`image`,
    `type` and `codeTheme` are kept); the value is saved as compact JSON with sorted keys."""
    bob = quiet_host.user("bob")
    theme = json.dumps({"sidebarBg": "red", "buttonBg": "#123abc", "type": "Custom"})
    saved = _theme(quiet_host, bob, theme)
    assert saved == '{"buttonBg":"#123abc","sidebarBg":"#ffffff","type":"Custom"}'


@pytest.mark.parametrize("value", ["not json", "[1, 2]", '"dark"', "", "null", '{"a": "#fff"'])
@pytest.mark.parity("UpdatePreferencesForUser", f"{PRE_UPDATE}; {SAVE}")
def test_update_of_a_theme_that_is_no_json_object_saves_null(
    quiet_host: Host, value: str
) -> None:
    """A `theme` value that is not a JSON object is not refused: the server rewrites it
    before checking it, and saves the text `null`."""
    assert _theme(quiet_host, quiet_host.user("bob"), value) == "null"


@pytest.mark.parity("UpdatePreferencesForUser", f"{PRE_UPDATE}; {SAVE}")
def test_update_of_a_theme_blanks_values_that_are_not_strings(quiet_host: Host) -> None:
    """In a `theme` object, a value that is not a string becomes #ffffff, or an empty string
    for `image`, `type` and `codeTheme`; text after the object is ignored."""
    bob = quiet_host.user("bob")
    theme = '{"sidebarBg": 1, "image": null, "codeTheme": {"x": "y"}, "type": "Dark"} trailing'
    saved = _theme(quiet_host, bob, theme)
    assert saved == '{"codeTheme":"","image":"","sidebarBg":"#ffffff","type":"Dark"}'


@pytest.mark.parity("UpdatePreferencesForUser", f"{PRE_UPDATE}; {SAVE}")
def test_update_of_a_theme_saves_go_json_text(quiet_host: Host) -> None:
    """The rewritten theme is Go's JSON: other letters are kept as they are, while <, > and
    & are escaped; a colour followed by a newline is not a colour."""
    bob = quiet_host.user("bob")
    saved = _theme(quiet_host, bob, json.dumps({"type": "Día <&>", "centerBg": "#fff\n"}))
    assert saved == '{"centerBg":"#ffffff","type":"Día \\u003c\\u0026\\u003e"}'


@pytest.mark.parity("UpdatePreferencesForUser", APP + ": (*App).UpdatePreferences")
def test_update_publishes_and_hooks_the_preferences_as_sent(quiet_host: Host) -> None:
    """The `preferences_changed` event and PreferencesHaveChanged carry the preferences as
    the plugin sent them, before the theme was rewritten for saving."""
    bob = quiet_host.user("bob")
    sent = '{"sidebarBg": "red"}'
    assert not _update(quiet_host, bob, _pref(bob, "", sent, "theme")).id
    events = [p for kind, p in quiet_host.emitted if kind == "websocket_event"]
    listed = json.loads(events[-1]["data"]["preferences"])
    assert [p["value"] for p in listed] == [sent]
    fired = quiet_host.hooks.named("PreferencesHaveChanged")
    assert [p.value for p in fired[-1].preferences] == [sent]  # type: ignore[attr-defined]


@pytest.mark.parity("UpdatePreferencesForUser", IS_VALID)
def test_update_limits_visible_direct_messages_to_1_to_40(quiet_host: Host) -> None:
    """`sidebar_settings`/`limit_visible_dms_gms` must be a number from 1 to 40."""
    bob = quiet_host.user("bob")
    for value in ("0", "41", "many"):
        limit = _pref(bob, "limit_visible_dms_gms", value, "sidebar_settings")
        err = _update(quiet_host, bob, limit)
        assert err.id == "model.preference.is_valid.limit_visible_dms_gms.app_error"
    assert not _update(
        quiet_host, bob, _pref(bob, "limit_visible_dms_gms", "40", "sidebar_settings")
    ).id


@pytest.mark.parity("DeletePreferencesForUser", APP + ": (*App).DeletePreferences")
def test_delete_checks_nothing_but_ownership(quiet_host: Host) -> None:
    """Deleting preferences that do not exist, or with names too long to be saved, is not an
    error."""
    bob = quiet_host.user("bob")
    req = pb.DeletePreferencesForUserRequest(
        user_id=bob, preferences=[_pref(bob, "n" * 40, category="c" * 40)]
    )
    assert not quiet_host.api.DeletePreferencesForUser(req).error.id


@pytest.mark.parity("UpdatePreferencesForUser", APP + ": (*App).UpdatePreferences")
def test_update_publishes_sidebar_then_preferences_changed(quiet_host: Host) -> None:
    """An update publishes `sidebar_category_updated` then `preferences_changed` to the user,
    whose `preferences` is the JSON text of the saved list."""
    bob = quiet_host.user("bob")
    assert not _update(quiet_host, bob, _pref(bob, "seen", "1")).id
    events = [p for kind, p in quiet_host.emitted if kind == "websocket_event"]
    assert [e["event"] for e in events] == ["sidebar_category_updated", "preferences_changed"]
    assert all(e["broadcast"] == {"user_id": bob} for e in events)
    listed = json.loads(events[1]["data"]["preferences"])
    assert [(p["name"], p["value"]) for p in listed] == [("seen", "1")]


@pytest.mark.parity("UpdatePreferencesForUser", APP + ": (*App).UpdatePreferences")
def test_update_runs_preferences_have_changed(quiet_host: Host) -> None:
    """After an update, every plugin's PreferencesHaveChanged gets the saved preferences."""
    bob = quiet_host.user("bob")
    _update(quiet_host, bob, _pref(bob, "hooked", "yes"))
    fired = quiet_host.hooks.named("PreferencesHaveChanged")
    assert [(p.name, p.value) for p in fired[-1].preferences] == [("hooked", "yes")]  # type: ignore[attr-defined]


@pytest.mark.parity("DeletePreferencesForUser", APP + ": (*App).DeletePreferences")
def test_preferences_deleted_lists_every_field_of_each_preference(quiet_host: Host) -> None:
    """`preferences_deleted` lists the preferences as sent, as JSON text with all four
    fields, an empty `value` too."""
    bob = quiet_host.user("bob")
    _update(quiet_host, bob, _pref(bob, "emptied"))
    quiet_host.emitted.clear()
    sent = _pref(bob, "emptied", value="")
    req = pb.DeletePreferencesForUserRequest(user_id=bob, preferences=[sent])
    assert not quiet_host.api.DeletePreferencesForUser(req).error.id
    (event,) = quiet_host.events("preferences_deleted")
    assert json.loads(event["data"]["preferences"]) == [
        {"user_id": bob, "category": "pp", "name": "emptied", "value": ""}]


@pytest.mark.parity("DeletePreferencesForUser", APP + ": (*App).DeletePreferences")
def test_delete_publishes_preferences_deleted_and_runs_no_hook(quiet_host: Host) -> None:
    """A delete publishes `sidebar_category_updated` then `preferences_deleted`; no plugin
    hook runs."""
    bob = quiet_host.user("bob")
    _update(quiet_host, bob, _pref(bob, "gone"))
    quiet_host.hooks.fired.clear()
    quiet_host.emitted.clear()
    req = pb.DeletePreferencesForUserRequest(user_id=bob, preferences=[_pref(bob, "gone")])
    assert not quiet_host.api.DeletePreferencesForUser(req).error.id
    events = [p["event"] for kind, p in quiet_host.emitted if kind == "websocket_event"]
    assert events == ["sidebar_category_updated", "preferences_deleted"]
    assert quiet_host.hooks.fired == []
    assert _get(quiet_host, bob, "gone").error.id
