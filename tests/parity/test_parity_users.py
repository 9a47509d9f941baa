"""Server parity of the user rpcs: lookups and lists (users_query.py), create, update,
(de)activation, roles, auth and LDAP (users.py)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from worldhost import Host

from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as rpb
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import user_pb2

_n = itertools.count()
USER_GO = "server/channels/app/user.go"
STORE_GO = "server/channels/store/sqlstore/user_store.go"
MODEL_GO = "server/public/model/user.go"
UTILS_GO = "server/public/model/utils.go"


def create(host: Host, prefix: str = "par", **fields: object) -> user_pb2.User:
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


def error(rsp: object) -> tuple[int, str]:
    err = rsp.error  # type: ignore[attr-defined]
    return err.status_code, err.id


@contextmanager
def setting(host: Host, path: str, value: object) -> Iterator[None]:
    """Set one server config value (``"Section.Key"``) for the duration of the block."""
    with host.store.tx() as db:
        before = db.execute(
            "SELECT json_extract(data, ?) FROM config WHERE key='server'", (f"$.{path}",)
        ).fetchone()[0]
        db.execute(
            "UPDATE config SET data=json_set(data, ?, json(?)) WHERE key='server'",
            (f"$.{path}", json.dumps(value)),
        )
    try:
        yield
    finally:
        with host.store.tx() as db:
            db.execute(
                "UPDATE config SET data=json_set(data, ?, json(?)) WHERE key='server'",
                (f"$.{path}", json.dumps(before)),
            )


def deactivate(host: Host, user_id: str) -> None:
    rsp = host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=user_id, active=False))
    assert not rsp.error.id


# -- single lookups ----------------------------------------------------------------------
@pytest.mark.parity("GetUser", f"{USER_GO}: (*App).GetUser")
def test_get_user_of_a_missing_id_is_404_missing_account(host: Host) -> None:
    """GetUser of an id no user has is a 404 `app.user.missing_account.const`."""
    rsp = host.api.GetUser(pb.GetUserRequest(user_id="x" * 26))
    assert error(rsp) == (404, "app.user.missing_account.const")


@pytest.mark.parity("GetUser", f"{STORE_GO}: (SqlUserStore).Get")
def test_get_user_returns_the_stored_password_hash(host: Host) -> None:
    """GetUser hands a plugin the stored user unsanitised: the password hash is there (never
    the password itself)."""
    user = create(host)
    got = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert got.password and got.password != "Passw0rd!"


@pytest.mark.parity("GetUserByEmail", f"{STORE_GO}: (SqlUserStore).GetByEmail")
def test_get_user_by_email_ignores_case(host: Host) -> None:
    """GetUserByEmail lower-cases the address before it looks it up."""
    rsp = host.api.GetUserByEmail(pb.GetUserByEmailRequest(email="ALICE@Example.COM"))
    assert rsp.user.id == host.user("alice")


@pytest.mark.parity("GetUserByEmail", f"{USER_GO}: (*App).GetUserByEmail")
def test_get_user_by_unknown_email_is_404_missing_account(host: Host) -> None:
    """An unknown email is a 404 `app.user.missing_account.const`."""
    rsp = host.api.GetUserByEmail(pb.GetUserByEmailRequest(email="nobody@example.com"))
    assert error(rsp) == (404, "app.user.missing_account.const")


@pytest.mark.parity("GetUserByUsername", f"{STORE_GO}: (SqlUserStore).GetByUsername")
def test_get_user_by_username_ignores_case(host: Host) -> None:
    """GetUserByUsername lower-cases the name before it looks it up."""
    rsp = host.api.GetUserByUsername(pb.GetUserByUsernameRequest(name="ALICE"))
    assert rsp.user.id == host.user("alice")


@pytest.mark.parity("GetUserByUsername", f"{USER_GO}: (*App).GetUserByUsername")
def test_get_user_by_unknown_username_is_404_get_by_username(host: Host) -> None:
    """An unknown username is a 404 `app.user.get_by_username.app_error` (not missing_account)."""
    rsp = host.api.GetUserByUsername(pb.GetUserByUsernameRequest(name="nobody"))
    assert error(rsp) == (404, "app.user.get_by_username.app_error")


# -- lists -------------------------------------------------------------------------------
@pytest.mark.parity("GetUsersByIds", f"{STORE_GO}: (SqlUserStore).GetProfileByIds")
def test_get_users_by_ids_skips_unknown_ids_and_keeps_deactivated_users(host: Host) -> None:
    """GetUsersByIds answers the users it finds, by username, deactivated ones included; an
    unknown id is no error."""
    gone = create(host, "zz-gone")
    deactivate(host, gone.id)
    ids = [gone.id, "x" * 26, host.user("bob"), host.user("alice")]
    rsp = host.api.GetUsersByIds(pb.GetUsersByIdsRequest(user_ids=ids))
    assert not rsp.error.id
    assert [u.id for u in rsp.users] == [host.user("alice"), host.user("bob"), gone.id]


@pytest.mark.parity("GetUsersByUsernames", f"{STORE_GO}: (SqlUserStore).GetProfilesByUsernames")
def test_get_users_by_usernames_matches_names_exactly(host: Host) -> None:
    """GetUsersByUsernames compares names as given: `BOB` does not find `bob`; unknown names
    are skipped."""
    rsp = host.api.GetUsersByUsernames(
        pb.GetUsersByUsernamesRequest(usernames=["BOB", "alice", "nobody"])
    )
    assert not rsp.error.id and [u.username for u in rsp.users] == ["alice"]


@pytest.mark.parity(
    "GetUsersByUsernames",
    f"{USER_GO}: (*App).GetUsersByUsernames; {MODEL_GO}: (*User).SanitizeProfile",
)
def test_get_users_by_usernames_answers_admin_profiles(host: Host) -> None:
    """GetUsersByUsernames answers profiles as an admin sees them: the email stays; the
    password hash, `email_verified` and the failed sign-in count do not (unlike GetUser)."""
    user = create(host, "aa-named", email_verified=True)
    with host.store.tx() as db:
        db.execute(
            "UPDATE users SET data=json_set(data, '$.failed_attempts', 3) WHERE id=?",
            (user.id,),
        )
    (found,) = host.api.GetUsersByUsernames(
        pb.GetUsersByUsernamesRequest(usernames=[user.username])
    ).users
    assert (found.email, found.password, found.email_verified) == (user.email, "", False)
    assert found.failed_attempts == 0
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert stored.password and stored.failed_attempts == 3


@pytest.mark.parity("GetUsersInTeam", f"{STORE_GO}: (SqlUserStore).GetProfiles")
def test_get_users_in_team_includes_deactivated_users(host: Host) -> None:
    """GetUsersInTeam lists every current member of the team, deactivated users too."""
    team = host.info.teams["acme"]
    user = create(host, "aa-member")
    host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=team, user_id=user.id))
    deactivate(host, user.id)
    rsp = host.api.GetUsersInTeam(pb.GetUsersInTeamRequest(team_id=team, per_page=100))
    assert user.id in [u.id for u in rsp.users]


@pytest.mark.parity("GetUsersInTeam", f"{STORE_GO}: (SqlUserStore).GetProfiles")
def test_get_users_in_team_with_per_page_zero_is_empty(host: Host) -> None:
    """A page size of 0 is `LIMIT 0` on the server: an empty list, not a default page."""
    team = host.info.teams["acme"]
    rsp = host.api.GetUsersInTeam(pb.GetUsersInTeamRequest(team_id=team, per_page=0))
    assert not rsp.error.id and list(rsp.users) == []


@pytest.mark.parity("GetUsersInTeam", f"{STORE_GO}: (SqlUserStore).GetProfiles")
def test_user_lists_drop_the_password_hash(host: Host) -> None:
    """Paged lists are sanitised: no password hash (unlike GetUser)."""
    user = create(host, "aa-listed")
    team = host.info.teams["acme"]
    host.api.CreateTeamMember(pb.CreateTeamMemberRequest(team_id=team, user_id=user.id))
    rsp = host.api.GetUsersInTeam(pb.GetUsersInTeamRequest(team_id=team, per_page=100))
    (listed,) = [u for u in rsp.users if u.id == user.id]
    assert listed.password == "" and listed.email == user.email


@pytest.mark.parity("GetUsersInChannel", "server/channels/app/plugin_api.go: GetUsersInChannel")
def test_get_users_in_channel_refuses_other_sorts(host: Host) -> None:
    """`sort_by` must be `username` or `status`; anything else is a 400
    `plugin.api.get_users_in_channel`."""
    req = pb.GetUsersInChannelRequest(
        channel_id=host.info.channels["town-square"], sort_by="create_at", per_page=10
    )
    assert error(host.api.GetUsersInChannel(req)) == (400, "plugin.api.get_users_in_channel")


@pytest.mark.parity("GetUsersInChannel", f"{STORE_GO}: (SqlUserStore).GetProfilesInChannelByStatus")
def test_get_users_in_channel_by_status_orders_online_away_dnd_then_the_rest(host: Host) -> None:
    """By status: online first, then away, dnd, everyone else; by username within each."""
    channel = host.info.channels["off-topic"]  # admin (online), alice (online), bob (away)
    host.api.UpdateUserStatus(pb.UpdateUserStatusRequest(user_id=host.user("alice"), status="dnd"))
    try:
        req = pb.GetUsersInChannelRequest(channel_id=channel, sort_by="status", per_page=10)
        names = [u.username for u in host.api.GetUsersInChannel(req).users]
        assert names[:3] == ["admin", "bob", "alice"]  # then members without a status
    finally:
        host.api.UpdateUserStatus(
            pb.UpdateUserStatusRequest(user_id=host.user("alice"), status="online")
        )


@pytest.mark.parity("GetUsersInChannel", f"{STORE_GO}: (SqlUserStore).GetProfilesInChannel")
def test_get_users_in_channel_includes_deactivated_users(host: Host) -> None:
    """GetUsersInChannel lists deactivated members too."""
    user = create(host, "aa-chan")
    channel = host.info.channels["town-square"]
    host.api.CreateTeamMember(
        pb.CreateTeamMemberRequest(team_id=host.info.teams["acme"], user_id=user.id)
    )
    deactivate(host, user.id)
    req = pb.GetUsersInChannelRequest(channel_id=channel, sort_by="username", per_page=100)
    assert user.id in [u.id for u in host.api.GetUsersInChannel(req).users]


@pytest.mark.parity("GetUsers", f"{STORE_GO}: (SqlUserStore).GetAllProfiles")
def test_get_users_ignores_the_team_filter(host: Host) -> None:
    """GetUsers does not support `in_team_id`: users outside the team are listed too."""
    outsider = create(host, "aa-outsider")
    rsp = host.api.GetUsers(pb.GetUsersRequest(in_team_id=host.info.teams["acme"], per_page=500))
    assert outsider.id in [u.id for u in rsp.users]


@pytest.mark.parity("GetUsers", f"{STORE_GO}: (SqlUserStore).GetAllProfiles")
def test_get_users_sorts_by_username_unless_update_at_asc(host: Host) -> None:
    """An unknown `sort` is no error: the list is by username; `update_at_asc` sorts by the
    last update, oldest first."""
    rsp = host.api.GetUsers(pb.GetUsersRequest(sort="shoe size", per_page=500))
    names = [u.username for u in rsp.users]
    assert not rsp.error.id and names == sorted(names)
    fresh = create(host, "aaa-fresh")
    by_update = host.api.GetUsers(pb.GetUsersRequest(sort="update_at_asc", per_page=500)).users
    assert by_update[-1].id == fresh.id


@pytest.mark.parity("GetUsers", f"{STORE_GO}: applyMultiRoleFilters")
def test_get_users_role_system_user_means_only_system_user(host: Host) -> None:
    """In `roles`, `system_user` matches users whose roles are exactly that (admins are left
    out)."""
    rsp = host.api.GetUsers(pb.GetUsersRequest(roles=["system_user"], per_page=500))
    names = {u.username for u in rsp.users}
    assert "alice" in names and "admin" not in names


@pytest.mark.parity("GetUsers", f"{STORE_GO}: (SqlUserStore).GetAllProfiles")
def test_get_users_with_a_negative_page_is_a_500(host: Host) -> None:
    """A negative page reaches the database as a huge OFFSET and fails there: a 500
    `app.user.get_profiles.app_error`."""
    rsp = host.api.GetUsers(pb.GetUsersRequest(page=-1, per_page=10))
    assert error(rsp) == (500, "app.user.get_profiles.app_error")


# -- search ------------------------------------------------------------------------------
@pytest.mark.parity("SearchUsers", f"{STORE_GO}: (SqlUserStore).performSearch")
def test_search_users_does_not_search_names_or_emails(host: Host) -> None:
    """A plugin's search looks at usernames and nicknames only: `Liddell` (a last name) and
    `example.com` (emails) find nobody."""
    for term in ("Liddell", "example.com"):
        assert list(host.api.SearchUsers(pb.SearchUsersRequest(term=term, limit=50)).users) == []


@pytest.mark.parity("SearchUsers", f"{STORE_GO}: generateSearchQuery")
def test_search_users_matches_inside_the_username_and_the_nickname(host: Host) -> None:
    """Each word matches anywhere in the username or nickname, ignoring case and a leading
    `@`: `@LIC` finds alice, `oss` finds admin by its nickname `boss`."""
    found = host.api.SearchUsers(pb.SearchUsersRequest(term="@LIC", limit=50)).users
    assert [u.username for u in found] == ["alice"]
    by_nickname = host.api.SearchUsers(pb.SearchUsersRequest(term="oss", limit=50)).users
    assert [u.username for u in by_nickname] == ["admin"]


@pytest.mark.parity("SearchUsers", f"{STORE_GO}: generateSearchQuery")
def test_search_users_needs_every_word_and_accepts_an_id(host: Host) -> None:
    """Every word of the term must match; a word equal to a user id finds that user."""
    assert list(host.api.SearchUsers(pb.SearchUsersRequest(term="ali bob", limit=50)).users) == []
    bob = host.user("bob")
    found = host.api.SearchUsers(pb.SearchUsersRequest(term=bob, limit=50)).users
    assert [u.id for u in found] == [bob]


@pytest.mark.parity("SearchUsers", "server/channels/app/plugin_api.go: SearchUsers")
def test_search_users_with_limit_zero_is_empty(host: Host) -> None:
    """The plugin's `limit` goes to the database as is: 0 finds nobody."""
    rsp = host.api.SearchUsers(pb.SearchUsersRequest(term="alice", limit=0))
    assert not rsp.error.id and list(rsp.users) == []


