"""Users: create, update, (de)activate, roles, auth, LDAP attributes, as the server's app
layer does them (``server/channels/app/user.go``, ``app/users/users.go``, ``model/user.go``).

Reads live in ``users_query.py``; status, custom status and profile images in
``users_profile.py``; sessions and access tokens in ``users_sessions.py``. Passwords are
stored hashed. Like the server, the single-user getters hand plugins the stored user as it
is (password hash included) while lists and write results are sanitised.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any

from mmplug.host.api import _convert as conv
from mmplug.host.api._hooks import fire, request_context
from mmplug.host.api._pbjson import model_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api._text import sanitize_unicode
from mmplug.host.api.config import load_server_config, server_settings
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.protocol import api_user_team_pb2 as pb
from mmplug.protocol import hooks_user_channel_pb2 as hooks
from mmplug.protocol import user_pb2

USERNAME_MAX = 64
EMAIL_MAX = 128
NAME_MAX = 64  # nickname, first and last name, in characters
POSITION_MAX = 128
AUTH_DATA_MAX = 128
LOCALE_MAX = 5
TIMEZONE_MAX = 256
ROLES_MAX = 256
PASSWORD_MAX = 72  # bytes: what bcrypt can hash
RESTRICTED_USERNAMES = {"all", "channel", "matterbot", "system"}
OAUTH_SERVICES = {"gitlab", "google", "office365", "openid"}
# The fields of the server's User that its JSON leaves out when they are empty (omitempty).
_USER_OMITEMPTY = frozenset({
    "create_at", "update_at", "password", "auth_data", "email_verified", "allow_marketing",
    "props", "notify_props", "last_password_update", "last_picture_update", "failed_attempts",
    "mfa_active", "mfa_secret", "remote_id", "last_activity_at", "is_bot", "bot_description",
    "bot_last_icon_update", "terms_of_service_id", "terms_of_service_create_at", "last_login",
})
# The server's translation files: a new user's locale must be one of them.
SUPPORTED_LOCALES = frozenset(
    "am ar ar_SA be bg br ca cs da de el en en-AU es et eu fa fi fr gl gu he hi hr hu id it "
    "ja ka km ko lo lt mk ml mn nb-NO ne nl pl pt pt-BR ro ru si sl sq sr sv th tr uk vi "
    "zh-CN zh-TW".split()
)
_USERNAME = re.compile(r"^[a-z0-9.\-_]+\Z")
_REMOTE_USERNAME = re.compile(r"^[a-z0-9.\-_:]*\Z")
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"^{_ATOM}(\.{_ATOM})*@{_ATOM}(\.{_ATOM})*\Z")
_LOCALE = re.compile(r"^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,3})?\Z")
_SYMBOLS = " !\"\\#$%&'()*+,-./:;<=>?@[]^_`|~"
DEFAULT_NOTIFY_PROPS = {
    "email": "true",
    "push": "mention",
    "desktop": "mention",
    "desktop_sound": "true",
    "mention_keys": "",
    "channel": "true",
    "first_name": "false",
    "push_status": "away",
    "comments": "never",
    "desktop_threads": "all",
    "email_threads": "all",
    "push_threads": "all",
}
DEFAULT_TIMEZONE = {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"}
# What the server adds for every user it creates (category, name, value; name "" = the user id).
NEW_USER_PREFERENCES = (
    ("recommended_next_steps", "hide", "false"),
    ("tutorial_step", "", "0"),
    ("system_notice", "GMasDM", "true"),
)

differs(
    "GetUser",
    "The server returns the stored bcrypt password hash; mmplug returns its own stored hash "
    "(pbkdf2), so only its presence, not its format, matches.",
)
differs(
    "CreateUser",
    "The server also refuses new users beyond its licensed or safety user limit and sends a "
    "welcome email; mmplug has neither.",
)
differs(
    "UpdateUserActive",
    "When the server deactivates the owner of bots it also sends system admins a direct "
    "message about the disabled bots; mmplug deactivates the bots but sends no message.",
)
differs(
    "GetLDAPUserAttributes",
    "mmplug is a server without LDAP, so the call always answers 501 as such a server does.",
)


# -- shared helpers --------------------------------------------------------------------
def missing_user(user_id: str = "", what: str = "", status: int = 404) -> ApiFailure:
    return ApiFailure(
        status,
        "app.user.missing_account.const",
        "Unable to find the user.",
        detailed_error=what or f"user_id={user_id}",
    )


def find_user(db: sqlite3.Connection, user_id: str) -> user_pb2.User | None:
    row = db.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
    return None if row is None else conv.user_from_row(row)


def get_user(db: sqlite3.Connection, user_id: str) -> user_pb2.User:
    """The stored user (password hash included); 404 AppError if missing."""
    user = find_user(db, user_id)
    if user is None:
        raise missing_user(user_id)
    return user


# Fields of the server's User that are no columns of its Users table: a write keeps them
# out, so a read never has them (the call's own answer still echoes what was given).
_NOT_STORED = ("terms_of_service_id", "terms_of_service_create_at", "disable_welcome_email")


def user_row(user: user_pb2.User) -> dict[str, Any]:
    """The row the server's store writes for ``user``: its columns only."""
    stored = user_pb2.User()
    stored.CopyFrom(user)
    for name in _NOT_STORED:
        stored.ClearField(name)  # type: ignore[arg-type]
    return conv.user_to_row(stored)


