"""Sessions and personal access tokens: CreateSession, GetSession, ExtendSessionExpiry,
RevokeSession, CreateUserAccessToken, RevokeUserAccessToken, as the server's session code
does them (``server/channels/app/session.go``, ``app/platform/session.go``).

A session is found by its id or by its token. A personal access token gets its session
when it is first used to sign in (:func:`session_of_token`, the server's ``GetSession`` of a
request's token); revoking the token revokes that session. Tokens need
``ServiceSettings.EnableUserAccessTokens`` unless the user is a bot.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.config import server_settings
from mmplug.host.api.users import find_user, missing_user
from mmplug.host.store import Store
from mmplug.protocol import api_user_team_pb2 as pb

TOKEN_DESCRIPTION_MAX = 255  # bytes
# the session a personal access token signs in with (model.SessionUserAccessTokenExpiryHours)
TOKEN_SESSION_HOURS = 100 * 365 * 24
SESSION_TYPE_PROP = "type"
TOKEN_SESSION_TYPE = "UserAccessToken"
# ServiceSettings defaults that decide whether an idle session is refused
IDLE_TIMEOUT_MINUTES = 43200

differs(
    "CreateSession",
    "The server also creates a session for a user id that has no user; mmplug refuses it "
    "with the 404 of a missing user.",
)


def find_session(db: sqlite3.Connection, id_or_token: str) -> pb.Session | None:
    row = db.execute(
        "SELECT data FROM sessions WHERE id=? OR token=? LIMIT 1", (id_or_token, id_or_token)
    ).fetchone()
    return None if row is None else conv.from_json(pb.Session, row["data"])


def _get_session(db: sqlite3.Connection, session_id: str) -> pb.Session:
    """The session with its user's current team memberships (as the server's store)."""
    session = find_session(db, session_id)
    if session is None:
        raise ApiFailure(
            400,
            "app.session.get.app_error",
            "We encountered an error finding the session.",
            detailed_error=f"session_id={session_id}: no session with that id or token",
        )
    members = db.execute(
        "SELECT * FROM team_members WHERE user_id=? AND delete_at=0 ORDER BY team_id",
        (session.user_id,),
    ).fetchall()
    del session.team_members[:]
    session.team_members.extend(conv.team_member_from_row(r) for r in members)
    return session


def _save_session(db: sqlite3.Connection, session: pb.Session) -> None:
    stored = pb.Session()
    stored.CopyFrom(session)
    del stored.team_members[:]
    db.execute(
        "INSERT INTO sessions(id, user_id, token, expires_at, data) VALUES(?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET expires_at=excluded.expires_at, data=excluded.data",
        (stored.id, stored.user_id, stored.token, stored.expires_at, conv.to_json(stored)),
    )


@emulates("CreateSession")
def create_session(ctx: ApiContext, req: pb.CreateSessionRequest) -> pb.CreateSessionResponse:
    """The server's ``CreateSession``: a new id and token (a given token is replaced), the
    creation time, and the roles as given."""
    session = pb.Session()
    session.CopyFrom(req.session)
    with ctx.store.tx() as db:
        user = find_user(db, session.user_id)
        if user is not None and user.remote_id:
            raise ApiFailure(
                401,
                "api.user.login.remote_users.login.error",
                "Remote users cannot sign in.",
                detailed_error=f"user_id={user.id}",
            )
        if session.id:
            raise ApiFailure(
                400,
                "app.session.save.existing.app_error",
                "Unable to update existing session.",
                detailed_error="leave id empty: the server assigns it",
            )
        if len(session.user_id) != 26 or len(session.roles) > 256:
            raise ApiFailure(
                500,
                "app.session.save.app_error",
                "Unable to save the session.",
                detailed_error=f"user_id={session.user_id!r}: not a 26-character id, or roles "
                "longer than 256 characters",
            )
        if user is None:
            raise missing_user(session.user_id)
        session.id, session.token = ctx.new_id(), ctx.new_id()
        session.create_at = session.last_activity_at = ctx.now()
        del session.team_members[:]
        _save_session(db, session)
    return pb.CreateSessionResponse(session=session)


@emulates("GetSession")
def get_session(ctx: ApiContext, req: pb.GetSessionRequest) -> pb.GetSessionResponse:
    with ctx.store.read() as db:
        return pb.GetSessionResponse(session=_get_session(db, req.session_id))


@emulates("ExtendSessionExpiry")
def extend_session_expiry(
    ctx: ApiContext, req: pb.ExtendSessionExpiryRequest
) -> pb.ExtendSessionExpiryResponse:
    """Sets ``expires_at`` as given (no check); an unknown session is the server's 500."""
    with ctx.store.tx() as db:
        session = find_session(db, req.session_id)
        if session is None:
            raise ApiFailure(
                500,
                "app.session.get_sessions.app_error",
                "We encountered an error while finding user sessions.",
                detailed_error=f"session_id={req.session_id}: no such session",
            )
        session.expires_at = req.new_expiry
        _save_session(db, session)
    return pb.ExtendSessionExpiryResponse()


@emulates("RevokeSession")
def revoke_session(ctx: ApiContext, req: pb.RevokeSessionRequest) -> pb.RevokeSessionResponse:
    with ctx.store.tx() as db:
        session = _get_session(db, req.session_id)
        db.execute("DELETE FROM sessions WHERE id=?", (session.id,))
    return pb.RevokeSessionResponse()