@pytest.mark.parity("SearchUsers", f"{USER_GO}: (*App).SearchUsers")
def test_search_users_applies_only_the_first_filter(host: Host) -> None:
    """With a channel the team is ignored: `in_channel_id` wins over `team_id`."""
    req = pb.SearchUsersRequest(
        term="",
        in_channel_id=host.info.channels["secret-plans"],
        team_id="x" * 26,
        limit=50,
    )
    assert [u.username for u in host.api.SearchUsers(req).users] == ["admin", "alice"]


@pytest.mark.parity("SearchUsers", f"{MODEL_GO}: (*User).SanitizeProfile")
def test_search_users_answers_admin_profiles(host: Host) -> None:
    """Search results keep the email but clear `email_verified` and the password."""
    (alice,) = host.api.SearchUsers(pb.SearchUsersRequest(term="alice", limit=5)).users
    assert alice.email == "alice@example.com"
    assert (alice.email_verified, alice.password) == (False, "")


# -- create ------------------------------------------------------------------------------
@pytest.mark.parity("CreateUser", "server/channels/app/users/users.go: (*UserService).CreateUser")
def test_create_user_always_makes_a_system_user(host: Host) -> None:
    """The roles a plugin asks for are replaced by `system_user`."""
    user = create(host, roles="system_admin system_user")
    assert user.roles == "system_user"


