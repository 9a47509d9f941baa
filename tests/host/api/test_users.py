"""Users over real gRPC: create/validate, lookups, update, soft delete, lists, search, roles,
status, custom status, profile image, sessions and access tokens."""

from __future__ import annotations

import itertools
import json

import pytest
from worldhost import Host

from mmplug.host.api.users_profile import default_avatar
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import user_pb2

_n = itertools.count()


pytestmark = pytest.mark.usefixtures("quiet_host")


def new_user(host: Host, prefix: str = "user", **fields: object) -> user_pb2.User:
    name = f"{prefix}{next(_n)}"
    values: dict[str, object] = {
        "username": name,
        "email": f"{name}@example.com",
        "password": "Passw0rd!",
    }
    values.update(fields)
    rsp = host.api.CreateUser(pb.CreateUserRequest(user=user_pb2.User(**values)))  # type: ignore[arg-type]
    assert not rsp.error.id, rsp.error
    return rsp.user


def error_of(rsp: object) -> tuple[int, str]:
    err = rsp.error  # type: ignore[attr-defined]
    return err.status_code, err.id


# -- create ------------------------------------------------------------------------------
def test_create_user_fills_server_defaults_and_hides_the_password(host: Host) -> None:
    user = new_user(host, "Carol")
    assert len(user.id) == 26
    assert user.username.startswith("carol") and user.roles == "system_user"
    assert user.password == "" and user.locale == "en"
    assert user.create_at == user.update_at > 0
    assert user.notify_props["mention_keys"] == ""  # the username is a mention anyway
    with host.store.read() as db:
        stored = db.execute("SELECT data FROM users WHERE id=?", (user.id,)).fetchone()[0]
    assert "Passw0rd!" not in stored


def test_create_user_fires_user_has_been_created(host: Host) -> None:
    user = new_user(host)
    (req,) = host.hooks.named("UserHasBeenCreated")
    assert req.user.id == user.id and req.user.password == ""  # type: ignore[attr-defined]
    assert host.events("new_user") == [
        {"event": "new_user", "data": {"user_id": user.id}, "broadcast": {}}
    ]


@pytest.mark.parametrize(
    ("fields", "error_id"),
    [
        ({"username": "has space"}, "model.user.is_valid.username.app_error"),
        ({"username": "all"}, "model.user.is_valid.username.app_error"),
        ({"username": "x" * 65}, "model.user.is_valid.username.app_error"),
        ({"email": "not-an-email"}, "model.user.is_valid.email.app_error"),
        ({"password": "short"}, "model.user.is_valid.pwd_min_length.app_error"),
        ({"username": "alice"}, "app.user.save.username_exists.app_error"),
        ({"email": "ALICE@example.com"}, "app.user.save.email_exists.app_error"),
        ({"id": "abc"}, "app.user.save.existing.app_error"),
    ],
)
def test_create_user_validation(host: Host, fields: dict[str, str], error_id: str) -> None:
    values = {
        "username": f"valid{next(_n)}",
        "email": f"v{next(_n)}@example.com",
        "password": "Passw0rd!",
        **fields,
    }
    rsp = host.api.CreateUser(pb.CreateUserRequest(user=user_pb2.User(**values)))
    assert error_of(rsp) == (400, error_id)


# -- lookups -----------------------------------------------------------------------------
def test_get_user_by_id_email_and_username(host: Host) -> None:
    alice = host.user("alice")
    assert host.api.GetUser(pb.GetUserRequest(user_id=alice)).user.username == "alice"
    by_email = host.api.GetUserByEmail(pb.GetUserByEmailRequest(email="Alice@Example.com"))
    assert by_email.user.id == alice
    by_name = host.api.GetUserByUsername(pb.GetUserByUsernameRequest(name="alice"))
    assert by_name.user.id == alice


def test_missing_users_are_404(host: Host) -> None:
    assert error_of(host.api.GetUser(pb.GetUserRequest(user_id="x" * 26))) == (
        404,
        "app.user.missing_account.const",
    )
    assert error_of(host.api.GetUserByEmail(pb.GetUserByEmailRequest(email="no@x.y")))[0] == 404
    rsp = host.api.GetUserByUsername(pb.GetUserByUsernameRequest(name="nobody"))
    assert error_of(rsp) == (404, "app.user.get_by_username.app_error")


