"""Server parity of OpenInteractiveDialog."""

from __future__ import annotations

from typing import Any

import pytest
from worldhost import PLUGIN_ID, Host

from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_command_pb2 as hc

SOURCE = (
    "server/channels/app/integration_action.go: (*App).OpenInteractiveDialog; "
    "server/public/model/integration_action.go: DecodeAndVerifyTriggerId"
)


def _trigger_id(host: Host) -> str:
    host.api.RegisterCommand(rem.RegisterCommandRequest(command=rem.Command(trigger="ask")))
    # an answer without a response counts as no command on the server (404): answer something
    answer = hc.ExecuteCommandResponse(response=rem.CommandResponse(text="opening"))
    host.hooks.respond("ExecuteCommand", answer, plugin_id=PLUGIN_ID)
    args = rem.CommandArgs(  # a team's command needs the team in the args, as on the server
        user_id=host.user("bob"), channel_id=host.info.channels["off-topic"], command="/ask",
        team_id=host.info.teams["acme"],
    )
    assert not host.api.ExecuteSlashCommand(
        rem.ExecuteSlashCommandRequest(command_args=args)
    ).error.id
    return str(host.hooks.named("ExecuteCommand")[-1].args.trigger_id)  # type: ignore[attr-defined]


def _open(host: Host, trigger: str, url: str = "/plugins/x/submit", **dialog: Any) -> Any:
    values = {"title": "Feedback", "elements": [rem.DialogElement(name="t", type="text")]}
    values.update(dialog)
    return host.api.OpenInteractiveDialog(
        rem.OpenInteractiveDialogRequest(
            dialog=rem.OpenDialogRequest(trigger_id=trigger, url=url, dialog=rem.Dialog(**values))
        )
    )


@pytest.mark.parity("OpenInteractiveDialog", SOURCE)
def test_dialog_opens_for_the_user_who_triggered_it(quiet_host: Host) -> None:
    """The dialog is sent to the user whose command (or action) produced the trigger id."""
    rsp = _open(quiet_host, _trigger_id(quiet_host))
    assert not rsp.error.id
    kind, event = quiet_host.emitted[-1]
    assert kind == "open_dialog" and event["user_id"] == quiet_host.user("bob")


@pytest.mark.parity("OpenInteractiveDialog", SOURCE)
def test_an_invalid_dialog_still_opens(quiet_host: Host) -> None:
    """The server only logs that a dialog is invalid (no URL, no title, an unknown element
    type): the call succeeds and the dialog is sent."""
    trigger = _trigger_id(quiet_host)
    rsp = _open(quiet_host, trigger, url="", title="",
                elements=[rem.DialogElement(name="x", type="slider")])
    assert not rsp.error.id
    assert quiet_host.emitted[-1][0] == "open_dialog"


@pytest.mark.parity("OpenInteractiveDialog", SOURCE)
def test_an_expired_trigger_id_is_a_400(quiet_host: Host) -> None:
    """A trigger id older than ServiceSettings.OutgoingIntegrationRequestsTimeout (30 s) is a
    400 `interactive_message.decode_trigger_id.expired`."""
    trigger = _trigger_id(quiet_host)
    quiet_host.store.clock.set(quiet_host.store.now_ms() + 31_000)  # type: ignore[attr-defined]
    err = _open(quiet_host, trigger).error
    assert (err.status_code, err.id) == (400, "interactive_message.decode_trigger_id.expired")


@pytest.mark.parity("OpenInteractiveDialog", SOURCE)
def test_an_unknown_trigger_id_is_a_400(quiet_host: Host) -> None:
    """A trigger id the server did not hand out is a 400 and nothing is sent."""
    err = _open(quiet_host, "made-up").error
    assert err.status_code == 400 and err.id.startswith("interactive_message.decode_trigger_id.")
    assert quiet_host.emitted == []
