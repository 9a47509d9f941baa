"""The API client against a real in-test PluginAPI gRPC server."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from sdk_fakeapi import FakeAPI, api_server

from mmplug.sdk import (
    AlreadyExistsError,
    APIClient,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedAPIError,
    PermissionDeniedError,
    PluginAPIError,
    PluginError,
    UnavailableError,
    ValidationError,
)
from mmplug.sdk._proto import message_class


@pytest.fixture
def api() -> Iterator[tuple[APIClient, FakeAPI]]:
    with api_server() as (address, fake):
        client = APIClient(address)
        try:
            yield client, fake
        finally:
            client.close()


def test_kv_round_trip(api: tuple[APIClient, FakeAPI]) -> None:
    client, fake = api
    client.kv_set("a", "text")
    client.kv_set("b", b"\x00bytes")
    client.kv_set_json("c", {"n": 1})
    assert client.kv_get("a") == b"text"
    assert client.kv_get("b") == b"\x00bytes"
    assert client.kv_get("missing") is None
    assert client.kv_get_json("c") == {"n": 1}
    assert client.kv_get_json("missing", default=[]) == []
    assert client.kv_list() == ["a", "b", "c"]
    assert client.kv_list(page=1, per_page=2) == ["c"]
    client.kv_delete("a")
    assert client.kv_get("a") is None
    assert client.kv_compare_and_set("b", b"\x00bytes", "new") is True
    assert client.kv_compare_and_set("b", "stale", "newer") is False
    assert client.kv_compare_and_set("fresh", None, "v") is True
    assert client.kv_set_with_options("b", "x", atomic=True, old_value="new") is True
    assert client.kv_set_with_options("b", "y", atomic=True, old_value="nope") is False
    client.kv_delete_all()
    assert fake.kv == {}


def test_entities_and_scalars(api: tuple[APIClient, FakeAPI]) -> None:
    client, fake = api
    assert client.get_user("u1").username == "alice"
    post = client.create_post(channel_id="c1", message="hi", user_id="u1", props={"k": "v"})
    assert (post.id, post.channel_id, post.message) == ("p1", "c1", "hi")
    assert dict(post.props) == {"k": "v"}
    assert client.get_server_version() == "10.5.0"
    assert client.get_plugin_config() == {"Greeting": "hi", "Count": 2}
    assert client.get_config()["ServiceSettings"]["SiteURL"] == "http://x"
    assert client.ensure_bot_user("helper", display_name="Helper") == "bot-helper"
    client.register_command("hello", auto_complete_desc="Say hello")
    sent = fake.requests[-1][1].command
    assert (sent.trigger, sent.auto_complete, sent.auto_complete_desc) == ("hello", True,
                                                                            "Say hello")


def test_log_helpers_send_msg_and_key_values(api: tuple[APIClient, FakeAPI]) -> None:
    client, fake = api
    client.log_info("started", user="u1", count=2, ok=True, obj=object())
    level, msg, kv = fake.logs[0]
    assert (level, msg) == ("info", "started")
    assert kv["user"] == "u1" and kv["count"] == 2 and kv["ok"] is True
    assert str(kv["obj"]).startswith("<object")


def test_generic_call_by_go_name_fields_or_request(api: tuple[APIClient, FakeAPI]) -> None:
    client, _ = api
    stats = client.call("GetTeamStats", team_id="t1")
    assert stats.team_stats.total_member_count == 7
    assert not stats.HasField("error")
    request = message_class("GetTeamStatsRequest")(team_id="t2")
    assert client.call("get_team_stats", request).team_stats.team_id == "t2"


def test_generic_call_mistakes_are_plugin_errors(api: tuple[APIClient, FakeAPI]) -> None:
    client, _ = api
    with pytest.raises(PluginError, match="did you mean 'GetTeamStats'"):
        client.call("GetTeamStat", team_id="t1")
    with pytest.raises(PluginError, match="fields: team_id"):
        client.call("GetTeamStats", team="t1")


def test_app_error_maps_to_exception(api: tuple[APIClient, FakeAPI]) -> None:
    client, _ = api
    with pytest.raises(NotFoundError) as info:
        client.get_user("nobody")
    err = info.value
    assert (err.status_code, err.error_id, err.message, err.where) == (
        404, "app.user.missing.app_error", "user not found", "GetUser")
    with pytest.raises(AlreadyExistsError):
        client.register_command("taken")


@pytest.mark.parametrize(
    ("code", "kind"),
    [("400", InvalidArgumentError), ("401", PermissionDeniedError),
     ("403", PermissionDeniedError), ("409", AlreadyExistsError), ("429", UnavailableError),
     ("503", UnavailableError), ("500", PluginAPIError)],
)
def test_status_codes(api: tuple[APIClient, FakeAPI], code: str, kind: type) -> None:
    client, _ = api
    with pytest.raises(kind) as info:
        client.get_channel(code)
    assert type(info.value) is kind
    assert ValidationError is InvalidArgumentError


def test_error_without_id_is_success(api: tuple[APIClient, FakeAPI]) -> None:
    client, _ = api
    assert client.get_team("t1").id == "t1"


def test_unemulated_rpc_is_not_implemented(api: tuple[APIClient, FakeAPI]) -> None:
    client, _ = api
    with pytest.raises(NotImplementedAPIError) as info:
        client.get_teams()
    assert info.value.grpc_code == "UNIMPLEMENTED"
    assert not isinstance(info.value, grpc.RpcError)


def test_unreachable_server_is_unavailable() -> None:
    with grpc_free_port() as port:
        client = APIClient(f"127.0.0.1:{port}", timeout=5)
    with pytest.raises(UnavailableError):
        client.get_server_version()
    client.close()


def test_missing_target_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATTERMOST_PLUGIN_API_TARGET", raising=False)
    with pytest.raises(PluginError, match="MATTERMOST_PLUGIN_API_TARGET is not set"):
        APIClient().kv_get("x")


class grpc_free_port:
    """A port that had a listener a moment ago and has none now."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port: int = self.sock.getsockname()[1]
        return port

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