@pytest.mark.parity(
    "CreateUser",
    "server/channels/app/users/password.go: IsPasswordValidWithSettings",
)
def test_create_user_short_password_is_pwd_min_length(host: Host) -> None:
    """A password under `PasswordSettings.MinimumLength` is a 400
    `model.user.is_valid.pwd_min_length.app_error` whose message names the minimum."""
    user = user_pb2.User(username="shorty", email="shorty@example.com", password="short")
    rsp = host.api.CreateUser(pb.CreateUserRequest(user=user))
    assert error(rsp) == (400, "model.user.is_valid.pwd_min_length.app_error")
    assert "minimum length 8" in rsp.error.message


@pytest.mark.parity(
    "CreateUser",
    "server/channels/app/users/password.go: IsPasswordValidWithSettings",
)
def test_create_user_password_policy_names_what_is_missing(host: Host) -> None:
    """With `Uppercase` and `Number` required, a lower-case password is a 400
    `model.user.is_valid.pwd_uppercase_number.app_error`."""
    user = user_pb2.User(username="policy", email="policy@example.com", password="lowercase")
    with (
        setting(host, "PasswordSettings.Uppercase", True),
        setting(host, "PasswordSettings.Number", True),
    ):
        rsp = host.api.CreateUser(pb.CreateUserRequest(user=user))
    assert error(rsp) == (400, "model.user.is_valid.pwd_uppercase_number.app_error")


