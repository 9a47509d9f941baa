"""Storing an uploaded file like the server: FileInfo (name, extension, size, MIME type,
image size), the FileWillBeUploaded hook chain, the image resolution limit.

A plugin's uploads (UploadFile, upload sessions) skip the checks of the REST API: neither
``FileSettings.MaxFileSize`` nor ``EnableFileAttachments`` applies to them.
"""

from __future__ import annotations

import mimetypes
import struct
import time
from typing import Any

from mmplug.host.api import _hooks
from mmplug.host.api._files import insert_file
from mmplug.host.api._registry import ApiContext, ApiFailure
from mmplug.host.api.config import server_settings
from mmplug.protocol import file_pb2
from mmplug.protocol import hooks_message_pb2 as hm

MAX_IMAGE_RESOLUTION = 7680 * 4320  # FileSettings.MaxImageResolution's default (pixels)
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def file_settings(ctx: ApiContext) -> dict[str, Any]:
    with ctx.store.read() as db:
        return dict(server_settings(db, "FileSettings"))


def base_name(path: str) -> str:
    """Go's ``filepath.Base`` on the server's Linux: the last ``/`` element, trailing slashes
    ignored; ``""`` gives ``"."`` and ``"///"`` gives ``"/"``."""
    if not path:
        return "."
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


def mime_type(name: str) -> str:
    """``mime.TypeByExtension`` of the lower-cased extension: "" when unknown, and text types
    carry ``; charset=utf-8`` as Go adds it."""
    ext = name[name.rfind(".") :].lower() if "." in name else ""
    if not ext:
        return ""
    guessed = mimetypes.guess_type("f" + ext, strict=False)[0] or ""
    if guessed.startswith("text/"):
        guessed += "; charset=utf-8"
    return guessed


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 <= len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


def describe(
    ctx: ApiContext, name: str, data: bytes, channel_id: str, creator_id: str
) -> file_pb2.FileInfo:
    """The FileInfo the server makes of an upload (before FileWillBeUploaded)."""
    ext = name[name.rfind(".") + 1 :].lower() if "." in name else ""
    info = file_pb2.FileInfo(
        id=ctx.new_id(),
        creator_id=creator_id,
        channel_id=channel_id,
        name=name,
        extension=ext,
        size=len(data),
        mime_type=mime_type(name),
    )
    info.create_at = info.update_at = ctx.now()
    dims = image_size(data) if info.mime_type.startswith("image/") else None
    if dims is not None:
        info.width, info.height = dims
        info.has_preview_image = True
    return info


def check_resolution(ctx: ApiContext, info: file_pb2.FileInfo, error_id: str) -> None:
    limit = int(file_settings(ctx).get("MaxImageResolution") or MAX_IMAGE_RESOLUTION)
    if info.width * info.height > limit:
        raise ApiFailure(
            400,
            error_id,
            f"Unable to upload {info.name}: {info.width}x{info.height} pixels is over the "
            f"limit of {limit} (FileSettings.MaxImageResolution).",
            params={"Filename": info.name, "Width": info.width, "Height": info.height},
        )


def storage_path(info: file_pb2.FileInfo, channel_id: str, team: str = "noteam") -> str:
    day = time.strftime("%Y%m%d", time.gmtime(info.create_at / 1000))
    return f"{day}/teams/{team}/channels/{channel_id}/users/{info.creator_id}/{info.id}/{info.name}"


def store_upload(
    ctx: ApiContext,
    info: file_pb2.FileInfo,
    data: bytes,
    path: str,
    *,
    rejection_id: str = "",
    resolution_error: str = "",
) -> file_pb2.FileInfo:
    """Run FileWillBeUploaded (it may change the info or the bytes, or reject), then store.
    A rejection's error id is ``rejection_id`` (upload sessions) or, by default, the
    server's ``"File rejected by plugin. " + reason`` (UploadFile). With
    ``resolution_error`` the image resolution limit is checked after the hook (upload
    sessions; UploadFile checks it before)."""

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
        reason = outcome.rejection
        error_id = rejection_id or f"File rejected by plugin. {reason}"
        raise ApiFailure(
            400,
            error_id,
            f"A plugin rejected the upload of {info.name}: {reason}",
            params={"Filename": info.name, "Reason": reason},
        )
    final: file_pb2.FileInfo = outcome.subject[0]
    content: bytes = outcome.subject[1]
    if resolution_error and final.width and final.height:
        check_resolution(ctx, final, resolution_error)
    return save_upload(ctx, info.id, final, content, path)


def save_upload(
    ctx: ApiContext, file_id: str, final: file_pb2.FileInfo, content: bytes, path: str
) -> file_pb2.FileInfo:
    """Store an upload FileWillBeUploaded allowed (``final``: the info as the plugins left
    it) under its own id; the size is the content's (the server fixes it itself)."""
    final.id, final.size = file_id, len(content)
    with ctx.store.tx() as db:
        insert_file(db, final, path, content)
    return final
