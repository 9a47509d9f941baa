"""OpenInteractiveDialog over real gRPC: trigger ids from slash commands, validation."""

from __future__ import annotations

from typing import Any

from apiworld import World

from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_command_pb2 as hc


def trigger_id(world: World) -> str:
    world.api.RegisterCommand(rem.RegisterCommandRequest(command=rem.Command(trigger="ask")))
    world.hooks.respond("ExecuteCommand", hc.ExecuteCommandResponse())
    args = rem.CommandArgs(
        user_id=world.users["bob"], channel_id=world.channels["off-topic"], command="/ask"
    )
    world.api.ExecuteSlashCommand(rem.ExecuteSlashCommandRequest(command_args=args))
    (fired,) = world.hooks.named("ExecuteCommand")
    return str(fired.args.trigger_id)


def dialog(trigger: str, **fields: object) -> rem.OpenInteractiveDialogRequest:
    values = {
        "title": "Feedback",
        "elements": [rem.DialogElement(name="text", type="text")],
        **fields,
    }
    return rem.OpenInteractiveDialogRequest(
        dialog=rem.OpenDialogRequest(
            trigger_id=trigger, url="/plugins/x/submit", dialog=rem.Dialog(**values)
        )
    )  # type: ignore[arg-type]


def test_dialog_opens_for_the_user_who_ran_the_command(world: World) -> None:
    rsp = world.api.OpenInteractiveDialog(dialog(trigger_id(world)))
    assert not rsp.HasField("error")
    kind, event = world.emitted[-1]
    assert kind == "open_dialog" and event["user_id"] == world.users["bob"]
    assert event["dialog"]["dialog"]["title"] == "Feedback"


def test_unknown_trigger_is_rejected_but_bad_dialogs_open_with_a_warning(world: World) -> None:
    unknown = world.api.OpenInteractiveDialog(dialog("made-up"))
    assert unknown.error.status_code == 400
    trig = trigger_id(world)
    logs: list[tuple[str, str, dict[str, Any]]] = []
    original = world.server.ctx.log
    world.server.ctx.log = lambda level, msg, kv: logs.append((level, msg, kv))
    try:
        bad = world.api.OpenInteractiveDialog(
            dialog(trig, title="", elements=[rem.DialogElement(name="x", type="slider")])
        )
    finally:
        world.server.ctx.log = original
    assert not bad.HasField("error")  # as the server: IsValid is only logged
    assert world.emitted[-1][0] == "open_dialog"
    (level, message, values) = logs[-1]
    assert (level, message) == ("warn", "Interactive dialog is invalid")
    assert any("slider" in p for p in values["problems"])


def test_expired_trigger_is_rejected(world: World) -> None:
    trig = trigger_id(world)
    with world.store.tx() as db:
        db.execute("UPDATE trigger_ids SET created_at=created_at-60000 WHERE id=?", (trig,))
    rsp = world.api.OpenInteractiveDialog(dialog(trig))
    assert rsp.error.id == "interactive_message.decode_trigger_id.expired"
