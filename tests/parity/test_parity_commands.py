"""Server parity of slash commands: RegisterCommand, UnregisterCommand, ExecuteSlashCommand,
the List* methods, and the server-owned commands (CreateCommand, GetCommand, UpdateCommand,
DeleteCommand)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from parity_settings import server_setting
from worldhost import PLUGIN_ID, Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import common_pb2
from mmplug.protocol import hooks_command_pb2 as hc

PLUGIN_COMMANDS = "server/channels/app/plugin_commands.go"
COMMAND_GO = "server/channels/app/command.go"
PLUGIN_API = "server/channels/app/plugin_api.go"
COMMAND_STORE = "server/channels/store/sqlstore/command_store.go"
COMMAND_MODEL = "server/public/model/command.go: (*Command).IsValid"
PLAIN = "grpc.internal"  # a plain Go error: an INTERNAL status, no AppError id
OTHER_PLUGIN = "com.example.other"


def register(host: Host, trigger: str, team_id: str = "", **fields: Any) -> common_pb2.AppError:
    cmd = rem.Command(trigger=trigger, team_id=team_id, **fields)
    return host.api.RegisterCommand(rem.RegisterCommandRequest(command=cmd)).error


def register_as(host: Host, plugin_id: str, trigger: str, team_id: str = "") -> None:
    """A registration by another plugin of the session (as its own API server would store it)."""
    with host.store.tx() as db:
        db.execute(
            "INSERT INTO plugin_slash_commands(plugin_id, team_id, trigger, data) "
            "VALUES(?,?,?,?)",
            (plugin_id, team_id, trigger, f'{{"trigger": "{trigger}", "team_id": "{team_id}"}}'),
        )


def args(host: Host, command: str, *, user: str = "alice", team: bool = True) -> rem.CommandArgs:
    return rem.CommandArgs(
        user_id=host.user(user),
        channel_id=host.info.channels["town-square"],
        team_id=host.info.teams["acme"] if team else "",
        command=command,
    )


def run(host: Host, command: str, **kw: Any) -> rem.ExecuteSlashCommandResponse:
    return host.api.ExecuteSlashCommand(
        rem.ExecuteSlashCommandRequest(command_args=args(host, command, **kw))
    )


def answer(host: Host, response: rem.CommandResponse | None = None, **err: Any) -> None:
    reply = hc.ExecuteCommandResponse()
    if response is not None:
        reply.response.CopyFrom(response)
    if err:
        reply.error.CopyFrom(common_pb2.AppError(**err))
    host.hooks.respond("ExecuteCommand", reply, plugin_id=PLUGIN_ID)


def executed_by(host: Host) -> list[str | None]:
    return [target for hook, _, target in host.hooks.fired if hook == "ExecuteCommand"]


def plugin_triggers(host: Host, team_id: str) -> list[str]:
    listed = host.api.ListPluginCommands(rem.ListPluginCommandsRequest(team_id=team_id))
    return [c.trigger for c in listed.commands]


@pytest.fixture
def commands_disabled(quiet_host: Host) -> Iterator[Host]:
    with server_setting(quiet_host, "ServiceSettings", "EnableCommands", False):
        yield quiet_host


# -- RegisterCommand / UnregisterCommand ----------------------------------------------------
@pytest.mark.parity("RegisterCommand", f"{PLUGIN_COMMANDS}: (*App).RegisterPluginCommand")
def test_register_refuses_only_an_empty_trigger(host: Host) -> None:
    """An empty trigger is the one registration the server refuses, with a plain Go error
    (no AppError id)."""
    err = register(host, "")
    assert (err.status_code, err.id) == (500, PLAIN)


@pytest.mark.parity("RegisterCommand", f"{PLUGIN_COMMANDS}: (*App).RegisterPluginCommand")
def test_register_accepts_triggers_a_user_could_never_create(host: Host) -> None:
    """Spaces, a leading slash, more than 128 characters and a built-in's name (``/echo``) are
    all accepted from a plugin: only CreateCommand validates triggers."""
    for odd in ("two words", "/slashed", "x" * 129, "echo"):
        assert not register(host, odd).id, odd
    listed = plugin_triggers(host, host.info.teams["acme"])
    assert {"two words", "/slashed", "x" * 129, "echo"} <= set(listed)


@pytest.mark.parity("RegisterCommand", f"{PLUGIN_COMMANDS}: (*App).RegisterPluginCommand")
def test_register_lower_cases_the_trigger_and_keeps_only_some_fields(host: Host) -> None:
    """The stored command has the trigger lower-cased (not trimmed) and only the trigger, team,
    auto-complete fields and display name: no plugin id, URL, method or username."""
    register(
        host,
        " MiXed",
        auto_complete=True,
        auto_complete_desc="desc",
        display_name="Mixed",
        url="https://example.com",
        method="P",
        username="bot",
    )
    listed = host.api.ListPluginCommands(rem.ListPluginCommandsRequest(team_id="")).commands
    (cmd,) = [c for c in listed if c.trigger == " mixed"]
    assert (cmd.auto_complete, cmd.auto_complete_desc, cmd.display_name) == (True, "desc", "Mixed")
    assert (cmd.plugin_id, cmd.url, cmd.method, cmd.username) == ("", "", "", "")


@pytest.mark.parity("RegisterCommand", f"{PLUGIN_COMMANDS}: (*App).RegisterPluginCommand")
def test_register_again_replaces_the_plugins_own_command(host: Host) -> None:
    """Registering the same trigger for the same team again replaces the plugin's command
    (one entry, the new fields)."""
    register(host, "again", auto_complete_desc="first")
    register(host, "again", auto_complete_desc="second")
    listed = host.api.ListPluginCommands(rem.ListPluginCommandsRequest(team_id="")).commands
    assert [c.auto_complete_desc for c in listed if c.trigger == "again"] == ["second"]


@pytest.mark.parity(
    ("RegisterCommand", "ExecuteSlashCommand"),
    f"{PLUGIN_COMMANDS}: (*App).RegisterPluginCommand, (*App).tryExecutePluginCommand",
)
def test_another_plugins_trigger_can_be_registered_and_the_first_one_runs(
    quiet_host: Host,
) -> None:
    """Registering a trigger another plugin already holds succeeds; the plugin that registered
    it first is the one whose ExecuteCommand runs."""
    register_as(quiet_host, OTHER_PLUGIN, "shared")
    assert not register(quiet_host, "shared").id
    quiet_host.hooks.respond(
        "ExecuteCommand",
        hc.ExecuteCommandResponse(response=rem.CommandResponse(text="other")),
        plugin_id=OTHER_PLUGIN,
    )
    run(quiet_host, "/shared")
    assert executed_by(quiet_host) == [OTHER_PLUGIN]


@pytest.mark.parity("UnregisterCommand", f"{PLUGIN_COMMANDS}: (*App).UnregisterPluginCommand")
def test_unregister_removes_the_trigger_whoever_registered_it(host: Host) -> None:
    """UnregisterCommand(team, trigger) removes every plugin's command with that (lower-cased)
    trigger for that team, not only the caller's."""
    register_as(host, OTHER_PLUGIN, "theirs")
    rsp = host.api.UnregisterCommand(rem.UnregisterCommandRequest(team_id="", trigger="THEIRS"))
    assert not rsp.error.id
    assert "theirs" not in plugin_triggers(host, "")


@pytest.mark.parity("UnregisterCommand", f"{PLUGIN_API}: (*PluginAPI).UnregisterCommand")
def test_unregister_of_an_unknown_trigger_is_not_an_error(host: Host) -> None:
    """Unregistering a trigger nobody registered succeeds silently."""
    rsp = host.api.UnregisterCommand(rem.UnregisterCommandRequest(team_id="x", trigger="nope"))
    assert not rsp.HasField("error")


# -- listings -------------------------------------------------------------------------------
@pytest.mark.parity(
    "ListPluginCommands", f"{PLUGIN_API}: (*PluginAPI).ListPluginCommands; (*App).CommandsForTeam"
)
def test_list_plugin_commands_has_team_and_all_team_commands_once_per_trigger(host: Host) -> None:
    """A team's listing has its own and all-team commands, each trigger once (the first
    registered), and not another team's commands."""
    acme = host.info.teams["acme"]
    register(host, "teamonly", acme)
    register(host, "elsewhere", "x" * 26)
    register_as(host, OTHER_PLUGIN, "teamonly", acme)
    listed = plugin_triggers(host, acme)
    assert listed.count("teamonly") == 1 and "elsewhere" not in listed


@pytest.mark.parity("ListBuiltInCommands", f"{PLUGIN_API}: (*PluginAPI).ListBuiltInCommands")
def test_list_built_in_commands_is_sanitized(host: Host) -> None:
    """Built-in commands are listed with their auto-complete text and without token, URL,
    method or username."""
    listed = host.api.ListBuiltInCommands(rem.ListBuiltInCommandsRequest()).commands
    by_trigger = {c.trigger: c for c in listed}
    assert {"join", "leave", "me", "msg", "echo", "shrug", "marketplace"} <= set(by_trigger)
    assert all(c.auto_complete and not (c.token or c.url or c.method) for c in listed)


@pytest.mark.parity(
    ("ListCustomCommands", "ListCommands"),
    f"{PLUGIN_API}: (*PluginAPI).ListCustomCommands; {COMMAND_STORE}: GetByTeam",
)
def test_listing_commands_of_a_bad_team_id_is_an_empty_list(host: Host) -> None:
    """A team id that is not an id lists no custom commands (no error); ListCommands still
    lists the built-ins."""
    custom = host.api.ListCustomCommands(rem.ListCustomCommandsRequest(team_id="not-an-id"))
    assert not custom.HasField("error") and list(custom.commands) == []
    everything = host.api.ListCommands(rem.ListCommandsRequest(team_id="not-an-id"))
    assert not everything.HasField("error") and "join" in [c.trigger for c in everything.commands]


@pytest.mark.parity("ListCommands", f"{PLUGIN_API}: (*PluginAPI).ListCommands")
def test_list_commands_is_plugin_then_built_in_then_custom(host: Host) -> None:
    """ListCommands lists plugin commands first, then built-ins, then the team's custom
    commands."""
    acme = host.info.teams["acme"]
    register(host, "zzfirst", acme)
    made = create(host, "aacustom")
    rsp = host.api.ListCommands(rem.ListCommandsRequest(team_id=acme))
    listed = [c.trigger for c in rsp.commands]
    assert listed.index("zzfirst") < listed.index("away") < listed.index(made.trigger)


# -- ExecuteSlashCommand --------------------------------------------------------------------
@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_API}: (*PluginAPI).ExecuteSlashCommand")
def test_execute_for_an_unknown_user_is_404(host: Host) -> None:
    """The user of CommandArgs is looked up first: an unknown one is a 404
    `app.user.missing_account.const` (even when it is not an id)."""
    for user_id in ("x" * 26, "nope"):
        a = args(host, "/anything")
        a.user_id = user_id
        err = host.api.ExecuteSlashCommand(rem.ExecuteSlashCommandRequest(command_args=a)).error
        assert (err.status_code, err.id) == (404, "app.user.missing_account.const")


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).ExecuteCommand")
def test_execute_without_a_leading_slash_is_400(host: Host) -> None:
    """A command line must start with '/': otherwise (leading spaces included, the server does
    not strip them) it is a 400 `api.command.execute_command.format.app_error`."""
    for line in ("hello", "  /hello"):
        err = run(host, line).error
        assert (err.status_code, err.id) == (400, "api.command.execute_command.format.app_error")


@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand")
def test_execute_matches_the_trigger_case_insensitively_and_passes_the_line(
    quiet_host: Host,
) -> None:
    """The trigger word is matched case-insensitively; the plugin receives the whole line and
    a trigger id."""
    register(quiet_host, "weather")
    answer(quiet_host, rem.CommandResponse(text="sunny"))
    assert not run(quiet_host, "/WEATHER Paris now").error.id
    (request,) = quiet_host.hooks.named("ExecuteCommand")
    assert request.args.command == "/WEATHER Paris now" and request.args.trigger_id


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).ExecuteCommand")
def test_a_plugin_command_overrides_a_built_in(quiet_host: Host) -> None:
    """A plugin that registers a built-in's trigger (``/echo``) gets it: plugin commands run
    before built-in and custom commands."""
    register(quiet_host, "echo")
    answer(quiet_host, rem.CommandResponse(text="mine"))
    assert run(quiet_host, "/echo hi").response.text == "mine"
    assert executed_by(quiet_host) == [PLUGIN_ID]


@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand")
def test_a_team_command_needs_the_team_id_in_the_args(quiet_host: Host) -> None:
    """A command registered for one team runs only when CommandArgs.team_id names that team:
    the server does not take the team from the channel (without it: 404 team not found)."""
    register(quiet_host, "teamcmd", quiet_host.info.teams["acme"])
    answer(quiet_host, rem.CommandResponse(text="ok"))
    err = run(quiet_host, "/teamcmd", team=False).error
    assert (err.status_code, err.id) == (404, "app.team.get.find.app_error")
    assert executed_by(quiet_host) == []


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).ExecuteCommand")
def test_an_unknown_trigger_is_404_with_the_trigger(host: Host) -> None:
    """An unknown trigger is a 404 `api.command.execute_command.not_found.app_error` whose
    message names the trigger."""
    err = run(host, "/nosuchcommand now").error
    assert (err.status_code, err.id) == (404, "api.command.execute_command.not_found.app_error")
    assert "nosuchcommand" in err.message


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).tryExecuteCustomCommand")
def test_an_unknown_trigger_in_an_unknown_channel_is_channel_404(host: Host) -> None:
    """Before saying "not found" the server loads the args' channel: an unknown channel is a
    404 `app.channel.get.existing.app_error`."""
    a = args(host, "/nosuchcommand")
    a.channel_id = "c" * 26
    err = host.api.ExecuteSlashCommand(rem.ExecuteSlashCommandRequest(command_args=a)).error
    assert (err.status_code, err.id) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).tryExecuteCustomCommand")
def test_commands_disabled_makes_every_non_plugin_command_501(commands_disabled: Host) -> None:
    """With ServiceSettings.EnableCommands off, any line no plugin command takes is a 501
    `api.command.disabled.app_error`."""
    err = run(commands_disabled, "/nosuchcommand").error
    assert (err.status_code, err.id) == (501, "api.command.disabled.app_error")


@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand")
def test_a_plugin_error_with_an_unusable_status_becomes_500(quiet_host: Host) -> None:
    """The plugin's AppError is returned as it is, except a status outside 100-999, which
    becomes 500."""
    register(quiet_host, "failing")
    answer(quiet_host, id="my.plugin.failed", message="nope", status_code=1000)
    err = run(quiet_host, "/failing").error
    assert (err.status_code, err.id) == (500, "my.plugin.failed")
    answer(quiet_host, id="my.plugin.conflict", message="nope", status_code=409)
    assert run(quiet_host, "/failing").error.status_code == 409


GRPC_EXECUTE = "server/public/plugin/hooks_grpc_client.go: (*hooksGRPCClient).ExecuteCommand"


@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand; "
                                           f"{GRPC_EXECUTE}")
def test_a_plugin_error_with_only_a_message_fails_the_command(quiet_host: Host) -> None:
    """An ExecuteCommand answer whose error is set fails the command even without an id, and
    even next to a response: the server reads neither the plugin's message nor the response,
    so the user gets a 500 with an empty id and an empty message, and nothing is posted."""
    register(quiet_host, "quietfail")
    reply = hc.ExecuteCommandResponse(
        response=rem.CommandResponse(response_type="in_channel", text="posted anyway?"))
    reply.error.message = "the plugin's own words"
    quiet_host.hooks.respond("ExecuteCommand", reply, plugin_id=PLUGIN_ID)
    err = run(quiet_host, "/quietfail").error
    assert (err.status_code, err.id, err.message) == (500, "", "")
    reply.error.Clear()  # set, but nothing in it: still an error
    reply.error.SetInParent()
    assert run(quiet_host, "/quietfail").error.status_code == 500
    posted = quiet_host.api.GetPostsForChannel(cp.GetPostsForChannelRequest(
        channel_id=quiet_host.info.channels["town-square"], per_page=50))
    assert "posted anyway?" not in [p.message for p in posted.post_list.posts.values()]


@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand; "
                                           f"{GRPC_EXECUTE}")
def test_a_plugin_error_keeps_its_id_not_its_message(quiet_host: Host) -> None:
    """The AppError the caller gets carries the plugin's id and status; its message is the id
    (the server translates the id and never reads the plugin's message)."""
    register(quiet_host, "ided")
    answer(quiet_host, id="my.plugin.nope", message="not shown", detailed_error="why",
           status_code=403)
    err = run(quiet_host, "/ided").error
    assert (err.status_code, err.id, err.message) == (403, "my.plugin.nope", "my.plugin.nope")


@pytest.mark.parity(
    "ExecuteSlashCommand",
    f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand; server/public/plugin/"
    "hooks_grpc_client.go: (*hooksGRPCClient).ExecuteCommand",
)
def test_a_handler_that_raises_is_500_plugin_grpc_error(quiet_host: Host) -> None:
    """An ExecuteCommand handler that raises (or times out) makes the command fail with 500
    ``plugin.grpc.execute_command.error``, the call's error in the details."""

    def broken(request: object) -> None:
        raise RuntimeError("handler raised")

    register(quiet_host, "raising")
    quiet_host.hooks.respond("ExecuteCommand", broken, plugin_id=PLUGIN_ID)
    try:
        err = run(quiet_host, "/raising").error
    finally:
        quiet_host.hooks.forget_answers()
    assert (err.status_code, err.id) == (500, "plugin.grpc.execute_command.error")


@pytest.mark.parity("ExecuteSlashCommand", f"{PLUGIN_COMMANDS}: (*App).tryExecutePluginCommand")
def test_a_plugin_that_does_not_answer_is_500(quiet_host: Host) -> None:
    """A command whose plugin is not running is a 500
    `model.plugin_command_error.error.app_error`."""
    register_as(quiet_host, "com.example.stopped", "orphan")
    err = run(quiet_host, "/orphan").error
    assert (err.status_code, err.id) == (500, "model.plugin_command_error.error.app_error")


@pytest.mark.parity(
    "ExecuteSlashCommand",
    f"{COMMAND_GO}: (*App).HandleCommandResponsePost, (*App).CreateCommandPost",
)
def test_an_in_channel_answer_is_posted_as_the_user(quiet_host: Host) -> None:
    """An ``in_channel`` answer becomes a post by the user who ran the command, in the args'
    channel, without the `from_plugin` prop a plugin's own CreatePost gets."""
    register(quiet_host, "announce")
    answer(quiet_host, rem.CommandResponse(response_type="in_channel", text="hello all"))
    assert not run(quiet_host, "/announce").error.id
    (posted,) = quiet_host.hooks.named("MessageHasBeenPosted")
    assert (posted.post.user_id, posted.post.message) == (quiet_host.user("alice"), "hello all")
    assert posted.post.channel_id == quiet_host.info.channels["town-square"]
    assert "from_plugin" not in posted.post.props


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).CreateCommandPost")
def test_an_answer_without_type_is_ephemeral_and_other_types_post_nothing(
    quiet_host: Host,
) -> None:
    """An answer without response_type (or ``ephemeral``) with text is an ephemeral post to
    the user; an unknown response_type posts nothing and is not an error."""
    register(quiet_host, "private")
    answer(quiet_host, rem.CommandResponse(text="just you"))
    run(quiet_host, "/private")
    assert [p["post"]["message"] for k, p in quiet_host.emitted if k == "ephemeral_post"] == [
        "just you"
    ]
    quiet_host.emitted.clear()
    answer(quiet_host, rem.CommandResponse(response_type="shout", text="lost"))
    assert not run(quiet_host, "/private").error.id
    assert quiet_host.emitted == [] and quiet_host.hooks.named("MessageHasBeenPosted") == []


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).HandleCommandResponse")
def test_an_answer_to_a_channel_the_user_is_not_in_fails(quiet_host: Host) -> None:
    """An answer naming a channel the user is not a member of is not posted: the call fails
    with 500 `api.command.execute_command.create_post_failed.app_error`."""
    register(quiet_host, "elsewhere")
    secret = quiet_host.info.channels["secret-plans"]
    answer(quiet_host, rem.CommandResponse(response_type="in_channel", text="x", channel_id=secret))
    err = run(quiet_host, "/elsewhere", user="bob").error
    assert (err.status_code, err.id) == (
        500,
        "api.command.execute_command.create_post_failed.app_error",
    )
    assert quiet_host.hooks.named("MessageHasBeenPosted") == []


GRPC_COMMAND = (
    "server/public/plugin/hooks_grpc_client.go: commandResponseFromProto; "
    f"{COMMAND_GO}: (*App).CreateCommandPost"
)


@pytest.mark.parity("ExecuteSlashCommand", GRPC_COMMAND)
def test_the_post_type_of_an_answer_does_not_reach_the_server(quiet_host: Host) -> None:
    """The ``type`` of a Python plugin's answer is dropped on the way to the server: an
    ``in_channel`` answer of type ``custom_poll`` (or even ``system_join``) is posted as a
    plain post, and the caller gets the answer without it."""
    register(quiet_host, "typed")
    for kind in ("custom_poll", "system_join"):
        quiet_host.hooks.fired.clear()
        answer(quiet_host, rem.CommandResponse(response_type="in_channel", text="x", type=kind))
        rsp = run(quiet_host, "/typed")
        assert not rsp.error.id and rsp.response.type == ""
        (posted,) = quiet_host.hooks.named("MessageHasBeenPosted")
        assert posted.post.type == ""


@pytest.mark.parity("ExecuteSlashCommand", GRPC_COMMAND)
def test_attachments_of_an_answer_do_not_reach_the_server(quiet_host: Host) -> None:
    """The ``attachments`` of a Python plugin's answer are dropped on the way to the server:
    an ephemeral answer with attachments but no text sends nothing."""
    register(quiet_host, "cards")
    answer(quiet_host, rem.CommandResponse(attachments=[rem.CommandResponse(text="card")]))
    rsp = run(quiet_host, "/cards")
    assert not rsp.error.id and not rsp.response.attachments
    assert [k for k, _ in quiet_host.emitted if k == "ephemeral_post"] == []


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).ExecuteCommand")
def test_the_answer_carries_a_trigger_id(quiet_host: Host) -> None:
    """The answer returned to the caller carries the client part of the trigger id the plugin
    received."""
    register(quiet_host, "dialog")
    answer(quiet_host, rem.CommandResponse(text="ok"))
    rsp = run(quiet_host, "/dialog")
    (request,) = quiet_host.hooks.named("ExecuteCommand")
    assert rsp.response.trigger_id and request.args.trigger_id.startswith(rsp.response.trigger_id)


@pytest.mark.parity("ExecuteSlashCommand", f"{COMMAND_GO}: (*App).ExecuteCommand")
def test_a_plugin_answer_without_a_response_falls_through_to_not_found(quiet_host: Host) -> None:
    """A plugin that answers neither a response nor an error leaves the line to custom and
    built-in commands: here a 404 not found."""
    register(quiet_host, "silent")
    answer(quiet_host)
    err = run(quiet_host, "/silent").error
    assert (err.status_code, err.id) == (404, "api.command.execute_command.not_found.app_error")


# -- server-owned commands --------------------------------------------------------------------
def create(host: Host, trigger: str, **fields: Any) -> rem.Command:
    cmd = new_command(host, trigger, **fields)
    rsp = host.api.CreateCommand(rem.CreateCommandRequest(cmd=cmd))
    assert not rsp.error.id, rsp.error
    return rsp.command


def new_command(host: Host, trigger: str, **fields: Any) -> rem.Command:
    values: dict[str, Any] = {
        "team_id": host.info.teams["acme"],
        "trigger": trigger,
        "url": "https://example.com/hook",
        "method": "P",
    }
    values.update(fields)
    return rem.Command(**values)


def create_error(host: Host, trigger: str, **fields: Any) -> tuple[int, str]:
    err = host.api.CreateCommand(
        rem.CreateCommandRequest(cmd=new_command(host, trigger, **fields))
    ).error
    return err.status_code, err.id