def test_get_users_by_ids_and_usernames_skip_missing(host: Host) -> None:
    ids = [host.user("bob"), "x" * 26, host.user("alice")]
    users = host.api.GetUsersByIds(pb.GetUsersByIdsRequest(user_ids=ids)).users
    assert [u.username for u in users] == ["alice", "bob"]
    rsp = host.api.GetUsersByUsernames(pb.GetUsersByUsernamesRequest(usernames=["bob", "zed"]))
    assert [u.id for u in rsp.users] == [host.user("bob")]


# -- update / delete ---------------------------------------------------------------------
def test_update_user_changes_fields_but_not_the_password(host: Host) -> None:
    user = new_user(host)
    user.nickname = "Nick"
    user.password = "ignored-by-update"
    rsp = host.api.UpdateUser(pb.UpdateUserRequest(user=user))
    assert not rsp.error.id and rsp.user.nickname == "Nick" and rsp.user.password == ""
    assert rsp.user.update_at > user.update_at
    with host.store.read() as db:
        stored = db.execute("SELECT data FROM users WHERE id=?", (user.id,)).fetchone()[0]
    assert json.loads(stored)["password"].startswith("pbkdf2-sha256$")
    assert host.events("user_updated")


def test_update_user_keeps_roles_and_deactivation_and_follows_renames(host: Host) -> None:
    user = new_user(host, "renamed", email_verified=True)
    user.roles, user.delete_at = "system_admin system_user", 5
    user.username, user.email = f"{user.username}x", f"x{user.email}"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=user)).user
    assert (updated.roles, updated.delete_at) == ("system_user", 0)
    assert updated.email_verified is False
    assert updated.notify_props["mention_keys"] == ""  # the old name is no mention key now


def test_update_user_to_a_taken_username_fails(host: Host) -> None:
    user = new_user(host)
    user.username = "bob"
    rsp = host.api.UpdateUser(pb.UpdateUserRequest(user=user))
    assert error_of(rsp) == (400, "app.user.save.username_exists.app_error")


def test_update_missing_user_is_404(host: Host) -> None:
    ghost = user_pb2.User(id="x" * 26, username="ghost", email="ghost@example.com")
    assert error_of(host.api.UpdateUser(pb.UpdateUserRequest(user=ghost)))[0] == 404


def test_delete_user_is_a_soft_delete_and_can_be_undone(host: Host) -> None:
    user = new_user(host, "leaver")
    assert not host.api.DeleteUser(pb.DeleteUserRequest(user_id=user.id)).error.id
    gone = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert gone.delete_at > 0
    search = host.api.SearchUsers(pb.SearchUsersRequest(term=user.username, limit=10))
    assert search.users == []
    with_inactive = pb.SearchUsersRequest(term=user.username, allow_inactive=True, limit=10)
    assert [u.id for u in host.api.SearchUsers(with_inactive).users] == [user.id]
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=user.id, active=True))
    assert host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.delete_at == 0
    to_user = [e for e in host.events("user_updated") if e["broadcast"].get("user_id") == user.id]
    assert len(to_user) == 2


def test_deactivating_revokes_sessions(host: Host) -> None:
    user = new_user(host)
    session = host.api.CreateSession(
        pb.CreateSessionRequest(session=pb.Session(user_id=user.id))
    ).session
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=user.id, active=False))
    assert host.api.GetSession(pb.GetSessionRequest(session_id=session.id)).error.status_code == 400


# -- lists and search --------------------------------------------------------------------
def test_get_users_in_team_pages_by_username(host: Host) -> None:
    team = host.info.teams["acme"]
    first = host.api.GetUsersInTeam(pb.GetUsersInTeamRequest(team_id=team, page=0, per_page=2))
    second = host.api.GetUsersInTeam(pb.GetUsersInTeamRequest(team_id=team, page=1, per_page=2))
    assert [u.username for u in [*first.users, *second.users]] == [
        "admin",
        "alice",
        "bob",
        "helper-bot",
    ]


def test_get_users_filters_by_role(host: Host) -> None:
    admins = host.api.GetUsers(pb.GetUsersRequest(role="system_admin", per_page=50)).users
    assert [u.username for u in admins] == ["admin"]
    users = host.api.GetUsers(pb.GetUsersRequest(roles=["system_user"], per_page=200)).users
    assert "admin" not in {u.username for u in users} and "alice" in {u.username for u in users}


def test_get_users_takes_an_unknown_sort_as_username(host: Host) -> None:
    rsp = host.api.GetUsers(pb.GetUsersRequest(sort="shoe size", per_page=500))
    names = [u.username for u in rsp.users]
    assert not rsp.error.id and names == sorted(names)


