"""Files: UploadFile (FileWillBeUploaded), GetFile/GetFileInfo/GetFileInfos, GetFileLink
(public links), ReadFile by storage path, CopyFileInfos, SetFileSearchableContent, as the
server's UploadFile, GetFileInfo, GetFileInfos (through the gRPC options), CopyFileInfos and
ReadFile answer a plugin.

UploadFile keeps the channel only in the storage path: the FileInfo's channel_id stays empty
until a post attaches the file. Ids are not checked for their form: an unknown id is a 404.
"""

from __future__ import annotations

import base64
import hashlib

from mmplug.host.api._entities import get_channel
from mmplug.host.api._files import file_from_row, get_file, insert_file
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api._upload import (
    base_name,
    check_resolution,
    describe,
    file_settings,
    storage_path,
    store_upload,
)
from mmplug.host.api.config import server_setting
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import file_pb2

_SORTS = {"": "create_at", "CreateAt": "create_at", "Size": "size"}

differs(
    "UploadFile",
    "The server reads width and height of every image format Go decodes (and turns previews "
    "off for animated GIFs); mmplug reads them for PNG, GIF and JPEG only.",
)


@emulates("UploadFile")
def upload_file(ctx: ApiContext, req: fb.UploadFileRequest) -> fb.UploadFileResponse:
    if req.channel_id:
        with ctx.store.read() as db:
            try:
                get_channel(db, req.channel_id)  # archived channels are fine
            except ApiFailure:
                raise ApiFailure(
                    400,
                    "api.file.upload_file.incorrect_channelId.app_error",
                    f"Unable to upload the file: channel {req.channel_id} does not exist.",
                    params={"channelId": req.channel_id},
                ) from None
    name = base_name(req.filename)
    info = describe(ctx, name, req.data, "", "nouser")
    if info.has_preview_image:
        check_resolution(ctx, info, "api.file.upload_file.large_image.app_error")
    # The server takes the last path element of the channel id too: no channel is ".".
    path = storage_path(info, base_name(req.channel_id))
    return fb.UploadFileResponse(file_info=store_upload(ctx, info, req.data, path))


@emulates("GetFileInfo")
def get_file_info(ctx: ApiContext, req: fb.GetFileInfoRequest) -> fb.GetFileInfoResponse:
    with ctx.store.read() as db:
        return fb.GetFileInfoResponse(file_info=get_file(db, req.file_id)[0])


@emulates("GetFile")
def get_file_rpc(ctx: ApiContext, req: fb.GetFileRequest) -> fb.GetFileResponse:
    with ctx.store.read() as db:
        return fb.GetFileResponse(data=bytes(get_file(db, req.file_id)[1]["content"]))


def _bad_options(message: str, detail: str) -> ApiFailure:
    return ApiFailure(
        400,
        "app.file_info.get_with_options.app_error",
        message,
        detailed_error=detail,
        where="GetFileInfos",
    )


@emulates("GetFileInfos")
def get_file_infos(ctx: ApiContext, req: fb.GetFileInfosRequest) -> fb.GetFileInfosResponse:
    """A page of FileInfos, oldest first unless ``sort_order`` is "desc"; ``sort_by`` is
    "CreateAt" (the default) or "Size"; per_page 0 is an empty page."""
    opts = req.options
    if req.page < 0 or req.per_page < 0:
        raise _bad_options(
            "page and per_page must not be negative.",
            f"page={req.page} per_page={req.per_page}",
        )
    column = _SORTS.get(opts.sort_by)
    if column is None:
        raise _bad_options(
            f"Invalid sort_by {opts.sort_by!r}: use 'CreateAt' or 'Size'.",
            f"sort_by={opts.sort_by!r}",
        )
    if req.per_page == 0:
        return fb.GetFileInfosResponse()
    order = "DESC" if opts.sort_order == "desc" else "ASC"
    sql = "SELECT * FROM files WHERE 1=1"
    args: list[object] = []
    if opts.user_id:
        sql, args = sql + " AND creator_id=?", [*args, opts.user_id]
    if opts.channel_id:
        sql, args = sql + " AND channel_id=?", [*args, opts.channel_id]
    if not opts.include_deleted:
        sql += " AND coalesce(json_extract(data, '$.delete_at'), 0)=0"
    sql += f" ORDER BY json_extract(data, '$.{column}') {order}, id ASC LIMIT ? OFFSET ?"
    with ctx.store.read() as db:
        rows = db.execute(sql, (*args, req.per_page, req.page * req.per_page)).fetchall()
    return fb.GetFileInfosResponse(file_infos=[file_from_row(r) for r in rows])


