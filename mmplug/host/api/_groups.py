"""Group rows and rules (the server's Group.IsValidForCreate), shared by the group areas."""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiContext, ApiFailure
from mmplug.host.store import UniqueConflict, execute_unique
from mmplug.protocol import api_remaining_pb2 as rem

NAME = re.compile(r"^[a-z0-9.\-_]+\Z")
NAME_MAX, DISPLAY_NAME_MAX, DESCRIPTION_MAX, REMOTE_ID_MAX = 64, 128, 1024, 48
RESERVED_NAMES = ("all", "channel", "here")
SOURCES = ("ldap", "custom")
PLUGIN_SOURCE_PREFIX = "plugin_"


def _invalid(field: str, message: str, detail: str = "") -> ApiFailure:
    return ApiFailure(
        400,
        f"model.group.{field}.app_error",
        message,
        detailed_error=detail,
        where="Group.IsValidForCreate",
    )


def validate_group(group: rem.Group) -> None:
    """The server's ``Group.IsValidForCreate``, in its order (lengths in bytes; an empty name
    is no name)."""
    if not group.name:
        if group.allow_reference:
            raise _invalid("name", "A group that can be mentioned needs a name.")
    elif len(group.name.encode()) > NAME_MAX:
        raise _invalid("name.invalid_length", f"Invalid name: at most {NAME_MAX} characters.")
    elif group.name in RESERVED_NAMES:
        raise _invalid("name.reserved_name", f"The name {group.name!r} is reserved.")
    elif not NAME.match(group.name):
        raise _invalid(
            "name.invalid_chars",
            "Invalid name: use a-z 0-9 . - _ only.",
            f"name={group.name!r}",
        )
    if not 1 <= len(group.display_name.encode()) <= DISPLAY_NAME_MAX:
        raise _invalid("display_name", f"Invalid display name: 1-{DISPLAY_NAME_MAX} characters.")
    if len(group.description.encode()) > DESCRIPTION_MAX:
        raise _invalid("description", f"Invalid description: at most {DESCRIPTION_MAX} characters.")
    if group.source not in SOURCES and not group.source.startswith(PLUGIN_SOURCE_PREFIX):
        raise _invalid(
            "source",
            f"Invalid source {group.source!r}: use 'ldap', 'custom' or "
            f"'{PLUGIN_SOURCE_PREFIX}<plugin id>'.",
        )
    needs_remote = group.source == "ldap" or group.source.startswith(PLUGIN_SOURCE_PREFIX)
    if (needs_remote and not group.remote_id) or len(group.remote_id) > REMOTE_ID_MAX:
        raise _invalid(
            "remote_id",
            f"LDAP and plugin groups need a remote_id of at most {REMOTE_ID_MAX} characters.",
            f"remote_id={group.remote_id!r}",
        )


def require_ldap_groups_license(ctx: ApiContext) -> None:
    """The plugin API's ``checkLDAPLicense``: group changes need a license with LDAP groups
    (a Team Edition server, mmplug's default world, has none: 403)."""
    from mmplug.host.api.server_info import world_license

    with ctx.store.read() as db:
        license_doc = world_license(db) or {}
    features = license_doc.get("features") or {}
    if not license_doc or not features.get("ldap_groups", features.get("future_features", True)):
        raise ApiFailure(
            403,
            "app.group.license_error",
            "Your license does not support groups.",
            detailed_error="give the world a license with LDAP groups: "
            '"server": {"license": {"features": {"ldap_groups": true}}}',
        )


def save_group(
    db: sqlite3.Connection,
    group: rem.Group,
    conflict: tuple[int, str] = (400, "store.sql_group.unique_constraint"),
) -> None:
    """Insert or update the group; a taken name or remote id is ``conflict`` (the status
    and id the calling server function reports)."""
    try:
        execute_unique(
            db,
            "INSERT INTO user_groups(id, name, source, remote_id, delete_at, data) "
            "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
            "source=excluded.source, remote_id=excluded.remote_id, "
            "delete_at=excluded.delete_at, data=excluded.data",
            (group.id, group.name, group.source, group.remote_id, group.delete_at, dump(group)),
        )
    except UniqueConflict as exc:
        raise ApiFailure(
            conflict[0],
            conflict[1],
            "A group with that name or remote id already exists.",
            detailed_error=f"name={group.name!r} remote_id={group.remote_id!r}: {exc}",
        ) from None


def no_group(detail: str) -> ApiFailure:
    return ApiFailure(404, "app.group.no_rows", "No matching group found.", detailed_error=detail)


def find_group(db: sqlite3.Connection, where: str, args: tuple[object, ...]) -> rem.Group | None:
    row = db.execute(f"SELECT data FROM user_groups WHERE {where}", args).fetchone()
    return None if row is None else load(rem.Group, row["data"])


def get_group(db: sqlite3.Connection, group_id: str, *, include_deleted: bool = False) -> rem.Group:
    where = "id=?" + ("" if include_deleted else " AND delete_at=0")
    group = find_group(db, where, (group_id,))
    if group is None:
        raise no_group(f"group_id={group_id}")
    return group


def groups_where(db: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> list[rem.Group]:
    return [load(rem.Group, r["data"]) for r in db.execute(sql, args).fetchall()]


def channel_group_user_ids(db: sqlite3.Connection, channel_id: str) -> set[str]:
    """The store's ``GetChannelGroupUsers``: the active users in a live group linked to the
    channel."""
    rows = db.execute(
        "SELECT m.user_id FROM group_syncables s JOIN user_groups g ON g.id=s.group_id "
        "JOIN group_members m ON m.group_id=s.group_id JOIN users u ON u.id=m.user_id "
        "WHERE s.syncable_id=? AND s.syncable_type='Channel' AND s.delete_at=0 "
        "AND g.delete_at=0 AND m.delete_at=0 AND u.delete_at=0",
        (channel_id,),
    )
    return {row[0] for row in rows}


def in_admin_role_group(db: sqlite3.Connection, user_id: str, syncable_id: str, kind: str) -> bool:
    """The server's ``UserIsInAdminRoleGroup``: the user is a member of a group linked to the
    team or channel (``kind`` ``Team``/``Channel``) with ``scheme_admin`` set."""
    row = db.execute(
        "SELECT 1 FROM group_syncables s JOIN group_members m ON m.group_id=s.group_id "
        "WHERE m.user_id=? AND m.delete_at=0 AND s.syncable_id=? AND s.syncable_type=? "
        "AND s.delete_at=0 AND json_extract(s.data, '$.scheme_admin')=1",
        (user_id, syncable_id, kind),
    ).fetchone()
    return row is not None