@pytest.mark.parity("CreateUser", "server/public/model/user.go: IsValidUsername")
def test_create_user_refuses_a_username_ending_in_a_newline(host: Host) -> None:
    """The username's pattern is anchored at the very end of the text (Go's ``$`` does not
    match before a final newline): a 400 `model.user.is_valid.username.app_error`."""
    user = user_pb2.User(username="carol\n", email="carol.nl@example.com",
                         password="Passw0rd!")
    rsp = host.api.CreateUser(pb.CreateUserRequest(user=user))
    assert error(rsp) == (400, "model.user.is_valid.username.app_error")


@pytest.mark.parity("CreateUser", "server/channels/app/users/users.go: (*UserService).createUser")
def test_create_user_checks_the_password_before_the_username(host: Host) -> None:
    """A bad username with a short password reports the password."""
    user = user_pb2.User(username="bad name", email="bad@example.com", password="x")
    rsp = host.api.CreateUser(pb.CreateUserRequest(user=user))
    assert error(rsp) == (400, "model.user.is_valid.pwd_min_length.app_error")


@pytest.mark.parity("CreateUser", f"{STORE_GO}: (SqlUserStore).Save; {USER_GO}: createUserOrGuest")
def test_create_user_with_an_id_is_app_user_save_existing(host: Host) -> None:
    """A user that already has an id is a 400 `app.user.save.existing.app_error`."""
    user = user_pb2.User(
        id="x" * 26, username="withid", email="withid@example.com", password="Passw0rd!"
    )
    assert error(host.api.CreateUser(pb.CreateUserRequest(user=user))) == (
        400,
        "app.user.save.existing.app_error",
    )


