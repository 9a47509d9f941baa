"""FileInfo rows: conversions, and attaching files to posts (shared by files and posts)."""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

from mmplug.host.api._pbjson import dump, load, model_dict
from mmplug.host.api._registry import ApiFailure
from mmplug.protocol import file_pb2, post_pb2


def file_from_row(row: sqlite3.Row) -> file_pb2.FileInfo:
    return load(file_pb2.FileInfo, row["data"])


def insert_file(db: sqlite3.Connection, info: file_pb2.FileInfo, path: str, content: bytes) -> None:
    db.execute(
        "INSERT INTO files(id, creator_id, post_id, channel_id, path, content, data) "
        "VALUES(?,?,?,?,?,?,?)",
        (info.id, info.creator_id, info.post_id, info.channel_id, path, content, dump(info)),
    )


def update_file(db: sqlite3.Connection, info: file_pb2.FileInfo) -> None:
    db.execute(
        "UPDATE files SET post_id=?, channel_id=?, data=? WHERE id=?",
        (info.post_id, info.channel_id, dump(info), info.id),
    )


def find_file(db: sqlite3.Connection, file_id: str) -> file_pb2.FileInfo | None:
    row = db.execute("SELECT * FROM files WHERE id=?", (file_id,)).fetchone()
    return None if row is None else file_from_row(row)


def get_file(db: sqlite3.Connection, file_id: str) -> tuple[file_pb2.FileInfo, sqlite3.Row]:
    row = db.execute("SELECT * FROM files WHERE id=?", (file_id,)).fetchone()
    if row is None or file_from_row(row).delete_at:
        raise ApiFailure(
            404,
            "app.file_info.get.app_error",
            "Unable to get the file info.",
            detailed_error=f"file_id={file_id}",
        )
    return file_from_row(row), row


def for_post(db: sqlite3.Connection, post_id: str) -> list[file_pb2.FileInfo]:
    """The live files attached to the post, oldest first (the server's ``GetForPost``)."""
    rows = db.execute("SELECT * FROM files WHERE post_id=?", (post_id,)).fetchall()
    infos = [info for info in map(file_from_row, rows) if not info.delete_at]
    return sorted(infos, key=lambda info: (info.create_at, info.id))


_FILE_OMITEMPTY = frozenset({"post_id", "width", "height", "has_preview_image"})


def file_model(info: file_pb2.FileInfo) -> dict[str, Any]:
    """The file as the server's ``json.Marshal`` writes a ``model.FileInfo`` (in a post's
    metadata): the creator as ``user_id``, the mini preview in base64 or null, the remote id
    a saved file always has (``""`` for a local one), no paths."""
    preview = base64.b64encode(info.mini_preview).decode() if info.mini_preview else None
    return model_dict(info, _FILE_OMITEMPTY, {"creator_id": "user_id"}, mini_preview=preview,
                      remote_id=info.remote_id)


def attach_to_post(
    db: sqlite3.Connection, post: post_pb2.Post, file_ids: list[str] | None = None,
    creator_id: str | None = None,
) -> list[str]:
    """Attach files to the post as the server's store does (``AttachToPost``): only a file
    not yet attached to a post and uploaded by ``creator_id`` (the poster by default) or by
    a plugin (creator ``nouser``). ``file_ids``: the files to attach (the post's by default).
    Returns those of them that are attached to the post now."""
    creator = post.user_id if creator_id is None else creator_id
    attached: list[str] = []
    for file_id in post.file_ids if file_ids is None else file_ids:
        row = db.execute("SELECT * FROM files WHERE id=?", (file_id,)).fetchone()
        if row is None:
            continue
        info = file_from_row(row)
        if info.post_id == post.id:
            attached.append(file_id)
            continue
        if info.post_id or info.creator_id not in (creator, "nouser"):
            continue
        info.post_id, info.channel_id = post.id, post.channel_id
        update_file(db, info)
        attached.append(file_id)
    return attached


def delete_for_post(
    db: sqlite3.Connection, post_id: str, now: int, file_ids: list[str] | None = None
) -> None:
    """Mark the post's files deleted (``DeleteForPost``), or only those of ``file_ids``
    (``DeleteForPostByIds``, the files an edit took off the post)."""
    for row in db.execute("SELECT * FROM files WHERE post_id=?", (post_id,)).fetchall():
        info = file_from_row(row)
        if file_ids is not None and info.id not in file_ids:
            continue
        if not info.delete_at:
            info.delete_at = info.update_at = now
            update_file(db, info)
