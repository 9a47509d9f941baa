"""Server parity of status, custom status and profile images (users_profile.py)."""

from __future__ import annotations

import itertools
import json

import pytest
from test_parity_users import create, error, setting
from worldhost import Host

from mmplug.host.api.users_profile import default_avatar
from mmplug.protocol import api_remaining_pb2 as rpb
from mmplug.protocol import api_user_team_pb2 as pb

_n = itertools.count()
STATUS_GO = "server/channels/app/platform/status.go"
CUSTOM_GO = "server/channels/app/status.go"


def status_of(host: Host, user_id: str) -> pb.Status:
    return host.api.GetUserStatus(pb.GetUserStatusRequest(user_id=user_id)).status


def set_status(host: Host, user_id: str, status: str) -> pb.UpdateUserStatusResponse:
    return host.api.UpdateUserStatus(pb.UpdateUserStatusRequest(user_id=user_id, status=status))


# -- status ------------------------------------------------------------------------------
@pytest.mark.parity("GetUserStatus", f"{STATUS_GO}: (*PlatformService).GetStatus")
def test_a_user_without_a_status_is_404(host: Host) -> None:
    """A user who never had a status is a 404 `app.status.get.missing.app_error`."""
    user = create(host)
    rsp = host.api.GetUserStatus(pb.GetUserStatusRequest(user_id=user.id))
    assert error(rsp) == (404, "app.status.get.missing.app_error")


@pytest.mark.parity("GetUserStatusesByIds", f"{STATUS_GO}: (*PlatformService).GetUserStatusesByIds")
def test_statuses_by_ids_answer_offline_for_unknown_ids(host: Host) -> None:
    """Every id asked for gets a status: `offline` for ids without one (no error)."""
    ids = [host.user("bob"), "x" * 26]
    rsp = host.api.GetUserStatusesByIds(pb.GetUserStatusesByIdsRequest(user_ids=ids))
    assert {s.user_id: s.status for s in rsp.statuses} == {ids[0]: "away", ids[1]: "offline"}


@pytest.mark.parity("UpdateUserStatus", "server/channels/app/plugin_api.go: UpdateUserStatus")
def test_update_user_status_refuses_unknown_statuses(host: Host) -> None:
    """Only online, away, dnd and offline: anything else is a 400
    `plugin.api.update_user_status.bad_status`."""
    rsp = set_status(host, host.user("bob"), "sleeping")
    assert error(rsp) == (400, "plugin.api.update_user_status.bad_status")


@pytest.mark.parity("UpdateUserStatus", f"{STATUS_GO}: (*PlatformService).SetStatusOnline")
def test_online_is_never_manual(host: Host) -> None:
    """`online` set by a plugin is not manual, unlike the other statuses."""
    user = create(host)
    assert set_status(host, user.id, "dnd").status.manual is True
    online = set_status(host, user.id, "online").status
    assert (online.status, online.manual) == ("online", False)


@pytest.mark.parity("UpdateUserStatus", f"{STATUS_GO}: (*PlatformService).SetStatusOnline")
def test_online_again_is_not_broadcast(quiet_host: Host) -> None:
    """Setting `online` for a user who is online sends no `status_change` event."""
    host = quiet_host
    set_status(host, host.user("admin"), "online")
    assert host.events("status_change") == []


@pytest.mark.parity("UpdateUserStatus", f"{STATUS_GO}: (*PlatformService).BroadcastStatus")
def test_a_status_change_is_sent_to_the_user_only(quiet_host: Host) -> None:
    """A new status sends `status_change` with the `status` and `user_id` to that user's
    own connections only."""
    host = quiet_host
    user = create(host)
    host.emitted.clear()
    set_status(host, user.id, "dnd")
    (event,) = host.events("status_change")
    assert event["data"] == {"status": "dnd", "user_id": user.id}
    assert event["broadcast"] == {"user_id": user.id}


@pytest.mark.parity("UpdateUserStatus", f"{STATUS_GO}: (*PlatformService).SetStatusAwayIfNeeded")
def test_away_keeps_the_last_activity_time(host: Host) -> None:
    """`away` (and `dnd`) keep the last activity time; `offline` moves it to now."""
    user = create(host)
    first = set_status(host, user.id, "online").status.last_activity_at
    assert set_status(host, user.id, "away").status.last_activity_at == first
    assert set_status(host, user.id, "offline").status.last_activity_at > first


