"""What the API mixins need from the client, and the two shapes most methods take."""

from __future__ import annotations

from typing import Any


class APIBase:
    def _call(self, method: str, **fields: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _field(self, method: str, name: str, /, **fields: Any) -> Any:
        """Call ``method`` and return one field of its response (an entity or a scalar)."""
        return getattr(self._call(method, **fields), name)

    def _list(self, method: str, name: str, /, **fields: Any) -> list[Any]:
        """Call ``method`` and return a repeated field of its response as a list."""
        return list(getattr(self._call(method, **fields), name))
