"""Server parity of files and upload sessions."""

from __future__ import annotations

import time

import pytest
from postsworld import configured, new_channel, post
from worldhost import Host

from mmplug.protocol import api_file_bot_pb2 as fb

UPLOAD = "server/channels/app/file.go: (*App).UploadFileForUserAndTeam"
DO_UPLOAD = "server/channels/app/file.go: (*App).DoUploadFileExpectModification"
WITH_OPTIONS = "server/channels/store/sqlstore/file_info_store.go: GetWithOptions"
SESSION = "server/channels/app/upload.go: (*App).CreateUploadSession"
DATA = "server/channels/app/upload.go: (*App).UploadData"


def upload(
    host: Host, data: bytes = b"hello", name: str = "a.txt", channel: str = ""
) -> fb.UploadFileResponse:
    return host.api.UploadFile(fb.UploadFileRequest(data=data, filename=name, channel_id=channel))


@pytest.mark.parity("UploadFile", UPLOAD)
def test_upload_skips_the_rest_api_size_limit(host: Host) -> None:
    """A plugin's upload is not held to FileSettings.MaxFileSize (nor to
    EnableFileAttachments)."""
    with configured(host, "FileSettings", "MaxFileSize", 4):
        with configured(host, "FileSettings", "EnableFileAttachments", False):
            rsp = upload(host, b"more than four bytes")
    assert not rsp.HasField("error") and rsp.file_info.size == 20


@pytest.mark.parity("UploadFile", UPLOAD)
def test_upload_to_an_unknown_channel_is_400(host: Host) -> None:
    """An unknown channel is a 400 ``api.file.upload_file.incorrect_channelId.app_error``;
    an archived channel and no channel at all are fine."""
    err = upload(host, channel=host.user("bob")).error
    assert (err.status_code, err.id) == (400, "api.file.upload_file.incorrect_channelId.app_error")
    assert not upload(host, channel=new_channel(host, archived=True)).HasField("error")
    assert not upload(host).HasField("error")


@pytest.mark.parity("UploadFile", DO_UPLOAD)
def test_upload_keeps_the_base_name(host: Host) -> None:
    """The file name is the last path element (``dir/a.txt`` gives ``a.txt``, an empty name
    gives ``.``); there is no error for an odd name."""
    assert upload(host, name="dir/sub/a.txt").file_info.name == "a.txt"
    assert upload(host, name="").file_info.name == "."


@pytest.mark.parity(
    "UploadFile", "server/public/model/file_info.go: NewInfo (mime.TypeByExtension)"
)
def test_upload_mime_type_follows_go(host: Host) -> None:
    """Text types carry ``; charset=utf-8`` and an unknown extension has no MIME type."""
    assert upload(host, name="n.txt").file_info.mime_type == "text/plain; charset=utf-8"
    assert upload(host, name="n.zzzq").file_info.mime_type == ""


@pytest.mark.parity("UploadFile", DO_UPLOAD)
def test_uploaded_file_belongs_to_a_channel_once_attached(host: Host) -> None:
    """UploadFile leaves the FileInfo's channel_id empty; a post attaching the file sets it."""
    channel = host.info.channels["off-topic"]
    info = upload(host, channel=channel).file_info
    assert info.channel_id == "" and info.creator_id == "nouser"
    post(host, file_ids=[info.id])
    attached = host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=info.id)).file_info
    assert attached.channel_id == channel and attached.post_id


@pytest.mark.parity("UploadFile", DO_UPLOAD)
def test_upload_of_a_huge_image_is_400(host: Host) -> None:
    """An image over FileSettings.MaxImageResolution pixels is a 400
    ``api.file.upload_file.large_image.app_error``."""
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (100).to_bytes(4, "big") * 2 + b"\x08\x06"
    with configured(host, "FileSettings", "MaxImageResolution", 9999):
        err = upload(host, png, "big.png").error
    assert (err.status_code, err.id) == (400, "api.file.upload_file.large_image.app_error")


def infos(
    host: Host, page: int = 0, per_page: int = 100, **options: object
) -> fb.GetFileInfosResponse:
    return host.api.GetFileInfos(
        fb.GetFileInfosRequest(
            page=page,
            per_page=per_page,
            options=fb.GetFileInfosOptions(**options),  # type: ignore[arg-type]
        )
    )


