"""KV store methods of the API client."""

from __future__ import annotations

import json
from typing import Any

from ._api_base import APIBase
from ._convert import to_bytes, to_json_bytes

Value = bytes | bytearray | str


class KVMixin(APIBase):
    def kv_set(self, key: str, value: Value) -> None:
        """Store ``value`` (bytes, or text as UTF-8) under ``key``. An empty value deletes."""
        self._call("KVSet", key=key, value=to_bytes(value))

    def kv_get(self, key: str) -> bytes | None:
        """The value under ``key``, or None if there is none."""
        value: bytes = self._call("KVGet", key=key).value
        return value or None

    def kv_set_json(self, key: str, value: Any) -> None:
        self.kv_set(key, to_json_bytes(value))

    def kv_get_json(self, key: str, default: Any = None) -> Any:
        raw = self.kv_get(key)
        return default if raw is None else json.loads(raw)

    def kv_delete(self, key: str) -> None:
        self._call("KVDelete", key=key)

    def kv_delete_all(self) -> None:
        self._call("KVDeleteAll")

    def kv_list(self, page: int = 0, per_page: int = 100) -> list[str]:
        return list(self._call("KVList", page=page, per_page=per_page).keys)

    def kv_set_with_expiry(self, key: str, value: Value, expire_in_seconds: int) -> None:
        self._call(
            "KVSetWithExpiry", key=key, value=to_bytes(value), expire_in_seconds=expire_in_seconds
        )

    def kv_compare_and_set(self, key: str, old: Value | None, new: Value | None) -> bool:
        """Set ``key`` to ``new`` only if it currently holds ``old`` (None: does not exist)."""
        response = self._call(
            "KVCompareAndSet",
            key=key,
            old_value=to_bytes(old or b""),
            new_value=to_bytes(new or b""),
        )
        return bool(response.success)

    def kv_compare_and_delete(self, key: str, old: Value) -> bool:
        response = self._call("KVCompareAndDelete", key=key, old_value=to_bytes(old))
        return bool(response.success)

    def kv_set_with_options(
        self,
        key: str,
        value: Value | None,
        atomic: bool = False,
        old_value: Value | None = None,
        expire_in_seconds: int = 0,
    ) -> bool:
        options = {
            "atomic": atomic,
            "old_value": to_bytes(old_value or b""),
            "expire_in_seconds": expire_in_seconds,
        }
        response = self._call(
            "KVSetWithOptions", key=key, value=to_bytes(value or b""), options=options
        )
        return bool(response.success)
