"""Server parity of the user rpcs, second audit: what the server's ``User.Sanitize`` leaves
in write results and lists, which user the ``user_updated`` event to the user carries, and
the guest accounts' domain rule of UpdateUser."""

from __future__ import annotations

import pytest
from test_parity_users import create, error, setting
from worldhost import Host

from mmplug.protocol import api_user_team_pb2 as pb

USER_GO = "server/channels/app/user.go"
MODEL_GO = "server/public/model/user.go"
USERS_GO = "server/channels/app/users/users.go"
STORE_GO = "server/channels/store/sqlstore/user_store.go"


@pytest.mark.parity(
    ("CreateUser", "UpdateUser"),
    f"{USERS_GO}: (*UserService).createUser; {MODEL_GO}: (*User).Sanitize",
)
def test_write_results_have_an_empty_auth_data(host: Host) -> None:
    """CreateUser and UpdateUser answer `auth_data` as an empty string, never the stored
    value (an SSO user's id at the provider) and never absent."""
    plain = create(host, "authd")
    assert plain.HasField("auth_data") and plain.auth_data == ""
    sso = create(host, "authd", password="", auth_service="gitlab", auth_data="gl-4711")
    assert sso.HasField("auth_data") and sso.auth_data == ""
    stored = host.api.GetUser(pb.GetUserRequest(user_id=sso.id)).user
    assert stored.auth_data == "gl-4711"  # GetUser is not sanitised
    stored.nickname = "n"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=stored)).user
    assert updated.HasField("auth_data") and updated.auth_data == ""


@pytest.mark.parity(
    "GetUsersInChannel", f"{STORE_GO}: (SqlUserStore).GetProfilesInChannel"
)
def test_channel_member_lists_have_an_empty_auth_data(host: Host) -> None:
    """GetUsersInChannel answers every member with `auth_data` an empty string (the store
    sanitises each user)."""
    channel = host.info.channels["town-square"]
    rsp = host.api.GetUsersInChannel(
        pb.GetUsersInChannelRequest(channel_id=channel, sort_by="username", page=0, per_page=50)
    )
    assert rsp.users and all(u.HasField("auth_data") and u.auth_data == "" for u in rsp.users)


@pytest.mark.parity("UpdateUser", f"{USER_GO}: (*App).UpdateUser")
def test_a_rename_sends_the_user_the_stored_user(quiet_host: Host) -> None:
    """When a rename regenerates the default picture, the server reads the user again, so
    the `user_updated` event to the user carries the stored user, password hash included."""
    host = quiet_host
    user = create(host, "renamed")
    host.emitted.clear()
    user.username = user.username + "x"
    assert not host.api.UpdateUser(pb.UpdateUserRequest(user=user)).error.id
    own = host.events("user_updated")[2]["data"]["user"]
    stored = host.api.GetUser(pb.GetUserRequest(user_id=user.id)).user
    assert own["password"] == stored.password and own["last_picture_update"] < 0


@pytest.mark.parity("UpdateUser", f"{USER_GO}: (*App).UpdateUser")
def test_a_guest_email_is_checked_against_the_guest_domains(host: Host) -> None:
    """A guest's new email must be in `GuestAccountsSettings.RestrictCreationToDomains` (else
    a 400 `api.user.update_user.accepted_guest_domain.app_error`); the team setting does not
    apply to guests."""
    guest = create(host, "guestmail")
    assert not host.api.UpdateUserRoles(
        pb.UpdateUserRolesRequest(user_id=guest.id, new_roles="system_guest")
    ).error.id
    guest = host.api.GetUser(pb.GetUserRequest(user_id=guest.id)).user
    guest.email = "g@elsewhere.org"
    with setting(host, "TeamSettings.RestrictCreationToDomains", "example.com"):
        assert not host.api.UpdateUser(pb.UpdateUserRequest(user=guest)).error.id
    guest.email = "g2@elsewhere.org"
    with setting(host, "GuestAccountsSettings.RestrictCreationToDomains", "example.com"):
        rsp = host.api.UpdateUser(pb.UpdateUserRequest(user=guest))
    assert error(rsp) == (400, "api.user.update_user.accepted_guest_domain.app_error")


@pytest.mark.parity(
    "GetUsersInChannel", f"{STORE_GO}: (SqlUserStore).GetProfilesInChannel (uint64 paging)"
)
def test_a_negative_page_of_no_rows_is_empty(host: Host) -> None:
    """The server turns `page * per_page` and `per_page` into unsigned numbers: a negative
    page of 0 rows is an empty list, while a negative offset or page size is a 500
    `app.user.get_profiles.app_error`."""
    channel = host.info.channels["town-square"]

    def page(number: int, size: int) -> pb.GetUsersInChannelResponse:
        return host.api.GetUsersInChannel(  # type: ignore[no-any-return]
            pb.GetUsersInChannelRequest(
                channel_id=channel, sort_by="username", page=number, per_page=size
            )
        )

    rsp = page(-1, 0)
    assert not rsp.error.id and list(rsp.users) == []
    assert error(page(-1, 5)) == (500, "app.user.get_profiles.app_error")
    assert error(page(0, -1)) == (500, "app.user.get_profiles.app_error")


@pytest.mark.parity("CreateUser", f"{MODEL_GO}: (*User).SetDefaultNotifications")
def test_default_notify_props_push_status_is_away(host: Host) -> None:
    """A new user without notification settings gets the server's defaults, where push
    notifications wait until the user is `away` (`push_status`)."""
    user = create(host, "pushdef")
    assert user.notify_props["push_status"] == "away"
    assert (user.notify_props["push"], user.notify_props["desktop"]) == ("mention", "mention")


@pytest.mark.parity("UpdateUser", f"{STORE_GO}: (SqlUserStore).Update")
def test_update_user_keeps_an_sso_users_email_verified(host: Host) -> None:
    """UpdateUser keeps the stored `email_verified`, for SSO users too: an unverified
    GitLab user stays unverified."""
    sso = create(host, "ssoverif", password="", auth_service="gitlab", auth_data="gl-ver")
    stored = host.api.GetUser(pb.GetUserRequest(user_id=sso.id)).user
    assert stored.email_verified is False
    stored.nickname = "changed"
    updated = host.api.UpdateUser(pb.UpdateUserRequest(user=stored)).user
    assert updated.email_verified is False
    assert host.api.GetUser(pb.GetUserRequest(user_id=sso.id)).user.email_verified is False


@pytest.mark.parity(
    ("CreateUser", "GetUser"),
    f"{STORE_GO}: (SqlUserStore).Save, (SqlUserStore).Get",
)
def test_fields_that_are_no_columns_are_not_stored(host: Host) -> None:
    """`terms_of_service_id`, `terms_of_service_create_at` and `disable_welcome_email` are
    no columns of the server's Users table: CreateUser answers them as given, GetUser never
    has them."""
    created = create(
        host,
        "nocol",
        terms_of_service_id="t" * 26,
        terms_of_service_create_at=5,
        disable_welcome_email=True,
    )
    assert (created.terms_of_service_id, created.disable_welcome_email) == ("t" * 26, True)
    stored = host.api.GetUser(pb.GetUserRequest(user_id=created.id)).user
    assert (
        stored.terms_of_service_id,
        stored.terms_of_service_create_at,
        stored.disable_welcome_email,
    ) == ("", 0, False)
