"""User preferences: GetPreferenceForUser, GetPreferencesForUser, UpdatePreferencesForUser,
DeletePreferencesForUser. Changes fire PreferencesHaveChanged and a WebSocket event."""

from __future__ import annotations

from collections.abc import Sequence

from mmplug.host.api import _convert as conv
from mmplug.host.api._hooks import fire, request_context
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.users import get_user
from mmplug.protocol import api_remaining_pb2 as pb
from mmplug.protocol import hooks_message_pb2 as hooks

CATEGORY_MAX, NAME_MAX, VALUE_MAX = 32, 32, 2000


def _check(user_id: str, prefs: Sequence[pb.Preference]) -> None:
    for pref in prefs:
        if pref.user_id != user_id:
            raise ApiFailure(
                403,
                "api.preference.update_preferences.set_details.app_error",
                "Unable to save the preferences of another user.",
                detailed_error=f"user_id={user_id} preference.user_id={pref.user_id}",
            )
        for field, value, limit in (
            ("category", pref.category, CATEGORY_MAX),
            ("name", pref.name, NAME_MAX),
            ("value", pref.value, VALUE_MAX),
        ):
            if len(value) > limit or (field == "category" and not value):
                raise ApiFailure(
                    400,
                    f"model.preference.is_valid.{field}.app_error",
                    f"Invalid {field}.",
                    detailed_error=f"{field} must be 1-{limit} characters",
                )


def _changed(ctx: ApiContext, event: str, user_id: str, prefs: Sequence[pb.Preference]) -> None:
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": event,
            "data": {"preferences": [conv.to_dict(p) for p in prefs]},
            "broadcast": {"user_id": user_id},
        },
    )


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
            404,
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
        get_user(db, req.user_id)
        rows = db.execute(
            "SELECT * FROM preferences WHERE user_id=? ORDER BY category, name", (req.user_id,)
        ).fetchall()
    return pb.GetPreferencesForUserResponse(preferences=[conv.preference_from_row(r) for r in rows])


@emulates("UpdatePreferencesForUser")
def update_preferences_for_user(
    ctx: ApiContext, req: pb.UpdatePreferencesForUserRequest
) -> pb.UpdatePreferencesForUserResponse:
    _check(req.user_id, req.preferences)
    with ctx.store.tx() as db:
        get_user(db, req.user_id)
        for pref in req.preferences:
            db.execute(
                *conv.upsert_sql(
                    "preferences", conv.preference_to_row(pref), ["user_id", "category", "name"]
                )
            )
    _changed(ctx, "preferences_changed", req.user_id, req.preferences)
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
    _check(req.user_id, req.preferences)
    with ctx.store.tx() as db:
        get_user(db, req.user_id)
        for pref in req.preferences:
            db.execute(
                "DELETE FROM preferences WHERE user_id=? AND category=? AND name=?",
                (pref.user_id, pref.category, pref.name),
            )
    _changed(ctx, "preferences_deleted", req.user_id, req.preferences)
    return pb.DeletePreferencesForUserResponse()