@pytest.mark.parity("GetFileInfos", f"{WITH_OPTIONS}; grpc fileInfosOptionsFromProto")
def test_file_infos_sort_by_go_names_ascending_by_default(host: Host) -> None:
    """sort_by is ``CreateAt`` (default) or ``Size``, oldest/smallest first unless
    sort_order is ``desc``; any other sort_by is a 400
    ``app.file_info.get_with_options.app_error``."""
    small = upload(host, b"a").file_info.id
    big = upload(host, b"a" * 99).file_info.id
    ids = [f.id for f in infos(host, sort_by="Size").file_infos]
    assert ids.index(small) < ids.index(big)
    ids = [f.id for f in infos(host, sort_by="Size", sort_order="desc").file_infos]
    assert ids.index(big) < ids.index(small)
    err = infos(host, sort_by="size").error
    assert (err.status_code, err.id) == (400, "app.file_info.get_with_options.app_error")


@pytest.mark.parity("GetFileInfos", WITH_OPTIONS)
def test_file_infos_paging_as_given(host: Host) -> None:
    """per_page 0 is an empty page; a negative page or per_page is a 400
    ``app.file_info.get_with_options.app_error``."""
    upload(host)
    assert list(infos(host, per_page=0).file_infos) == []
    for page, per_page in ((-1, 10), (0, -1)):
        err = infos(host, page, per_page).error
        assert (err.status_code, err.id) == (400, "app.file_info.get_with_options.app_error")


@pytest.mark.parity("GetFileLink", "server/channels/app/plugin_api.go: (*PluginAPI).GetFileLink")
def test_file_link_is_off_by_default(host: Host) -> None:
    """Public links are off by default: 501 ``plugin_api.get_file_link.disabled.app_error``;
    when on, a file on no post is a 400 ``plugin_api.get_file_link.no_post.app_error``."""
    info = upload(host).file_info
    err = host.api.GetFileLink(fb.GetFileLinkRequest(file_id=info.id)).error
    assert (err.status_code, err.id) == (501, "plugin_api.get_file_link.disabled.app_error")
    with configured(host, "FileSettings", "EnablePublicLink", True):
        err = host.api.GetFileLink(fb.GetFileLinkRequest(file_id=info.id)).error
    assert (err.status_code, err.id) == (400, "plugin_api.get_file_link.no_post.app_error")


@pytest.mark.parity(
    ("GetFileInfo", "GetFile"), "server/channels/app/file.go: (*Server).getFileInfo"
)
def test_unknown_file_ids_are_404(host: Host) -> None:
    """An unknown (or malformed) file id is a 404 ``app.file_info.get.app_error``."""
    for file_id in (host.user("bob"), "nope"):
        for err in (
            host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=file_id)).error,
            host.api.GetFile(fb.GetFileRequest(file_id=file_id)).error,
        ):
            assert (err.status_code, err.id) == (404, "app.file_info.get.app_error")


@pytest.mark.parity(("UploadFile", "ReadFile"), DO_UPLOAD)
def test_an_upload_is_stored_under_the_servers_path(host: Host) -> None:
    """A plugin's upload is stored at ``YYYYMMDD/teams/noteam/channels/<channel>/users/nouser/
    <file id>/<name>``, where no channel is the folder ``.``; ReadFile reads it there."""
    channel = new_channel(host)
    for channel_id, folder in ((channel, channel), ("", ".")):
        info = upload(host, b"stored", "s.txt", channel_id).file_info
        day = time.strftime("%Y%m%d", time.gmtime(info.create_at / 1000))
        path = f"{day}/teams/noteam/channels/{folder}/users/nouser/{info.id}/s.txt"
        rsp = host.api.ReadFile(fb.ReadFileRequest(path=path))
        assert not rsp.HasField("error") and rsp.data == b"stored"


@pytest.mark.parity("ReadFile", "server/channels/app/server.go: (*Server).ReadFile")
def test_read_file_of_a_missing_path_is_500(host: Host) -> None:
    """A path with no file is a 500 ``api.file.read_file.app_error`` (not a 404)."""
    err = host.api.ReadFile(fb.ReadFileRequest(path="nowhere/at/all")).error
    assert (err.status_code, err.id) == (500, "api.file.read_file.app_error")