@pytest.mark.parity(
    "SetUserStatusTimedDND",
    f"{STATUS_GO}: (*PlatformService).SetStatusDoNotDisturbTimed",
)
def test_timed_dnd_takes_any_end_time_cut_to_the_minute(host: Host) -> None:
    """The end time (unix seconds) is not checked, even one in the past; it is cut down to
    the whole minute."""
    user = create(host)
    rsp = host.api.SetUserStatusTimedDND(
        pb.SetUserStatusTimedDNDRequest(user_id=user.id, end_time=1_000_000_059)
    )
    assert not rsp.error.id
    assert (rsp.status.status, rsp.status.manual, rsp.status.dnd_end_time) == (
        "dnd",
        True,
        1_000_000_020,
    )


@pytest.mark.parity("GetUserStatus", f"{STATUS_GO}: (*PlatformService).GetStatus")
def test_statuses_switched_off_answer_an_empty_status(host: Host) -> None:
    """With `ServiceSettings.EnableUserStatuses` off, GetUserStatus answers an empty status
    and GetUserStatusesByIds an empty list."""
    with setting(host, "ServiceSettings.EnableUserStatuses", False):
        rsp = host.api.GetUserStatus(pb.GetUserStatusRequest(user_id=host.user("bob")))
        many = host.api.GetUserStatusesByIds(
            pb.GetUserStatusesByIdsRequest(user_ids=[host.user("bob")])
        )
    assert not rsp.error.id and rsp.status == pb.Status()
    assert list(many.statuses) == []


# -- custom status -----------------------------------------------------------------------
def custom(host: Host, user_id: str, **fields: object) -> pb.UpdateUserCustomStatusResponse:
    cs = pb.CustomStatus(**fields)  # type: ignore[arg-type]
    return host.api.UpdateUserCustomStatus(
        pb.UpdateUserCustomStatusRequest(user_id=user_id, custom_status=cs)
    )


def stored_custom(host: Host, user_id: str) -> dict[str, object]:
    props = host.api.GetUser(pb.GetUserRequest(user_id=user_id)).user.props
    value: dict[str, object] = json.loads(props["customStatus"])
    return value


@pytest.mark.parity("UpdateUserCustomStatus", f"{CUSTOM_GO}: (*App).SetCustomStatus")
def test_custom_status_needs_an_emoji_or_a_text(host: Host) -> None:
    """Neither emoji nor text is a 400 `api.custom_status.set_custom_statuses.update.app_error`."""
    rsp = custom(host, host.user("bob"), duration="one_hour")
    assert error(rsp) == (400, "api.custom_status.set_custom_statuses.update.app_error")


@pytest.mark.parity(
    "UpdateUserCustomStatus",
    "server/public/model/custom_status.go: (*CustomStatus).PreSave",
)
def test_custom_status_text_is_cut_to_100_characters(host: Host) -> None:
    """A longer text is cut to 100 characters, not refused; an unknown duration is kept."""
    user = create(host)
    assert not custom(host, user.id, text="é" * 150, duration="forever").error.id
    saved = stored_custom(host, user.id)
    assert saved["text"] == "é" * 100 and saved["duration"] == "forever"


@pytest.mark.parity("UpdateUserCustomStatus", f"{CUSTOM_GO}: (*App).SetCustomStatus")
def test_custom_status_gets_no_default_emoji(host: Host) -> None:
    """No emoji is filled in; the JSON is the server's (`expires_at` as an RFC 3339 time)."""
    user = create(host)
    custom(host, user.id, text="Lunch")
    props = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.props
    assert props["customStatus"] == (
        '{"emoji":"","text":"Lunch","duration":"","expires_at":"1970-01-01T00:00:00Z"}'
    )


@pytest.mark.parity(
    "UpdateUserCustomStatus",
    "server/channels/app/emoji.go: (*App).confirmEmojiExists",
)
def test_custom_status_emoji_must_be_a_valid_name(host: Host) -> None:
    """An emoji name with other characters is a 400
    `api.custom_status.set_custom_statuses.emoji_not_found`."""
    rsp = custom(host, host.user("bob"), emoji="no such emoji!", text="x")
    assert error(rsp) == (400, "api.custom_status.set_custom_statuses.emoji_not_found")


