"""Files and uploads over real gRPC: FileInfo, FileWillBeUploaded, links, copies, sessions."""

from __future__ import annotations

import json
import struct

from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import file_pb2, post_pb2
from mmplug.protocol import hooks_message_pb2 as hm

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 32, 16) + b"\x08\x06"


def upload(world: World, data: bytes = b"hello", name: str = "notes.TXT") -> fb.UploadFileResponse:
    return world.api.UploadFile(
        fb.UploadFileRequest(data=data, filename=name, channel_id=world.channels["off-topic"])
    )


def test_upload_describes_the_file_and_keeps_the_bytes(world: World) -> None:
    info = upload(world).file_info
    assert len(info.id) == 26 and info.name == "notes.TXT" and info.extension == "txt"
    assert info.size == 5 and info.mime_type == "text/plain; charset=utf-8"
    assert info.creator_id == "nouser" and info.channel_id == ""
    assert world.api.GetFile(fb.GetFileRequest(file_id=info.id)).data == b"hello"
    assert world.api.GetFileInfo(fb.GetFileInfoRequest(file_id=info.id)).file_info == info
    (fired,) = world.hooks.named("FileWillBeUploaded")
    assert fired.file_content == b"hello"


def test_image_size_is_read(world: World) -> None:
    info = upload(world, PNG, "pic.png").file_info
    assert (info.width, info.height, info.mime_type) == (32, 16, "image/png")
    assert info.has_preview_image


def test_plugin_can_rewrite_or_reject_an_upload(world: World) -> None:
    def rewrite(req: hm.FileWillBeUploadedRequest) -> hm.FileWillBeUploadedResponse:
        info = file_pb2.FileInfo()
        info.CopyFrom(req.file_info)
        info.name = "renamed.txt"
        return hm.FileWillBeUploadedResponse(
            modified_file_info=info, modified_content=b"rewritten!"
        )

    world.hooks.respond("FileWillBeUploaded", rewrite)
    info = upload(world).file_info
    assert info.name == "renamed.txt" and info.size == 10
    assert world.api.GetFile(fb.GetFileRequest(file_id=info.id)).data == b"rewritten!"
    world.hooks.respond(
        "FileWillBeUploaded", hm.FileWillBeUploadedResponse(rejection_reason="virus")
    )
    rsp = upload(world)
    assert rsp.error.status_code == 400 and rsp.error.id == "File rejected by plugin. virus"


def test_upload_errors(world: World) -> None:
    bad_channel = world.api.UploadFile(
        fb.UploadFileRequest(data=b"x", filename="a.txt", channel_id=world.users["alice"])
    )
    assert bad_channel.error.id == "api.file.upload_file.incorrect_channelId.app_error"
    assert upload(world, name="dir/").file_info.name == "dir"
    missing = world.api.GetFileInfo(fb.GetFileInfoRequest(file_id=world.users["alice"]))
    assert missing.error.status_code == 404


def test_file_infos_filter_and_sort(world: World) -> None:
    small = upload(world, b"a", "small.txt").file_info
    big = upload(world, b"a" * 50, "big.txt").file_info
    rsp = world.api.GetFileInfos(
        fb.GetFileInfosRequest(
            per_page=200,
            options=fb.GetFileInfosOptions(user_id="nouser", sort_by="Size"),
        )
    )
    ids = [f.id for f in rsp.file_infos]
    assert ids.index(small.id) < ids.index(big.id)
    bad = world.api.GetFileInfos(
        fb.GetFileInfosRequest(per_page=1, options=fb.GetFileInfosOptions(sort_by="size"))
    )
    assert bad.error.status_code == 400


def test_post_attaches_files_and_delete_removes_them(world: World) -> None:
    info = upload(world).file_info
    p = post_pb2.Post(
        channel_id=world.channels["off-topic"],
        user_id=world.users["alice"],
        message="see attached",
        file_ids=[info.id],
    )
    made = world.api.CreatePost(cp.CreatePostRequest(post=p)).post
    attached = world.api.GetFileInfo(fb.GetFileInfoRequest(file_id=info.id)).file_info
    assert attached.post_id == made.id
    world.api.DeletePost(cp.DeletePostRequest(post_id=made.id))
    gone = world.api.GetFileInfo(fb.GetFileInfoRequest(file_id=info.id))
    assert gone.error.status_code == 404


