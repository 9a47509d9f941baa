"""User preferences: GetPreferenceForUser, GetPreferencesForUser, UpdatePreferencesForUser,
DeletePreferencesForUser.

As on the server: no call checks that the user exists (an unknown user simply has no
preferences); every preference must belong to the user named (403, before anything else);
an update first rewrites a ``theme`` value (``Preference.PreUpdate``: decoded as a JSON
object of strings, where a value that is no string is blank, invalid colours become
``#ffffff``, then encoded again; a value that is no JSON object becomes ``null``), then checks
each preference (``Preference.IsValid``: user id, category 1-32 bytes, name up to 32 bytes,
value up to 20000 characters, ``sidebar_settings``/``limit_visible_dms_gms`` a number 1-40)
and saves all or none; a delete checks nothing else. Both publish
``sidebar_category_updated`` then ``preferences_changed`` / ``preferences_deleted`` (data
``preferences``: the JSON text of the list as the plugin sent it) to the user; an update then
runs every plugin's PreferencesHaveChanged with the preferences as sent. A missing single
preference is a 400 ``app.preference.get.app_error`` (the server wraps the store's not-found
as a 400).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from mmplug.host.api import _convert as conv
from mmplug.host.api._hooks import fire, request_context
from mmplug.host.api._pbjson import go_json_text, model_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as pb
from mmplug.protocol import hooks_message_pb2 as hooks

CATEGORY_MAX, NAME_MAX, VALUE_MAX = 32, 32, 20000
VISIBLE_DMS_GMS_MAX = 40
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?")  # matched against the whole value
_THEME_NON_COLOURS = ("image", "type", "codeTheme")

for _method in ("UpdatePreferencesForUser", "DeletePreferencesForUser"):
    differs(
        _method,
        "The server also moves the channel into (or out of) the user's Favorites sidebar "
        "category for a favorite_channel preference; mmplug only stores the preference.",
    )


def _owned(user_id: str, prefs: Sequence[pb.Preference], action: str) -> None:
    for pref in prefs:
        if pref.user_id != user_id:
            error_id = (
                "api.preference.update_preferences.set.app_error"
                if action == "update"
                else "api.preference.delete_preferences.delete.app_error"
            )
            raise ApiFailure(
                403,
                error_id,
                f"Unable to {action} the preferences of another user: every preference's "
                "user_id must be the user_id of the request.",
                detailed_error=f"userId={user_id}, preference.UserId={pref.user_id}",
            )


def _invalid(field: str, detail: str) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.preference.is_valid.{field}.app_error",
        f"Invalid preference {field}.",
        detailed_error=detail,
        where="Preference.IsValid",
    )


_JSON_SPACE = " \t\r\n"


def _refuse(word: str) -> Any:
    raise ValueError(f"{word} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse)


def _theme_map(value: str) -> dict[str, str] | None:
    """Go's decoding of the first JSON value of ``value`` into a map of strings: None unless
    it is an object; a member that is no string is decoded as an empty string."""
    try:
        theme, _ = _DECODER.raw_decode(value.lstrip(_JSON_SPACE))
    except (ValueError, RecursionError):
        return None
    if not isinstance(theme, dict):
        return None
    return {name: v if isinstance(v, str) else "" for name, v in theme.items()}


def _go_json(theme: dict[str, str] | None) -> str:
    """Go's encoding of a map of strings (``null`` for none)."""
    return go_json_text(theme, sort_keys=True)


def _pre_update(pref: pb.Preference) -> pb.Preference:
    """The server's ``Preference.PreUpdate``, on a copy: a theme's invalid colours become
    #ffffff; a theme that is no JSON object becomes ``null``."""
    result = pb.Preference()
    result.CopyFrom(pref)
    if pref.category == "theme":
        theme = _theme_map(pref.value)
        if theme is not None:
            theme = {
                name: colour
                if name in _THEME_NON_COLOURS or _COLOUR.fullmatch(colour)
                else "#ffffff"
                for name, colour in theme.items()
            }
        result.value = _go_json(theme)
    return result


