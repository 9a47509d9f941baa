"""Reading JSON a user gave mmplug (plugin.json, cassettes, ``--json``, ``--file``).

The standard library's parser recurses once per nesting level and fails with a RecursionError
near a thousand levels, and so would every walk over the result afterwards (protobuf's
``ParseDict``, our own comparisons). No real manifest, cassette or payload nests anywhere near
:data:`MAX_DEPTH`, so deeper input is refused here, with the same kind of error as malformed
JSON, before anything else touches it.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class JSONDepthError(ValueError):
    """JSON nested more than :data:`MAX_DEPTH` levels deep."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"nested more than {limit} levels deep")
        self.limit = limit


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses input nested deeper than ``max_depth``.

    Raises ``json.JSONDecodeError`` for malformed text and :class:`JSONDepthError` for deep
    text (the parser's own RecursionError included)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONDepthError(max_depth) from None
    if depth_of(value, max_depth) > max_depth:
        raise JSONDepthError(max_depth)
    return value


def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep ``value`` nests (walked without recursion; stops counting past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return deepest
