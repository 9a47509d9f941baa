"""Users: create, get (by id, email, username, ids, usernames), update, delete (soft),
list with filters, search, roles, activation, auth, LDAP attributes.

Status, custom status and profile images live in ``users_profile.py``; sessions and
access tokens in ``users_sessions.py``. Passwords are stored hashed and never returned.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._hooks import fire, request_context
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import hooks_user_channel_pb2 as hooks
from mmplug.protocol import user_pb2

USERNAME_MAX = 64
EMAIL_MAX = 128
NAME_MAX = 64
POSITION_MAX = 128
RESTRICTED_USERNAMES = {"all", "channel", "matterbot", "system"}
_USERNAME = re.compile(r"^[a-z0-9.\-_]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
DEFAULT_NOTIFY_PROPS = {
    "email": "true",
    "push": "mention",
    "desktop": "mention",
    "desktop_sound": "true",
    "mention_keys": "",
    "channel": "true",
    "first_name": "false",
    "push_status": "online",
    "comments": "never",
    "desktop_threads": "all",
    "email_threads": "all",
    "push_threads": "all",
}
DEFAULT_TIMEZONE = {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"}


# -- shared helpers --------------------------------------------------------------------
def missing_user(user_id: str = "", what: str = "") -> ApiFailure:
    return ApiFailure(
        404,
        "app.user.missing_account.const",
        "Unable to find the user.",
        detailed_error=what or f"user_id={user_id}",
    )


def get_user(db: sqlite3.Connection, user_id: str) -> user_pb2.User:
    """The stored user (password hash included); 404 AppError if missing."""
    row = db.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
    if row is None:
        raise missing_user(user_id)
    return conv.user_from_row(row)


def save_user(db: sqlite3.Connection, user: user_pb2.User) -> None:
    db.execute(*conv.update_sql("users", conv.user_to_row(user), ["id"]))


def hash_password(password: str, salt: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"pbkdf2-sha256${salt}${digest}"


def fill_new_user(user: user_pb2.User, now: int) -> None:
    """What the server's PreSave does: normalise names, defaults, times."""
    user.username = user.username.lower()
    user.email = user.email.lower()
    user.create_at = user.create_at or now
    user.update_at = user.create_at
    user.roles = user.roles or "system_user"
    user.locale = user.locale or "en"
    user.last_password_update = user.create_at
    for key, value in DEFAULT_NOTIFY_PROPS.items():
        user.notify_props.setdefault(key, value)
    if not user.notify_props["mention_keys"]:
        user.notify_props["mention_keys"] = f"{user.username},@{user.username}"
    for key, value in DEFAULT_TIMEZONE.items():
        user.timezone.setdefault(key, value)


def validate_user(user: user_pb2.User) -> None:
    """The server's User.IsValid checks that a plugin can trip."""

    def bad(field: str, detail: str) -> ApiFailure:
        return ApiFailure(
            400,
            f"model.user.is_valid.{field}.app_error",
            f"Invalid {field.replace('_', ' ')}.",
            detailed_error=detail,
            params={"Max": USERNAME_MAX} if field == "username" else None,
        )

    name = user.username
    if not 1 <= len(name) <= USERNAME_MAX or not _USERNAME.match(name):
        raise bad(
            "username",
            f"username={name!r}: 1-{USERNAME_MAX} characters a-z 0-9 . - _",
        )
    if name in RESTRICTED_USERNAMES:
        raise bad("username", f"username={name!r} is reserved")
    if len(user.email) > EMAIL_MAX or not _EMAIL.match(user.email):
        raise bad("email", f"email={user.email!r}")
    for field, value, limit in (
        ("nickname", user.nickname, NAME_MAX),
        ("first_name", user.first_name, NAME_MAX),
        ("last_name", user.last_name, NAME_MAX),
        ("position", user.position, POSITION_MAX),
    ):
        if len(value) > limit:
            raise bad(field, f"{field} longer than {limit} characters")


def check_unique(db: sqlite3.Connection, user: user_pb2.User) -> None:
    for column, value, what in (
        ("username", user.username, "username"),
        ("email", user.email.lower(), "email"),
    ):
        row = db.execute(
            f"SELECT id FROM users WHERE {column}=? AND id != ?", (value, user.id)
        ).fetchone()
        if row is not None:
            raise ApiFailure(
                400,
                f"app.user.save.{what}_exists.app_error",
                f"An account with that {what} already exists.",
                detailed_error=f"{what}={value!r}",
            )


def _min_password_length(db: sqlite3.Connection) -> int:
    row = db.execute(
        "SELECT json_extract(data, '$.PasswordSettings.MinimumLength') AS n FROM config "
        "WHERE key='server'"
    ).fetchone()
    return int(row["n"]) if row is not None and row["n"] is not None else 8


def user_updated_event(ctx: ApiContext, user: user_pb2.User) -> None:
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "user_updated",
            "data": {"user": conv.to_dict(conv.sanitize_user(user))},
            "broadcast": {},
        },
    )


