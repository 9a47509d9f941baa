"""User presence and profile: status (online/away/dnd/offline, timed DND), custom status,
profile image, as the server's status service and ``server/channels/app/user.go`` do them.
A user without a picture gets a generated PNG where the server draws their initials."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from datetime import datetime, timezone

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.config import server_settings
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.preferences import update_preferences_for_user
from mmplug.host.api.users import (
    find_user,
    get_user,
    save_user,
    store_update,
    user_profile_event,
    user_updated_event,
)
from mmplug.protocol import api_remaining_pb2 as rpb
from mmplug.protocol import api_user_team_pb2 as pb

STATUSES = ("online", "away", "dnd", "offline")
CUSTOM_STATUS_TEXT_MAX = 100
RECENT_CUSTOM_STATUSES = 5
_EMOJI_NAME = re.compile(r"^[a-zA-Z0-9\-+_]{1,64}\Z")
MAX_IMAGE_BYTES = 50 * 1024 * 1024
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)

differs(
    "UpdateUserStatus",
    "The server keeps the status of a user id that has no user; mmplug answers with the "
    "status but does not keep it.",
)
differs(
    "UpdateUserCustomStatus",
    "The server refuses an emoji that is neither one of its system emoji nor a custom emoji "
    "(400 emoji_not_found); mmplug has no list of system emoji and accepts any well-formed "
    "emoji name.",
)
differs(
    "SetProfileImage",
    "The server re-encodes the picture as a 128x128 PNG (GetProfileImage then returns that "
    "PNG); mmplug keeps the bytes as they were given.",
)
differs(
    "GetProfileImage",
    "For a user without a picture the server draws their initials; mmplug returns a "
    "generated single-colour PNG.",
)


def image_format(data: bytes, error_prefix: str) -> str:
    """The image's format; AppError 400 ``<prefix>.decode.app_error`` when the bytes are not
    a PNG, JPEG, GIF or BMP."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    raise ApiFailure(
        400,
        f"{error_prefix}.decode.app_error",
        "Could not decode the image.",
        detailed_error="expected PNG, JPEG, GIF or BMP data",
    )