def test_get_users_in_channel_sorted_by_status(host: Host) -> None:
    req = pb.GetUsersInChannelRequest(
        channel_id=host.info.channels["town-square"], sort_by="status", per_page=10
    )
    names = [u.username for u in host.api.GetUsersInChannel(req).users]
    assert names[:2] == ["admin", "alice"] and names[2] == "bob"  # online, online, away


def test_search_users_by_username_and_nickname(host: Host) -> None:
    for term in ("ali", "@ali", "LIC", "alice ali"):
        users = host.api.SearchUsers(pb.SearchUsersRequest(term=term, limit=10)).users
        assert [u.username for u in users] == ["alice"], term
    assert host.api.SearchUsers(pb.SearchUsersRequest(term="Liddell", limit=10)).users == []


def test_search_users_within_a_team_and_limit(host: Host) -> None:
    req = pb.SearchUsersRequest(term="", team_id=host.info.teams["acme"], limit=2)
    assert len(host.api.SearchUsers(req).users) == 2


# -- roles, auth, ldap -------------------------------------------------------------------
def test_update_user_roles(host: Host) -> None:
    user = new_user(host)
    rsp = host.api.UpdateUserRoles(
        pb.UpdateUserRolesRequest(user_id=user.id, new_roles="system_user system_admin")
    )
    assert rsp.user.roles == "system_user system_admin"
    bad = pb.UpdateUserRolesRequest(user_id=user.id, new_roles="system_overlord")
    assert error_of(host.api.UpdateUserRoles(bad)) == (
        400,
        "app.role.check_roles_exist.role_not_found",
    )


def test_update_user_auth_switches_to_sso(host: Host) -> None:
    user = new_user(host)
    auth = pb.UserAuth(auth_data="uid-1", auth_service="gitlab")
    rsp = host.api.UpdateUserAuth(pb.UpdateUserAuthRequest(user_id=user.id, user_auth=auth))
    assert rsp.user_auth.auth_service == "gitlab"
    assert host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.auth_service == "gitlab"


def test_ldap_attributes_are_unavailable_on_team_edition(host: Host) -> None:
    req = pb.GetLDAPUserAttributesRequest(user_id=host.user("alice"), attributes=["uid"])
    assert error_of(host.api.GetLDAPUserAttributes(req)) == (501, "ent.ldap.disabled.app_error")


# -- status and custom status ------------------------------------------------------------
def test_status_from_the_world_and_updates(host: Host) -> None:
    user = new_user(host)
    missing = host.api.GetUserStatus(pb.GetUserStatusRequest(user_id=user.id))
    assert error_of(missing) == (404, "app.status.get.missing.app_error")
    rsp = host.api.UpdateUserStatus(pb.UpdateUserStatusRequest(user_id=user.id, status="dnd"))
    assert rsp.status.status == "dnd" and rsp.status.manual
    assert host.api.GetUserStatus(pb.GetUserStatusRequest(user_id=user.id)).status.status == "dnd"
    assert host.events("status_change")


def test_statuses_by_ids_fill_in_offline(host: Host) -> None:
    ids = [host.user("admin"), host.user("bob"), "x" * 26]
    statuses = host.api.GetUserStatusesByIds(pb.GetUserStatusesByIdsRequest(user_ids=ids)).statuses
    assert {s.user_id: s.status for s in statuses} == {
        ids[0]: "online",
        ids[1]: "away",
        ids[2]: "offline",
    }


def test_unknown_status_is_rejected(host: Host) -> None:
    req = pb.UpdateUserStatusRequest(user_id=host.user("bob"), status="sleeping")
    assert error_of(host.api.UpdateUserStatus(req)) == (
        400,
        "plugin.api.update_user_status.bad_status",
    )


def test_timed_dnd(host: Host) -> None:
    user = new_user(host)
    rsp = host.api.SetUserStatusTimedDND(
        pb.SetUserStatusTimedDNDRequest(user_id=user.id, end_time=1_900_000_000)
    )
    assert (rsp.status.status, rsp.status.dnd_end_time) == ("dnd", 1_899_999_960)  # whole minute


def test_custom_status_set_and_remove(host: Host) -> None:
    user = new_user(host)
    cs = pb.CustomStatus(emoji="coffee", text="Break", duration="one_hour")
    host.api.UpdateUserCustomStatus(
        pb.UpdateUserCustomStatusRequest(user_id=user.id, custom_status=cs)
    )
    props = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.props
    assert json.loads(props["customStatus"])["text"] == "Break"
    host.api.RemoveUserCustomStatus(pb.RemoveUserCustomStatusRequest(user_id=user.id))
    assert host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.props["customStatus"] == ""


