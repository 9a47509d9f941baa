"""The per-plugin key-value store: KVSet, KVGet, KVDelete, KVDeleteAll, KVList,
KVSetWithExpiry, KVCompareAndSet, KVCompareAndDelete, KVSetWithOptions.

Semantics follow the server:

* each plugin has its own namespace (``ctx.plugin_id``); every call that writes or compares
  (KVSet, KVSetWithExpiry, KVSetWithOptions, KVCompareAndSet, KVCompareAndDelete) checks
  that the key is 1..150 characters (runes) and answers AppError 400
  ``model.plugin_key_value.is_valid.key.app_error`` otherwise; KVGet and KVDelete do not
  check, as on the server: such a key is just absent;
* a nil value deletes (on the wire an empty ``bytes`` field is nil: proto3 cannot tell them
  apart, so an empty value is never stored);
* ``expire_at`` is milliseconds: any non-zero ``expire_in_seconds`` counts from now, so a
  negative one stores a value that has already expired; 0 never expires; the sum wraps
  around in 64 bits as the server's does (``2**63 - 1`` seconds lands 1 s in the past); expired
  keys are invisible to every call and are deleted lazily when touched or listed;
* KVList pages with offset ``page * per_page``; a ``per_page`` of 0 or less means 10 and a
  negative offset means 0 (never an error); keys come sorted;
* compare-and-set runs inside one serialised write transaction, so it is atomic against every
  other call of every plugin;
* ``OldValue`` without ``Atomic`` is AppError 400 (checked before the key);
* like the server, every set, compare-and-set, compare-and-delete and delete also removes a
  legacy entry stored under the key's SHA-256/base64 hash, and a get falls back to it;
* the prefix ``mmi_`` is reserved by convention for helper code (``EnsureBotUser`` keeps
  ``mmi_botid`` here); the server does not forbid it, so neither do we.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3

from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.protocol import api_kv_config_pb2 as pb

MAX_KEY_RUNES = 150
MAX_PLUGIN_ID = 190
# The server's store answers this many keys when KVList asks for 0 or fewer per page.
DEFAULT_LIST_LIMIT = 10
_LIVE = "(expire_at = 0 OR expire_at > ?)"
_INT64_SPAN = 2**64

differs(
    "KVList",
    "The server sorts keys with its database's collation (PostgreSQL with an en_US locale puts "
    "'a' before 'B'); mmplug sorts by code point, so upper-case keys come before lower-case.",
)


def legacy_key(key: str) -> str:
    """The hashed key older servers stored (base64 of SHA-256)."""
    return base64.b64encode(hashlib.sha256(key.encode()).digest()).decode()


def _check_key(ctx: ApiContext, key: str) -> None:
    # The server's PluginKeyValue.IsValid: the same params (Min 0) for both checks.
    params = {"Min": 0, "Max": MAX_KEY_RUNES}
    if not ctx.plugin_id or len(ctx.plugin_id) > MAX_PLUGIN_ID:
        raise ApiFailure(
            400,
            "model.plugin_key_value.is_valid.plugin_id.app_error",
            f"Invalid plugin ID, must be between 1 and {MAX_PLUGIN_ID} characters long.",
            detailed_error=f"key={key}",
            params=params,
        )
    if not key or len(key) > MAX_KEY_RUNES:
        raise ApiFailure(
            400,
            "model.plugin_key_value.is_valid.key.app_error",
            f"Invalid key, must be between 1 and {MAX_KEY_RUNES} characters long "
            f"(this one has {len(key)}).",
            detailed_error=f"key={key}",
            params=params,
        )


def _expire_at(ctx: ApiContext, seconds: int) -> int:
    # As the server: any non-zero count is relative to now, a negative one lies in the past;
    # the server computes it in int64 milliseconds, so a huge count wraps around (usually
    # into the past) instead of failing.
    if seconds == 0:
        return 0
    half = _INT64_SPAN // 2
    return (ctx.now() + seconds * 1000 + half) % _INT64_SPAN - half


def _drop_expired(db: sqlite3.Connection, plugin_id: str, key: str, now: int) -> None:
    # Strictly before now, as the server's insert-if-absent does.
    db.execute(
        "DELETE FROM kv WHERE plugin_id=? AND key=? AND expire_at != 0 AND expire_at < ?",
        (plugin_id, key, now),
    )


def _drop_legacy(db: sqlite3.Connection, plugin_id: str, key: str) -> None:
    db.execute("DELETE FROM kv WHERE plugin_id=? AND key=?", (plugin_id, legacy_key(key)))


def _delete(db: sqlite3.Connection, plugin_id: str, key: str) -> int:
    cur = db.execute(
        "DELETE FROM kv WHERE plugin_id=? AND key IN (?, ?)", (plugin_id, key, legacy_key(key))
    )
    return cur.rowcount


def _upsert(db: sqlite3.Connection, plugin_id: str, key: str, value: bytes, expire: int) -> None:
    _drop_legacy(db, plugin_id, key)
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
        done = cur.rowcount == 1
        _drop_legacy(db, ctx.plugin_id, key)  # the server cleans it up whatever the outcome
        return done


def compare_and_delete(ctx: ApiContext, key: str, old: bytes) -> bool:
    with ctx.store.tx() as db:
        done = False
        if old:  # nil is never stored, so nothing can match it
            cur = db.execute(
                f"DELETE FROM kv WHERE plugin_id=? AND key=? AND value=? AND {_LIVE}",
                (ctx.plugin_id, key, old, ctx.now()),
            )
            done = cur.rowcount == 1
        _drop_legacy(db, ctx.plugin_id, key)
        return done


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
    _check_key(ctx, req.key)
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
    # The server computes the offset first, then defaults each bound on its own.
    offset = max(req.page * req.per_page, 0)
    limit = req.per_page if req.per_page > 0 else DEFAULT_LIST_LIMIT
    now = ctx.now()
    with ctx.store.tx() as db:
        db.execute(
            "DELETE FROM kv WHERE plugin_id=? AND expire_at != 0 AND expire_at <= ?",
            (ctx.plugin_id, now),
        )
        rows = db.execute(
            "SELECT key FROM kv WHERE plugin_id=? ORDER BY key LIMIT ? OFFSET ?",
            (ctx.plugin_id, limit, offset),
        ).fetchall()
    return pb.KVListResponse(keys=[r["key"] for r in rows])