def test_public_link_needs_the_setting_and_a_post(world: World) -> None:
    info = upload(world).file_info
    off = world.api.GetFileLink(fb.GetFileLinkRequest(file_id=info.id))
    assert off.error.status_code == 501
    config = {
        "FileSettings": {"EnablePublicLink": True, "PublicLinkSalt": "salt"},
        "ServiceSettings": {"SiteURL": "https://chat.example.com"},
    }
    with world.store.tx() as db:
        db.execute(
            "INSERT OR REPLACE INTO config(key, data) VALUES('server', ?)", (json.dumps(config),)
        )
    try:
        unattached = world.api.GetFileLink(fb.GetFileLinkRequest(file_id=info.id))
        assert unattached.error.id == "plugin_api.get_file_link.no_post.app_error"
        p = post_pb2.Post(
            channel_id=world.channels["off-topic"], user_id=world.users["alice"], file_ids=[info.id]
        )
        world.api.CreatePost(cp.CreatePostRequest(post=p))
        link = world.api.GetFileLink(fb.GetFileLinkRequest(file_id=info.id)).link
        assert link.startswith(f"https://chat.example.com/files/{info.id}/public?h=")
    finally:
        with world.store.tx() as db:
            db.execute("DELETE FROM config WHERE key='server'")


def test_copy_and_read_by_path(world: World) -> None:
    info = upload(world, b"copy me").file_info
    rsp = world.api.CopyFileInfos(
        fb.CopyFileInfosRequest(user_id=world.users["bob"], file_ids=[info.id])
    )
    (copy_id,) = rsp.file_ids
    copied = world.api.GetFileInfo(fb.GetFileInfoRequest(file_id=copy_id)).file_info
    assert copied.creator_id == world.users["bob"] and copied.name == info.name
    with world.store.read() as db:
        path = db.execute("SELECT path FROM files WHERE id=?", (info.id,)).fetchone()[0]
    assert world.api.ReadFile(fb.ReadFileRequest(path=path)).data == b"copy me"
    assert world.api.ReadFile(fb.ReadFileRequest(path="nope")).error.status_code == 500


def test_upload_session_in_chunks(world: World) -> None:
    size = 5 * 1024 * 1024 + 3  # a first chunk is the whole file or at least 5 MiB
    us = world.api.CreateUploadSession(
        fb.CreateUploadSessionRequest(
            upload_session=fb.UploadSession(
                id=world.store.new_id(),
                type="attachment",
                user_id=world.users["alice"],
                channel_id=world.channels["off-topic"],
                filename="big.bin",
                file_size=size,
            )
        )
    ).upload_session
    assert len(us.id) == 26 and us.file_offset == 0
    first = b"a" * (size - 3)
    part = world.api.UploadData(fb.UploadDataRequest(upload_session=us, data=first))
    assert not part.HasField("file_info") and not part.HasField("error")
    stale = world.api.UploadData(fb.UploadDataRequest(upload_session=us, data=b"def"))
    assert stale.error.id == "app.upload.upload_data.concurrent.app_error"
    us = world.api.GetUploadSession(fb.GetUploadSessionRequest(upload_id=us.id)).upload_session
    assert us.file_offset == size - 3
    done = world.api.UploadData(fb.UploadDataRequest(upload_session=us, data=b"defgh"))
    assert done.file_info.size == size and done.file_info.creator_id == world.users["alice"]
    with world.store.read() as db:  # too big for one gRPC answer of the test client
        row = db.execute("SELECT content FROM files WHERE id=?", (done.file_info.id,)).fetchone()
    assert bytes(row[0]) == first + b"def"  # what is past file_size is dropped
    gone = world.api.GetUploadSession(fb.GetUploadSessionRequest(upload_id=us.id))
    assert gone.error.status_code == 404


def test_upload_session_validation(world: World) -> None:
    def create(**fields: object) -> fb.CreateUploadSessionResponse:
        us = fb.UploadSession(
            type="attachment",
            user_id=world.users["alice"],
            channel_id=world.channels["off-topic"],
            filename="x",
            **fields,  # type: ignore[arg-type]
        )
        return world.api.CreateUploadSession(fb.CreateUploadSessionRequest(upload_session=us))

    assert create(file_size=1).error.id == "model.upload_session.is_valid.id.app_error"
    rsp = create(id=world.store.new_id(), file_size=0)
    assert rsp.error.id == "model.upload_session.is_valid.file_size.app_error"
