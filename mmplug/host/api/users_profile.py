"""User presence and profile: status (online/away/dnd/offline, timed DND), custom status,
profile image. A user without a picture gets a generated PNG, as the server draws one."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib

from mmplug.host.api import _convert as conv
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import WEBSOCKET, capture
from mmplug.host.api.users import get_user, save_user, user_updated_event
from mmplug.protocol import api_user_team_pb2 as pb

STATUSES = ("online", "away", "dnd", "offline")
CUSTOM_STATUS_DURATIONS = (
    "",
    "dont_clear",
    "thirty_minutes",
    "one_hour",
    "four_hours",
    "today",
    "this_week",
    "date_and_time",
)
CUSTOM_STATUS_TEXT_MAX = 100
_DURATIONS_TEXT = ", ".join(repr(d) for d in CUSTOM_STATUS_DURATIONS)
MAX_IMAGE_BYTES = 50 * 1024 * 1024
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


def check_image(data: bytes, error_prefix: str) -> str:
    """The image's format; AppError 400 when the bytes are not a PNG, JPEG, GIF or BMP."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiFailure(
            400,
            f"{error_prefix}.too_large.app_error",
            "Unable to upload the image. File is too large.",
        )
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    raise ApiFailure(
        400,
        f"{error_prefix}.decode.app_error",
        "Could not decode the image.",
        detailed_error="expected PNG, JPEG, GIF or BMP data",
    )


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
def _get_status(ctx: ApiContext, user_id: str) -> pb.Status:
    """The stored status; like the server, a user who never had one is a 404."""
    with ctx.store.read() as db:
        row = db.execute("SELECT data FROM statuses WHERE user_id=?", (user_id,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.status.get.missing.app_error",
            "Unable to find the status.",
            detailed_error=f"user_id={user_id} has no status yet (set one with UpdateUserStatus)",
        )
    return conv.status_from_row(row)


def set_status(ctx: ApiContext, status: pb.Status) -> pb.Status:
    with ctx.store.tx() as db:
        get_user(db, status.user_id)
        db.execute(*conv.upsert_sql("statuses", conv.status_to_row(status), ["user_id"]))
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
    return pb.GetUserStatusResponse(status=_get_status(ctx, req.user_id))


@emulates("GetUserStatusesByIds")
def get_user_statuses_by_ids(
    ctx: ApiContext, req: pb.GetUserStatusesByIdsRequest
) -> pb.GetUserStatusesByIdsResponse:
    """Stored statuses, then ``offline`` for every other id asked for (as the server)."""
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
    if req.status not in STATUSES:
        raise ApiFailure(
            400,
            "plugin.api.update_user_status.bad_status",
            "Unable to set the user status. Unknown user status.",
            detailed_error=f"status={req.status!r}: use one of {', '.join(STATUSES)}",
        )
    status = pb.Status(
        user_id=req.user_id,
        status=req.status,
        manual=True,
        last_activity_at=ctx.now(),
    )
    return pb.UpdateUserStatusResponse(status=set_status(ctx, status))


@emulates("SetUserStatusTimedDND")
def set_user_status_timed_dnd(
    ctx: ApiContext, req: pb.SetUserStatusTimedDNDRequest
) -> pb.SetUserStatusTimedDNDResponse:
    now = ctx.now()
    if req.end_time * 1000 <= now and req.end_time <= now:
        raise ApiFailure(
            400,
            "app.status.set_timed_dnd.end_time.app_error",
            "The DND end time must be in the future.",
            detailed_error=f"end_time={req.end_time} (unix seconds)",
        )
    status = pb.Status(
        user_id=req.user_id,
        status="dnd",
        manual=True,
        last_activity_at=now,
        dnd_end_time=req.end_time,
    )
    return pb.SetUserStatusTimedDNDResponse(status=set_status(ctx, status))


# -- custom status ---------------------------------------------------------------------
def _set_custom_status(ctx: ApiContext, user_id: str, value: str) -> None:
    with ctx.store.tx() as db:
        user = get_user(db, user_id)
        user.props["customStatus"] = value
        user.update_at = ctx.now()
        save_user(db, user)
    user_updated_event(ctx, user)


@emulates("UpdateUserCustomStatus")
def update_user_custom_status(
    ctx: ApiContext, req: pb.UpdateUserCustomStatusRequest
) -> pb.UpdateUserCustomStatusResponse:
    cs = req.custom_status
    if len(cs.text) > CUSTOM_STATUS_TEXT_MAX or cs.duration not in CUSTOM_STATUS_DURATIONS:
        raise ApiFailure(
            400,
            "api.custom_status.set_custom_statuses.update.app_error",
            "Failed to update the custom status.",
            detailed_error=f"text at most {CUSTOM_STATUS_TEXT_MAX} characters; "
            f"duration one of {_DURATIONS_TEXT}",
        )
    value = {"emoji": cs.emoji or "speech_balloon", "text": cs.text, "duration": cs.duration}
    if cs.expires_at:
        value["expires_at"] = str(cs.expires_at)
    _set_custom_status(ctx, req.user_id, json.dumps(value, sort_keys=True))
    return pb.UpdateUserCustomStatusResponse()


@emulates("RemoveUserCustomStatus")
def remove_user_custom_status(
    ctx: ApiContext, req: pb.RemoveUserCustomStatusRequest
) -> pb.RemoveUserCustomStatusResponse:
    _set_custom_status(ctx, req.user_id, "")
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
    check_image(req.data, "api.user.upload_profile_user")
    with ctx.store.tx() as db:
        user = get_user(db, req.user_id)
        now = ctx.now()
        db.execute(
            "INSERT OR REPLACE INTO profile_images(user_id, content, updated_at) VALUES(?, ?, ?)",
            (user.id, req.data, now),
        )
        user.last_picture_update = user.update_at = now
        save_user(db, user)
    user_updated_event(ctx, user)
    return pb.SetProfileImageResponse()