@pytest.mark.parity("CopyFileInfos", "server/channels/app/file.go: (*App).CopyFileInfos")
def test_copies_belong_to_no_post_and_no_channel(host: Host) -> None:
    """A copy is the new user's, on no post and in no channel; an unknown id is a 404
    ``app.file_info.get.app_error``."""
    info = upload(host).file_info
    made = post(host, file_ids=[info.id]).post
    assert made.file_ids
    (copy_id,) = host.api.CopyFileInfos(
        fb.CopyFileInfosRequest(user_id=host.user("bob"), file_ids=[info.id])
    ).file_ids
    copy = host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=copy_id)).file_info
    assert (copy.creator_id, copy.post_id, copy.channel_id) == (host.user("bob"), "", "")
    err = host.api.CopyFileInfos(
        fb.CopyFileInfosRequest(user_id=host.user("bob"), file_ids=[host.user("bob")])
    ).error
    assert (err.status_code, err.id) == (404, "app.file_info.get.app_error")


@pytest.mark.parity("CopyFileInfos", "server/channels/app/file.go: (*App).CopyFileInfos")
def test_copies_made_before_a_failing_id_are_kept(host: Host) -> None:
    """Files are copied one at a time, all with the same time: when a later id is unknown
    the call is a 404, but the copies made before it stay."""
    user = new_channel(host)  # any fresh 26-character id: nobody has files under it yet
    first, second = upload(host).file_info, upload(host).file_info
    err = host.api.CopyFileInfos(
        fb.CopyFileInfosRequest(user_id=user, file_ids=[first.id, second.id, user])
    ).error
    assert (err.status_code, err.id) == (404, "app.file_info.get.app_error")
    options = fb.GetFileInfosOptions(user_id=user)
    kept = host.api.GetFileInfos(fb.GetFileInfosRequest(page=0, per_page=10, options=options))
    assert sorted(i.name for i in kept.file_infos) == [first.name, second.name]
    assert len({i.create_at for i in kept.file_infos}) == 1


@pytest.mark.parity("CopyFileInfos", "server/public/model/file_info.go: (*FileInfo).IsValid")
def test_copies_may_belong_to_the_bookmark_owner(host: Host) -> None:
    """Besides a user id, the copies' creator may be `nouser` or `bookmark` (the owner of
    channel bookmark files); anything else is a 400."""
    info = upload(host).file_info
    for owner in ("nouser", "bookmark"):
        rsp = host.api.CopyFileInfos(fb.CopyFileInfosRequest(user_id=owner, file_ids=[info.id]))
        assert not rsp.HasField("error") and len(rsp.file_ids) == 1
    err = host.api.CopyFileInfos(fb.CopyFileInfosRequest(user_id="x", file_ids=[info.id])).error
    assert (err.status_code, err.id) == (400, "model.file_info.is_valid.user_id.app_error")


@pytest.mark.parity(
    "SetFileSearchableContent", "server/channels/app/file.go: (*App).SetFileSearchableContent"
)
def test_searchable_content_of_an_unknown_file_is_404(host: Host) -> None:
    """An unknown file is a 404 ``app.file_info.get.app_error``."""
    err = host.api.SetFileSearchableContent(
        fb.SetFileSearchableContentRequest(file_id=host.user("bob"), content="x")
    ).error
    assert (err.status_code, err.id) == (404, "app.file_info.get.app_error")


# -- upload sessions -------------------------------------------------------------------------
def session(host: Host, **fields: object) -> fb.CreateUploadSessionResponse:
    values: dict[str, object] = {
        "id": host.store.new_id(),
        "type": "attachment",
        "user_id": host.user("alice"),
        "channel_id": host.info.channels["off-topic"],
        "filename": "f.bin",
        "file_size": 3,
    }
    values.update(fields)
    return host.api.CreateUploadSession(
        fb.CreateUploadSessionRequest(upload_session=fb.UploadSession(**values))  # type: ignore[arg-type]
    )


