"""Resumable uploads: CreateUploadSession, UploadData (appends; the last chunk makes the file,
through FileWillBeUploaded), GetUploadSession."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._entities import get_channel, get_user
from mmplug.host.api._pbjson import dump, load, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api._upload import check_upload, describe, store_upload
from mmplug.protocol import api_file_bot_pb2 as fb

TYPES = ("attachment", "import")


def _invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.upload_session.is_valid.{field}.app_error",
        message,
        where="UploadSession.IsValid",
    )


def _get(db: sqlite3.Connection, upload_id: str) -> tuple[fb.UploadSession, bytes]:
    row = db.execute(
        "SELECT data, content FROM upload_sessions WHERE id=?", (upload_id,)
    ).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.upload.get.app_error",
            "Unable to find the upload session.",
            detailed_error=f"upload_id={upload_id}",
        )
    return load(fb.UploadSession, row["data"]), bytes(row["content"])


@emulates("CreateUploadSession")
def create_upload_session(
    ctx: ApiContext, req: fb.CreateUploadSessionRequest
) -> fb.CreateUploadSessionResponse:
    us = fb.UploadSession()
    us.CopyFrom(req.upload_session)
    us.type = us.type or "attachment"
    if us.type not in TYPES:
        raise _invalid("type", f"Invalid upload type {us.type!r}: use one of {TYPES}.")
    require_id(us.user_id, "user_id")
    if us.file_size <= 0:
        raise _invalid("file_size", "file_size must be more than 0 bytes.")
    us.filename = check_upload(ctx, us.filename, us.file_size)
    with ctx.store.tx() as db:
        get_user(db, us.user_id)
        if us.type == "attachment":
            require_id(us.channel_id, "channel_id")
            get_channel(db, us.channel_id)
        us.id = us.id or ctx.new_id()
        us.create_at, us.file_offset = ctx.now(), 0
        us.path = f"uploads/{us.id}/{us.filename}"
        db.execute(
            "INSERT INTO upload_sessions(id, user_id, data) VALUES(?,?,?)",
            (us.id, us.user_id, dump(us)),
        )
    return fb.CreateUploadSessionResponse(upload_session=us)


@emulates("GetUploadSession")
def get_upload_session(
    ctx: ApiContext, req: fb.GetUploadSessionRequest
) -> fb.GetUploadSessionResponse:
    require_id(req.upload_id, "upload_id")
    with ctx.store.read() as db:
        return fb.GetUploadSessionResponse(upload_session=_get(db, req.upload_id)[0])


@emulates("UploadData")
def upload_data(ctx: ApiContext, req: fb.UploadDataRequest) -> fb.UploadDataResponse:
    require_id(req.upload_session.id, "upload_id")
    with ctx.store.tx() as db:
        us, content = _get(db, req.upload_session.id)
        if us.file_offset >= us.file_size:
            raise ApiFailure(
                400,
                "app.upload.upload_data.concurrent.app_error",
                "This upload is already complete.",
            )
        content += bytes(req.data)
        if len(content) > us.file_size:
            raise ApiFailure(
                400,
                "app.upload.upload_data.large_file.app_error",
                f"Too much data: the upload session expects {us.file_size} bytes "
                f"and {len(content)} were sent.",
            )
        us.file_offset = len(content)
        db.execute(
            "UPDATE upload_sessions SET data=?, content=? WHERE id=?", (dump(us), content, us.id)
        )
    if us.file_offset < us.file_size:
        return fb.UploadDataResponse()  # more chunks to come: no FileInfo yet
    info = describe(ctx, us.filename, content, us.channel_id, us.user_id)
    return fb.UploadDataResponse(file_info=store_upload(ctx, info, content))