def save_user(db: sqlite3.Connection, user: user_pb2.User) -> None:
    db.execute(*conv.update_sql("users", user_row(user), ["id"]))


def sanitized(user: user_pb2.User) -> user_pb2.User:
    """The server's ``User.Sanitize`` with no options: no password hash, MFA secret or last
    login, and an empty (not absent) ``auth_data`` (what lists and write results carry)."""
    clean = conv.sanitize_user(user)
    clean.last_login = 0
    clean.auth_data = ""
    return clean


def admin_profile(user: user_pb2.User) -> user_pb2.User:
    """The server's ``SanitizeProfile`` for an admin (what ``SearchUsers`` and
    ``GetUsersByUsernames`` answer)."""
    clean = sanitized(user)
    clean.auth_data = ""
    clean.email_verified = clean.allow_marketing = False
    clean.last_password_update = clean.failed_attempts = 0
    return clean


def public_profile(user: user_pb2.User, privacy: dict[str, Any]) -> user_pb2.User:
    """The server's ``SanitizeProfile`` for a non-admin: no secrets, auth or notification
    settings; email and full name only as ``PrivacySettings`` shows them (both by default)."""
    clean = admin_profile(user)
    clean.auth_data = ""
    clean.auth_service = ""
    clean.failed_attempts = 0
    clean.notify_props.clear()
    if not privacy.get("ShowEmailAddress", True):
        clean.email = ""
        clean.props.pop("RemoteEmail", None)
    if not privacy.get("ShowFullName", True):
        clean.first_name = clean.last_name = ""
    return clean


def hash_password(password: str, salt: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"pbkdf2-sha256${salt}${digest}"


def _sanitize_names(user: user_pb2.User) -> None:
    """The server's ``SanitizeUnicode`` of the username, the first and last name and the
    nickname (``User.PreSave`` and ``User.PreUpdate``)."""
    user.username = sanitize_unicode(user.username)
    user.first_name = sanitize_unicode(user.first_name)
    user.last_name = sanitize_unicode(user.last_name)
    user.nickname = sanitize_unicode(user.nickname)


def fill_new_user(user: user_pb2.User, now: int) -> None:
    """What the server's ``User.PreSave`` fills in: sanitised and normalised names,
    defaults, times."""
    _sanitize_names(user)
    user.username = user.username.lower()
    user.email = user.email.lower()
    if user.HasField("auth_data") and not user.auth_data:
        user.ClearField("auth_data")
    user.create_at = user.create_at or now
    user.update_at = user.last_password_update = user.create_at
    user.mfa_active = False
    user.roles = user.roles or "system_user"
    user.locale = user.locale or "en"
    if not user.notify_props:
        user.notify_props.update(DEFAULT_NOTIFY_PROPS)
    if not user.timezone:
        user.timezone.update(DEFAULT_TIMEZONE)


def _invalid(field: str, user: user_pb2.User, value: object) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.user.is_valid.{field}.app_error",
        f"Invalid user: {field.replace('_', ' ')}.",
        detailed_error=f"user_id={user.id} {field}={value}".strip(),
        where="User.IsValid",
    )


