"""Sessions and personal access tokens: CreateSession, GetSession, ExtendSessionExpiry,
RevokeSession, CreateUserAccessToken, RevokeUserAccessToken.

An access token is backed by a session whose token is the access token, as on the server;
revoking the token revokes that session. Tokens need ``ServiceSettings.EnableUserAccessTokens``.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.users import get_user
from mmplug.protocol import api_user_team_pb2 as pb

TOKEN_DESCRIPTION_MAX = 255


def _get_session(db: sqlite3.Connection, session_id: str) -> pb.Session:
    row = db.execute("SELECT data FROM sessions WHERE id=?", (session_id,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.session.get.app_error",
            "Unable to find the session.",
            detailed_error=f"session_id={session_id}",
        )
    return conv.from_json(pb.Session, row["data"])


def _save_session(db: sqlite3.Connection, session: pb.Session) -> None:
    db.execute(
        "INSERT INTO sessions(id, user_id, token, expires_at, data) VALUES(?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET expires_at=excluded.expires_at, data=excluded.data",
        (session.id, session.user_id, session.token, session.expires_at, conv.to_json(session)),
    )


def new_session(ctx: ApiContext, db: sqlite3.Connection, template: pb.Session) -> pb.Session:
    user = get_user(db, template.user_id)
    session = pb.Session()
    session.CopyFrom(template)
    session.id = ctx.new_id()
    session.token = session.token or ctx.new_id()
    session.create_at = session.last_activity_at = ctx.now()
    session.roles = session.roles or user.roles
    _save_session(db, session)
    return session


@emulates("CreateSession")
def create_session(ctx: ApiContext, req: pb.CreateSessionRequest) -> pb.CreateSessionResponse:
    if req.session.id:
        raise ApiFailure(
            400,
            "model.session.is_valid.id.app_error",
            "Invalid session id.",
            detailed_error="leave id empty: the server assigns it",
        )
    with ctx.store.tx() as db:
        return pb.CreateSessionResponse(session=new_session(ctx, db, req.session))


@emulates("GetSession")
def get_session(ctx: ApiContext, req: pb.GetSessionRequest) -> pb.GetSessionResponse:
    with ctx.store.read() as db:
        return pb.GetSessionResponse(session=_get_session(db, req.session_id))


@emulates("ExtendSessionExpiry")
def extend_session_expiry(
    ctx: ApiContext, req: pb.ExtendSessionExpiryRequest
) -> pb.ExtendSessionExpiryResponse:
    with ctx.store.tx() as db:
        session = _get_session(db, req.session_id)
        session.expires_at = req.new_expiry
        _save_session(db, session)
    return pb.ExtendSessionExpiryResponse()


@emulates("RevokeSession")
def revoke_session(ctx: ApiContext, req: pb.RevokeSessionRequest) -> pb.RevokeSessionResponse:
    with ctx.store.tx() as db:
        session = _get_session(db, req.session_id)
        db.execute("DELETE FROM sessions WHERE id=?", (session.id,))
        db.execute("DELETE FROM access_tokens WHERE token=?", (session.token,))
    return pb.RevokeSessionResponse()


def _tokens_enabled(db: sqlite3.Connection) -> bool:
    row = db.execute(
        "SELECT json_extract(data, '$.ServiceSettings.EnableUserAccessTokens') AS v "
        "FROM config WHERE key='server'"
    ).fetchone()
    return bool(row is not None and row["v"])


@emulates("CreateUserAccessToken")
def create_user_access_token(
    ctx: ApiContext, req: pb.CreateUserAccessTokenRequest
) -> pb.CreateUserAccessTokenResponse:
    if len(req.token.description) > TOKEN_DESCRIPTION_MAX:
        raise ApiFailure(
            400,
            "model.user_access_token.is_valid.description.app_error",
            f"Invalid description, must be {TOKEN_DESCRIPTION_MAX} or less characters.",
        )
    with ctx.store.tx() as db:
        if not _tokens_enabled(db):
            raise ApiFailure(
                501,
                "app.user_access_token.disabled",
                "User access tokens are disabled on this server.",
                detailed_error="set ServiceSettings.EnableUserAccessTokens to true",
            )
        user = get_user(db, req.token.user_id)
        if user.delete_at:
            raise ApiFailure(
                400,
                "app.user_access_token.inactive_user",
                "The user is deactivated.",
                detailed_error=f"user_id={user.id}",
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
        new_session(
            ctx,
            db,
            pb.Session(
                user_id=user.id,
                token=token.token,
                props={"type": "UserAccessToken", "user_access_token_id": token.id},
            ),
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
                "app.user_access_token.get_by_token.app_error",
                "Unable to find the personal access token.",
                detailed_error=f"token_id={req.token_id}",
            )
        db.execute("DELETE FROM access_tokens WHERE id=?", (req.token_id,))
        db.execute("DELETE FROM sessions WHERE token=?", (row["token"],))
    return pb.RevokeUserAccessTokenResponse()
