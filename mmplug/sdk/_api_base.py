"""What the API mixins need from the client."""

from __future__ import annotations

from typing import Any


class APIBase:
    def _call(self, method: str, **fields: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError
