"""`mmplug fire` end to end: a real plugin process, real gRPC, the CLI's output and exit codes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from plugin_projects import write_plugin_project

Cli = Callable[..., subprocess.CompletedProcess[str]]


def fire_json(cli: Cli, plugin: Path, *args: str) -> tuple[int, dict]:
    result = cli("fire", *args, "--format", "json", cwd=plugin)
    assert result.stdout.strip(), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_execute_command_shortcut_shows_response_api_calls_and_logs(
    cli: Cli, parrot_plugin: Path
) -> None:
    code, doc = fire_json(cli, parrot_plugin, "ExecuteCommand", "/parrot hi there")
    assert code == 0 and doc["ok"] is True
    assert doc["request"]["args"]["command"] == "/parrot hi there"
    assert doc["response"]["response"] == {"response_type": "ephemeral",
                                           "text": "repeated 8 characters"}
    methods = [c["method"] for c in doc["api_calls"]]
    assert "GetUser" in methods and "CreatePost" in methods
    post = next(c for c in doc["api_calls"] if c["method"] == "CreatePost")
    assert post["request"]["post"]["message"] == "Hello @alice: hi there"
    assert doc["duration_s"] > 0


def test_execute_command_defaults_to_the_registered_command(cli: Cli, parrot_plugin: Path
                                                            ) -> None:
    code, doc = fire_json(cli, parrot_plugin, "ExecuteCommand")
    assert code == 0
    assert doc["request"]["args"]["command"] == "/parrot"


def test_a_rejected_post_is_a_result_not_a_failure(cli: Cli, parrot_plugin: Path) -> None:
    result = cli("fire", "message_will_be_posted", "--message", "a badword here",
                    cwd=parrot_plugin)
    assert result.returncode == 0, result.stderr
    assert "rejected: Message blocked: contains prohibited content" in result.stdout
    assert "rejected a post" in result.stdout  # the plugin's log line


def test_as_user_and_channel_shape_the_payload(cli: Cli, parrot_plugin: Path) -> None:
    code, doc = fire_json(cli, parrot_plugin, "ExecuteCommand", "/parrot x", "--as", "bob",
                          "--channel", "off-topic")
    assert code == 0
    user = next(c for c in doc["api_calls"] if c["method"] == "GetUser")
    assert user["response"]["user"]["username"] == "bob"


def test_set_and_json_override_fields(cli: Cli, parrot_plugin: Path) -> None:
    code, doc = fire_json(cli, parrot_plugin, "MessageWillBePosted", "--json",
                          '{"post": {"message": "badword"}}', "--set", "post.props.k=v")
    assert code == 0
    assert doc["request"]["post"]["props"] == {"k": "v"}
    assert doc["response"]["rejection_reason"]


def test_serve_http_shortcut(cli: Cli, parrot_plugin: Path) -> None:
    code, doc = fire_json(cli, parrot_plugin, "ServeHTTP", "GET", "/status")
    assert code == 0
    assert doc["http"]["status"] == 200
    assert json.loads(doc["http"]["body"])["posts"] == 0


def test_on_activate_reports_the_activation(cli: Cli, parrot_plugin: Path) -> None:
    code, doc = fire_json(cli, parrot_plugin, "OnActivate")
    assert code == 0
    assert [c["method"] for c in doc["api_calls"]] == ["EnsureBotUser", "RegisterCommand"]
    assert any(r["message"] == "activated" for r in doc["logs"])


def test_hook_that_raises_exits_1(cli: Cli, parrot_plugin: Path) -> None:
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace(
        'text = args.command.partition(" ")[2].strip()', 'raise RuntimeError("kaput")'))
    result = cli("fire", "ExecuteCommand", "/parrot x", cwd=parrot_plugin)
    assert result.returncode == 1
    assert "kaput" in result.stdout


def test_usage_errors_exit_2_with_a_clear_message(cli: Cli, parrot_plugin: Path) -> None:
    typo = cli("fire", "MessageWillBePostd", cwd=parrot_plugin)
    assert typo.returncode == 2 and "did you mean MessageWillBePosted" in typo.stderr
    missing = cli("fire", "UserHasBeenCreated", cwd=parrot_plugin)
    assert missing.returncode == 2
    assert "does not implement UserHasBeenCreated" in missing.stderr
    assert "ExecuteCommand" in missing.stderr  # lists what it does implement
    field = cli("fire", "MessageWillBePosted", "--set", "post.mesage=x", cwd=parrot_plugin)
    assert field.returncode == 2 and "post.mesage" in field.stderr
    wrong = cli("fire", "MessageWillBePosted", "--json", '{"post": {"create_at": "x"}}',
                   cwd=parrot_plugin)
    assert wrong.returncode == 2 and "'post.create_at' wants an integer" in wrong.stderr
    nowhere = cli("fire", "OnActivate", "./no-such-plugin", cwd=parrot_plugin)
    assert nowhere.returncode == 2
    assert "there is no directory ./no-such-plugin" in nowhere.stderr
    for result in (typo, missing, field, wrong, nowhere):
        assert "Traceback" not in result.stderr + result.stdout


def test_no_hook_without_a_terminal_is_a_usage_error(cli: Cli, parrot_plugin: Path) -> None:
    result = cli("fire", cwd=parrot_plugin)
    assert result.returncode == 2 and "no HOOK given" in result.stderr
    # the project's folder in the hook's place is the project (the picker's on a terminal)
    named = cli("fire", parrot_plugin.name, cwd=parrot_plugin.parent)
    assert named.returncode == 2 and "no HOOK given" in named.stderr


@pytest.mark.parametrize(("code", "says"), [
    ("import os; self.api.get_user(args.user_id); os._exit(3)", "exited"),
    ("import time; self.api.get_user(args.user_id); time.sleep(5)",
     "did not answer within 1 s"),
])
def test_crash_and_timeout_exit_1_with_a_clear_message(cli: Cli, parrot_plugin: Path,
                                                       code: str, says: str) -> None:
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace(
        'text = args.command.partition(" ")[2].strip()', code))
    result = cli("fire", "ExecuteCommand", "/parrot x", "--hook-timeout", "1", cwd=parrot_plugin)
    assert result.returncode == 1
    assert says in result.stdout.lower(), result.stdout + result.stderr
    assert "hint:" in result.stdout
    assert "GetUser" in result.stdout  # the API call it made before it broke
    assert "Traceback" not in result.stderr


def test_bad_user_fails_before_any_launch(cli: Cli, parrot_plugin: Path) -> None:
    (parrot_plugin / "plugin.py").write_text("raise SystemExit('must not start')\n")
    result = cli("fire", "MessageWillBePosted", "--as", "carol", cwd=parrot_plugin)
    assert result.returncode == 2
    assert "no user 'carol'" in result.stderr and "alice" in result.stderr


def test_a_record_path_that_cannot_be_a_cassette_is_refused_before_firing(
    cli: Cli, parrot_plugin: Path
) -> None:
    (parrot_plugin / "notes.txt").write_text("a file")
    for record, says in ((parrot_plugin, f"--record: {parrot_plugin} is a directory"),
                         (parrot_plugin / "notes.txt" / "x.jsonl",
                          f"--record: {parrot_plugin / 'notes.txt'} is not a directory")):
        result = cli("fire", "OnActivate", "--record", str(record), cwd=parrot_plugin)
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: {says}\nhint: ")
        assert result.stdout == ""  # nothing was fired
    made = parrot_plugin / "recordings" / "new" / "on.jsonl"  # missing folders are made
    assert cli("fire", "OnActivate", "--record", str(made), cwd=parrot_plugin).returncode == 0
    assert made.read_text().count("\n") == 2  # header and the call


HTTP_PLUGIN = Path(__file__).resolve().parents[1] / "devloop" / "http_plugin.py"


@pytest.fixture()
def echo_plugin(tmp_path: Path) -> Path:
    """The front door tests' HTTP plugin: POST /echo answers the sizes and digest of the body."""
    return write_plugin_project(tmp_path / "echo", "com.example.echo", HTTP_PLUGIN)


