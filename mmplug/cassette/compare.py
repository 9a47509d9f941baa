"""Comparing a replayed hook call with the recorded one.

What is compared: the hook's response and error, and each API call the hook made (method,
request, response, error), in order. Durations, log lines and the ``emulated`` flag are not.
Fields can be left out with ignore patterns: a dotted path (``response.post.update_at``, where
``*`` matches one segment and list indexes are segments) or a bare field name (``update_at``),
which is ignored wherever it appears.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Differ by construction between a recording and its replay.
DEFAULT_IGNORE: tuple[str, ...] = ("request_id",)
_MISSING = object()


@dataclass(frozen=True)
class Difference:
    """One field that differs: its path and the recorded and replayed values."""

    path: str
    expected: Any
    actual: Any

    @property
    def missing(self) -> bool:
        return self.actual is _MISSING

    @property
    def extra(self) -> bool:
        return self.expected is _MISSING


def absent(value: Any) -> bool:
    return value is _MISSING


class Ignore:
    """A set of ignore patterns (see the module docstring)."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        self.names: set[str] = set()
        self.paths: list[list[str]] = []
        for pattern in (*DEFAULT_IGNORE, *patterns):
            pattern = pattern.strip().replace("[", ".").replace("]", "")
            if not pattern:
                continue
            if "." in pattern:
                self.paths.append(pattern.split("."))
            else:
                self.names.add(pattern)

    def __call__(self, path: list[str]) -> bool:
        if path and path[-1] in self.names:
            return True
        for pattern in self.paths:
            tail = path[-len(pattern):]
            if len(pattern) <= len(path) and all(
                fnmatch.fnmatchcase(seg, pat) for seg, pat in zip(tail, pattern, strict=True)
            ):
                return True
        return False


def diff(expected: Any, actual: Any, ignore: Ignore, path: list[str] | None = None
         ) -> list[Difference]:
    """Every difference between two JSON values, depth first, in a stable order."""
    path = path or []
    if ignore(path):
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[Difference] = []
        for key in [*expected, *[k for k in actual if k not in expected]]:
            out.extend(diff(expected.get(key, _MISSING), actual.get(key, _MISSING), ignore,
                            [*path, str(key)]))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        for i in range(max(len(expected), len(actual))):
            out.extend(diff(expected[i] if i < len(expected) else _MISSING,
                            actual[i] if i < len(actual) else _MISSING, ignore, [*path, str(i)]))
        return out
    if expected == actual:
        return []
    return [Difference(_render_path(path), expected, actual)]


def _render_path(path: list[str]) -> str:
    text = ""
    for seg in path:
        text += f"[{seg}]" if seg.isdigit() else (f".{seg}" if text else seg)
    return text


def comparable(entry: dict[str, Any]) -> dict[str, Any]:
    """The parts of a cassette line a replay must reproduce."""
    return {
        "response": entry.get("response"),
        "error": entry.get("error"),
        "http": _http_answer(entry.get("http")),
        "api_calls": [
            {k: call.get(k) for k in ("method", "request", "response", "error")}
            for call in entry.get("api_calls", [])
        ],
    }


def _http_answer(http: Any) -> Any:
    if not isinstance(http, dict):
        return None
    return {k: http.get(k) for k in ("status", "headers", "body", "body_b64") if k in http}


def compare_entries(recorded: dict[str, Any], replayed: dict[str, Any], ignore: Ignore
                    ) -> list[Difference]:
    if recorded.get("hook") in ("ServeHTTP", "ServeMetrics") and "http" not in recorded:
        return []  # recorded without its answer (a dev session's front door): nothing to check
    expected, actual = comparable(recorded), comparable(replayed)
    if expected["http"] is None or actual["http"] is None:
        expected.pop("http")
        actual.pop("http")
    return diff(expected, actual, ignore)
