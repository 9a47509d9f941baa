"""Slash commands over real gRPC: registration rules, listings, execution through the
owning plugin's ExecuteCommand, server-owned commands."""

from __future__ import annotations

from apiworld import PLUGIN_ID, World

from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import common_pb2
from mmplug.protocol import hooks_command_pb2 as hc


def register(world: World, trigger: str, team_id: str = "") -> rem.RegisterCommandResponse:
    cmd = rem.Command(
        trigger=trigger,
        team_id=team_id,
        auto_complete=True,
        auto_complete_desc="does things",
        url="ignored",
    )
    return world.api.RegisterCommand(rem.RegisterCommandRequest(command=cmd))


def run(world: World, text: str, user: str = "alice") -> rem.ExecuteSlashCommandResponse:
    args = rem.CommandArgs(
        user_id=world.users[user],
        channel_id=world.channels["off-topic"],
        team_id=world.team_id,
        command=text,
    )
    return world.api.ExecuteSlashCommand(rem.ExecuteSlashCommandRequest(command_args=args))


def test_registered_command_is_listed_with_only_kept_fields(world: World) -> None:
    assert not register(world, "Deploy").HasField("error")
    listed = world.api.ListPluginCommands(rem.ListPluginCommandsRequest(team_id=world.team_id))
    (cmd,) = [c for c in listed.commands if c.trigger == "deploy"]
    # the server keeps no plugin id and no URL in a registered command
    assert cmd.plugin_id == "" and cmd.auto_complete_desc == "does things"
    assert cmd.url == ""
    everything = world.api.ListCommands(rem.ListCommandsRequest(team_id=world.team_id))
    triggers = [c.trigger for c in everything.commands]
    assert "deploy" in triggers and "join" in triggers


def test_only_an_empty_trigger_is_rejected(world: World) -> None:
    assert register(world, "").error.status_code == 500
    for odd in ("/slash", "two words", "x" * 129, "join"):
        assert not register(world, odd).HasField("error"), odd


def test_another_plugins_trigger_is_shared_and_the_first_registration_runs(
    world: World,
) -> None:
    with world.store.tx() as db:
        db.execute(
            "INSERT INTO plugin_slash_commands(plugin_id, team_id, trigger, data) "
            "VALUES('other.plugin', '', 'theirs', '{\"trigger\": \"theirs\"}')"
        )
    assert not register(world, "theirs").HasField("error")
    world.hooks.respond(
        "ExecuteCommand",
        hc.ExecuteCommandResponse(response=rem.CommandResponse(text="from other")),
        plugin_id="other.plugin",
    )
    run(world, "/theirs")
    ((_, _, target),) = [f for f in world.hooks.fired if f[0] == "ExecuteCommand"]
    assert target == "other.plugin"


def test_unregister_removes_the_command(world: World) -> None:
    register(world, "temporary")
    world.api.UnregisterCommand(rem.UnregisterCommandRequest(trigger="temporary"))
    listed = world.api.ListPluginCommands(rem.ListPluginCommandsRequest(team_id=world.team_id))
    assert "temporary" not in [c.trigger for c in listed.commands]
    assert run(world, "/temporary").error.id == "api.command.execute_command.not_found.app_error"


def test_execute_routes_to_the_owner_and_posts_the_answer(world: World) -> None:
    register(world, "weather")

    def answer(req: hc.ExecuteCommandRequest) -> hc.ExecuteCommandResponse:
        assert req.args.command == "/weather paris" and req.args.trigger_id
        assert req.args.team_id == world.team_id
        return hc.ExecuteCommandResponse(
            response=rem.CommandResponse(response_type="in_channel", text="sunny in paris")
        )

    world.hooks.respond("ExecuteCommand", answer)
    rsp = run(world, "/weather paris")
    assert not rsp.HasField("error") and rsp.response.text == "sunny in paris"
    ((_, _, target),) = [f for f in world.hooks.fired if f[0] == "ExecuteCommand"]
    assert target == PLUGIN_ID
    (posted,) = world.hooks.named("MessageHasBeenPosted")
    assert posted.post.message == "sunny in paris"