@pytest.mark.parity("CreateUser", f"{MODEL_GO}: (*User).PreSave")
def test_create_user_without_a_username_gets_one(host: Host) -> None:
    """An empty username is no error: the server makes a fresh id the username."""
    user = create(host, username="")
    assert is_valid_id(user.username) and user.username != user.id


@pytest.mark.parity("CreateUser", f"{MODEL_GO}: (*User).PreSave; {UTILS_GO}: SanitizeUnicode")
def test_create_user_drops_invisible_characters_from_the_names(host: Host) -> None:
    """Bidi controls, the byte order mark and the other characters the server's
    SanitizeUnicode removes are dropped from the username, first and last name and nickname."""
    name = f"rtl{next(_n)}"
    user = create(
        host,
        username=f"{name}\u202e",
        first_name="Al\u202eice",
        last_name="\ufeffSmith",
        nickname="Bob\u2028by",
    )
    assert (user.username, user.first_name, user.last_name, user.nickname) == (
        name,
        "Alice",
        "Smith",
        "Bobby",
    )


@pytest.mark.parity("CreateUser", "server/channels/app/users/users.go: (*UserService).CreateUser")
def test_create_user_with_an_unsupported_locale_gets_the_default(host: Host) -> None:
    """A locale the server has no translation for becomes
    `LocalizationSettings.DefaultClientLocale` (`en`); a supported one is kept."""
    assert create(host, locale="xx").locale == "en"
    assert create(host, locale="de").locale == "de"


@pytest.mark.parity("CreateUser", f"{MODEL_GO}: (*User).SetDefaultNotifications")
def test_create_user_default_notify_props_have_no_mention_keys(host: Host) -> None:
    """Default notification settings have empty `mention_keys` (the username is always a
    mention anyway)."""
    user = create(host)
    assert user.notify_props["mention_keys"] == "" and user.notify_props["push"] == "mention"


@pytest.mark.parity("CreateUser", f"{USER_GO}: (*App).isUniqueToGroupNames")
def test_create_user_named_like_a_group_is_username_exists(host: Host) -> None:
    """A username that is a group's name is a 400 `app.user.save.username_exists.app_error`."""
    with host.store.tx() as db:
        db.execute(
            "INSERT INTO user_groups(id, name, source, data) VALUES(?, ?, 'custom', '{}')",
            ("g" * 26, "crew"),
        )
    user = user_pb2.User(username="crew", email="crew@example.com", password="Passw0rd!")
    assert error(host.api.CreateUser(pb.CreateUserRequest(user=user))) == (
        400,
        "app.user.save.username_exists.app_error",
    )


@pytest.mark.parity(
    "CreateUser",
    f"{USER_GO}: createUserOrGuest; app/users/utils.go: CheckEmailDomain",
)
def test_create_user_outside_the_allowed_domains_is_refused(host: Host) -> None:
    """With `TeamSettings.RestrictCreationToDomains` set, another domain is a 400
    `api.user.create_user.accepted_domain.app_error`."""
    user = user_pb2.User(username="outsider", email="out@elsewhere.org", password="Passw0rd!")
    with setting(host, "TeamSettings.RestrictCreationToDomains", "example.com"):
        rsp = host.api.CreateUser(pb.CreateUserRequest(user=user))
    assert error(rsp) == (400, "api.user.create_user.accepted_domain.app_error")


@pytest.mark.parity("CreateUser", f"{STORE_GO}: (SqlUserStore).Save")
def test_create_user_email_is_unique_ignoring_case(host: Host) -> None:
    """An email that differs from another user's only in case is a 400
    `app.user.save.email_exists.app_error`."""
    user = user_pb2.User(username="twin", email="BOB@example.com", password="Passw0rd!")
    assert error(host.api.CreateUser(pb.CreateUserRequest(user=user))) == (
        400,
        "app.user.save.email_exists.app_error",
    )


