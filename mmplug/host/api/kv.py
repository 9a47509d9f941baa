"""The per-plugin key-value store: KVSet, KVGet, KVDelete, KVDeleteAll, KVList,
KVSetWithExpiry, KVCompareAndSet, KVCompareAndDelete, KVSetWithOptions.

Semantics follow the server:

* each plugin has its own namespace (``ctx.plugin_id``); a key that is written must be 1..150
  characters (reads and deletes do not check, as on the server: such a key is just absent);
* a nil value deletes (on the wire an empty ``bytes`` field is nil: proto3 cannot tell them
  apart, so an empty value is never stored);
* ``expire_at`` is milliseconds (0 = never); expired keys are invisible to every call and are
  deleted lazily when touched or listed;
* compare-and-set runs inside one serialised write transaction, so it is atomic against every
  other call of every plugin;
* ``OldValue`` without ``Atomic`` is AppError 400;
* like the server, a set or delete also removes a legacy entry stored under the key's
  SHA-256/base64 hash, and a get falls back to it;
* the prefix ``mmi_`` is reserved by convention for helper code (``EnsureBotUser`` keeps
  ``mmi_botid`` here); the server does not forbid it, so neither do we.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3

from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_kv_config_pb2 as pb

MAX_KEY_RUNES = 150
MAX_PLUGIN_ID = 190
_LIVE = "(expire_at = 0 OR expire_at > ?)"


def legacy_key(key: str) -> str:
    """The hashed key older servers stored (base64 of SHA-256)."""
    return base64.b64encode(hashlib.sha256(key.encode()).digest()).decode()


def _check_key(ctx: ApiContext, key: str) -> None:
    if not ctx.plugin_id or len(ctx.plugin_id) > MAX_PLUGIN_ID:
        raise ApiFailure(
            400,
            "model.plugin_key_value.is_valid.plugin_id.app_error",
            f"Invalid plugin ID, must be between 1 and {MAX_PLUGIN_ID} characters long.",
            detailed_error=f"plugin_id={ctx.plugin_id!r}",
        )
    if not key or len(key) > MAX_KEY_RUNES:
        raise ApiFailure(
            400,
            "model.plugin_key_value.is_valid.key.app_error",
            f"Invalid key, must be between 1 and {MAX_KEY_RUNES} characters long.",
            detailed_error=f"key length {len(key)}",
            params={"Min": 1, "Max": MAX_KEY_RUNES},
        )


def _expire_at(ctx: ApiContext, seconds: int) -> int:
    return ctx.now() + seconds * 1000 if seconds > 0 else 0


def _drop_expired(db: sqlite3.Connection, plugin_id: str, key: str, now: int) -> None:
    db.execute(
        "DELETE FROM kv WHERE plugin_id=? AND key=? AND expire_at != 0 AND expire_at <= ?",
        (plugin_id, key, now),
    )


def _delete(db: sqlite3.Connection, plugin_id: str, key: str) -> int:
    cur = db.execute(
        "DELETE FROM kv WHERE plugin_id=? AND key IN (?, ?)", (plugin_id, key, legacy_key(key))
    )
    return cur.rowcount


def _upsert(db: sqlite3.Connection, plugin_id: str, key: str, value: bytes, expire: int) -> None:
    db.execute("DELETE FROM kv WHERE plugin_id=? AND key=?", (plugin_id, legacy_key(key)))
    db.execute(
        "INSERT INTO kv(plugin_id, key, value, expire_at) VALUES(?, ?, ?, ?) "
        "ON CONFLICT(plugin_id, key) DO UPDATE SET value=excluded.value, "
        "expire_at=excluded.expire_at",
        (plugin_id, key, value, expire),
    )


def compare_and_set(
    ctx: ApiContext, key: str, old: bytes, new: bytes, expire_in_seconds: int = 0
) -> bool:
    """The server's CompareAndSet: ``old`` empty means insert only if absent; ``new`` empty
    means compare-and-delete. Atomic (one write transaction)."""
    if not new:
        return compare_and_delete(ctx, key, old)
    now, expire = ctx.now(), _expire_at(ctx, expire_in_seconds)
    with ctx.store.tx() as db:
        if not old:
            _drop_expired(db, ctx.plugin_id, key, now)
            cur = db.execute(
                "INSERT INTO kv(plugin_id, key, value, expire_at) VALUES(?, ?, ?, ?) "
                "ON CONFLICT(plugin_id, key) DO NOTHING",
                (ctx.plugin_id, key, new, expire),
            )
        else:
            cur = db.execute(
                f"UPDATE kv SET value=?, expire_at=? WHERE plugin_id=? AND key=? AND value=? "
                f"AND {_LIVE}",
                (new, expire, ctx.plugin_id, key, old, now),
            )
        return cur.rowcount == 1


def compare_and_delete(ctx: ApiContext, key: str, old: bytes) -> bool:
    if not old:  # nil is never stored, so nothing can match it
        return False
    with ctx.store.tx() as db:
        cur = db.execute(
            f"DELETE FROM kv WHERE plugin_id=? AND key=? AND value=? AND {_LIVE}",
            (ctx.plugin_id, key, old, ctx.now()),
        )
        return cur.rowcount == 1


def set_value(ctx: ApiContext, key: str, value: bytes, expire_in_seconds: int = 0) -> None:
    """Unconditional set (an empty value deletes the key)."""
    with ctx.store.tx() as db:
        if not value:
            _delete(db, ctx.plugin_id, key)
        else:
            _upsert(db, ctx.plugin_id, key, value, _expire_at(ctx, expire_in_seconds))


# -- rpcs ------------------------------------------------------------------------------
@emulates("KVSet")
def kv_set(ctx: ApiContext, req: pb.KVSetRequest) -> pb.KVSetResponse:
    _check_key(ctx, req.key)
    set_value(ctx, req.key, req.value)
    return pb.KVSetResponse()


@emulates("KVSetWithExpiry")
def kv_set_with_expiry(
    ctx: ApiContext, req: pb.KVSetWithExpiryRequest
) -> pb.KVSetWithExpiryResponse:
    _check_key(ctx, req.key)
    set_value(ctx, req.key, req.value, req.expire_in_seconds)
    return pb.KVSetWithExpiryResponse()


@emulates("KVSetWithOptions")
def kv_set_with_options(
    ctx: ApiContext, req: pb.KVSetWithOptionsRequest
) -> pb.KVSetWithOptionsResponse:
    opts = req.options
    if not opts.atomic and opts.old_value:
        raise ApiFailure(
            400,
            "model.plugin_kvset_options.is_valid.old_value.app_error",
            "Invalid old value, it should not be set when the operation is not atomic.",
        )
    _check_key(ctx, req.key)
    if opts.atomic:
        done = compare_and_set(ctx, req.key, opts.old_value, req.value, opts.expire_in_seconds)
        return pb.KVSetWithOptionsResponse(success=done)
    set_value(ctx, req.key, req.value, opts.expire_in_seconds)
    return pb.KVSetWithOptionsResponse(success=True)


@emulates("KVCompareAndSet")
def kv_compare_and_set(
    ctx: ApiContext, req: pb.KVCompareAndSetRequest
) -> pb.KVCompareAndSetResponse:
    _check_key(ctx, req.key)
    done = compare_and_set(ctx, req.key, req.old_value, req.new_value)
    return pb.KVCompareAndSetResponse(success=done)


@emulates("KVCompareAndDelete")
def kv_compare_and_delete(
    ctx: ApiContext, req: pb.KVCompareAndDeleteRequest
) -> pb.KVCompareAndDeleteResponse:
    return pb.KVCompareAndDeleteResponse(success=compare_and_delete(ctx, req.key, req.old_value))


@emulates("KVGet")
def kv_get(ctx: ApiContext, req: pb.KVGetRequest) -> pb.KVGetResponse:
    now = ctx.now()
    with ctx.store.read() as db:
        for key in (req.key, legacy_key(req.key)):
            row = db.execute(
                f"SELECT value FROM kv WHERE plugin_id=? AND key=? AND {_LIVE}",
                (ctx.plugin_id, key, now),
            ).fetchone()
            if row is not None:
                return pb.KVGetResponse(value=bytes(row["value"]))
    return pb.KVGetResponse()


@emulates("KVDelete")
def kv_delete(ctx: ApiContext, req: pb.KVDeleteRequest) -> pb.KVDeleteResponse:
    with ctx.store.tx() as db:
        _delete(db, ctx.plugin_id, req.key)
    return pb.KVDeleteResponse()


@emulates("KVDeleteAll")
def kv_delete_all(ctx: ApiContext, req: pb.KVDeleteAllRequest) -> pb.KVDeleteAllResponse:
    with ctx.store.tx() as db:
        db.execute("DELETE FROM kv WHERE plugin_id=?", (ctx.plugin_id,))
    return pb.KVDeleteAllResponse()


@emulates("KVList")
def kv_list(ctx: ApiContext, req: pb.KVListRequest) -> pb.KVListResponse:
    if req.page < 0 or req.per_page < 0:
        raise ApiFailure(
            400,
            "api.context.invalid_url_param.app_error",
            "Invalid page or per_page parameter: both must be 0 or more.",
            detailed_error=f"page={req.page} per_page={req.per_page}",
        )
    now = ctx.now()
    with ctx.store.tx() as db:
        db.execute(
            "DELETE FROM kv WHERE plugin_id=? AND expire_at != 0 AND expire_at <= ?",
            (ctx.plugin_id, now),
        )
        rows = db.execute(
            "SELECT key FROM kv WHERE plugin_id=? ORDER BY key LIMIT ? OFFSET ?",
            (ctx.plugin_id, req.per_page, req.page * req.per_page),
        ).fetchall()
    return pb.KVListResponse(keys=[r["key"] for r in rows])
