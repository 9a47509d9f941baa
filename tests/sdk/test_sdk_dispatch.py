"""Hooks reach the plugin over real gRPC; returns and errors come back as the server expects."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from sdk_support import hooks_server

from mmplug.protocol import api_remaining_pb2, post_pb2
from mmplug.sdk import Plugin, hook


class Recorder(Plugin):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def on_configuration_change(self) -> None:
        self.calls.append("config")

    def on_activate(self) -> None:
        self.calls.append("activate")

    def message_will_be_posted(self, context: Any, post: Any) -> Any:
        self.calls.append(f"session={context.session_id}")
        word = post.message
        if word == "reject":
            return "not allowed"
        if word == "modify":
            return post_pb2.Post(message="modified", id=post.id)
        if word == "tuple":
            return (None, "tuple reason")
        if word == "dict":
            return {"message": "from dict"}
        if word == "boom":
            raise RuntimeError("boom")
        if word == "value":
            raise ValueError("bad post")
        if word == "perm":
            raise PermissionError("nope")
        if word == "lookup":
            raise KeyError("missing")
        if word == "todo":
            raise NotImplementedError("later")
        if word == "weird":
            return 42
        return None

    async def message_will_be_updated(self, context: Any, new_post: Any, old_post: Any) -> Any:
        await asyncio.sleep(0)
        return post_pb2.Post(message=f"{old_post.message}->{new_post.message}")

    @hook("ExecuteCommand")
    def command(self, context: Any, args: Any) -> Any:
        if args.command == "/text":
            return "ephemeral text"
        if args.command == "/dict":
            return {"response_type": "in_channel", "text": "hi", "props": {"a": 1}}
        return api_remaining_pb2.CommandResponse(text="proto")

    def run_data_retention(self, now_time: int, batch_size: int) -> int:
        return now_time + batch_size

    def notification_will_be_pushed(self, push_notification: Any, user_id: str) -> Any:
        return f"blocked for {user_id}"


def test_implemented_returns_sorted_go_names() -> None:
    with hooks_server(Recorder()) as call:
        assert list(call("Implemented").hooks) == [
            "ExecuteCommand", "MessageWillBePosted", "MessageWillBeUpdated",
            "NotificationWillBePushed", "OnActivate", "OnConfigurationChange",
            "RunDataRetention",
        ]


def test_on_activate_runs_configuration_change_first() -> None:
    plugin = Recorder()
    with hooks_server(plugin) as call:
        response = call("OnActivate")
    assert not response.HasField("error")
    assert plugin.calls == ["config", "activate"]


@pytest.mark.parametrize(
    ("message", "modified", "reason"),
    [
        ("fine", None, ""),
        ("reject", None, "not allowed"),
        ("modify", "modified", ""),
        ("tuple", None, "tuple reason"),
        ("dict", "from dict", ""),
    ],
)
def test_message_will_be_posted_return_forms(message: str, modified: str | None,
                                             reason: str) -> None:
    plugin = Recorder()
    with hooks_server(plugin) as call:
        response = call(
            "MessageWillBePosted",
            plugin_context={"session_id": "s1"},
            post=post_pb2.Post(id="p1", message=message),
        )
    assert response.rejection_reason == reason
    assert response.HasField("modified_post") == (modified is not None)
    if modified is not None:
        assert response.modified_post.message == modified
    assert plugin.calls == ["session=s1"]


def test_async_handler_with_two_entities() -> None:
    with hooks_server(Recorder()) as call:
        response = call("MessageWillBeUpdated", new_post={"message": "b"},
                        old_post={"message": "a"})
    assert response.modified_post.message == "a->b"


@pytest.mark.parametrize(
    ("message", "code", "text"),
    [
        ("boom", grpc.StatusCode.INTERNAL, "Hook execution failed: RuntimeError: boom"),
        ("value", grpc.StatusCode.INVALID_ARGUMENT, "bad post"),
        ("perm", grpc.StatusCode.PERMISSION_DENIED, "nope"),
        ("lookup", grpc.StatusCode.INTERNAL, "Hook execution failed: KeyError: 'missing'"),
        ("todo", grpc.StatusCode.UNIMPLEMENTED, "later"),
        ("weird", grpc.StatusCode.INTERNAL, "returned int"),
    ],
)
def test_hook_exceptions_become_grpc_status(message: str, code: grpc.StatusCode,
                                            text: str) -> None:
    with hooks_server(Recorder()) as call, pytest.raises(grpc.RpcError) as info:
        call("MessageWillBePosted", post={"message": message})
    assert info.value.code() == code
    assert text in info.value.details()


def test_lifecycle_exception_travels_as_app_error() -> None:
    class Failing(Plugin):
        def on_activate(self) -> None:
            raise RuntimeError("boom")

        def on_deactivate(self) -> str:
            return "could not stop"

    with hooks_server(Failing()) as call:
        error = call("OnActivate").error
        assert error.id == "plugin.on_activate.error"
        assert error.status_code == 500
        assert error.where == "OnActivate"
        assert error.message == "Hook 'OnActivate' raised RuntimeError: boom"
        # the server reads the detailed error, not the message
        assert error.detailed_error == "Hook 'OnActivate' raised RuntimeError: boom"
        assert call("OnDeactivate").error.id == "plugin.on_deactivate.error"


def test_configuration_change_failure_stops_activation() -> None:
    class Failing(Plugin):
        activated = False

        def on_configuration_change(self) -> None:
            raise ValueError("bad setting")

        def on_activate(self) -> None:
            type(self).activated = True

    with hooks_server(Failing()) as call:
        error = call("OnActivate").error
    assert error.id == "plugin.on_configuration_change.error"
    assert "ValueError: bad setting" in error.message
    assert not Failing.activated


@pytest.mark.parametrize(
    ("command", "response_type", "text"),
    [("/text", "ephemeral", "ephemeral text"), ("/dict", "in_channel", "hi"),
     ("/proto", "", "proto")],
)
def test_execute_command_return_forms(command: str, response_type: str, text: str) -> None:
    with hooks_server(Recorder()) as call:
        response = call("ExecuteCommand", args={"command": command})
    assert not response.HasField("error")
    assert response.response.response_type == response_type
    assert response.response.text == text


def test_scalar_parameters_and_results() -> None:
    with hooks_server(Recorder()) as call:
        assert call("RunDataRetention", now_time=1000, batch_size=5).deleted_count == 1005
        response = call("NotificationWillBePushed", user_id="u1")
        assert response.rejection_reason == "blocked for u1"


def test_unimplemented_hook_is_unimplemented_and_named() -> None:
    with hooks_server(Recorder()) as call, pytest.raises(grpc.RpcError) as info:
        call("UserHasBeenCreated", user={"username": "x"})
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "UserHasBeenCreated" in info.value.details()


def test_hook_exception_is_logged_with_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with hooks_server(Recorder()) as call, pytest.raises(grpc.RpcError):
        call("MessageWillBePosted", post={"message": "boom"})
    record = next(r for r in caplog.records if "MessageWillBePosted" in r.getMessage())
    assert record.exc_info is not None


def test_none_from_messages_will_be_consumed_keeps_the_posts() -> None:
    class Filter(Plugin):
        def messages_will_be_consumed(self, posts: list[Any]) -> Any:
            if len(posts) == 3:
                return [p for p in posts if p.message != "secret"]
            return None

    with hooks_server(Filter()) as call:
        two = [{"id": "a", "message": "x"}, {"id": "b", "message": "y"}]
        assert [p.id for p in call("MessagesWillBeConsumed", posts=two).posts] == ["a", "b"]
        three = [*two, {"id": "c", "message": "secret"}]
        assert [p.id for p in call("MessagesWillBeConsumed", posts=three).posts] == ["a", "b"]
