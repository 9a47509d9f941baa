"""Reading JSON a user gave mmplug (plugin.json, cassettes, ``--json``, ``--file``).

The standard library's parser recurses once per nesting level and fails with a RecursionError
near a thousand levels, and so would every walk over the result afterwards (protobuf's
``ParseDict``, our own comparisons). No real manifest, cassette or payload nests anywhere near
:data:`MAX_DEPTH`, so deeper input is refused here, with the same kind of error as malformed
JSON, before anything else touches it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64


class JSONDepthError(ValueError):
    """JSON nested more than :data:`MAX_DEPTH` levels deep."""

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        super().__init__(f"nested more than {limit} levels deep")
        self.limit = limit


class _Constant(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def _refuse_constant(word: str) -> Any:
    raise _Constant(word)


def _finite(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):  # Go's decoder refuses a number float64 cannot hold
        raise _Constant(text)
    return value


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, constants: bool = True) -> Any:
    """``json.loads`` that refuses input nested deeper than ``max_depth``, and with
    ``constants=False`` the words ``NaN``, ``Infinity`` and ``-Infinity``.

    Raises ``json.JSONDecodeError`` for malformed text (those words included) and
    :class:`JSONDepthError` for deep text (the parser's own RecursionError included)."""
    try:
        if constants:
            value = json.loads(text)
        else:
            value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        raise JSONDepthError(max_depth) from None
    except _Constant as exc:
        document = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        what = "is not a JSON value" if exc.word[-1:].isalpha() else "is too large a number"
        raise json.JSONDecodeError(
            f"{exc.word} {what} (the server's JSON decoder refuses it); write a number that "
            "fits a 64-bit float, or the text in quotes", document,
            _constant_at(document, exc.word)) from None
    if depth_of(value, max_depth) > max_depth:
        raise JSONDepthError(max_depth)
    document = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if _SURROGATE.search(document):
        value = _replace_surrogates(value)
    return value


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate made U+FFFD: a command-line word that was not UTF-8
    (Python keeps its bytes as surrogates) used as text, which must be valid Unicode to be
    sent or stored."""
    return _LONE.sub("\ufffd", text) if _LONE.search(text) else text


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_LONE = re.compile(r"[\ud800-\udfff]")


def _replace_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (keys too) made U+FFFD."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_replace_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
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


def _constant_at(text: str, word: str) -> int:
    """Where ``word`` (NaN, Infinity, -Infinity) first stands outside a string in ``text``."""
    inside = escaped = False
    for index, char in enumerate(text):
        if inside:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
        elif char == '"':
            inside = True
        elif text.startswith(word, index):
            return index
    return 0