@pytest.mark.parity("CreateUser", f"{USER_GO}: createUserOrGuest")
def test_create_user_answers_without_the_password_and_adds_preferences(host: Host) -> None:
    """The created user comes back without its password hash, and has the server's three
    first preferences."""
    user = create(host)
    assert user.password == ""
    prefs = host.api.GetPreferencesForUser(rpb.GetPreferencesForUserRequest(user_id=user.id))
    got = {(p.category, p.name): p.value for p in prefs.preferences}
    assert got == {
        ("recommended_next_steps", "hide"): "false",
        ("tutorial_step", user.id): "0",
        ("system_notice", "GMasDM"): "true",
    }


@pytest.mark.parity("CreateUser", f"{STORE_GO}: newSqlUserStore (IsBot comes from the Bots table)")
def test_create_user_never_makes_a_bot(host: Host) -> None:
    """`is_bot` is not the plugin's to set: only CreateBot makes bots, and UpdateUser keeps
    a bot a bot."""
    user = create(host, is_bot=True, bot_description="sneaky")
    assert (user.is_bot, user.bot_description) == (False, "")
    bot = host.api.GetUser(pb.GetUserRequest(user_id=host.user("helper-bot"))).user
    bot.is_bot, bot.nickname = False, "still a bot"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=bot)).user
    assert (updated.is_bot, updated.nickname) == (True, "still a bot")


# -- update ------------------------------------------------------------------------------
@pytest.mark.parity("UpdateUser", f"{USER_GO}: (*App).UpdateUser")
def test_update_user_of_a_missing_user_is_404(host: Host) -> None:
    """Updating a user that does not exist is a 404 `app.user.missing_account.const`."""
    ghost = user_pb2.User(id="x" * 26, username="ghost", email="ghost@example.com")
    rsp = host.api.UpdateUser(pb.UpdateUserRequest(user=ghost))
    assert error(rsp) == (404, "app.user.missing_account.const")


@pytest.mark.parity("UpdateUser", f"{STORE_GO}: (SqlUserStore).Update")
def test_update_user_keeps_roles_deactivation_and_password(host: Host) -> None:
    """A plugin cannot change roles, `delete_at` or the password through UpdateUser."""
    user = create(host)
    before = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.password
    user.roles, user.delete_at, user.password = "system_admin", 5, "NewPassw0rd!"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=user)).user
    assert (updated.roles, updated.delete_at, updated.password) == ("system_user", 0, "")
    assert host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.password == before


@pytest.mark.parity("UpdateUser", f"{MODEL_GO}: (*User).UpdateMentionKeysFromUsername")
def test_update_user_rename_drops_the_old_name_from_mention_keys(host: Host) -> None:
    """Renaming removes the old username from `mention_keys` and keeps the other keys (after
    a leading comma, as the server writes them)."""
    user = create(host)
    user.notify_props["mention_keys"] = f"{user.username},@{user.username},Deploy"
    old = user.username
    user.username = f"{old}x"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=user)).user
    assert updated.notify_props["mention_keys"] == ",deploy"


@pytest.mark.parity("UpdateUser", f"{MODEL_GO}: (*User).PreUpdate; {UTILS_GO}: SanitizeUnicode")
def test_update_user_drops_invisible_characters_from_the_names(host: Host) -> None:
    """UpdateUser drops the characters SanitizeUnicode removes from the username, names and
    nickname, as CreateUser does."""
    user = create(host)
    name = user.username
    user.username, user.nickname = f"{name}\u202e", "Ni\u202eck"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=user)).user
    assert (updated.username, updated.nickname) == (name, "Nick")
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert (stored.username, stored.nickname) == (name, "Nick")


@pytest.mark.parity(
    "UpdateUser",
    f"{USER_GO}: (*App).UpdateUser; {USER_GO}: (*App).UpdateDefaultProfileImage; "
    f"{STORE_GO}: (SqlUserStore).ResetLastPictureUpdate",
)
def test_update_user_rename_regenerates_the_default_picture(host: Host) -> None:
    """Renaming a user who has no picture of their own regenerates the default one: the
    answer's `last_picture_update` is minus its `update_at`; a picture of their own stays."""
    user = create(host)
    user.username = f"{user.username}x"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=user)).user
    assert updated.last_picture_update < 0
    assert updated.last_picture_update == -updated.update_at
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert stored.last_picture_update == updated.last_picture_update

    other = create(host)
    png = host.api.GetProfileImage(pb.GetProfileImageRequest(user_id=host.user("bob"))).image
    host.api.SetProfileImage(pb.SetProfileImageRequest(user_id=other.id, data=png))
    own = host.api.GetUser(pb.GetUserRequest(user_id=other.id)).user
    own.username = f"{own.username}x"
    renamed = host.api.UpdateUser(pb.UpdateUserRequest(user=own)).user
    assert renamed.last_picture_update == own.last_picture_update > 0


