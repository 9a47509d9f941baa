"""Server parity of sessions and personal access tokens (users_sessions.py)."""

from __future__ import annotations

import pytest
from test_parity_users import create, error, setting
from worldhost import Host

from mmplug.protocol import api_user_team_pb2 as pb

SESSION_GO = "server/channels/app/session.go"
PLUGIN_API_GO = "server/channels/app/plugin_api.go"


def new_session(host: Host, **fields: object) -> pb.CreateSessionResponse:
    return host.api.CreateSession(pb.CreateSessionRequest(session=pb.Session(**fields)))  # type: ignore[arg-type]


def new_token(
    host: Host, user_id: str, description: str = "ci"
) -> pb.CreateUserAccessTokenResponse:
    token = pb.UserAccessToken(user_id=user_id, description=description)
    return host.api.CreateUserAccessToken(pb.CreateUserAccessTokenRequest(token=token))


@pytest.mark.parity("GetSession", f"{SESSION_GO}: (*App).GetSessionById")
def test_get_session_of_an_unknown_id_is_400(host: Host) -> None:
    """An unknown session is a 400 (not a 404) `app.session.get.app_error`."""
    rsp = host.api.GetSession(pb.GetSessionRequest(session_id="x" * 26))
    assert error(rsp) == (400, "app.session.get.app_error")


@pytest.mark.parity(
    "GetSession",
    "server/channels/store/sqlstore/session_store.go: (SqlSessionStore).Get",
)
def test_get_session_finds_a_session_by_its_token(host: Host) -> None:
    """GetSession accepts the session's token as well as its id, and lists the user's team
    memberships."""
    session = new_session(host, user_id=host.user("alice")).session
    got = host.api.GetSession(pb.GetSessionRequest(session_id=session.token)).session
    assert got.id == session.id
    assert [m.team_id for m in got.team_members] == [host.info.teams["acme"]]


@pytest.mark.parity(
    "CreateSession",
    "server/channels/app/platform/session.go: (*PlatformService).CreateSession",
)
def test_create_session_makes_its_own_token_and_keeps_the_roles_given(host: Host) -> None:
    """A token the plugin sets is replaced by a new one; roles stay as given (none here)."""
    rsp = new_session(host, user_id=host.user("bob"), token="mine")
    assert not rsp.error.id
    assert rsp.session.token not in ("", "mine") and len(rsp.session.token) == 26
    assert rsp.session.roles == "" and rsp.session.create_at > 0


@pytest.mark.parity(
    "CreateSession",
    "server/channels/store/sqlstore/session_store.go: (SqlSessionStore).Save",
)
def test_create_session_with_an_id_is_save_existing(host: Host) -> None:
    """A session that already has an id is a 400 `app.session.save.existing.app_error`."""
    rsp = new_session(host, id="x" * 26, user_id=host.user("bob"))
    assert error(rsp) == (400, "app.session.save.existing.app_error")


@pytest.mark.parity(
    "CreateSession",
    f"{SESSION_GO}: (*App).CreateSession; server/public/model/session.go: (*Session).IsValid",
)
def test_create_session_with_a_malformed_user_id_is_a_500(host: Host) -> None:
    """A user id that is not a 26-character id fails validation in the store: a 500
    `app.session.save.app_error`."""
    assert error(new_session(host, user_id="bob")) == (500, "app.session.save.app_error")


@pytest.mark.parity("RevokeSession", f"{SESSION_GO}: (*App).RevokeSessionById")
def test_revoke_session_of_an_unknown_id_is_400(host: Host) -> None:
    """Revoking an unknown session is a 400 `app.session.get.app_error`; a revoked session
    is gone."""
    rsp = host.api.RevokeSession(pb.RevokeSessionRequest(session_id="x" * 26))
    assert error(rsp) == (400, "app.session.get.app_error")
    session = new_session(host, user_id=host.user("bob")).session
    assert not host.api.RevokeSession(pb.RevokeSessionRequest(session_id=session.id)).error.id
    assert host.api.GetSession(pb.GetSessionRequest(session_id=session.id)).error.id


@pytest.mark.parity("ExtendSessionExpiry", f"{PLUGIN_API_GO}: ExtendSessionExpiry")
def test_extend_session_expiry_of_an_unknown_session_is_500(host: Host) -> None:
    """An unknown session is a 500 `app.session.get_sessions.app_error`; a known one gets
    the new expiry as given."""
    rsp = host.api.ExtendSessionExpiry(
        pb.ExtendSessionExpiryRequest(session_id="x" * 26, new_expiry=1)
    )
    assert error(rsp) == (500, "app.session.get_sessions.app_error")
    session = new_session(host, user_id=host.user("bob")).session
    host.api.ExtendSessionExpiry(pb.ExtendSessionExpiryRequest(session_id=session.id, new_expiry=7))
    assert host.api.GetSession(pb.GetSessionRequest(session_id=session.id)).session.expires_at == 7


@pytest.mark.parity("CreateUserAccessToken", f"{SESSION_GO}: (*App).CreateUserAccessToken")
def test_access_token_for_a_missing_user_is_404(host: Host) -> None:
    """A token for a user who does not exist is a 404 `app.user.missing_account.const`."""
    assert error(new_token(host, "x" * 26)) == (404, "app.user.missing_account.const")


@pytest.mark.parity("CreateUserAccessToken", f"{SESSION_GO}: (*App).CreateUserAccessToken")
def test_access_tokens_switched_off_are_501_except_for_bots(host: Host) -> None:
    """With `ServiceSettings.EnableUserAccessTokens` off a person's token is a 501
    `app.user_access_token.disabled`; a bot still gets one."""
    with setting(host, "ServiceSettings.EnableUserAccessTokens", False):
        person = new_token(host, host.user("bob"))
        bot = new_token(host, host.user("helper-bot"))
    assert error(person) == (501, "app.user_access_token.disabled")
    assert not bot.error.id and bot.token.is_active


@pytest.mark.parity(
    "CreateUserAccessToken",
    "server/public/model/user_access_token.go: (*UserAccessToken).IsValid",
)
def test_access_token_description_is_at_most_255_bytes(host: Host) -> None:
    """A description over 255 bytes (not characters) is a 400
    `model.user_access_token.is_valid.description.app_error`."""
    rsp = new_token(host, host.user("bob"), description="é" * 128)
    assert error(rsp) == (400, "model.user_access_token.is_valid.description.app_error")


@pytest.mark.parity("CreateUserAccessToken", f"{SESSION_GO}: (*App).CreateUserAccessToken")
def test_access_token_for_a_deactivated_user_is_created(host: Host) -> None:
    """Creating a token does not look at deactivation (signing in with it would fail)."""
    user = create(host)
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=user.id, active=False))
    rsp = new_token(host, user.id)
    assert not rsp.error.id and len(rsp.token.token) == 26


@pytest.mark.parity("RevokeUserAccessToken", f"{SESSION_GO}: (*App).GetUserAccessToken")
def test_revoke_an_unknown_access_token_is_404(host: Host) -> None:
    """An unknown token id is a 404 `app.user_access_token.get_by_user.app_error`."""
    rsp = host.api.RevokeUserAccessToken(pb.RevokeUserAccessTokenRequest(token_id="x" * 26))
    assert error(rsp) == (404, "app.user_access_token.get_by_user.app_error")