@emulates("CreateUserAccessToken")
def create_user_access_token(
    ctx: ApiContext, req: pb.CreateUserAccessTokenRequest
) -> pb.CreateUserAccessTokenResponse:
    """The server's ``CreateUserAccessToken``: the user must exist; tokens must be enabled
    unless the user is a bot; the description is at most 255 bytes; the answer carries the
    token string (the only time it is seen)."""
    with ctx.store.tx() as db:
        user = find_user(db, req.token.user_id)
        if user is None:
            raise missing_user(req.token.user_id)
        enabled = server_settings(db, "ServiceSettings").get("EnableUserAccessTokens", False)
        if not enabled and not user.is_bot:
            raise ApiFailure(
                501,
                "app.user_access_token.disabled",
                "Personal access tokens are disabled on this server.",
                detailed_error="set ServiceSettings.EnableUserAccessTokens to true",
            )
        if len(req.token.description.encode()) > TOKEN_DESCRIPTION_MAX:
            raise ApiFailure(
                400,
                "model.user_access_token.is_valid.description.app_error",
                f"Invalid description, must be {TOKEN_DESCRIPTION_MAX} or less characters.",
                where="UserAccessToken.IsValid",
            )
        token = pb.UserAccessToken(
            id=ctx.new_id(),
            token=ctx.new_id(),
            user_id=user.id,
            description=req.token.description,
            is_active=True,
        )
        db.execute(
            "INSERT INTO access_tokens(id, user_id, token, data) VALUES(?, ?, ?, ?)",
            (token.id, token.user_id, token.token, conv.to_json(token)),
        )
    return pb.CreateUserAccessTokenResponse(token=token)


@emulates("RevokeUserAccessToken")
def revoke_user_access_token(
    ctx: ApiContext, req: pb.RevokeUserAccessTokenRequest
) -> pb.RevokeUserAccessTokenResponse:
    with ctx.store.tx() as db:
        row = db.execute("SELECT token FROM access_tokens WHERE id=?", (req.token_id,)).fetchone()
        if row is None:
            raise ApiFailure(
                404,
                "app.user_access_token.get_by_user.app_error",
                "Unable to get the personal access tokens by user.",
                detailed_error=f"token_id={req.token_id}",
            )
        db.execute("DELETE FROM access_tokens WHERE id=?", (req.token_id,))
        db.execute("DELETE FROM sessions WHERE token=?", (row["token"],))
    return pb.RevokeUserAccessTokenResponse()


def session_of_token(store: Store, token: str) -> tuple[pb.Session | None, str]:
    """The server's ``GetSession(token)`` for a request's token: (the session, "") or (None,
    why it does not sign in). A token that is a session's id, an expired session, one idle
    past ``SessionIdleTimeoutInMinutes`` (only when ``ExtendSessionLengthWithActivity`` is
    off; it is revoked), and a personal access token that is unknown, inactive, of a
    deactivated user or not enabled do not; a personal access token's first use creates its
    session (``createSessionForUserAccessToken``)."""
    now = store.now_ms()
    with store.tx() as db:
        session = find_session(db, token)
        if session is not None and session.token != token:
            return None, "the token is a session's id, not its token"
        if session is None:
            session, why = _token_session(db, store, token, now)
            if session is None:
                return None, why
        if 0 < session.expires_at < now:
            return None, "its session has expired"
        settings = server_settings(db, "ServiceSettings")
        idle = int(settings.get("SessionIdleTimeoutInMinutes", IDLE_TIMEOUT_MINUTES) or 0)
        if (idle > 0 and not session.is_oauth and not session.device_id
                and session.props.get(SESSION_TYPE_PROP) != TOKEN_SESSION_TYPE
                and not settings.get("ExtendSessionLengthWithActivity", True)
                and now - session.last_activity_at > idle * 60_000):
            db.execute("DELETE FROM sessions WHERE id=?", (session.id,))
            return None, "its session was idle too long (it is revoked)"
    return session, ""


def _token_session(db: sqlite3.Connection, store: Store, token: str, now: int
                   ) -> tuple[pb.Session | None, str]:
    """``createSessionForUserAccessToken``: the session a personal access token signs in with."""
    row = db.execute("SELECT data FROM access_tokens WHERE token=?", (token,)).fetchone()
    if row is None:
        return None, "no session or personal access token has it"
    access = conv.from_json(pb.UserAccessToken, row["data"])
    if not access.is_active:
        return None, "its personal access token is disabled"
    user = find_user(db, access.user_id)
    if user is None:
        return None, "its personal access token's user does not exist"
    enabled = server_settings(db, "ServiceSettings").get("EnableUserAccessTokens", False)
    if not enabled and not user.is_bot:
        return None, ("personal access tokens are disabled "
                      "(ServiceSettings.EnableUserAccessTokens)")
    if user.delete_at:
        return None, "its personal access token's user is deactivated"
    session = pb.Session(id=store.new_id(), token=token, user_id=user.id, roles=user.roles,
                         create_at=now, last_activity_at=now,
                         expires_at=now + TOKEN_SESSION_HOURS * 3_600_000)
    session.props["user_access_token_id"] = access.id
    session.props[SESSION_TYPE_PROP] = TOKEN_SESSION_TYPE
    if user.is_bot:
        session.props["is_bot"] = "true"
    session.props["is_guest"] = "true" if "system_guest" in user.roles.split() else "false"
    _save_session(db, session)
    return session, ""


def strict_csrf(store: Store) -> bool:
    """``ServiceSettings.ExperimentalStrictCSRFEnforcement`` (off by default)."""
    with store.read() as db:
        return bool(server_settings(db, "ServiceSettings").get(
            "ExperimentalStrictCSRFEnforcement", False))