@pytest.mark.parity("UpdateUser", f"{STORE_GO}: (SqlUserStore).Update")
def test_update_user_new_email_is_unverified(host: Host) -> None:
    """Changing the email clears `email_verified`."""
    user = create(host, email_verified=True)
    user.email = f"new-{user.email}"
    assert host.api.UpdateUser(pb.UpdateUserRequest(user=user)).user.email_verified is False


@pytest.mark.parity("UpdateUser", f"{USER_GO}: (*App).sendUpdatedUserEvent")
def test_update_user_sends_user_updated_to_admins_others_and_the_user(quiet_host: Host) -> None:
    """UpdateUser sends `user_updated` three times: the admin profile to system admins and
    the public profile (email as `PrivacySettings.ShowEmailAddress` shows it) to everyone
    else, both leaving the user out, then the user as the store answers it (sanitised: no
    password hash) to the user."""
    host = quiet_host
    user = create(host, nickname="before")
    host.emitted.clear()
    user.nickname = "after"
    with setting(host, "PrivacySettings.ShowEmailAddress", False):
        assert not host.api.UpdateUser(pb.UpdateUserRequest(user=user)).error.id
    events = host.events("user_updated")
    assert [e["broadcast"] for e in events] == [
        {"omit_users": {user.id: True}, "contains_sensitive_data": True},
        {"omit_users": {user.id: True}, "contains_sanitized_data": True},
        {"user_id": user.id},
    ]
    admin, public, own = (e["data"]["user"] for e in events)
    assert {u["nickname"] for u in (admin, public, own)} == {"after"}
    assert (admin["email"], public["email"], own["email"]) == (user.email, "", user.email)
    assert "notify_props" in admin and "notify_props" not in public
    assert "password" not in admin and "password" not in public
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert own["notify_props"] == dict(stored.notify_props)
    assert "password" not in own and own["auth_data"] == ""


@pytest.mark.parity("UpdateUser", f"{MODEL_GO}: User (its JSON)")
def test_user_updated_carries_the_user_as_the_servers_json(quiet_host: Host) -> None:
    """The user in `user_updated` is the model itself, not JSON text: times are numbers, a
    sanitised copy has `auth_data: ""`, and the empty fields the server's JSON omits (such
    as `mfa_secret` or `last_login`) are left out while `delete_at` and `position` stay."""
    host = quiet_host
    user = create(host)
    host.emitted.clear()
    assert not host.api.UpdateUser(pb.UpdateUserRequest(user=user)).error.id
    public = host.events("user_updated")[1]["data"]["user"]
    assert isinstance(public["create_at"], int) and public["create_at"] == user.create_at
    assert (public["auth_data"], public["delete_at"], public["position"]) == ("", 0, "")
    assert not {"mfa_secret", "last_login", "is_bot", "email_verified"} & set(public)


# -- activation --------------------------------------------------------------------------
@pytest.mark.parity("DeleteUser", f"{USER_GO}: (*App).UpdateActive")
def test_delete_user_deactivates_fires_the_hook_and_ends_sessions(quiet_host: Host) -> None:
    """DeleteUser deactivates the user (`delete_at` set), ends their sessions, sets them
    offline and fires `UserHasBeenDeactivated`."""
    host = quiet_host
    user = create(host)
    session = host.api.CreateSession(
        pb.CreateSessionRequest(session=pb.Session(user_id=user.id))
    ).session
    assert not host.api.DeleteUser(pb.DeleteUserRequest(user_id=user.id)).error.id
    assert host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user.delete_at > 0
    (fired,) = host.hooks.named("UserHasBeenDeactivated")
    assert fired.user.id == user.id  # type: ignore[attr-defined]
    assert host.api.GetSession(pb.GetSessionRequest(session_id=session.id)).error.id
    status = host.api.GetUserStatus(pb.GetUserStatusRequest(user_id=user.id)).status
    assert (status.status, status.manual) == ("offline", False)


