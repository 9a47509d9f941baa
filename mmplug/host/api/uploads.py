"""Resumable uploads: CreateUploadSession, UploadData (appends; the last chunk makes the file,
through FileWillBeUploaded), GetUploadSession, as the server's app layer runs them.

The caller chooses the session's id (a 26-character id) and type ("attachment" or
"import"). UploadData takes the session as last seen: its ``file_offset`` must be the
stored one (refresh it with GetUploadSession between chunks). The first chunk must be the
whole file or at least 5 MiB; data past the announced size is dropped. When the file is
complete the session is gone (GetUploadSession then answers 404).
"""

from __future__ import annotations

import sqlite3
import time

from mmplug.host.api._entities import get_channel
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._posts import setting
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api._upload import base_name, describe, image_size, store_upload
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_file_bot_pb2 as fb

TYPES = ("attachment", "import")
MIN_FIRST_PART = 5 * 1024 * 1024  # the server's minFirstPartSize


def _invalid(field: str, message: str, us: fb.UploadSession) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.upload_session.is_valid.{field}.app_error",
        message,
        detailed_error=f"id={us.id}",
        where="UploadSession.IsValid",
    )


def _check_valid(us: fb.UploadSession) -> None:
    """``UploadSession.IsValid``, in the server's order."""
    if not is_valid_id(us.id):
        raise _invalid("id", "The upload session needs an id: a new 26-character id.", us)
    if us.type not in TYPES:
        raise _invalid("type", f"Invalid upload type {us.type!r}: use one of {TYPES}.", us)
    if not (is_valid_id(us.user_id) or us.user_id == "nouser"):
        raise _invalid("user_id", f"Invalid user_id {us.user_id!r}.", us)
    if us.type == "attachment" and not is_valid_id(us.channel_id):
        raise _invalid("channel_id", "An attachment upload needs a channel_id.", us)
    if not us.filename:
        raise _invalid("filename", "The upload session needs a filename.", us)
    if us.file_size <= 0:
        raise _invalid("file_size", "file_size must be more than 0 bytes.", us)


def _get(db: sqlite3.Connection, upload_id: str) -> tuple[fb.UploadSession, bytes]:
    row = db.execute(
        "SELECT data, content FROM upload_sessions WHERE id=?", (upload_id,)
    ).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.upload.get.app_error",
            f"Unable to find the upload session {upload_id!r} (a finished upload's session "
            "is removed).",
            detailed_error=f"upload_id={upload_id}",
        )
    return load(fb.UploadSession, row["data"]), bytes(row["content"])


@emulates("CreateUploadSession")
def create_upload_session(
    ctx: ApiContext, req: fb.CreateUploadSessionRequest
) -> fb.CreateUploadSessionResponse:
    us = fb.UploadSession()
    us.CopyFrom(req.upload_session)
    us.file_offset, us.create_at = 0, ctx.now()
    name = base_name(us.filename)
    if us.type == "attachment":
        day = time.strftime("%Y%m%d", time.gmtime(us.create_at / 1000))
        us.path = f"{day}/teams/noteam/channels/{us.channel_id}/users/{us.user_id}/{us.id}/{name}"
    elif us.type == "import":
        directory = str(setting(ctx, "ImportSettings", "Directory", "") or "./import")
        directory = directory.rstrip("/")
        us.path = f"{directory}/{us.id}_{name}"
    _check_valid(us)
    with ctx.store.tx() as db:
        if us.type == "attachment":
            try:
                channel = get_channel(db, us.channel_id)
            except ApiFailure:
                raise ApiFailure(
                    400,
                    "app.upload.create.incorrect_channel_id.app_error",
                    f"Unable to upload to channel {us.channel_id}: it does not exist.",
                    params={"channelId": us.channel_id},
                ) from None
            if channel.delete_at:
                raise ApiFailure(
                    400,
                    "app.upload.create.cannot_upload_to_deleted_channel.app_error",
                    f"Unable to upload to channel {us.channel_id}: it is archived.",
                    params={"channelId": us.channel_id},
                )
        if db.execute("SELECT 1 FROM upload_sessions WHERE id=?", (us.id,)).fetchone():
            raise ApiFailure(
                500,
                "app.upload.create.save.app_error",
                f"Unable to save the upload session: the id {us.id} is taken (use a new id).",
                detailed_error=f"id={us.id}",
            )
        db.execute(
            "INSERT INTO upload_sessions(id, user_id, data) VALUES(?,?,?)",
            (us.id, us.user_id, dump(us)),
        )
    return fb.CreateUploadSessionResponse(upload_session=us)


@emulates("GetUploadSession")
def get_upload_session(
    ctx: ApiContext, req: fb.GetUploadSessionRequest
) -> fb.GetUploadSessionResponse:
    with ctx.store.read() as db:
        return fb.GetUploadSessionResponse(upload_session=_get(db, req.upload_id)[0])


@emulates("UploadData")
def upload_data(ctx: ApiContext, req: fb.UploadDataRequest) -> fb.UploadDataResponse:
    with ctx.store.tx() as db:
        us, content = _get(db, req.upload_session.id)
        if req.upload_session.file_offset != us.file_offset:
            raise ApiFailure(
                400,
                "app.upload.upload_data.concurrent.app_error",
                f"The session's file_offset is {us.file_offset}, not "
                f"{req.upload_session.file_offset}: get the session again (GetUploadSession) "
                "before sending the next chunk.",
                detailed_error="FileOffset mismatch",
            )
        chunk = bytes(req.data)[: us.file_size - us.file_offset]
        if us.file_offset == 0 and len(chunk) < MIN_FIRST_PART and len(chunk) != us.file_size:
            raise ApiFailure(
                400,
                "app.upload.upload_data.first_part_too_small.app_error",
                f"The first chunk of an upload must be at least {MIN_FIRST_PART} bytes or "
                f"the whole file ({us.file_size} bytes); it was {len(chunk)}.",
                params={"Size": MIN_FIRST_PART},
            )
        content += chunk
        us.file_offset = len(content)
        db.execute(
            "UPDATE upload_sessions SET data=?, content=? WHERE id=?", (dump(us), content, us.id)
        )
    if us.file_offset < us.file_size:
        return fb.UploadDataResponse()  # more chunks to come: no FileInfo yet
    name = base_name(us.filename)
    info = describe(ctx, name, content, us.channel_id, us.user_id)
    if info.mime_type.split(";")[0] in ("image/png", "image/gif", "image/jpeg") and (
        image_size(content) is None
    ):
        raise ApiFailure(
            500,
            "app.upload.upload_data.gen_info.app_error",
            f"Unable to read {name} as an image ({info.mime_type}).",
        )
    final = store_upload(
        ctx,
        info,
        content,
        us.path,
        rejection_id="app.upload.run_plugins_hook.rejected",
        resolution_error="app.upload.upload_data.large_image.app_error",
    )
    with ctx.store.tx() as db:
        db.execute("DELETE FROM upload_sessions WHERE id=?", (us.id,))
    return fb.UploadDataResponse(file_info=final)