def valid_username(name: str, remote: bool = False) -> bool:
    pattern = _REMOTE_USERNAME if remote else _USERNAME
    return (
        1 <= len(name) <= USERNAME_MAX
        and bool(pattern.match(name))
        and name not in RESTRICTED_USERNAMES
    )


def validate_user(user: user_pb2.User) -> None:
    """The server's ``User.IsValid``, in its order (names are checked in characters)."""
    remote = bool(user.remote_id)
    if not valid_username(user.username, remote):
        raise _invalid("username", user, user.username)
    email = user.email
    if len(email) > EMAIL_MAX or not email or (not _EMAIL.match(email) and not remote):
        raise _invalid("email", user, email)
    for field, value, limit in (
        ("nickname", user.nickname, NAME_MAX),
        ("position", user.position, POSITION_MAX),
        ("first_name", user.first_name, NAME_MAX),
        ("last_name", user.last_name, NAME_MAX),
    ):
        if len(value) > limit:
            raise _invalid(field, user, value)
    if user.HasField("auth_data") and len(user.auth_data) > AUTH_DATA_MAX:
        raise _invalid("auth_data", user, user.auth_data)
    if user.auth_data and not user.auth_service:
        raise _invalid("auth_data_type", user, f"{user.auth_data} {user.auth_service}")
    if user.password and user.auth_data:
        raise _invalid("auth_data_pwd", user, user.auth_data)
    if user.locale and (len(user.locale) > LOCALE_MAX or not _LOCALE.match(user.locale)):
        raise _invalid("locale", user, user.locale)
    if user.timezone and len(json.dumps(dict(user.timezone))) > TIMEZONE_MAX:
        raise _invalid("timezone_limit", user, dict(user.timezone))
    if len(user.roles) > ROLES_MAX:
        raise ApiFailure(
            400,
            "model.user.is_valid.roles_limit.app_error",
            f"Invalid user roles longer than {ROLES_MAX} characters.",
            detailed_error=f"user_id={user.id} roles_limit={user.roles}",
            params={"Limit": ROLES_MAX},
        )
    custom = user.props.get("customStatus", "")
    if custom:
        try:
            json.loads(custom)
        except ValueError:
            raise ApiFailure(
                400,
                "model.user.is_valid.invalidProperty.app_error",
                "Invalid props (custom status)",
                detailed_error=f"user_id={user.id}",
            ) from None


def check_unique(db: sqlite3.Connection, user: user_pb2.User) -> None:
    """The users table's unique username and email, as the server's AppErrors."""
    for column, value in (("username", user.username), ("email", user.email.lower())):
        row = db.execute(
            f"SELECT id FROM users WHERE {column}=? AND id != ?", (value, user.id)
        ).fetchone()
        if row is not None:
            raise ApiFailure(
                400,
                f"app.user.save.{column}_exists.app_error",
                f"An account with that {column} already exists.",
                detailed_error=f"{column}={value!r}",
            )


def check_not_a_group_name(db: sqlite3.Connection, username: str) -> None:
    """The server's ``isUniqueToGroupNames``: a username may not be a group's name."""
    if username and db.execute("SELECT 1 FROM user_groups WHERE name=?", (username,)).fetchone():
        raise ApiFailure(
            400,
            "app.user.save.username_exists.app_error",
            "An account with that username already exists.",
            detailed_error=f"group name {username} exists",
        )


def email_domain_allowed(email: str, domains: str) -> bool:
    """The server's ``CheckEmailDomain`` (domains separated by spaces, commas or ``@``)."""
    allowed = domains.replace("@", " ").replace(",", " ").lower().split()
    return not allowed or any(email.lower().endswith("@" + d) for d in allowed)