def check_image(data: bytes, error_prefix: str) -> str:
    """``image_format`` after a size check (``<prefix>.too_large.app_error``)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiFailure(
            400,
            f"{error_prefix}.too_large.app_error",
            "Unable to upload the image. File is too large.",
        )
    return image_format(data, error_prefix)


def default_avatar(seed: str, size: int = 64) -> bytes:
    """A solid-colour PNG picked from ``seed`` (stands in for the server's initials image)."""
    r, g, b = hashlib.sha256(seed.encode()).digest()[:3]
    raw = b"".join(b"\x00" + bytes((r, g, b)) * size for _ in range(size))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# -- status ----------------------------------------------------------------------------
def _statuses_enabled(ctx: ApiContext) -> bool:
    with ctx.store.read() as db:
        return bool(server_settings(db, "ServiceSettings").get("EnableUserStatuses", True))


def _find_status(ctx: ApiContext, user_id: str) -> pb.Status | None:
    with ctx.store.read() as db:
        row = db.execute("SELECT data FROM statuses WHERE user_id=?", (user_id,)).fetchone()
    return None if row is None else conv.status_from_row(row)


def _get_status(ctx: ApiContext, user_id: str) -> pb.Status:
    """The stored status; like the server, a user who never had one is a 404."""
    status = _find_status(ctx, user_id)
    if status is None:
        raise ApiFailure(
            404,
            "app.status.get.missing.app_error",
            "No entry for that status exists.",
            detailed_error=f"user_id={user_id} has no status yet (set one with UpdateUserStatus)",
        )
    return status


def set_status(ctx: ApiContext, status: pb.Status, *, broadcast: bool = True) -> pb.Status:
    """Save the status (a user id with no user is answered but not kept) and broadcast it."""
    with ctx.store.tx() as db:
        if find_user(db, status.user_id) is not None:
            db.execute(*conv.upsert_sql("statuses", conv.status_to_row(status), ["user_id"]))
    if broadcast:
        capture(
            ctx,
            WEBSOCKET,
            {
                "event": "status_change",
                "data": {"user_id": status.user_id, "status": status.status},
                "broadcast": {"user_id": status.user_id},
            },
        )
    return status


@emulates("GetUserStatus")
def get_user_status(ctx: ApiContext, req: pb.GetUserStatusRequest) -> pb.GetUserStatusResponse:
    if not _statuses_enabled(ctx):
        return pb.GetUserStatusResponse(status=pb.Status())
    return pb.GetUserStatusResponse(status=_get_status(ctx, req.user_id))


@emulates("GetUserStatusesByIds")
def get_user_statuses_by_ids(
    ctx: ApiContext, req: pb.GetUserStatusesByIdsRequest
) -> pb.GetUserStatusesByIdsResponse:
    """Stored statuses, then ``offline`` for every other id asked for (as the server)."""
    if not _statuses_enabled(ctx):
        return pb.GetUserStatusesByIdsResponse()
    marks = ", ".join("?" for _ in req.user_ids) or "NULL"
    with ctx.store.read() as db:
        rows = db.execute(
            f"SELECT data FROM statuses WHERE user_id IN ({marks}) ORDER BY user_id",
            tuple(req.user_ids),
        ).fetchall()
    statuses = [conv.status_from_row(r) for r in rows]
    found = {s.user_id for s in statuses}
    for user_id in dict.fromkeys(req.user_ids):
        if user_id not in found:
            statuses.append(pb.Status(user_id=user_id, status="offline"))
    return pb.GetUserStatusesByIdsResponse(statuses=statuses)


@emulates("UpdateUserStatus")
def update_user_status(
    ctx: ApiContext, req: pb.UpdateUserStatusRequest
) -> pb.UpdateUserStatusResponse:
    """What the server's status service does for each status: ``online`` is never manual and
    only broadcast when it changes; ``offline`` is manual and active now; ``away`` and
    ``dnd`` are manual and keep the last activity time."""
    if req.status not in STATUSES:
        raise ApiFailure(
            400,
            "plugin.api.update_user_status.bad_status",
            "Unable to set the user status. Unknown user status.",
            detailed_error=f"status={req.status!r}: use one of {', '.join(STATUSES)}",
        )
    if not _statuses_enabled(ctx):
        return pb.UpdateUserStatusResponse(status=pb.Status())
    old = _find_status(ctx, req.user_id)
    now = ctx.now()
    if req.status == "online":
        status = pb.Status(user_id=req.user_id, status="online", last_activity_at=now)
        if old is not None:
            status.dnd_end_time = old.dnd_end_time
        changed = old is None or old.status != "online"
        set_status(ctx, status, broadcast=changed)
    elif req.status == "offline":
        status = pb.Status(user_id=req.user_id, status="offline", manual=True, last_activity_at=now)
        set_status(ctx, status)
    else:
        status = old if old is not None else pb.Status(user_id=req.user_id)
        status.status, status.manual = req.status, True
        set_status(ctx, status)
    return pb.UpdateUserStatusResponse(status=status)


@emulates("SetUserStatusTimedDND")
def set_user_status_timed_dnd(
    ctx: ApiContext, req: pb.SetUserStatusTimedDNDRequest
) -> pb.SetUserStatusTimedDNDResponse:
    """DND until ``end_time`` (unix seconds), cut down to the whole minute; the server does
    not check that the time lies in the future."""
    if not _statuses_enabled(ctx):
        return pb.SetUserStatusTimedDNDResponse(status=pb.Status())
    old = _find_status(ctx, req.user_id)
    status = old if old is not None else pb.Status(user_id=req.user_id, status="offline")
    status.status, status.manual = "dnd", True
    status.dnd_end_time = req.end_time - req.end_time % 60
    return pb.SetUserStatusTimedDNDResponse(status=set_status(ctx, status))


# -- custom status ---------------------------------------------------------------------
def _expires_text(ms: int) -> str:
    """``expires_at`` as the server's JSON writes a Go time (RFC 3339, UTC)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}".rstrip("0")
    return text + "Z"


def _save_custom_status(ctx: ApiContext, user_id: str, value: str) -> None:
    with ctx.store.tx() as db:
        user = get_user(db, user_id)
        user.props["customStatus"] = value
        store_update(db, user, ctx.now(), trusted=False)
    user_updated_event(ctx, user)


def _remember_recent(ctx: ApiContext, user_id: str, status: dict[str, str]) -> None:
    """The server keeps the last 5 custom statuses (one per text) in a preference."""
    with ctx.store.read() as db:
        row = db.execute(
            "SELECT value FROM preferences WHERE user_id=? AND category=? AND name=?",
            (user_id, "custom_status", "recent_custom_statuses"),
        ).fetchone()
    try:
        recent = json.loads(row["value"]) if row is not None and row["value"] else []
    except ValueError:
        recent = []
    kept = [s for s in recent if isinstance(s, dict) and s.get("text") != status["text"]]
    value = json.dumps([status, *kept][:RECENT_CUSTOM_STATUSES], separators=(",", ":"))
    pref = rpb.Preference(
        user_id=user_id, category="custom_status", name="recent_custom_statuses", value=value
    )
    update_preferences_for_user(
        ctx, rpb.UpdatePreferencesForUserRequest(user_id=user_id, preferences=[pref])
    )


@emulates("UpdateUserCustomStatus")
def update_user_custom_status(
    ctx: ApiContext, req: pb.UpdateUserCustomStatusRequest
) -> pb.UpdateUserCustomStatusResponse:
    """The server's ``SetCustomStatus``: an emoji or a text is needed, the emoji must be a
    valid name, the text is cut to 100 characters; no emoji is filled in; a duration is not
    checked (empty with a future ``expires_at`` becomes ``date_and_time``)."""
    cs = req.custom_status
    if not req.HasField("custom_status") or (not cs.emoji and not cs.text):
        raise ApiFailure(
            400,
            "api.custom_status.set_custom_statuses.update.app_error",
            "Failed to update the custom status. Please add either emoji or custom text "
            "status or both.",
        )
    if cs.emoji and not _EMOJI_NAME.match(cs.emoji):
        raise ApiFailure(
            400,
            "api.custom_status.set_custom_statuses.emoji_not_found",
            "Failed to update the custom status. An emoji with the given name does not exist.",
            detailed_error=f"emoji={cs.emoji!r}",
        )
    duration = cs.duration
    if not duration and cs.expires_at >= ctx.now():
        duration = "date_and_time"
    status = {
        "emoji": cs.emoji,
        "text": cs.text[:CUSTOM_STATUS_TEXT_MAX],
        "duration": duration,
        "expires_at": _expires_text(cs.expires_at),
    }
    _save_custom_status(ctx, req.user_id, json.dumps(status, separators=(",", ":")))
    _remember_recent(ctx, req.user_id, status)
    return pb.UpdateUserCustomStatusResponse()


@emulates("RemoveUserCustomStatus")
def remove_user_custom_status(
    ctx: ApiContext, req: pb.RemoveUserCustomStatusRequest
) -> pb.RemoveUserCustomStatusResponse:
    _save_custom_status(ctx, req.user_id, "")
    return pb.RemoveUserCustomStatusResponse()


# -- profile image ---------------------------------------------------------------------
@emulates("GetProfileImage")
def get_profile_image(
    ctx: ApiContext, req: pb.GetProfileImageRequest
) -> pb.GetProfileImageResponse:
    with ctx.store.read() as db:
        get_user(db, req.user_id)
        row = db.execute(
            "SELECT content FROM profile_images WHERE user_id=?", (req.user_id,)
        ).fetchone()
    image = bytes(row["content"]) if row is not None else default_avatar(req.user_id)
    return pb.GetProfileImageResponse(image=image)


@emulates("SetProfileImage")
def set_profile_image(
    ctx: ApiContext, req: pb.SetProfileImageRequest
) -> pb.SetProfileImageResponse:
    """The server's ``SetProfileImageFromFile`` after its user check: the same picture again
    changes nothing; a new one moves ``last_picture_update`` and ``update_at``."""
    with ctx.store.read() as db:
        get_user(db, req.user_id)
    image_format(req.data, "api.user.upload_profile_user")
    with ctx.store.tx() as db:
        user = get_user(db, req.user_id)
        row = db.execute(
            "SELECT content FROM profile_images WHERE user_id=?", (user.id,)
        ).fetchone()
        if row is not None and bytes(row["content"]) == req.data:
            return pb.SetProfileImageResponse()
        now = ctx.now()
        db.execute(
            "INSERT OR REPLACE INTO profile_images(user_id, content, updated_at) VALUES(?, ?, ?)",
            (user.id, req.data, now),
        )
        user.last_picture_update = user.update_at = now
        save_user(db, user)
    user_profile_event(ctx, user)
    return pb.SetProfileImageResponse()
