"""Server parity of the side effects a plugin asks for: PublishWebSocketEvent,
PublishPluginClusterEvent, PublishUserTyping, SendMail, SendPushNotification."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import struct_pb2
from worldhost import PLUGIN_ID, Host

from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol import hooks_message_pb2 as hooks

PLUGIN_API = "server/channels/app/plugin_api.go"
PUSH = "server/channels/app/notification_push.go: (*App).sendPushNotificationToAllSessions"
UNKNOWN_ID = "a" * 26


def _emitted(host: Host, kind: str) -> list[dict[str, Any]]:
    return [payload for k, payload in host.emitted if k == kind]


@pytest.fixture
def quiet(quiet_host: Host) -> Host:
    quiet_host.hooks.forget_answers()
    return quiet_host


# -- WebSocket and cluster events ----------------------------------------------------------
@pytest.mark.parity("PublishWebSocketEvent", PLUGIN_API + ": (*PluginAPI).PublishWebSocketEvent")
def test_websocket_event_name_gets_the_custom_plugin_prefix(quiet: Host) -> None:
    """The event clients receive is named `custom_<plugin id>_<event>`."""
    payload = struct_pb2.Struct()
    payload.update({"n": 1})
    rsp = quiet.api.PublishWebSocketEvent(
        kvc.PublishWebSocketEventRequest(event="refresh", payload=payload)
    )
    assert not rsp.error.id
    assert _emitted(quiet, "websocket_event")[-1]["event"] == f"custom_{PLUGIN_ID}_refresh"


@pytest.mark.parity("PublishWebSocketEvent", PLUGIN_API + ": (*PluginAPI).PublishWebSocketEvent")
def test_websocket_event_with_an_empty_name_is_not_an_error(quiet: Host) -> None:
    """The server checks nothing: an empty event name is published as `custom_<plugin id>_`."""
    rsp = quiet.api.PublishWebSocketEvent(kvc.PublishWebSocketEventRequest(event=""))
    assert not rsp.error.id
    assert _emitted(quiet, "websocket_event")[-1]["event"] == f"custom_{PLUGIN_ID}_"


@pytest.mark.parity(
    "PublishPluginClusterEvent", PLUGIN_API + ": (*PluginAPI).PublishPluginClusterEvent"
)
def test_cluster_event_without_an_id_is_not_an_error(quiet: Host) -> None:
    """PublishPluginClusterEvent validates nothing (on a server without a cluster it does
    nothing at all), so an event without an id is not an error."""
    rsp = quiet.api.PublishPluginClusterEvent(
        rem.PublishPluginClusterEventRequest(event=rem.PluginClusterEvent(data=b"x"))
    )
    assert not rsp.error.id


@pytest.mark.parity("PublishUserTyping", "server/channels/app/user.go: (*App).PublishUserTyping")
def test_publish_user_typing_checks_nothing(quiet: Host) -> None:
    """PublishUserTyping never fails, even for an unknown user or channel: it only publishes a
    `typing` WebSocket event to the channel with the user id and parent id."""
    rsp = quiet.api.PublishUserTyping(
        ut.PublishUserTypingRequest(user_id="nobody", channel_id=UNKNOWN_ID, parent_id="p")
    )
    assert not rsp.error.id
    (typing,) = quiet.events("typing")
    assert typing["data"] == {"parent_id": "p", "user_id": "nobody"}


@pytest.mark.parity("PublishUserTyping", "server/channels/app/user.go: (*App).PublishUserTyping")
def test_typing_goes_to_the_channel_but_the_typing_user(quiet: Host) -> None:
    """The `typing` event is a WebSocket event to the channel's members, the typing user left
    out (clients show "... is typing" to the others only)."""
    bob, channel_id = quiet.user("bob"), quiet.info.channels["town-square"]
    quiet.api.PublishUserTyping(ut.PublishUserTypingRequest(user_id=bob, channel_id=channel_id))
    (typing,) = [p for k, p in quiet.emitted if k == "websocket_event" and p["event"] == "typing"]
    assert typing["broadcast"] == {"channel_id": channel_id, "omit_users": {bob: True}}


# -- mail --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("to", "subject", "body", "missing"),
    [
        ("", "s", "b", "missing_to"),
        ("a@example.com", "", "b", "missing_subject"),
        ("a@example.com", "s", "", "missing_htmlbody"),
        ("", "", "", "missing_to"),
    ],
)
@pytest.mark.parity("SendMail", PLUGIN_API + ": (*PluginAPI).SendMail")
def test_send_mail_requires_recipient_subject_and_body(
    quiet: Host, to: str, subject: str, body: str, missing: str
) -> None:
    """SendMail needs a recipient, a subject and an HTML body, checked in that order: each
    missing one is a 400 `plugin_api.send_mail.<missing>`."""
    err = quiet.api.SendMail(rem.SendMailRequest(to=to, subject=subject, html_body=body)).error
    assert (err.status_code, err.id) == (400, f"plugin_api.send_mail.{missing}")
    assert _emitted(quiet, "mail") == []


@pytest.mark.parity(
    "SendMail", "server/channels/app/email/email.go: (*Service).SendNotificationMail"
)
def test_send_mail_with_email_notifications_off_succeeds_without_sending(quiet: Host) -> None:
    """With EmailSettings.SendEmailNotifications off (the default world), SendMail succeeds
    and the server sends nothing."""
    rsp = quiet.api.SendMail(rem.SendMailRequest(to="a@example.com", subject="Hi", html_body="x"))
    assert not rsp.error.id
    assert _emitted(quiet, "mail")[-1]["sent"] is False


# -- push notifications ------------------------------------------------------------------
@pytest.mark.parity("SendPushNotification", PUSH)
def test_push_notification_to_an_unknown_user_is_not_an_error(quiet: Host) -> None:
    """A push notification for a user without mobile sessions (or unknown) succeeds: there is
    just no device to send it to."""
    rsp = quiet.api.SendPushNotification(
        rem.SendPushNotificationRequest(
            user_id=UNKNOWN_ID, notification=rem.PushNotification(message="hi")
        )
    )
    assert not rsp.error.id


@pytest.mark.parity("SendPushNotification", PUSH)
def test_push_notification_runs_notification_will_be_pushed(quiet: Host) -> None:
    """Every plugin's NotificationWillBePushed sees the notification and the user first, and
    may replace it."""

    def modify(req: Any) -> hooks.NotificationWillBePushedResponse:
        changed = rem.PushNotification()
        changed.CopyFrom(req.push_notification)
        changed.message = req.push_notification.message + " (edited)"
        return hooks.NotificationWillBePushedResponse(modified_notification=changed)

    quiet.hooks.respond("NotificationWillBePushed", modify, plugin_id=PLUGIN_ID)
    alice = quiet.user("alice")
    rsp = quiet.api.SendPushNotification(
        rem.SendPushNotificationRequest(
            user_id=alice, notification=rem.PushNotification(message="hi")
        )
    )
    assert not rsp.error.id
    fired = quiet.hooks.named("NotificationWillBePushed")
    assert fired and fired[0].user_id == alice and fired[0].push_notification.message == "hi"
    assert _emitted(quiet, "push_notification")[-1]["notification"]["message"] == "hi (edited)"


@pytest.mark.parity("SendPushNotification", PUSH)
def test_push_notification_rejected_by_a_plugin_is_not_sent_and_not_an_error(quiet: Host) -> None:
    """A NotificationWillBePushed rejection stops the notification; the call still succeeds."""
    quiet.hooks.respond(
        "NotificationWillBePushed",
        hooks.NotificationWillBePushedResponse(rejection_reason="muted"),
        plugin_id=PLUGIN_ID,
    )
    rsp = quiet.api.SendPushNotification(
        rem.SendPushNotificationRequest(
            user_id=quiet.user("alice"), notification=rem.PushNotification(message="hi")
        )
    )
    assert not rsp.error.id
    assert _emitted(quiet, "push_notification") == []