def test_serve_http_answer_is_read_as_a_client_of_the_server(cli: Cli, echo_plugin: Path
                                                             ) -> None:
    """(*hooksGRPCClient).receiveHTTPResponse (server/public/plugin/hooks_grpc_client.go) into
    Go's net/http: fire shows the answer a client gets, a small one with its Content-Length
    and sniffed Content-Type, a 204's without the body the plugin wrote."""
    http = fire_json(cli, echo_plugin, "ServeHTTP", "GET", "/small")[1]["http"]
    assert ["Content-Length", "5"] in http["headers"]
    assert ["Content-Type", "text/plain; charset=utf-8"] in http["headers"]
    http = fire_json(cli, echo_plugin, "ServeHTTP", "GET", "/no-body?code=204")[1]["http"]
    assert (http["status"], http["body"]) == (204, "")


def test_serve_http_data_from_a_file_or_stdin_arrives_byte_for_byte(
    cli: Cli, echo_plugin: Path
) -> None:
    import hashlib
    import sys

    body = bytes(range(256)) * 1200 + b"\x00end"  # 300 KiB and a bit: several 64 KiB chunks
    (echo_plugin / "body.bin").write_bytes(body)
    code, doc = fire_json(cli, echo_plugin, "ServeHTTP", "POST", "/echo", "--data", "@body.bin")
    assert code == 0, doc
    seen = json.loads(doc["http"]["body"])
    assert seen["total"] == len(body) and seen["sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["sizes"][:-1] == [65536] * (len(seen["sizes"]) - 1)

    piped = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "ServeHTTP", "POST", "/echo",
         "--data", "@-", "--format", "json", "--python", sys.executable],
        cwd=echo_plugin, input=body, capture_output=True, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(json.loads(piped.stdout)["http"]["body"])["sha256"] == seen["sha256"]

    literal = json.loads(fire_json(cli, echo_plugin, "ServeHTTP", "POST", "/echo", "--data",
                                   "plain text")[1]["http"]["body"])
    assert literal["total"] == len("plain text")

    missing = cli("fire", "ServeHTTP", "POST", "/echo", "--data", "@nope.bin", cwd=echo_plugin)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: --data: cannot read nope.bin: No such file")