@pytest.mark.parity("CreateUploadSession", f"{SESSION}; model (*UploadSession).IsValid")
def test_upload_session_needs_the_callers_id_and_type(host: Host) -> None:
    """The session's id and type come from the caller: no id is a 400
    ``model.upload_session.is_valid.id.app_error``, no type a 400 ``...type.app_error``."""
    err = session(host, id="").error
    assert (err.status_code, err.id) == (400, "model.upload_session.is_valid.id.app_error")
    err = session(host, type="").error
    assert (err.status_code, err.id) == (400, "model.upload_session.is_valid.type.app_error")


@pytest.mark.parity("CreateUploadSession", SESSION)
def test_upload_session_channel_must_exist_and_be_live(host: Host) -> None:
    """An unknown channel is a 400 ``app.upload.create.incorrect_channel_id.app_error``, an
    archived one a 400 ``app.upload.create.cannot_upload_to_deleted_channel.app_error``; the
    user is not looked up."""
    err = session(host, channel_id=host.user("bob")).error
    assert (err.status_code, err.id) == (400, "app.upload.create.incorrect_channel_id.app_error")
    err = session(host, channel_id=new_channel(host, archived=True)).error
    assert (err.status_code, err.id) == (
        400,
        "app.upload.create.cannot_upload_to_deleted_channel.app_error",
    )
    assert not session(host, user_id=host.info.channels["off-topic"]).HasField("error")


@pytest.mark.parity("UploadData", DATA)
def test_upload_data_needs_the_current_offset(host: Host) -> None:
    """A session whose file_offset is not the stored one is a 400
    ``app.upload.upload_data.concurrent.app_error``."""
    us = session(host).upload_session
    us.file_offset = 1
    err = host.api.UploadData(fb.UploadDataRequest(upload_session=us, data=b"abc")).error
    assert (err.status_code, err.id) == (400, "app.upload.upload_data.concurrent.app_error")


@pytest.mark.parity("UploadData", DATA)
def test_first_chunk_is_the_whole_file_or_5_mib(host: Host) -> None:
    """A first chunk under 5 MiB that is not the whole file is a 400
    ``app.upload.upload_data.first_part_too_small.app_error``."""
    us = session(host, file_size=10).upload_session
    err = host.api.UploadData(fb.UploadDataRequest(upload_session=us, data=b"abc")).error
    assert (err.status_code, err.id) == (
        400,
        "app.upload.upload_data.first_part_too_small.app_error",
    )


@pytest.mark.parity(("UploadData", "GetUploadSession"), f"{DATA}; (*App).GetUploadSession")
def test_a_finished_upload_drops_extra_bytes_and_its_session(host: Host) -> None:
    """Bytes past file_size are dropped; once complete, the session is gone (404
    ``app.upload.get.app_error``)."""
    us = session(host).upload_session
    done = host.api.UploadData(fb.UploadDataRequest(upload_session=us, data=b"abcdef"))
    assert done.file_info.size == 3 and done.file_info.channel_id == us.channel_id
    assert host.api.GetFile(fb.GetFileRequest(file_id=done.file_info.id)).data == b"abc"
    err = host.api.GetUploadSession(fb.GetUploadSessionRequest(upload_id=us.id)).error
    assert (err.status_code, err.id) == (404, "app.upload.get.app_error")


@pytest.mark.parity("UploadData", "server/channels/app/upload.go: (*App).runPluginsHook")
def test_a_plugin_rejection_of_an_upload_session(quiet_host: Host) -> None:
    """A FileWillBeUploaded rejection of a session's file is a 400
    ``app.upload.run_plugins_hook.rejected`` (UploadFile's is ``File rejected by plugin.``)."""
    from mmplug.protocol import hooks_message_pb2 as hm

    quiet_host.hooks.respond(
        "FileWillBeUploaded",
        hm.FileWillBeUploadedResponse(rejection_reason="virus"),
        plugin_id=quiet_host.server.ctx.plugin_id,
    )
    try:
        us = session(quiet_host).upload_session
        err = quiet_host.api.UploadData(fb.UploadDataRequest(upload_session=us, data=b"abc")).error
        assert (err.status_code, err.id) == (400, "app.upload.run_plugins_hook.rejected")
        err = upload(quiet_host).error
        assert err.id == "File rejected by plugin. virus"
    finally:
        quiet_host.hooks.forget_answers()