def check_password(settings: dict[str, Any], password: str) -> None:
    """The server's password policy (``PasswordSettings``); the error id names what is missing."""
    minimum = int(settings.get("MinimumLength", 8))
    size = len(password.encode())
    suffix = ("_min_length" if size < minimum else "") + (
        "_max_length" if size > PASSWORD_MAX else ""
    )
    if not suffix:
        for key, chars, part in (
            ("Lowercase", "abcdefghijklmnopqrstuvwxyz", "_lowercase"),
            ("Uppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "_uppercase"),
            ("Number", "0123456789", "_number"),
            ("Symbol", _SYMBOLS, "_symbol"),
        ):
            if settings.get(key) and not any(c in chars for c in password):
                suffix += part
    if suffix:
        raise ApiFailure(
            400,
            f"model.user.is_valid.pwd{suffix}.app_error",
            f"The password does not meet the server's password policy ({suffix[1:]}; "
            f"minimum length {minimum}).",
            detailed_error=f"PasswordSettings: {json.dumps(settings, sort_keys=True)}",
            params={"Min": minimum},
        )


def user_model(user: user_pb2.User) -> dict[str, Any]:
    """The user as the server's ``json.Marshal`` writes a ``model.User`` it adds to an event
    (itself, not JSON text): int64 as numbers, the empty fields its JSON omits left out."""
    return model_dict(user, _USER_OMITEMPTY)


def user_updated_event(ctx: ApiContext, user: user_pb2.User) -> None:
    """The server's ``sendUpdatedUserEvent`` of the stored ``user``: ``user_updated`` three
    times, to the system admins (the admin profile) and to everyone else (the public one,
    as ``PrivacySettings`` shows it) but the user, then the whole user to the user."""
    with ctx.store.read() as db:
        privacy = server_settings(db, "PrivacySettings")
    omit = {user.id: True}
    for shown, broadcast in (
        (admin_profile(user), {"omit_users": omit, "contains_sensitive_data": True}),
        (public_profile(user, privacy), {"omit_users": omit, "contains_sanitized_data": True}),
        (user, {"user_id": user.id}),
    ):
        capture(ctx, WEBSOCKET, {"event": "user_updated", "data": {"user": user_model(shown)},
                                 "broadcast": broadcast})


def user_profile_event(ctx: ApiContext, user: user_pb2.User) -> None:
    """The server's ``invalidateUserCacheAndPublish``: one ``user_updated`` to everyone with
    the public profile."""
    with ctx.store.read() as db:
        privacy = server_settings(db, "PrivacySettings")
    capture(ctx, WEBSOCKET, {"event": "user_updated",
                             "data": {"user": user_model(public_profile(user, privacy))},
                             "broadcast": {}})


# -- create / update ---------------------------------------------------------------------
@emulates("CreateUser")
def create_user(ctx: ApiContext, req: pb.CreateUserRequest) -> pb.CreateUserResponse:
    """The server's ``createUserOrGuest``: group-name and domain checks, forced roles,
    password policy, then ``User.PreSave`` and ``User.IsValid``, then the unique columns."""
    user = user_pb2.User()
    user.CopyFrom(req.user)
    remote = bool(user.remote_id)
    for derived in ("is_bot", "bot_description", "bot_last_icon_update", "last_activity_at"):
        user.ClearField(derived)  # a user made here is no bot (CreateBot makes bots)
    with ctx.store.tx() as db:
        check_not_a_group_name(db, user.username)
        config = load_server_config(db)
        team, localization = config.get("TeamSettings") or {}, config.get("LocalizationSettings")
        sso = user.auth_service in ("ldap", "saml")
        if not sso and not email_domain_allowed(
            user.email, str(team.get("RestrictCreationToDomains") or "")
        ):
            raise ApiFailure(
                400,
                "api.user.create_user.accepted_domain.app_error",
                "The email you provided does not belong to an accepted domain.",
                detailed_error=f"email={user.email!r}: see TeamSettings.RestrictCreationToDomains",
            )
        first = db.execute("SELECT 1 FROM users WHERE is_bot=0 LIMIT 1").fetchone() is None
        user.roles = "system_admin system_user" if first else "system_user"
        if user.locale not in SUPPORTED_LOCALES:
            user.locale = (localization or {}).get("DefaultClientLocale") or "en"
        if not user.auth_service:
            check_password(config.get("PasswordSettings") or {}, user.password)
        if user.id and not remote:
            raise ApiFailure(
                400,
                "app.user.save.existing.app_error",
                "Must call update for existing user.",
                detailed_error="leave id empty: the server assigns it",
            )
        user.id = user.id or ctx.new_id()
        user.username = user.username or ctx.new_id()
        fill_new_user(user, ctx.now())
        if user.password:
            user.password = hash_password(user.password, user.id)
        validate_user(user)
        check_unique(db, user)
        db.execute(*conv.insert_sql("users", user_row(user)))
        for category, name, value in NEW_USER_PREFERENCES:
            db.execute(
                "INSERT OR REPLACE INTO preferences(user_id, category, name, value) "
                "VALUES(?,?,?,?)",
                (user.id, category, name or user.id, value),
            )
    created = sanitized(user)
    if user.email_verified:
        user_updated_event(ctx, user)
    capture(ctx, WEBSOCKET, {"event": "new_user", "data": {"user_id": user.id}, "broadcast": {}})
    fire(
        ctx,
        "UserHasBeenCreated",
        hooks.UserHasBeenCreatedRequest(context=request_context(ctx), user=created),
    )
    return pb.CreateUserResponse(user=created)


def pre_update(user: user_pb2.User, now: int) -> None:
    """The server's ``User.PreUpdate``: sanitised and normalised names, update time, clean
    mention keys."""
    _sanitize_names(user)
    user.username, user.email = user.username.lower(), user.email.lower()
    user.update_at = now
    if user.HasField("auth_data") and not user.auth_data:
        user.ClearField("auth_data")
    if not user.notify_props:
        user.notify_props.update(DEFAULT_NOTIFY_PROPS)
    elif "mention_keys" in user.notify_props:
        keys = [k.lower() for k in user.notify_props["mention_keys"].split(",") if k]
        user.notify_props["mention_keys"] = ",".join(keys)


def store_update(
    db: sqlite3.Connection, user: user_pb2.User, now: int, *, trusted: bool
) -> user_pb2.User:
    """The server's ``SqlUserStore.Update``: validate, keep what only the server changes,
    follow a rename in the mention keys, save. Returns the previous user."""
    pre_update(user, now)
    validate_user(user)
    old = find_user(db, user.id)
    if old is None:
        raise ApiFailure(
            400,
            "app.user.update.find.app_error",
            "Unable to find the existing account to update.",
            detailed_error=f"user_id={user.id}",
        )
    for name in (
        "create_at",
        "auth_service",
        "password",
        "last_password_update",
        "last_picture_update",
        "email_verified",
        "failed_attempts",
        "mfa_secret",
        "mfa_active",
        "last_login",
        # Not columns of the server's Users table: the bot fields come from the Bots table.
        "last_activity_at",
        "is_bot",
        "bot_description",
        "bot_last_icon_update",
    ):
        setattr(user, name, getattr(old, name))
    if old.HasField("auth_data"):
        user.auth_data = old.auth_data
    else:
        user.ClearField("auth_data")
    if not trusted:
        user.roles, user.delete_at = old.roles, old.delete_at
        if user.auth_service in OAUTH_SERVICES:
            user.email = old.email
        if user.auth_service == "ldap" and (
            user.username != old.username or user.email != old.email
        ):
            raise ApiFailure(
                400,
                "app.user.update.find.app_error",
                "Unable to find the existing account to update.",
                detailed_error="an LDAP user's username and email come from LDAP",
            )
        if user.email != old.email:
            user.email_verified = False
    if user.username != old.username:
        keys = [
            k.strip()
            for k in user.notify_props.get("mention_keys", "").split(",")
            if k.strip() and k.strip() not in (old.username, f"@{old.username}")
        ]
        user.notify_props["mention_keys"] = "," + ",".join(keys) if keys else ""
    check_unique(db, user)
    save_user(db, user)
    return old


@emulates("UpdateUser")
def update_user(ctx: ApiContext, req: pb.UpdateUserRequest) -> pb.UpdateUserResponse:
    """The server's ``UpdateUser`` (an untrusted update: roles, deactivation, password, auth
    and MFA stay as stored)."""
    user = user_pb2.User()
    user.CopyFrom(req.user)
    with ctx.store.tx() as db:
        prev = get_user(db, user.id)
        user.create_at = prev.create_at
        if user.username != prev.username:
            check_not_a_group_name(db, user.username)
        if user.email != prev.email and prev.auth_service not in ("ldap", "saml"):
            # A guest's new address is checked against the guest accounts' domains only.
            guest = "system_guest" in prev.roles.split()
            section, kind = (
                ("GuestAccountsSettings", "accepted_guest_domain")
                if guest
                else ("TeamSettings", "accepted_domain")
            )
            domains = server_settings(db, section).get("RestrictCreationToDomains") or ""
            if not email_domain_allowed(user.email, str(domains)):
                raise ApiFailure(
                    400,
                    f"api.user.update_user.{kind}.app_error",
                    "The email you provided does not belong to an accepted domain.",
                    detailed_error=f"see {section}.RestrictCreationToDomains",
                )
            if server_settings(db, "EmailSettings").get("RequireEmailVerification"):
                if db.execute(
                    "SELECT 1 FROM users WHERE email=?", (user.email.lower(),)
                ).fetchone():
                    raise ApiFailure(
                        400,
                        "app.user.save.email_exists.app_error",
                        "An account with that email already exists.",
                        detailed_error=f"user_id={user.id}",
                    )
                if not user.is_bot:  # the new address waits for its verification
                    user.email = prev.email
        store_update(db, user, ctx.now(), trusted=False)
        # The server's store answers the updated user sanitised; only when it regenerates
        # the default picture does it read the stored user again, secrets and all.
        shown = sanitized(user)
        if user.username != prev.username and user.last_picture_update <= 0:
            # The server regenerates the default picture (it shows the name's initials) and
            # marks it so: ResetLastPictureUpdate stores minus the time it did so.
            now = ctx.now()
            user.last_picture_update, user.update_at = -now, now
            save_user(db, user)
            shown = user
    user_updated_event(ctx, shown)
    return pb.UpdateUserResponse(user=sanitized(user))


# -- activation ------------------------------------------------------------------------
def set_active(
    ctx: ApiContext, user: user_pb2.User, active: bool, *, hook: bool = True
) -> user_pb2.User:
    """The server's ``UpdateActive``: set or clear ``delete_at`` (even when unchanged); on
    deactivation revoke the sessions, set the status offline, deactivate the user's bots
    (``ServiceSettings.DisableBotsWhenOwnerIsDeactivated``), fire ``UserHasBeenDeactivated``
    (not with ``hook=False``: the host doing what the server did before a fired hook)."""
    now = ctx.now()
    user.update_at = now
    user.delete_at = 0 if active else now
    with ctx.store.tx() as db:
        store_update(db, user, now, trusted=True)
        owned: list[str] = []
        if not active:
            db.execute("DELETE FROM sessions WHERE user_id=?", (user.id,))
            status = pb.Status(user_id=user.id, status="offline", last_activity_at=now)
            db.execute(*conv.upsert_sql("statuses", conv.status_to_row(status), ["user_id"]))
            disable = server_settings(db, "ServiceSettings").get(
                "DisableBotsWhenOwnerIsDeactivated", True
            )
            if disable:
                owned = [
                    r[0]
                    for r in db.execute(
                        "SELECT user_id FROM bots WHERE owner_id=? "
                        "AND coalesce(json_extract(data, '$.delete_at'), 0)=0",
                        (user.id,),
                    )
                ]
    if not active:
        capture(
            ctx,
            WEBSOCKET,
            {
                "event": "status_change",
                "data": {"user_id": user.id, "status": "offline"},
                "broadcast": {"user_id": user.id},
            },
        )
        from mmplug.host.api.bots import set_bot_active  # bots build on users

        for bot_id in owned:
            set_bot_active(ctx, bot_id, False)
    user_updated_event(ctx, user)
    if not active and hook:
        fire(
            ctx,
            "UserHasBeenDeactivated",
            hooks.UserHasBeenDeactivatedRequest(context=request_context(ctx), user=sanitized(user)),
        )
    return user


@emulates("DeleteUser")
def delete_user(ctx: ApiContext, req: pb.DeleteUserRequest) -> pb.DeleteUserResponse:
    """A soft delete: the server's ``UpdateActive(user, false)``."""
    with ctx.store.read() as db:
        user = get_user(db, req.user_id)
    set_active(ctx, user, False)
    return pb.DeleteUserResponse()


@emulates("UpdateUserActive")
def update_user_active(
    ctx: ApiContext, req: pb.UpdateUserActiveRequest
) -> pb.UpdateUserActiveResponse:
    with ctx.store.read() as db:
        user = get_user(db, req.user_id)
    set_active(ctx, user, req.active)
    return pb.UpdateUserActiveResponse()


# -- roles, auth, LDAP -----------------------------------------------------------------
@emulates("UpdateUserRoles")
def update_user_roles(
    ctx: ApiContext, req: pb.UpdateUserRolesRequest
) -> pb.UpdateUserRolesResponse:
    """The server's ``UpdateUserRoles``: a missing user is a 400 here, every role must exist,
    the last system admin keeps the role; the roles string is stored as given."""
    roles = req.new_roles.split()
    with ctx.store.tx() as db:
        user = find_user(db, req.user_id)
        if user is None:
            raise missing_user(req.user_id, status=400)
        known = {r["name"] for r in db.execute("SELECT name FROM roles")}
        unknown = [r for r in roles if r not in known]
        if unknown:
            raise ApiFailure(
                400,
                "app.role.check_roles_exist.role_not_found",
                "The provided role does not exist",
                detailed_error=f"role={unknown[0]}",
            )
        if "system_admin" in user.roles.split() and "system_admin" not in req.new_roles:
            admins = db.execute(
                "SELECT count(*) FROM users WHERE is_bot=0 AND delete_at=0 "
                "AND (' ' || json_extract(data, '$.roles') || ' ') LIKE '% system_admin %'"
            ).fetchone()[0]
            if admins <= 1:
                raise ApiFailure(
                    400,
                    "app.user.update.lastAdmin.app_error",
                    "Cannot demote last System Admin.",
                    detailed_error=f"user_id={user.id}",
                )
        user.roles = req.new_roles
        store_update(db, user, ctx.now(), trusted=True)
        for row in db.execute("SELECT id, data FROM sessions WHERE user_id=?", (user.id,)):
            session = conv.from_json(pb.Session, row["data"])
            session.roles = req.new_roles
            db.execute("UPDATE sessions SET data=? WHERE id=?", (conv.to_json(session), row["id"]))
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": "user_role_updated",
            "data": {"user_id": user.id, "roles": user.roles},
            "broadcast": {"user_id": user.id},
        },
    )
    return pb.UpdateUserRolesResponse(user=sanitized(user))