@pytest.mark.parametrize(("hook", "option", "says"), [
    ("ExecuteCommand", ["--data", "hello"], "--data is an HTTP request's body"),
    ("MessageWillBePosted", ["-H", "X-Token: 1"], "--header is an HTTP request's header"),
])
def test_http_options_on_a_hook_without_a_request_are_refused(
    cli: Cli, parrot_plugin: Path, hook: str, option: list[str], says: str,
) -> None:
    """--data and --header with a hook that has no HTTP request are an error, not ignored."""
    result = cli("fire", hook, *option, cwd=parrot_plugin)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"error: {says}: {hook} has no HTTP request\nhint: "), \
        result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def world_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local target on the parrot plugin's default world (its plugin is not started)."""
    import shutil
    import sys

    from mmplug.fire.local import LocalTarget

    folder = tmp_path_factory.mktemp("world") / "parrot"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin", folder)
    with LocalTarget(folder, python=sys.executable) as target:
        yield target


@pytest.mark.parametrize(("key", "option", "value"), [
    ("as_user", "--as", "bob"), ("channel", "--channel", "off-topic")])
def test_as_and_channel_go_only_with_hooks_whose_request_carries_them(
    world_target: Any, key: str, option: str, value: str,
) -> None:
    """For every hook, --as (--channel) either changes the user (channel) of the request or
    is refused, naming the hook and the options it takes; it is never silently ignored."""
    from mmplug.errors import UsageError
    from mmplug.fire import FirePlan, build_request
    from mmplug.protocol.catalog import HOOKS

    refused, taken = [], []
    for spec in HOOKS:
        if spec.go_name == "Implemented":
            continue
        rest = ["/parrot"] if spec.go_name == "ExecuteCommand" else []
        plain = build_request(world_target, spec, rest, FirePlan(spec.go_name))
        try:
            given = build_request(world_target, spec, rest,
                                  FirePlan(spec.go_name, **{key: value}))
        except UsageError as exc:
            assert exc.message.startswith(f"{option} picks the "), exc.message
            assert f": {spec.go_name}'s request has no " in exc.message
            assert exc.hint.startswith(f"{spec.go_name} takes "), exc.hint
            refused.append(spec.go_name)
            continue
        assert given != plain, f"{option} {value} changed nothing in {spec.go_name}'s request"
        taken.append(spec.go_name)
    assert "OnActivate" in refused and "MessageWillBePosted" in taken
    assert ("ServeHTTP" in taken) == (option == "--as")  # a logged-in user, no channel


def test_as_on_a_hook_without_a_user_is_refused_naming_what_it_takes(
        cli: Cli, parrot_plugin: Path) -> None:
    """`mmplug fire OnActivate --as bob` says OnActivate has no user and takes none of the
    request-shaping options, instead of firing as if --as had not been given."""
    result = cli("fire", "OnActivate", "--as", "bob", cwd=parrot_plugin)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(
        "error: --as picks the user who acts: OnActivate's request has no user\n"
        "hint: OnActivate takes none of --as, --channel, --message, --data, --header; its "
        "fields go in --set or --json"), result.stderr
    channel = cli("fire", "ServeHTTP", "--channel", "off-topic", cwd=parrot_plugin)
    assert channel.returncode == 2, channel.stdout
    assert "hint: ServeHTTP takes --as, --data, --header;" in channel.stderr