def test_ephemeral_answer_is_captured_not_posted(world: World) -> None:
    register(world, "secretly")
    world.hooks.respond(
        "ExecuteCommand", hc.ExecuteCommandResponse(response=rem.CommandResponse(text="only you"))
    )
    run(world, "/secretly")
    assert world.hooks.named("MessageHasBeenPosted") == []
    kind, payload = world.emitted[-1]
    assert kind == "ephemeral_post" and payload["post"]["message"] == "only you"


def test_plugin_error_is_returned(world: World) -> None:
    register(world, "broken")
    world.hooks.respond(
        "ExecuteCommand",
        hc.ExecuteCommandResponse(
            error=common_pb2.AppError(id="my.plugin.failed", message="nope", status_code=409)
        ),
    )
    rsp = run(world, "/broken")
    assert rsp.error.id == "my.plugin.failed" and rsp.error.status_code == 409


def test_unknown_and_built_in_commands(world: World) -> None:
    rsp = run(world, "/nosuchthing")
    assert rsp.error.status_code == 404
    assert rsp.error.id == "api.command.execute_command.not_found.app_error"
    assert run(world, "/shrug hi").error.status_code == 501
    assert run(world, "no slash").error.status_code == 400


def test_built_ins_are_listed(world: World) -> None:
    rsp = world.api.ListBuiltInCommands(rem.ListBuiltInCommandsRequest())
    assert {"join", "leave", "me", "msg"} <= {c.trigger for c in rsp.commands}


def test_server_owned_command_lifecycle(world: World) -> None:
    cmd = rem.Command(
        team_id=world.team_id,
        trigger="Hook",
        url="https://example.com/hook",
        method="P",
        display_name="Hook",
    )
    made = world.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd)).command
    assert len(made.id) == 26 and len(made.token) == 26 and made.trigger == "hook"
    assert made.plugin_id == PLUGIN_ID and made.creator_id == ""
    dupe = world.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd))
    assert dupe.error.id == "api.command.duplicate_trigger.app_error"
    custom = world.api.ListCustomCommands(rem.ListCustomCommandsRequest(team_id=world.team_id))
    assert [c.id for c in custom.commands] == [made.id]
    made.display_name = "Renamed"
    upd = world.api.UpdateCommand(rem.UpdateCommandRequest(command_id=made.id, updated_cmd=made))
    assert upd.command.display_name == "Renamed" and upd.command.token == made.token
    world.api.DeleteCommand(rem.DeleteCommandRequest(command_id=made.id))
    gone = world.api.GetCommand(rem.GetCommandRequest(command_id=made.id))
    assert gone.error.id == "grpc.internal"  # a plain Go error: INTERNAL, no AppError id
    again = world.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd))
    assert not again.HasField("error")


def test_server_owned_command_needs_url_and_method(world: World) -> None:
    cmd = rem.Command(team_id=world.team_id, trigger="nourl", method="P")
    assert world.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd)).error.id == (
        "model.command.is_valid.url.app_error"
    )
    cmd.url = "ftp://example.com"
    assert world.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd)).error.id == (
        "model.command.is_valid.url_http.app_error"
    )
    cmd.url, cmd.method = "https://example.com", "X"
    assert world.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd)).error.id == (
        "model.command.is_valid.method.app_error"
    )


def test_command_of_a_plugin_that_is_not_running(world: World) -> None:
    from mmplug.errors import UsageError

    register(world, "orphaned")

    def gone(_req: object) -> None:
        raise UsageError("no plugin 'com.example.tester' in this session")

    world.hooks.respond("ExecuteCommand", gone)
    rsp = run(world, "/orphaned")
    assert rsp.error.status_code == 500
    assert rsp.error.id == "model.plugin_command_error.error.app_error"
