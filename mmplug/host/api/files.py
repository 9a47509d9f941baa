"""Files: UploadFile (FileWillBeUploaded), GetFile/GetFileInfo/GetFileInfos, GetFileLink
(public links), ReadFile by storage path, CopyFileInfos, SetFileSearchableContent."""

from __future__ import annotations

import base64
import hashlib

from mmplug.host.api._entities import get_channel
from mmplug.host.api._files import file_from_row, get_file, insert_file
from mmplug.host.api._pbjson import paging, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api._upload import check_upload, describe, file_settings, store_upload
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import file_pb2

_SORTS = {"": "create_at", "create_at": "create_at", "size": "size"}


@emulates("UploadFile")
def upload_file(ctx: ApiContext, req: fb.UploadFileRequest) -> fb.UploadFileResponse:
    if req.channel_id:
        require_id(req.channel_id, "channel_id")
        with ctx.store.read() as db:
            try:
                get_channel(db, req.channel_id)
            except ApiFailure:
                raise ApiFailure(
                    400,
                    "api.file.upload_file.incorrect_channelId.app_error",
                    f"Unable to upload the file: channel {req.channel_id} does not exist.",
                    params={"channelId": req.channel_id},
                ) from None
    name = check_upload(ctx, req.filename, len(req.data))
    info = describe(ctx, name, req.data, req.channel_id, "nouser")
    return fb.UploadFileResponse(file_info=store_upload(ctx, info, req.data))


@emulates("GetFileInfo")
def get_file_info(ctx: ApiContext, req: fb.GetFileInfoRequest) -> fb.GetFileInfoResponse:
    require_id(req.file_id, "file_id")
    with ctx.store.read() as db:
        return fb.GetFileInfoResponse(file_info=get_file(db, req.file_id)[0])


@emulates("GetFile")
def get_file_rpc(ctx: ApiContext, req: fb.GetFileRequest) -> fb.GetFileResponse:
    require_id(req.file_id, "file_id")
    with ctx.store.read() as db:
        return fb.GetFileResponse(data=bytes(get_file(db, req.file_id)[1]["content"]))


@emulates("GetFileInfos")
def get_file_infos(ctx: ApiContext, req: fb.GetFileInfosRequest) -> fb.GetFileInfosResponse:
    opts = req.options
    limit, offset = paging(req.page, req.per_page)
    column = _SORTS.get(opts.sort_by)
    if column is None or opts.sort_order.lower() not in ("", "asc", "desc"):
        raise ApiFailure(
            400,
            "api.file.get_file_infos.sort.app_error",
            "sort_by must be 'create_at' or 'size', sort_order 'asc' or 'desc'.",
            detailed_error=f"sort_by={opts.sort_by!r} sort_order={opts.sort_order!r}",
        )
    order = "ASC" if opts.sort_order.lower() == "asc" else "DESC"
    sql = "SELECT * FROM files WHERE 1=1"
    args: list[object] = []
    if opts.user_id:
        sql, args = sql + " AND creator_id=?", [*args, opts.user_id]
    if opts.channel_id:
        sql, args = sql + " AND channel_id=?", [*args, opts.channel_id]
    if not opts.include_deleted:
        sql += " AND coalesce(json_extract(data, '$.delete_at'), 0)=0"
    sql += f" ORDER BY json_extract(data, '$.{column}') {order}, id {order} LIMIT ? OFFSET ?"
    with ctx.store.read() as db:
        rows = db.execute(sql, (*args, limit, offset)).fetchall()
    return fb.GetFileInfosResponse(file_infos=[file_from_row(r) for r in rows])


@emulates("GetFileLink")
def get_file_link(ctx: ApiContext, req: fb.GetFileLinkRequest) -> fb.GetFileLinkResponse:
    require_id(req.file_id, "file_id")
    settings = file_settings(ctx)
    if not settings.get("EnablePublicLink"):
        raise ApiFailure(
            501,
            "plugin_api.get_file_link.disabled.app_error",
            "Public links have been disabled (FileSettings.EnablePublicLink).",
        )
    with ctx.store.read() as db:
        info = get_file(db, req.file_id)[0]
        row = db.execute(
            "SELECT json_extract(data, '$.ServiceSettings.SiteURL') FROM config WHERE key='server'"
        ).fetchone()
    if not info.post_id:
        raise ApiFailure(
            400,
            "plugin_api.get_file_link.no_post.app_error",
            "Unable to get a public link: the file is not attached to a post.",
        )
    salt = str(settings.get("PublicLinkSalt") or "")
    digest = hashlib.sha256((salt + info.id).encode()).digest()
    token = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    site = (row[0] if row and row[0] else "http://localhost:8065").rstrip("/")
    return fb.GetFileLinkResponse(link=f"{site}/files/{info.id}/public?h={token}")


@emulates("ReadFile")
def read_file(ctx: ApiContext, req: fb.ReadFileRequest) -> fb.ReadFileResponse:
    with ctx.store.read() as db:
        row = db.execute("SELECT content FROM files WHERE path=?", (req.path,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "api.file.read_file.reading_local.app_error",
            "Encountered an error reading from local server file storage.",
            detailed_error=f"no file at path {req.path!r}",
        )
    return fb.ReadFileResponse(data=bytes(row["content"]))


@emulates("CopyFileInfos")
def copy_file_infos(ctx: ApiContext, req: fb.CopyFileInfosRequest) -> fb.CopyFileInfosResponse:
    require_id(req.user_id, "user_id")
    new_ids: list[str] = []
    with ctx.store.tx() as db:
        for file_id in req.file_ids:
            info, row = get_file(db, file_id)
            copy = file_pb2.FileInfo()
            copy.CopyFrom(info)
            copy.id, copy.creator_id, copy.post_id = ctx.new_id(), req.user_id, ""
            copy.create_at = copy.update_at = ctx.now()
            insert_file(db, copy, row["path"], bytes(row["content"]))
            new_ids.append(copy.id)
    return fb.CopyFileInfosResponse(file_ids=new_ids)


@emulates("SetFileSearchableContent")
def set_file_searchable_content(
    ctx: ApiContext, req: fb.SetFileSearchableContentRequest
) -> fb.SetFileSearchableContentResponse:
    require_id(req.file_id, "file_id")
    with ctx.store.tx() as db:
        get_file(db, req.file_id)
        db.execute(
            "INSERT INTO file_search_content(file_id, content) VALUES(?,?) "
            "ON CONFLICT(file_id) DO UPDATE SET content=excluded.content",
            (req.file_id, req.content),
        )
    return fb.SetFileSearchableContentResponse()