@pytest.mark.parity(
    "UpdateUserActive",
    "server/channels/app/user.go: (*App).userDeactivated; "
    "server/channels/app/bot.go: (*App).disableUserBots",
)
def test_deactivating_an_owner_deactivates_their_bots(host: Host) -> None:
    """With `DisableBotsWhenOwnerIsDeactivated` (the default) the owner's bots are
    deactivated too."""
    from mmplug.protocol import api_file_bot_pb2 as fb

    owner = create(host)
    bot = host.api.CreateBot(
        fb.CreateBotRequest(bot=fb.Bot(username=f"owned{next(_n)}", owner_id=owner.id))
    ).bot
    deactivate(host, owner.id)
    rsp = host.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id, include_deleted=True))
    assert rsp.bot.delete_at > 0


# -- roles, auth, LDAP -------------------------------------------------------------------
@pytest.mark.parity("UpdateUserRoles", f"{USER_GO}: (*App).UpdateUserRolesWithUser")
def test_update_user_roles_tells_the_user_of_the_new_roles(quiet_host: Host) -> None:
    """New roles send `user_role_updated` with the `user_id` and the `roles` to that user
    only."""
    host = quiet_host
    user = create(host)
    host.emitted.clear()
    req = pb.UpdateUserRolesRequest(user_id=user.id, new_roles="system_guest")
    assert not host.api.UpdateUserRoles(req).error.id
    (event,) = host.events("user_role_updated")
    assert event["data"] == {"user_id": user.id, "roles": "system_guest"}
    assert event["broadcast"] == {"user_id": user.id}


@pytest.mark.parity("UpdateUserRoles", f"{USER_GO}: (*App).UpdateUserRoles")
def test_update_user_roles_of_a_missing_user_is_400(host: Host) -> None:
    """A missing user is a 400 here (the server turns the 404 into a bad request), id
    `app.user.missing_account.const`."""
    rsp = host.api.UpdateUserRoles(
        pb.UpdateUserRolesRequest(user_id="x" * 26, new_roles="system_user")
    )
    assert error(rsp) == (400, "app.user.missing_account.const")


@pytest.mark.parity("UpdateUserRoles", f"{USER_GO}: (*App).UpdateUserRolesWithUser")
def test_update_user_roles_keeps_the_last_system_admin(host: Host) -> None:
    """Taking `system_admin` from the only active system admin is a 400
    `app.user.update.lastAdmin.app_error`."""
    rsp = host.api.UpdateUserRoles(
        pb.UpdateUserRolesRequest(user_id=host.user("admin"), new_roles="system_user")
    )
    assert error(rsp) == (400, "app.user.update.lastAdmin.app_error")


@pytest.mark.parity("UpdateUserRoles", "server/channels/app/role.go: (*App).CheckRolesExist")
def test_update_user_roles_needs_known_roles(host: Host) -> None:
    """An unknown role is a 400 `app.role.check_roles_exist.role_not_found`."""
    rsp = host.api.UpdateUserRoles(
        pb.UpdateUserRolesRequest(user_id=host.user("bob"), new_roles="system_user overlord")
    )
    assert error(rsp) == (400, "app.role.check_roles_exist.role_not_found")


@pytest.mark.parity("UpdateUserAuth", f"{STORE_GO}: (SqlUserStore).UpdateAuthData")
def test_update_user_auth_clears_the_password(host: Host) -> None:
    """Switching a user to an auth service clears their password and answers the auth data
    as given."""
    user = create(host)
    auth = pb.UserAuth(auth_data="uid-7", auth_service="gitlab")
    rsp = host.api.UpdateUserAuth(pb.UpdateUserAuthRequest(user_id=user.id, user_auth=auth))
    assert (rsp.user_auth.auth_data, rsp.user_auth.auth_service) == ("uid-7", "gitlab")
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert (stored.password, stored.auth_service, stored.auth_data) == ("", "gitlab", "uid-7")


@pytest.mark.parity(
    "GetLDAPUserAttributes",
    "server/channels/app/plugin_api.go: GetLDAPUserAttributes",
)
def test_ldap_attributes_are_501_before_the_user_is_looked_up(host: Host) -> None:
    """Without LDAP the answer is a 501 `ent.ldap.disabled.app_error`, even for a missing
    user."""
    req = pb.GetLDAPUserAttributesRequest(user_id="x" * 26, attributes=["uid"])
    assert error(host.api.GetLDAPUserAttributes(req)) == (501, "ent.ldap.disabled.app_error")


@pytest.mark.parity("CreateUser", f"{USER_GO}: (*App).createUserOrGuest")
def test_create_user_tells_everyone_of_the_new_user(quiet_host: Host) -> None:
    """Creating a user sends `new_user` with only the new user's id, to everyone."""
    user = create(quiet_host)
    (event,) = quiet_host.events("new_user")
    assert event["data"] == {"user_id": user.id} and event["broadcast"] == {}
