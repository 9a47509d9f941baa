"""Hand-written KV store methods (text values, JSON, None for a missing key).

Each function returns a ``Call``; scripts/gen_sdk.py makes it a method of both API clients.
"""

from __future__ import annotations

import json
from typing import Any

from ._core import Call, call, handwritten, nothing
from ._entity import to_bytes


def _value_or_none(response: Any) -> bytes | None:
    value: bytes = response.value
    return value or None


def _success(response: Any) -> bool:
    return bool(response.success)


def _json_or(default: Any) -> Any:
    def finish(response: Any) -> Any:
        raw = response.value
        return json.loads(raw) if raw else default

    return finish


def _keys(response: Any) -> list[str]:
    return list(response.keys)


@handwritten("KVSet")
def kv_set(key: str, value: bytes | str) -> Call[None]:
    """Store ``value`` (bytes, or text as UTF-8) under ``key``. An empty value deletes."""
    return call("KVSet", nothing, key=key, value=to_bytes(value))


@handwritten("KVGet")
def kv_get(key: str) -> Call[bytes | None]:
    """The value under ``key``, or None if there is none."""
    return call("KVGet", _value_or_none, key=key)


@handwritten("KVSet")
def kv_set_json(key: str, value: Any) -> Call[None]:
    """Store ``value`` as compact JSON under ``key``."""
    return call("KVSet", nothing, key=key, value=_json(value))


@handwritten("KVGet")
def kv_get_json(key: str, default: Any = None) -> Call[Any]:
    """The JSON value under ``key``, or ``default`` if there is none."""
    return call("KVGet", _json_or(default), key=key)


@handwritten("KVDelete")
def kv_delete(key: str) -> Call[None]:
    """Delete ``key`` (nothing happens if it does not exist)."""
    return call("KVDelete", nothing, key=key)


@handwritten("KVDeleteAll")
def kv_delete_all() -> Call[None]:
    """Delete every key of this plugin."""
    return call("KVDeleteAll", nothing)


@handwritten("KVList")
def kv_list(page: int = 0, per_page: int = 100) -> Call[list[str]]:
    """A page of this plugin's keys."""
    return call("KVList", _keys, page=page, per_page=per_page)


@handwritten("KVSetWithExpiry")
def kv_set_with_expiry(key: str, value: bytes | str, expire_in_seconds: int) -> Call[None]:
    """Store ``value`` under ``key`` for ``expire_in_seconds``."""
    return call("KVSetWithExpiry", nothing, key=key, value=to_bytes(value),
                expire_in_seconds=expire_in_seconds)


@handwritten("KVCompareAndSet")
def kv_compare_and_set(key: str, old: bytes | str | None, new: bytes | str | None) -> Call[bool]:
    """Set ``key`` to ``new`` only if it currently holds ``old`` (None: does not exist)."""
    return call("KVCompareAndSet", _success, key=key, old_value=to_bytes(old or b""),
                new_value=to_bytes(new or b""))


@handwritten("KVCompareAndDelete")
def kv_compare_and_delete(key: str, old: bytes | str) -> Call[bool]:
    """Delete ``key`` only if it currently holds ``old``."""
    return call("KVCompareAndDelete", _success, key=key, old_value=to_bytes(old))


@handwritten("KVSetWithOptions")
def kv_set_with_options(
    key: str,
    value: bytes | str | None,
    atomic: bool = False,
    old_value: bytes | str | None = None,
    expire_in_seconds: int = 0,
) -> Call[bool]:
    """Set ``key`` with options: ``atomic`` (only if it holds ``old_value``), an expiry."""
    options = {"atomic": atomic, "old_value": to_bytes(old_value or b""),
               "expire_in_seconds": expire_in_seconds}
    return call("KVSetWithOptions", _success, key=key, value=to_bytes(value or b""),
                options=options)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")