def _checked(pref: pb.Preference) -> pb.Preference:
    """The server's Preference.PreUpdate, then its IsValid (on the rewritten value, so a
    theme always passes: PreUpdate made it decodable)."""
    result = _pre_update(pref)
    if not is_valid_id(result.user_id):
        raise _invalid("id", f"user_id={result.user_id}")
    if not result.category or len(result.category.encode()) > CATEGORY_MAX:
        raise _invalid("category", f"category={result.category}")
    if len(result.name.encode()) > NAME_MAX:
        raise _invalid("name", f"name={result.name}")
    if len(result.value) > VALUE_MAX:
        raise _invalid("value", f"value length {len(result.value)}")
    if result.category == "sidebar_settings" and result.name == "limit_visible_dms_gms":
        try:
            limit = int(result.value)
        except ValueError:
            limit = 0
        if not 1 <= limit <= VISIBLE_DMS_GMS_MAX:
            raise _invalid("limit_visible_dms_gms", f"value={result.value}")
    return result


def _publish(ctx: ApiContext, event: str, user_id: str, prefs: Sequence[pb.Preference]) -> None:
    broadcast = {"user_id": user_id}
    capture(ctx, WEBSOCKET, {"event": "sidebar_category_updated", "data": {},
                             "broadcast": broadcast})
    # As the server's json.Marshal writes them: all four fields, an empty value too.
    listed = json.dumps([model_dict(p) for p in prefs], separators=(",", ":"))
    capture(ctx, WEBSOCKET, {"event": event, "data": {"preferences": listed},
                             "broadcast": broadcast})


@emulates("GetPreferenceForUser")
def get_preference_for_user(
    ctx: ApiContext, req: pb.GetPreferenceForUserRequest
) -> pb.GetPreferenceForUserResponse:
    with ctx.store.read() as db:
        row = db.execute(
            "SELECT * FROM preferences WHERE user_id=? AND category=? AND name=?",
            (req.user_id, req.category, req.name),
        ).fetchone()
    if row is None:
        raise ApiFailure(
            400,
            "app.preference.get.app_error",
            "Unable to find the preference.",
            detailed_error=f"user_id={req.user_id} category={req.category!r} name={req.name!r}",
        )
    return pb.GetPreferenceForUserResponse(preference=conv.preference_from_row(row))


@emulates("GetPreferencesForUser")
def get_preferences_for_user(
    ctx: ApiContext, req: pb.GetPreferencesForUserRequest
) -> pb.GetPreferencesForUserResponse:
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT * FROM preferences WHERE user_id=? ORDER BY category, name", (req.user_id,)
        ).fetchall()
    return pb.GetPreferencesForUserResponse(preferences=[conv.preference_from_row(r) for r in rows])


def store_preferences(db: sqlite3.Connection, prefs: Sequence[pb.Preference]) -> None:
    """Save preferences (already checked) as the server's store does: one row per user,
    category and name."""
    for pref in prefs:
        db.execute(
            *conv.upsert_sql(
                "preferences", conv.preference_to_row(pref), ["user_id", "category", "name"]
            )
        )


def checked_preferences(prefs: Sequence[pb.Preference]) -> list[pb.Preference]:
    """``Preference.IsValid`` of each (the AppError of the first invalid one)."""
    return [_checked(pref) for pref in prefs]


@emulates("UpdatePreferencesForUser")
def update_preferences_for_user(
    ctx: ApiContext, req: pb.UpdatePreferencesForUserRequest
) -> pb.UpdatePreferencesForUserResponse:
    _owned(req.user_id, req.preferences, "update")
    with ctx.store.tx() as db:
        store_preferences(db, checked_preferences(req.preferences))
    # The server saves rewritten copies; the event and the hook get the list as sent.
    _publish(ctx, "preferences_changed", req.user_id, req.preferences)
    fire(
        ctx,
        "PreferencesHaveChanged",
        hooks.PreferencesHaveChangedRequest(
            context=request_context(ctx, req.user_id), preferences=req.preferences
        ),
    )
    return pb.UpdatePreferencesForUserResponse()


@emulates("DeletePreferencesForUser")
def delete_preferences_for_user(
    ctx: ApiContext, req: pb.DeletePreferencesForUserRequest
) -> pb.DeletePreferencesForUserResponse:
    _owned(req.user_id, req.preferences, "delete")
    with ctx.store.tx() as db:
        for pref in req.preferences:
            db.execute(
                "DELETE FROM preferences WHERE user_id=? AND category=? AND name=?",
                (req.user_id, pref.category, pref.name),
            )
    _publish(ctx, "preferences_deleted", req.user_id, req.preferences)
    return pb.DeletePreferencesForUserResponse()
