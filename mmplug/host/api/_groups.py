"""Group rows and rules (the server's Group.IsValidForCreate), shared by the group areas."""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiFailure
from mmplug.protocol import api_remaining_pb2 as rem

NAME = re.compile(r"^[a-z0-9.\-_]{1,64}$")
DISPLAY_NAME_MAX, DESCRIPTION_MAX = 128, 1024
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
    if not 1 <= len(group.display_name) <= DISPLAY_NAME_MAX:
        raise _invalid("display_name", f"Invalid display name: 1-{DISPLAY_NAME_MAX} characters.")
    if len(group.description) > DESCRIPTION_MAX:
        raise _invalid("description", f"Invalid description: at most {DESCRIPTION_MAX} characters.")
    if group.source not in SOURCES and not group.source.startswith(PLUGIN_SOURCE_PREFIX):
        raise _invalid(
            "source",
            f"Invalid source {group.source!r}: use 'ldap', 'custom' or "
            f"'{PLUGIN_SOURCE_PREFIX}<plugin id>'.",
        )
    if group.source == "ldap" and not group.remote_id:
        raise _invalid("remote_id", "LDAP groups need a remote_id.")
    if group.source == "custom" and group.remote_id:
        raise _invalid("remote_id", "Custom groups must not have a remote_id.")
    needs_name = group.allow_reference or group.source == "custom"
    if (needs_name or group.name) and not NAME.match(group.name):
        raise _invalid(
            "name.invalid_chars" if group.name else "name",
            "Invalid name: 1-64 characters a-z 0-9 . - _ (required for custom or "
            "referenceable groups).",
            f"name={group.name!r}",
        )


def save_group(db: sqlite3.Connection, group: rem.Group) -> None:
    try:
        db.execute(
            "INSERT INTO user_groups(id, name, source, remote_id, delete_at, data) "
            "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
            "source=excluded.source, remote_id=excluded.remote_id, "
            "delete_at=excluded.delete_at, data=excluded.data",
            (group.id, group.name, group.source, group.remote_id, group.delete_at, dump(group)),
        )
    except sqlite3.IntegrityError as exc:
        raise ApiFailure(
            400,
            "store.sql_group.unique_constraint",
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