@emulates("UpdateUserAuth")
def update_user_auth(ctx: ApiContext, req: pb.UpdateUserAuthRequest) -> pb.UpdateUserAuthResponse:
    """The server's ``UpdateAuthData``: the user signs in through the service from now on
    (password cleared); auth data is unique; the answer is the auth data as given."""
    auth = req.user_auth
    with ctx.store.tx() as db:
        if (
            auth.auth_data
            and db.execute(
                "SELECT 1 FROM users WHERE json_extract(data, '$.auth_data')=? AND id != ?",
                (auth.auth_data, req.user_id),
            ).fetchone()
        ):
            raise ApiFailure(
                400,
                "app.user.update_auth_data.email_exists.app_error",
                f"Unable to switch account to {auth.auth_service}: another account uses "
                "that auth data.",
                detailed_error=f"user_id={req.user_id}",
            )
        user = find_user(db, req.user_id)
        if user is not None:  # the server's UPDATE of a missing row changes nothing
            if auth.HasField("auth_data"):
                user.auth_data = auth.auth_data
            else:
                user.ClearField("auth_data")
            user.auth_service = auth.auth_service
            user.password = ""
            user.failed_attempts = 0
            user.update_at = user.last_password_update = ctx.now()
            save_user(db, user)
    return pb.UpdateUserAuthResponse(user_auth=auth)


@emulates("GetLDAPUserAttributes")
def get_ldap_user_attributes(
    ctx: ApiContext, req: pb.GetLDAPUserAttributesRequest
) -> pb.GetLDAPUserAttributesResponse:
    """A server without LDAP answers 501 before it looks at the user."""
    raise ApiFailure(
        501,
        "ent.ldap.disabled.app_error",
        "AD/LDAP disabled or licence does not support AD/LDAP.",
        detailed_error="mmplug's fake host has no LDAP server",
    )