@emulates("GetFileLink")
def get_file_link(ctx: ApiContext, req: fb.GetFileLinkRequest) -> fb.GetFileLinkResponse:
    """``{SiteURL}/files/{id}/public?h={hash}``: public links must be on
    (FileSettings.EnablePublicLink, off by default) and the file attached to a post."""
    settings = file_settings(ctx)
    if not settings.get("EnablePublicLink"):
        raise ApiFailure(
            501,
            "plugin_api.get_file_link.disabled.app_error",
            "Public links have been disabled (FileSettings.EnablePublicLink).",
        )
    with ctx.store.read() as db:
        info = get_file(db, req.file_id)[0]
        site_url = server_setting(db, "ServiceSettings", "SiteURL", "")
    if not info.post_id:
        raise ApiFailure(
            400,
            "plugin_api.get_file_link.no_post.app_error",
            "Unable to get a public link: the file is not attached to a post.",
        )
    salt = str(settings.get("PublicLinkSalt") or "")
    digest = hashlib.sha256((salt + info.id).encode()).digest()
    token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    site = str(site_url or "").rstrip("/")
    return fb.GetFileLinkResponse(link=f"{site}/files/{info.id}/public?h={token}")


@emulates("ReadFile")
def read_file(ctx: ApiContext, req: fb.ReadFileRequest) -> fb.ReadFileResponse:
    """The bytes at a path of the file store (FileInfo paths are not sent to plugins; the
    server's layout is ``YYYYMMDD/teams/noteam/channels/<channel>/users/<user>/<id>/<name>``,
    the channel ``.`` for an upload without one).
    A missing file is the server's 500, not a 404."""
    with ctx.store.read() as db:
        row = db.execute("SELECT content FROM files WHERE path=?", (req.path,)).fetchone()
    if row is None:
        raise ApiFailure(
            500,
            "api.file.read_file.app_error",
            f"Encountered an error reading from the server file storage: no file at {req.path!r}.",
            detailed_error=f"path={req.path!r}",
        )
    return fb.ReadFileResponse(data=bytes(row["content"]))


# Creators a FileInfo may have besides a user id (the server's FileInfo.IsValid).
_NON_USER_CREATORS = ("nouser", "bookmark")


@emulates("CopyFileInfos")
def copy_file_infos(ctx: ApiContext, req: fb.CopyFileInfosRequest) -> fb.CopyFileInfosResponse:
    """New FileInfos for the same stored bytes, created by ``user_id`` and attached to no
    post and no channel (for a new post to attach). As on the server they are saved one at
    a time with one time: the copies made before a failing id stay."""
    new_ids: list[str] = []
    now = ctx.now()
    for file_id in req.file_ids:
        with ctx.store.tx() as db:
            info, row = get_file(db, file_id)
            copy = file_pb2.FileInfo()
            copy.CopyFrom(info)
            copy.id, copy.creator_id, copy.post_id, copy.channel_id = (
                ctx.new_id(),
                req.user_id,
                "",
                "",
            )
            copy.create_at = copy.update_at = now
            if not (is_valid_id(copy.creator_id) or copy.creator_id in _NON_USER_CREATORS):
                raise ApiFailure(
                    400,
                    "model.file_info.is_valid.user_id.app_error",
                    f"Invalid user_id {req.user_id!r}: the copies need a user id.",
                    detailed_error=f"id={copy.id}",
                    where="FileInfo.IsValid",
                )
            insert_file(db, copy, row["path"], bytes(row["content"]))
        new_ids.append(copy.id)
    return fb.CopyFileInfosResponse(file_ids=new_ids)


@emulates("SetFileSearchableContent")
def set_file_searchable_content(
    ctx: ApiContext, req: fb.SetFileSearchableContentRequest
) -> fb.SetFileSearchableContentResponse:
    with ctx.store.tx() as db:
        get_file(db, req.file_id)
        db.execute(
            "INSERT INTO file_search_content(file_id, content) VALUES(?,?) "
            "ON CONFLICT(file_id) DO UPDATE SET content=excluded.content",
            (req.file_id, req.content),
        )
    return fb.SetFileSearchableContentResponse()
