"""The generated API methods, one test per area of the PluginAPI, against the fake host's real
PluginAPI server (SQLite store seeded with the default world): arguments go out as the server
reads them, results come back as entities."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_host import PLUGIN_ID, Host, fake_host, licensed_world

from mmplug.protocol.catalog import API
from mmplug.sdk import (
    APIClient,
    InvalidArgumentError,
    NotFoundError,
    NotImplementedAPIError,
    PluginAPIError,
)
from mmplug.sdk.model import Bot, Command, Group, Post, PropertyField, Team, User


@pytest.fixture
def host() -> Iterator[Host]:
    with fake_host() as running:
        yield running


@pytest.fixture
def api(host: Host) -> Iterator[APIClient]:
    with APIClient(host.address) as client:
        yield client


def test_every_area_has_a_test() -> None:
    tested = {name.removeprefix("test_area_").replace("_", "")
              for name in vars(sys.modules[__name__]) if name.startswith("test_area_")}
    assert {spec.area.lower() for spec in API} == tested


def test_area_user(api: APIClient, host: Host) -> None:
    carol = api.create_user(username="carol", email="carol@example.com", password="Passw0rd!x")
    assert isinstance(carol, User) and carol.username == "carol"
    assert {u.username for u in api.get_users_by_usernames(["carol", "alice"])} == {
        "carol", "alice"}
    by_ids = api.get_users_by_ids([carol.id, host.user("bob")])
    assert {u.username for u in by_ids} == {"carol", "bob"}
    deactivated = api.update_user_active(carol.id, False)
    assert deactivated is None
    assert api.get_user(carol.id).delete_at > 0
    statuses = api.get_user_statuses_by_ids([host.user("alice")])
    assert [s.user_id for s in statuses] == [host.user("alice")]
    with pytest.raises(NotFoundError) as missing:
        api.get_user_by_email("nobody@example.com")
    assert (missing.value.method, missing.value.status_code) == ("GetUserByEmail", 404)
    assert missing.value.error_id
    # a misspelt option or field is refused before any call, naming the valid ones
    with pytest.raises(InvalidArgumentError) as typo:
        api.get_users(in_team_idd="x")
    assert typo.value.method == "GetUsers" and "'in_team_idd'" in str(typo.value)
    assert "in_team_id" in str(typo.value)
    with pytest.raises(InvalidArgumentError) as field:
        api.create_user(usernme="dave")
    assert "'usernme'" in str(field.value) and "username" in str(field.value)
    with pytest.raises(InvalidArgumentError, match="page"):
        api.get_users(page="first")  # type: ignore[arg-type]


def test_area_team(api: APIClient, host: Host) -> None:
    stats = api.get_team_stats(host.team)
    assert stats.team_id == host.team and stats.total_member_count >= 3
    team = api.get_team(host.team)
    renamed = api.update_team(team.replace(display_name="Acme Corp"))
    assert isinstance(renamed, Team) and renamed.display_name == "Acme Corp"
    assert api.get_team_by_name("acme").display_name == "Acme Corp"
    members = api.get_team_members(host.team, per_page=2)
    assert len(members) == 2 and all(m.team_id == host.team for m in members)
    every = list(api.iter_team_members(host.team, per_page=1))
    assert {m.user_id for m in every} >= {host.user("alice"), host.user("bob")}
    assert [t.name for t in api.search_teams("acm")] == ["acme"]


def test_area_channel(api: APIClient, host: Host) -> None:
    town = host.channel("town-square")
    stats = api.get_channel_stats(town)
    assert stats.channel_id == town and stats.member_count >= 2
    found = api.get_channel_by_name_for_team_name("acme", "town-square", False)
    assert found.id == town
    channel = api.get_channel(town)
    updated = api.update_channel(channel.replace(purpose="All hands"))
    assert api.get_channel(town).purpose == "All hands" == updated.purpose
    public = api.get_public_channels_for_team(host.team)
    assert town in {c.id for c in public}
    assert town in {c.id for c in api.search_channels(host.team, "town")}


def test_area_channel_sidebar(api: APIClient, host: Host) -> None:
    alice = host.user("alice")
    created = api.create_channel_sidebar_category(
        alice, host.team, {"display_name": "Projects", "user_id": alice, "team_id": host.team})
    assert created.display_name == "Projects" and created.id
    ordered = api.get_channel_sidebar_categories(alice, host.team)
    assert created.id in ordered.order
    assert "Projects" in [c.display_name for c in ordered.categories]


def test_area_post(api: APIClient, host: Host) -> None:
    town = host.channel("town-square")
    post = api.create_post(channel_id=town, user_id=host.user("alice"), message="first")
    assert isinstance(post, Post)
    edited = api.update_post(post.replace(message="first, edited"))
    assert edited.message == "first, edited" and edited.edit_at > 0
    assert api.get_post(post.id).message == "first, edited"
    since = api.get_posts_since(town, post.create_at - 1)
    assert post.id in since.order
    api.delete_post(post.id)
    with pytest.raises(NotFoundError):
        api.get_post(post.id)


def test_area_key_value_store(api: APIClient) -> None:
    assert api.kv_set_with_options("lock", "mine", atomic=True, old_value=None) is True
    assert api.kv_set_with_options("lock", "theirs", atomic=True, old_value=None) is False
    assert api.kv_get("lock") == b"mine"
    assert api.kv_compare_and_delete("lock", "mine") is True
    assert api.kv_get("lock") is None


def test_area_group(tmp_path: Path) -> None:
    with fake_host(world=licensed_world(tmp_path, ldap_groups=True)) as host, \
            APIClient(host.address) as api:
        _groups(api, host)


def _groups(api: APIClient, host: Host) -> None:
    group = api.create_group(Group(name="devs", display_name="Developers", source="custom",
                                   allow_reference=True))
    assert group.id and group.name == "devs"
    member = api.upsert_group_member(group.id, host.user("alice"))
    assert member.group_id == group.id and member.user_id == host.user("alice")
    assert [u.username for u in api.get_group_member_users(group.id)] == ["alice"]
    assert [g.name for g in api.get_groups_for_user(host.user("alice"))] == ["devs"]
    assert api.get_group_by_name("devs").id == group.id
    deleted = api.delete_group(group.id)
    assert deleted.delete_at > 0
    assert api.restore_group(group.id).delete_at == 0


def test_area_property_group(api: APIClient) -> None:
    registered = api.register_property_group("mmplug_sdk_test")
    assert registered.name == "mmplug_sdk_test" and registered.id
    assert api.get_property_group("mmplug_sdk_test").id == registered.id


def test_area_property_field(api: APIClient) -> None:
    group = api.register_property_group("fields_test")
    field = api.create_property_field(
        PropertyField(group_id=group.id, name="color", type="text", target_type="user"))
    assert field.id and field.name == "color"
    assert api.get_property_field(group.id, field.id).name == "color"
    assert api.count_property_fields(group.id, False) == 1
    renamed = api.update_property_field(group.id, field.replace(name="colour"))
    assert renamed.name == "colour"
    api.delete_property_field(group.id, field.id)
    assert api.count_property_fields(group.id, False) == 0
    assert api.count_property_fields(group.id, True) == 1


def test_area_property_value(api: APIClient, host: Host) -> None:
    group = api.register_property_group("values_test")
    field = api.create_property_field({"group_id": group.id, "name": "mood", "type": "text",
                                       "target_type": "user"})
    alice = host.user("alice")
    value = api.create_property_value({"group_id": group.id, "field_id": field.id,
                                       "target_id": alice, "target_type": "user",
                                       "value": "happy"})
    assert value.value == "happy"
    assert api.get_property_value(group.id, value.id).value == "happy"
    again = api.upsert_property_value(value.replace(value="calm"))
    assert again.id == value.id and again.value == "calm"
    api.delete_property_values_for_target(group.id, "user", alice)
    with pytest.raises(NotFoundError):  # removed for good, as the server's store does
        api.get_property_value(group.id, value.id)


def test_area_shared_channels(api: APIClient, host: Host) -> None:
    remote_id = api.register_plugin_for_shared_channels(
        {"display_name": "Bridge", "plugin_id": PLUGIN_ID})
    assert remote_id
    town = host.channel("town-square")
    shared = api.share_channel({"channel_id": town, "team_id": host.team, "home": "true",
                                "share_name": "town", "creator_id": host.user("admin"),
                                "remote_id": remote_id})
    assert shared.channel_id == town
    assert api.unshare_channel(town) is True
    assert api.unshare_channel(town) is False


def test_area_slash_command(api: APIClient, host: Host) -> None:
    created = api.create_command(Command(team_id=host.team, trigger="deploy",
                                         creator_id=host.user("admin"),
                                         url="https://example.com/deploy", method="P"))
    assert created.id and created.trigger == "deploy"
    assert api.get_command(created.id).trigger == "deploy"
    assert "deploy" in [c.trigger for c in api.list_custom_commands(host.team)]
    changed = api.update_command(created.id, created.replace(description="Ship it"))
    assert changed.description == "Ship it"
    api.delete_command(created.id)
    with pytest.raises(PluginAPIError) as gone:  # the server's plain Go error: a 500
        api.get_command(created.id)
    assert gone.value.status_code == 500


def test_area_command(api: APIClient, host: Host) -> None:
    api.register_command("sdkping", auto_complete_desc="Ping")
    assert "sdkping" in [c.trigger for c in api.list_plugin_commands(host.team)]
    api.unregister_command("sdkping")
    assert "sdkping" not in [c.trigger for c in api.list_plugin_commands(host.team)]


def test_area_upload(api: APIClient, host: Host) -> None:
    session = api.create_upload_session({
        "id": "u" * 26, "type": "attachment", "user_id": host.user("alice"),
        "channel_id": host.channel("town-square"), "filename": "notes.txt", "file_size": 5})
    assert session.id and session.file_offset == 0
    assert api.get_upload_session(session.id).file_size == 5
    info = api.upload_data(session, b"hello")
    assert info.name == "notes.txt" and info.size == 5
    assert api.get_file(info.id) == b"hello"
    with pytest.raises(NotFoundError):  # a finished upload's session is gone
        api.get_upload_session(session.id)


def test_area_file(api: APIClient, host: Host) -> None:
    town = host.channel("town-square")
    info = api.upload_file(b"a,b\n1,2\n", town, "table.csv")
    api.set_file_searchable_content(info.id, "a b 1 2")
    copies = api.copy_file_infos(host.user("bob"), [info.id])
    assert len(copies) == 1 and copies[0] != info.id
    assert api.get_file(copies[0]) == b"a,b\n1,2\n"
    api.create_post({"channel_id": town, "user_id": host.user("alice"), "message": "table",
                     "file_ids": [info.id]})
    listed = api.get_file_infos(0, 10, {"channel_id": town})
    assert info.id in {i.id for i in listed}


def test_area_bot(api: APIClient) -> None:
    bot = api.create_bot(username="helper", display_name="Helper")
    assert isinstance(bot, Bot)
    patched = api.patch_bot(bot.user_id, {"display_name": "Helpful"})
    assert patched.display_name == "Helpful"
    assert "helper" in [b.username for b in api.get_bots({"page": 0, "per_page": 10})]
    assert api.update_bot_active(bot.user_id, False).delete_at > 0
    api.permanent_delete_bot(bot.user_id)
    with pytest.raises(NotFoundError):
        api.get_bot(bot.user_id, include_deleted=True)


def test_area_o_auth(api: APIClient, host: Host) -> None:
    app = api.create_o_auth_app({"name": "CI", "creator_id": host.user("admin"),
                                 "callback_urls": "https://ci.example.com/cb",
                                 "homepage": "https://ci.example.com"})
    assert app.id and app.name == "CI"
    assert api.get_o_auth_app(app.id).homepage == "https://ci.example.com"
    assert api.update_o_auth_app(app.replace(name="CI 2")).name == "CI 2"
    api.delete_o_auth_app(app.id)
    with pytest.raises(NotFoundError):
        api.get_o_auth_app(app.id)


def test_area_emoji(api: APIClient) -> None:
    try:
        listed = api.get_emoji_list("name")
    except PluginAPIError as err:  # custom emoji turned off: the server's 501
        assert err.status_code == 501
        return
    assert listed == []
    with pytest.raises(NotFoundError):
        api.get_emoji_by_name("no_such_emoji")


def test_area_configuration(api: APIClient) -> None:
    config = api.get_config()
    config.setdefault("TeamSettings", {})["SiteName"] = "SDK test"
    api.save_config(json.dumps(config))
    assert api.get_config()["TeamSettings"]["SiteName"] == "SDK test"
    assert json.loads(api.get_unsanitized_config())["TeamSettings"]["SiteName"] == "SDK test"


def test_area_plugin(api: APIClient) -> None:
    with pytest.raises(NotImplementedAPIError):  # as on the server: its handler has none
        api.get_plugin_id()
    api.save_plugin_config({"greeting": "hi", "count": 3})
    assert api.get_plugin_config() == {"greeting": "hi", "count": 3}
    assert json.loads(api.load_plugin_configuration()) == {"greeting": "hi", "count": 3}
    with pytest.raises(PluginAPIError):
        api.get_plugin_status("com.example.not-installed")


def test_area_server(api: APIClient) -> None:
    version = api.get_server_version()
    assert version.count(".") == 2
    assert isinstance(api.is_enterprise_ready(), bool)
    assert api.get_system_install_date() > 0
    assert len(api.get_diagnostic_id()) == 26


def test_area_logging(api: APIClient, host: Host) -> None:
    api.log_warn("disk almost full", free_mb=12)
    assert host.rpcs()[-1] == "LogWarn"
    call = host.calls[-1]
    assert call.request.msg == "disk almost full"  # type: ignore[attr-defined]


def test_area_audit(api: APIClient, host: Host) -> None:
    api.log_audit_rec({"event": "sdkTest", "status": "success"})
    api.log_audit_rec_with_level({"event": "sdkTest", "status": "fail"}, "error")
    assert host.rpcs()[-2:] == ["LogAuditRec", "LogAuditRecWithLevel"]
    assert host.calls[-1].error is None


def test_area_other(api: APIClient, host: Host) -> None:
    assert api.roles_grant_permission(["system_admin"], "manage_system") is True
    assert api.roles_grant_permission(["system_user"], "manage_system") is False
    api.publish_web_socket_event("refresh", {"n": 1}, {"user_id": host.user("alice")})
    assert host.emitted[-1] == ("websocket_event", {
        "event": f"custom_{PLUGIN_ID}_refresh", "data": {"n": 1.0},
        "broadcast": {"user_id": host.user("alice")}})
    with pytest.raises(InvalidArgumentError):  # the server's 400 for an unknown session
        api.get_session("no-such-session")
    with pytest.raises(InvalidArgumentError):
        api.send_mail("", "subject", "<p>body</p>")
