"""Storing an uploaded file like the server: FileInfo (name, extension, size, MIME type,
image size), the FileWillBeUploaded hook chain, limits from FileSettings."""

from __future__ import annotations

import json
import mimetypes
import struct
import time
from pathlib import PurePosixPath
from typing import Any

from mmplug.host.api import _hooks
from mmplug.host.api._files import insert_file
from mmplug.host.api._registry import ApiContext, ApiFailure
from mmplug.protocol import file_pb2
from mmplug.protocol import hooks_message_pb2 as hm

DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024


def file_settings(ctx: ApiContext) -> dict[str, Any]:
    with ctx.store.read() as db:
        row = db.execute("SELECT data FROM config WHERE key='server'").fetchone()
    config = json.loads(row["data"]) if row is not None else {}
    return dict(config.get("FileSettings") or {})


def check_upload(ctx: ApiContext, filename: str, size: int) -> str:
    """The file's base name, after the server's checks (attachments on, name, size)."""
    settings = file_settings(ctx)
    if settings.get("EnableFileAttachments") is False:
        raise ApiFailure(
            501,
            "api.file.attachments.disabled.app_error",
            "File attachments have been disabled on this server "
            "(FileSettings.EnableFileAttachments).",
        )
    name = PurePosixPath(filename.replace("\\", "/")).name
    if not name or name in (".", ".."):
        raise ApiFailure(
            400,
            "api.file.upload_file.bad_filename.app_error",
            "The file needs a name.",
            detailed_error=f"filename={filename!r}",
        )
    limit = int(settings.get("MaxFileSize") or DEFAULT_MAX_FILE_SIZE)
    if size > limit:
        raise ApiFailure(
            413,
            "api.file.upload_file.too_large_detailed.app_error",
            f"Unable to upload {name}: {size} bytes is over the limit of {limit} "
            "bytes (FileSettings.MaxFileSize).",
            params={"Filename": name, "Length": size, "Limit": limit},
        )
    return name


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    return None


def describe(
    ctx: ApiContext, name: str, data: bytes, channel_id: str, creator_id: str
) -> file_pb2.FileInfo:
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    mime = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    info = file_pb2.FileInfo(
        id=ctx.new_id(),
        creator_id=creator_id,
        channel_id=channel_id,
        name=name,
        extension=ext,
        size=len(data),
        mime_type=mime,
    )
    info.create_at = info.update_at = ctx.now()
    dims = _image_size(data)
    if dims is not None:
        info.width, info.height = dims
        info.has_preview_image = True
    return info


def storage_path(info: file_pb2.FileInfo, team: str = "noteam") -> str:
    day = time.strftime("%Y%m%d", time.gmtime(info.create_at / 1000))
    return (
        f"{day}/teams/{team}/channels/{info.channel_id}/users/{info.creator_id}/"
        f"{info.id}/{info.name}"
    )


def store_upload(ctx: ApiContext, info: file_pb2.FileInfo, data: bytes) -> file_pb2.FileInfo:
    """Run FileWillBeUploaded (it may change the info or the bytes, or reject), then store."""

    def merge(
        current: tuple[file_pb2.FileInfo, bytes], rsp: Any
    ) -> tuple[file_pb2.FileInfo, bytes]:
        new_info, new_data = current
        if rsp.HasField("modified_file_info"):
            new_info = file_pb2.FileInfo()
            new_info.CopyFrom(rsp.modified_file_info)
        if rsp.modified_content:
            new_data = bytes(rsp.modified_content)
        return new_info, new_data

    outcome = _hooks.chain(
        ctx,
        "FileWillBeUploaded",
        (info, data),
        lambda cur: hm.FileWillBeUploadedRequest(
            context=_hooks.request_context(ctx), file_info=cur[0], file_content=cur[1]
        ),
        "modified_file_info",
        merge=merge,
    )
    if outcome.rejected:
        raise ApiFailure(
            400,
            f"File rejected by plugin. {outcome.rejection}",
            f"File rejected by plugin. {outcome.rejection}",
            params={"Reason": outcome.rejection},
        )
    final: file_pb2.FileInfo = outcome.subject[0]
    content: bytes = outcome.subject[1]
    final.id, final.size = info.id, len(content)  # the server fixes the size itself
    with ctx.store.tx() as db:
        insert_file(db, final, storage_path(final), content)
    return final