def test_stubs_in_the_project_file_answer_the_plugin(cli: Cli, parrot_plugin: Path) -> None:
    """A response in mmplug.stubs.json next to plugin.json wins over the emulation."""
    (parrot_plugin / "mmplug.stubs.json").write_text(
        json.dumps({"GetUser": {"user": {"id": "x" * 26, "username": "stubbed"}}}))
    code, doc = fire_json(cli, parrot_plugin, "ExecuteCommand", "/parrot hi")
    assert code == 0, doc
    post = next(c for c in doc["api_calls"] if c["method"] == "CreatePost")
    assert post["request"]["post"]["message"] == "Hello @stubbed: hi"


@pytest.mark.parametrize(("content", "said"), [
    ("{nope", "invalid JSON at line 1"),
    ('{"GetUsr": {}}', "not a PluginAPI method"),
    ('{"GetUser": {"user": {"username": 5, "nope": 1}}}', "GetUser: not a GetUserResponse"),
])
def test_a_bad_stubs_file_is_refused_naming_the_file(cli: Cli, parrot_plugin: Path,
                                                     content: str, said: str) -> None:
    (parrot_plugin / "mmplug.stubs.json").write_text(content)
    result = cli("fire", "OnActivate", cwd=parrot_plugin)
    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "mmplug.stubs.json" in out and said in out and "Traceback" not in out


@pytest.mark.parametrize("hook", ["OnActivate", "ExecuteCommand", "ServeHTTP"])
def test_message_on_a_hook_without_a_post_is_refused(cli: Cli, parrot_plugin: Path,
                                                     hook: str) -> None:
    """--message with a hook whose request has no post is an error, not ignored."""
    result = cli("fire", hook, "-m", "hi", cwd=parrot_plugin)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith(f"error: --message is a post's text: {hook} has no post\n"
                                    "hint: "), result.stderr
    assert "Traceback" not in result.stderr



def test_serve_http_is_cleaned_as_the_server_cleans_it(cli: Cli, echo_plugin: Path) -> None:
    """servePluginRequest (server/channels/app/plugin_requests.go) with Go's net/http: fire's
    request arrives as the front door's would, header keys canonical and the length of the
    --data body (0 without one)."""
    literal = json.loads(fire_json(cli, echo_plugin, "ServeHTTP", "POST", "/echo?b=1&a=2",
                                   "--data", "plain text", "--header", "x-thing: 1"
                                   )[1]["http"]["body"])
    assert literal["content_length"] == len("plain text")
    assert literal["headers"]["X-Thing"] == ["1"]
    assert literal["url"] == "/echo?a=2&b=1"
    assert literal["request_uri"] == "/plugins/com.example.echo/echo?b=1&a=2"
    empty = json.loads(fire_json(cli, echo_plugin, "ServeHTTP", "GET", "/echo")[1]["http"]["body"])
    assert empty["content_length"] == 0 and empty["user"]


def test_serve_http_is_signed_in_by_the_token_it_carries(echo_plugin: Path) -> None:
    """servePluginRequest (server/channels/app/plugin_requests.go): fire ServeHTTP with a
    session token (--header 'Authorization: Bearer ...') is made as the session's user, one
    with a token that finds no session anonymously with its Authorization; --as or a
    Mattermost-User-Id header still names the user."""
    import sys

    from mmplug.fire import FirePlan, build_request, send
    from mmplug.fire.local import LocalTarget
    from mmplug.host.api.users_sessions import create_session
    from mmplug.protocol import api_user_team_pb2 as pb
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    spec = HOOKS_BY_GO_NAME["ServeHTTP"]
    with LocalTarget(echo_plugin, python=sys.executable) as target:
        bob = target.session.user_named("bob")[0]
        token = create_session(target.session.host_context(), pb.CreateSessionRequest(
            session=pb.Session(user_id=bob))).session.token

        def seen(*headers: str, as_user: str | None = None, path: str = "/echo") -> Any:
            plan = FirePlan("ServeHTTP", headers=[(h.partition(":")[0], h.partition(":")[2]
                                                   .strip()) for h in headers],
                            as_user=as_user)
            event = send(target, spec, build_request(target, spec, ["GET", path], plan))
            return json.loads(event.http["body"])

        signed = seen(f"Authorization: Bearer {token}")
        assert signed["user"] == bob and "Authorization" not in signed["headers"]
        assert seen(path=f"/echo?access_token={token}")["user"] == bob
        unknown = seen("Authorization: Bearer nosuchtoken")
        assert unknown["user"] == "" and unknown["headers"]["Authorization"] == [
            "Bearer nosuchtoken"]
        alice = target.session.user_named("alice")[0]
        assert seen(f"Authorization: Bearer {token}", as_user="alice")["user"] == alice
        assert seen(f"Authorization: Bearer {token}", f"Mattermost-User-Id: {alice}"
                    )["user"] == alice
        assert seen()["user"] == alice  # the current user, without a token