@pytest.mark.parity("CreateCommand", f"{PLUGIN_API}: (*PluginAPI).CreateCommand; {COMMAND_MODEL}")
def test_create_command_belongs_to_the_plugin(host: Host) -> None:
    """A created command has a lower-cased trigger, no creator, the calling plugin's id, a
    26-character token and its times set."""
    made = create(host, "MakeIt")
    assert (made.trigger, made.creator_id, made.plugin_id) == ("makeit", "", PLUGIN_ID)
    assert len(made.token) == 26 and made.create_at == made.update_at > 0


@pytest.mark.parity("CreateCommand", f"{COMMAND_GO}: (*App).validateCommandTriggerUniqueness")
def test_create_command_refuses_a_built_in_or_taken_trigger(host: Host) -> None:
    """A built-in's trigger or one another custom command of the team has is a 400
    `api.command.duplicate_trigger.app_error`."""
    create(host, "taken")
    for trigger in ("join", "TAKEN"):
        assert create_error(host, trigger) == (400, "api.command.duplicate_trigger.app_error")


@pytest.mark.parity("CreateCommand", f"{COMMAND_GO}: (*App).validateCommandTriggerUniqueness")
def test_create_command_may_take_a_plugin_registered_trigger(host: Host) -> None:
    """Plugin-registered commands do not block a custom command with the same trigger."""
    register(host, "bothkinds")
    assert create(host, "bothkinds").trigger == "bothkinds"


@pytest.mark.parity("CreateCommand", f"{COMMAND_STORE}: (SqlCommandStore).Save")
def test_create_command_with_an_id_is_a_plain_error(host: Host) -> None:
    """A command that already has an id is refused by the store with a plain Go error."""
    assert create_error(host, "withid", id="a" * 26) == (500, PLAIN)


@pytest.mark.parity("CreateCommand", COMMAND_MODEL)
def test_create_command_needs_a_valid_team_id_but_not_an_existing_team(host: Host) -> None:
    """The team id must look like an id (400 `model.command.is_valid.team_id.app_error`); the
    team itself is not looked up."""
    assert create_error(host, "noteam", team_id="acme") == (
        400,
        "model.command.is_valid.team_id.app_error",
    )
    assert create(host, "ghostteam", team_id="g" * 26).team_id == "g" * 26


@pytest.mark.parity("CreateCommand", COMMAND_MODEL)
def test_create_command_checks_the_trigger(host: Host) -> None:
    """A trigger with a space, a leading slash or more than 128 bytes is a 400
    `model.command.is_valid.trigger.app_error`."""
    for bad in ("two words", "/slash", "é" * 65):
        assert create_error(host, bad) == (400, "model.command.is_valid.trigger.app_error"), bad


@pytest.mark.parity("CreateCommand", COMMAND_MODEL)
def test_create_command_checks_url_and_method(host: Host) -> None:
    """No URL is `url`, a URL that is not http(s) is `url_http`, a method other than P or G is
    `method` (all 400)."""
    assert create_error(host, "u1", url="") == (400, "model.command.is_valid.url.app_error")
    assert create_error(host, "u2", url="ftp://example.com") == (
        400,
        "model.command.is_valid.url_http.app_error",
    )
    assert create_error(host, "u3", method="POST") == (
        400,
        "model.command.is_valid.method.app_error",
    )


@pytest.mark.parity("CreateCommand", COMMAND_MODEL)
def test_create_command_limits_display_name_and_description_only(host: Host) -> None:
    """The display name may have 64 bytes and the description 128; username and auto-complete
    texts have no limit."""
    assert create_error(host, "d1", display_name="x" * 65) == (
        400,
        "model.command.is_valid.display_name.app_error",
    )
    assert create_error(host, "d2", description="x" * 129) == (
        400,
        "model.command.is_valid.description.app_error",
    )
    made = create(host, "d3", username="u" * 200, auto_complete_desc="d" * 2000)
    assert len(made.username) == 200


@pytest.mark.parity("GetCommand", f"{PLUGIN_API}: (*PluginAPI).GetCommand; {COMMAND_STORE}: Get")
def test_get_command_of_a_missing_or_deleted_command_is_a_plain_error(host: Host) -> None:
    """GetCommand of an unknown or deleted id is the store's plain not-found error (not a
    404 AppError)."""
    made = create(host, "shortlived")
    host.api.DeleteCommand(rem.DeleteCommandRequest(command_id=made.id))
    for command_id in (made.id, "z" * 26):
        err = host.api.GetCommand(rem.GetCommandRequest(command_id=command_id)).error
        assert (err.status_code, err.id) == (500, PLAIN)


@pytest.mark.parity("UpdateCommand", f"{PLUGIN_API}: (*PluginAPI).UpdateCommand")
def test_update_command_of_a_missing_command_is_a_plain_error(host: Host) -> None:
    """Updating an unknown command id is the store's plain not-found error."""
    rsp = host.api.UpdateCommand(
        rem.UpdateCommandRequest(command_id="z" * 26, updated_cmd=new_command(host, "x"))
    )
    assert (rsp.error.status_code, rsp.error.id) == (500, PLAIN)


@pytest.mark.parity("UpdateCommand", f"{PLUGIN_API}: (*PluginAPI).UpdateCommand")
def test_update_command_takes_the_new_fields_and_keeps_identity(host: Host) -> None:
    """An update keeps id, token and create_at, lower-cases the trigger, may move the command
    to another team, and makes the calling plugin its owner."""
    made = create(host, "tomove")
    change = new_command(host, "Moved", team_id="m" * 26, plugin_id="someone.else")
    upd = host.api.UpdateCommand(
        rem.UpdateCommandRequest(command_id=made.id, updated_cmd=change)
    ).command
    assert (upd.id, upd.token, upd.create_at) == (made.id, made.token, made.create_at)
    assert (upd.trigger, upd.team_id, upd.plugin_id) == ("moved", "m" * 26, PLUGIN_ID)


@pytest.mark.parity("UpdateCommand", f"{PLUGIN_API}: (*PluginAPI).UpdateCommand")
def test_update_command_does_not_check_for_a_duplicate_trigger(host: Host) -> None:
    """UpdateCommand may give a command the trigger of another of the team's commands (only
    CreateCommand checks)."""
    create(host, "original")
    other = create(host, "renameme")
    upd = host.api.UpdateCommand(
        rem.UpdateCommandRequest(command_id=other.id, updated_cmd=new_command(host, "original"))
    )
    assert not upd.error.id and upd.command.trigger == "original"


@pytest.mark.parity("UpdateCommand", f"{COMMAND_STORE}: (SqlCommandStore).Update; {COMMAND_MODEL}")
def test_update_command_validates_the_result(host: Host) -> None:
    """The updated command is validated like a new one (e.g. no method: 400
    `model.command.is_valid.method.app_error`)."""
    made = create(host, "tobreak")
    rsp = host.api.UpdateCommand(
        rem.UpdateCommandRequest(command_id=made.id, updated_cmd=new_command(host, "x", method=""))
    )
    assert (rsp.error.status_code, rsp.error.id) == (400, "model.command.is_valid.method.app_error")


@pytest.mark.parity(
    "DeleteCommand", f"{PLUGIN_API}: (*PluginAPI).DeleteCommand; {COMMAND_STORE}: Delete"
)
def test_delete_command_of_an_unknown_id_is_not_an_error(host: Host) -> None:
    """Deleting an unknown command id succeeds (the store updates no row and says nothing)."""
    assert not host.api.DeleteCommand(rem.DeleteCommandRequest(command_id="q" * 26)).error.id


@pytest.mark.parity("DeleteCommand", f"{COMMAND_STORE}: Delete, GetByTeam")
def test_a_deleted_command_is_unlisted_and_frees_its_trigger(host: Host) -> None:
    """A deleted command leaves ListCustomCommands and its trigger can be created again."""
    made = create(host, "recycle")
    host.api.DeleteCommand(rem.DeleteCommandRequest(command_id=made.id))
    custom = host.api.ListCustomCommands(
        rem.ListCustomCommandsRequest(team_id=host.info.teams["acme"])
    ).commands
    assert made.id not in [c.id for c in custom]
    assert create(host, "recycle").id != made.id