def test_custom_status_without_emoji_or_text_is_rejected(host: Host) -> None:
    cs = pb.CustomStatus(duration="one_hour")
    req = pb.UpdateUserCustomStatusRequest(user_id=host.user("bob"), custom_status=cs)
    assert error_of(host.api.UpdateUserCustomStatus(req)) == (
        400,
        "api.custom_status.set_custom_statuses.update.app_error",
    )


# -- profile image -----------------------------------------------------------------------
def test_profile_image_defaults_to_a_generated_png(host: Host) -> None:
    user = host.user("bob")
    image = host.api.GetProfileImage(pb.GetProfileImageRequest(user_id=user)).image
    assert image.startswith(b"\x89PNG") and image == default_avatar(user)


def test_set_profile_image_round_trips(host: Host) -> None:
    user = new_user(host)
    png = default_avatar("something else")
    assert not host.api.SetProfileImage(
        pb.SetProfileImageRequest(user_id=user.id, data=png)
    ).error.id
    assert host.api.GetProfileImage(pb.GetProfileImageRequest(user_id=user.id)).image == png
    updated = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert updated.last_picture_update > 0


def test_set_profile_image_rejects_non_images(host: Host) -> None:
    req = pb.SetProfileImageRequest(user_id=host.user("bob"), data=b"plain text")
    assert error_of(host.api.SetProfileImage(req)) == (
        400,
        "api.user.upload_profile_user.decode.app_error",
    )


# -- sessions and tokens -----------------------------------------------------------------
def test_session_lifecycle(host: Host) -> None:
    user = new_user(host)
    created = host.api.CreateSession(pb.CreateSessionRequest(session=pb.Session(user_id=user.id)))
    session = created.session
    assert len(session.id) == 26 and session.token and session.roles == ""
    host.api.ExtendSessionExpiry(
        pb.ExtendSessionExpiryRequest(session_id=session.id, new_expiry=42)
    )
    got = host.api.GetSession(pb.GetSessionRequest(session_id=session.id)).session
    assert got.expires_at == 42
    host.api.RevokeSession(pb.RevokeSessionRequest(session_id=session.id))
    assert error_of(host.api.GetSession(pb.GetSessionRequest(session_id=session.id)))[0] == 400


def test_session_for_an_unknown_user_is_404(host: Host) -> None:
    req = pb.CreateSessionRequest(session=pb.Session(user_id="x" * 26))
    assert error_of(host.api.CreateSession(req))[0] == 404


def test_user_access_token_lifecycle(host: Host) -> None:
    user = new_user(host)
    req = pb.CreateUserAccessTokenRequest(
        token=pb.UserAccessToken(user_id=user.id, description="ci")
    )
    token = host.api.CreateUserAccessToken(req).token
    assert token.is_active and len(token.token) == 26
    with host.store.tx() as db:  # the session a sign-in with the token would open
        db.execute(
            "INSERT INTO sessions(id, user_id, token, data) VALUES(?, ?, ?, '{}')",
            ("s" * 26, user.id, token.token),
        )
    host.api.RevokeUserAccessToken(pb.RevokeUserAccessTokenRequest(token_id=token.id))
    with host.store.read() as db:
        assert (
            db.execute("SELECT count(*) FROM sessions WHERE token=?", (token.token,)).fetchone()[0]
            == 0
        )
    again = host.api.RevokeUserAccessToken(pb.RevokeUserAccessTokenRequest(token_id=token.id))
    assert error_of(again)[0] == 404


def test_users_in_channel_need_a_sort_option(host: Host) -> None:
    req = pb.GetUsersInChannelRequest(channel_id=host.info.channels["town-square"], per_page=10)
    assert error_of(host.api.GetUsersInChannel(req)) == (400, "plugin.api.get_users_in_channel")
    req.sort_by = "username"
    names = [u.username for u in host.api.GetUsersInChannel(req).users]
    assert names == ["admin", "alice", "bob", "helper-bot"]


def test_get_users_active_inactive(host: Host) -> None:
    user = new_user(host, "sleeper")
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=user.id, active=False))
    inactive = host.api.GetUsers(pb.GetUsersRequest(inactive=True, per_page=200)).users
    active = host.api.GetUsers(pb.GetUsersRequest(active=True, per_page=200)).users
    assert user.id in {u.id for u in inactive} and user.id not in {u.id for u in active}


def test_get_users_sorted_by_last_update(host: Host) -> None:
    first, second = new_user(host), new_user(host)
    users = host.api.GetUsers(pb.GetUsersRequest(sort="update_at_asc", per_page=500)).users
    assert [u.id for u in users][-2:] == [first.id, second.id]
