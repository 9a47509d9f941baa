"""Walking and editing JSON documents by path, for the property tests that break a valid
document (a manifest, a cassette line) one field at a time."""

from __future__ import annotations

import json
from typing import Any


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in ``value`` (keys and list indexes), the document itself (``()``) first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], new: Any, remove: bool) -> Any:
    """A copy of ``document`` with the value at ``path`` set to ``new`` (or removed)."""
    if not path:
        return new
    copy = json.loads(json.dumps(document))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    if remove:
        del holder[path[-1]]
    else:
        holder[path[-1]] = new
    return copy