# -- create / update / delete ----------------------------------------------------------
@emulates("CreateUser")
def create_user(ctx: ApiContext, req: pb.CreateUserRequest) -> pb.CreateUserResponse:
    user = user_pb2.User()
    user.CopyFrom(req.user)
    if user.id:
        raise ApiFailure(
            400,
            "model.user.is_valid.id.app_error",
            "Invalid user id.",
            detailed_error="leave id empty: the server assigns it",
        )
    fill_new_user(user, ctx.now())
    validate_user(user)
    with ctx.store.tx() as db:
        if not user.auth_service:
            minimum = _min_password_length(db)
            if len(user.password) < minimum:
                raise ApiFailure(
                    400,
                    "model.user.is_valid.pwd_length.app_error",
                    f"Your password must contain at least {minimum} characters.",
                    params={"Min": minimum},
                )
        check_unique(db, user)
        user.id = ctx.new_id()
        if user.password:
            user.password = hash_password(user.password, user.id)
        db.execute(*conv.insert_sql("users", conv.user_to_row(user)))
    created = conv.sanitize_user(user)
    capture(ctx, WEBSOCKET, {"event": "new_user", "data": {"user_id": user.id}, "broadcast": {}})
    fire(
        ctx,
        "UserHasBeenCreated",
        hooks.UserHasBeenCreatedRequest(context=request_context(ctx), user=created),
    )
    return pb.CreateUserResponse(user=created)


KEPT_ON_UPDATE = (
    "create_at",
    "auth_data",
    "auth_service",
    "password",
    "last_password_update",
    "last_picture_update",
    "email_verified",
    "failed_attempts",
    "mfa_secret",
    "mfa_active",
    "roles",
    "delete_at",
)
OAUTH_SERVICES = {"gitlab", "google", "office365", "openid"}


def keep_server_owned_fields(user: user_pb2.User, old: user_pb2.User) -> None:
    """What the server's user store keeps from the stored user on UpdateUser (an untrusted
    update): password, auth, MFA, roles and deactivation are not a plugin's to change here."""
    for name in KEPT_ON_UPDATE:
        if name == "auth_data" and not old.HasField("auth_data"):
            user.ClearField("auth_data")
        else:
            setattr(user, name, getattr(old, name))
    if old.auth_service in OAUTH_SERVICES:
        user.email = old.email
    elif user.email != old.email:
        user.email_verified = False
    if user.username != old.username:
        keys = [
            k
            for k in user.notify_props.get("mention_keys", "").split(",")
            if k and k not in (old.username, f"@{old.username}")
        ]
        user.notify_props["mention_keys"] = ",".join([*keys, user.username, f"@{user.username}"])


@emulates("UpdateUser")
def update_user(ctx: ApiContext, req: pb.UpdateUserRequest) -> pb.UpdateUserResponse:
    with ctx.store.tx() as db:
        old = get_user(db, req.user.id)
        user = user_pb2.User()
        user.CopyFrom(req.user)
        user.username, user.email = user.username.lower(), user.email.lower()
        validate_user(user)
        check_unique(db, user)
        keep_server_owned_fields(user, old)
        user.update_at = ctx.now()
        save_user(db, user)
    user_updated_event(ctx, user)
    return pb.UpdateUserResponse(user=conv.sanitize_user(user))


def set_active(ctx: ApiContext, user_id: str, active: bool) -> user_pb2.User:
    """The server's UpdateActive: sets or clears delete_at, revokes sessions on deactivate."""
    with ctx.store.tx() as db:
        user = get_user(db, user_id)
        now = ctx.now()
        user.delete_at = 0 if active else now
        user.update_at = now
        save_user(db, user)
        if not active:
            db.execute("DELETE FROM sessions WHERE user_id=?", (user_id,))
    user_updated_event(ctx, user)
    return user


@emulates("DeleteUser")
def delete_user(ctx: ApiContext, req: pb.DeleteUserRequest) -> pb.DeleteUserResponse:
    set_active(ctx, req.user_id, False)
    return pb.DeleteUserResponse()


@emulates("UpdateUserActive")
def update_user_active(
    ctx: ApiContext, req: pb.UpdateUserActiveRequest
) -> pb.UpdateUserActiveResponse:
    set_active(ctx, req.user_id, req.active)
    return pb.UpdateUserActiveResponse()


@emulates("UpdateUserRoles")
def update_user_roles(
    ctx: ApiContext, req: pb.UpdateUserRolesRequest
) -> pb.UpdateUserRolesResponse:
    roles = req.new_roles.split()
    with ctx.store.tx() as db:
        user = get_user(db, req.user_id)
        known = {r["name"] for r in db.execute("SELECT name FROM roles")}
        unknown = [r for r in roles if known and r not in known]
        if unknown:
            raise ApiFailure(
                400,
                "app.role.check_roles_exist.role_not_found",
                "The provided role does not exist.",
                detailed_error=f"role={unknown[0]}",
            )
        user.roles = " ".join(roles)
        user.update_at = ctx.now()
        save_user(db, user)
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "user_role_updated",
            "data": {"user_id": user.id, "roles": user.roles},
            "broadcast": {"user_id": user.id},
        },
    )
    return pb.UpdateUserRolesResponse(user=conv.sanitize_user(user))


@emulates("UpdateUserAuth")
def update_user_auth(ctx: ApiContext, req: pb.UpdateUserAuthRequest) -> pb.UpdateUserAuthResponse:
    with ctx.store.tx() as db:
        user = get_user(db, req.user_id)
        user.auth_data = req.user_auth.auth_data
        user.auth_service = req.user_auth.auth_service
        user.password = ""  # an SSO user signs in through the service only
        user.update_at = ctx.now()
        save_user(db, user)
    return pb.UpdateUserAuthResponse(user_auth=req.user_auth)


@emulates("GetLDAPUserAttributes")
def get_ldap_user_attributes(
    ctx: ApiContext, req: pb.GetLDAPUserAttributesRequest
) -> pb.GetLDAPUserAttributesResponse:
    """A Team Edition server has no LDAP: the server answers 501."""
    with ctx.store.read() as db:
        get_user(db, req.user_id)
    raise ApiFailure(
        501, "ent.ldap.disabled.app_error", "LDAP is disabled, or licence does not support LDAP."
    )