@pytest.mark.parity("UpdateUserCustomStatus", f"{CUSTOM_GO}: (*App).addRecentCustomStatus")
def test_custom_status_is_remembered_in_the_recent_list(host: Host) -> None:
    """The server keeps the last custom statuses (newest first, one per text) in the
    `custom_status/recent_custom_statuses` preference."""
    user = create(host)
    for text in ("Lunch", "Meeting", "Lunch"):
        custom(host, user.id, emoji="taco", text=text)
    pref = host.api.GetPreferenceForUser(
        rpb.GetPreferenceForUserRequest(
            user_id=user.id, category="custom_status", name="recent_custom_statuses"
        )
    ).preference
    assert [s["text"] for s in json.loads(pref.value)] == ["Lunch", "Meeting"]


@pytest.mark.parity("RemoveUserCustomStatus", f"{CUSTOM_GO}: (*App).RemoveCustomStatus")
def test_remove_custom_status_empties_the_prop(host: Host) -> None:
    """Removing leaves `customStatus` as an empty string; a missing user is a 404."""
    user = create(host)
    custom(host, user.id, text="Away")
    host.api.RemoveUserCustomStatus(pb.RemoveUserCustomStatusRequest(user_id=user.id))
    props = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.props
    assert props["customStatus"] == ""
    missing = host.api.RemoveUserCustomStatus(pb.RemoveUserCustomStatusRequest(user_id="x" * 26))
    assert error(missing) == (404, "app.user.missing_account.const")


# -- profile image -----------------------------------------------------------------------
@pytest.mark.parity("SetProfileImage", "server/channels/app/plugin_api.go: SetProfileImage")
def test_set_profile_image_looks_up_the_user_first(host: Host) -> None:
    """For a missing user the answer is the 404 of the user, whatever the bytes."""
    req = pb.SetProfileImageRequest(user_id="x" * 26, data=b"not an image")
    assert error(host.api.SetProfileImage(req)) == (404, "app.user.missing_account.const")


@pytest.mark.parity("SetProfileImage", "server/channels/app/user.go: (*App).AdjustImage")
def test_set_profile_image_refuses_what_is_not_an_image(host: Host) -> None:
    """Bytes that are no image are a 400 `api.user.upload_profile_user.decode.app_error`."""
    req = pb.SetProfileImageRequest(user_id=host.user("bob"), data=b"not an image")
    assert error(host.api.SetProfileImage(req)) == (
        400,
        "api.user.upload_profile_user.decode.app_error",
    )


@pytest.mark.parity(
    "SetProfileImage",
    "server/channels/app/user.go: (*App).SetProfileImageFromFile",
)
def test_the_same_profile_image_again_changes_nothing(host: Host) -> None:
    """Setting the picture the user already has leaves `last_picture_update` alone."""
    user = create(host)
    png = default_avatar(f"picture{next(_n)}")
    host.api.SetProfileImage(pb.SetProfileImageRequest(user_id=user.id, data=png))
    first = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.last_picture_update
    assert first > 0
    host.api.SetProfileImage(pb.SetProfileImageRequest(user_id=user.id, data=png))
    again = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.last_picture_update
    assert again == first


@pytest.mark.parity(
    "SetProfileImage", "server/channels/app/user.go: (*App).invalidateUserCacheAndPublish"
)
def test_a_new_profile_image_sends_the_public_profile_to_everyone(quiet_host: Host) -> None:
    """A new picture sends one `user_updated` to everyone with the public profile (no
    notification settings), its `last_picture_update` the new picture's time."""
    host = quiet_host
    user = create(host)
    host.emitted.clear()
    png = default_avatar(f"picture{next(_n)}")
    req = pb.SetProfileImageRequest(user_id=user.id, data=png)
    assert not host.api.SetProfileImage(req).error.id
    (event,) = host.events("user_updated")
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert event["broadcast"] == {}
    assert event["data"]["user"]["last_picture_update"] == stored.last_picture_update
    assert "notify_props" not in event["data"]["user"]


@pytest.mark.parity("GetProfileImage", "server/channels/app/plugin_api.go: GetProfileImage")
def test_profile_image_of_a_missing_user_is_404(host: Host) -> None:
    """GetProfileImage of a missing user is a 404 `app.user.missing_account.const`."""
    req = pb.GetProfileImageRequest(user_id="x" * 26)
    assert error(host.api.GetProfileImage(req)) == (404, "app.user.missing_account.const")
