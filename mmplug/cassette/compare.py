"""Comparing a replayed hook call with the recorded one.

What is compared: the hook's response and error, and each API call the hook made (method,
request, response, error), in order. Durations, log lines and the ``emulated`` flag are not.
The API calls are aligned as sequences (``difflib.SequenceMatcher`` over the calls' methods and
requests), so one call more or less is one difference (``+ call #3 KVSet``), not a mismatch of
every call after it; calls of the same method that line up are compared field by field.
Fields can be left out with ignore patterns: a dotted path (``response.post.update_at``, where
``*`` matches one segment and list indexes are segments) or a bare field name (``update_at``),
which is ignored wherever it appears.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

# Differ by construction between a recording and its replay.
DEFAULT_IGNORE: tuple[str, ...] = ("request_id",)
_MISSING = object()


@dataclass(frozen=True)
class Difference:
    """One field that differs: its path and the recorded and replayed values.

    ``label`` names the API call a difference is about (``call #3 KVSet``); ``shown`` holds the
    two values as people read them (bytes fields that hold text decoded, see
    :mod:`mmplug.cassette.readable`), when that differs from the values themselves.
    """

    path: str
    expected: Any
    actual: Any
    label: str = ""
    shown: tuple[Any, Any] | None = None
    actual_path: str = ""  # where the replayed value is, when that is not ``path``

    @property
    def call(self) -> bool:
        """The difference is a whole API call, made in only one of the two runs."""
        whole = self.expected if self.actual is _MISSING else self.actual
        return self.path.startswith("api_calls[") and self.path.endswith("]") \
            and isinstance(whole, dict)

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


# How an answer is framed (its length, or chunked) follows from its body and the plugin's
# flushes, and the body is compared: these headers are not (a cassette from before answers were
# read as a client reads them has none).
FRAMING = frozenset({"content-length", "transfer-encoding"})


def _http_answer(http: Any) -> Any:
    if not isinstance(http, dict):
        return None
    answer = {k: http.get(k) for k in ("status", "headers", "body", "body_b64") if k in http}
    headers = answer.get("headers")
    if isinstance(headers, list):
        sniffed = _sniffed(answer)
        answer["headers"] = [pair for pair in headers
                             if not (isinstance(pair, list) and len(pair) == 2
                                     and (str(pair[0]).lower() in FRAMING
                                          or (str(pair[0]).lower() == "content-type"
                                              and pair[1] == sniffed)))]
    return answer


def _sniffed(answer: dict[str, Any]) -> str | None:
    """The Content-Type Go gives the answer's body when the plugin set none: a cassette from
    before answers were read as a client reads them has none, and a client cannot tell it from
    the same type set by the plugin, so it is not compared (another type is)."""
    import base64
    import binascii

    from mmplug.host.http_codec import sniff_content_type

    if isinstance(answer.get("body_b64"), str):
        try:
            body = base64.b64decode(answer["body_b64"], validate=True)
        except (binascii.Error, ValueError):
            return None
    elif isinstance(answer.get("body"), str):
        body = answer["body"].encode("utf-8")
    else:
        return None
    return sniff_content_type(body) if body else None


def compare_entries(recorded: dict[str, Any], replayed: dict[str, Any], ignore: Ignore
                    ) -> list[Difference]:
    if recorded.get("hook") in ("ServeHTTP", "ServeMetrics") and "http" not in recorded:
        return []  # recorded without its answer (a dev session's front door): nothing to check
    expected, actual = comparable(recorded), comparable(replayed)
    if expected["http"] is None or actual["http"] is None:
        expected.pop("http")
        actual.pop("http")
    recorded_calls, replayed_calls = expected.pop("api_calls"), actual.pop("api_calls")
    found = diff(expected, actual, ignore)
    if not ignore(["api_calls"]):
        found += diff_calls(recorded_calls, replayed_calls, ignore)
    return _readable(found, {**expected, "hook": recorded.get("hook"),
                             "api_calls": recorded_calls},
                     {**actual, "hook": recorded.get("hook"), "api_calls": replayed_calls})


def diff_calls(expected: list[Any], actual: list[Any], ignore: Ignore) -> list[Difference]:
    """The differences between two sequences of API calls, aligned as sequences: calls made
    in one run only are one difference each; calls that line up are compared field by field
    (paths use the recorded call's index; an added call has the replay's)."""
    signatures = ([_signature(c, ignore, i) for i, c in enumerate(expected)],
                  [_signature(c, ignore, j) for j, c in enumerate(actual)])
    out: list[Difference] = []
    matcher = SequenceMatcher(None, signatures[0], signatures[1], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                out += _pair(expected, actual, i1 + k, j1 + k, ignore)
            continue
        # Within a changed stretch, calls of the same method in the same order are one call
        # with other arguments or answers; the rest were made in one run only.
        methods = SequenceMatcher(None, [_method(c) for c in expected[i1:i2]],
                                  [_method(c) for c in actual[j1:j2]], autojunk=False)
        for sub, a1, a2, b1, b2 in methods.get_opcodes():
            if sub == "equal":
                for k in range(a2 - a1):
                    out += _pair(expected, actual, i1 + a1 + k, j1 + b1 + k, ignore)
                continue
            for i in range(i1 + a1, i1 + a2):
                out.append(Difference(f"api_calls[{i}]", expected[i], _MISSING,
                                      label=_label(expected[i], i)))
            for j in range(j1 + b1, j1 + b2):
                out.append(Difference(f"api_calls[{j}]", _MISSING, actual[j],
                                      label=_label(actual[j], j)))
    return out


def _pair(expected: list[Any], actual: list[Any], i: int, j: int, ignore: Ignore
          ) -> list[Difference]:
    label = _label(expected[i], i) + (f" (#{j + 1} in the replay)" if i != j else "")
    out = []
    for d in diff(expected[i], actual[j], ignore, ["api_calls", str(i)]):
        moved = f"api_calls[{j}]" + d.path[d.path.index("]") + 1:] if i != j else ""
        out.append(Difference(d.path, d.expected, d.actual, label=label, actual_path=moved))
    return out


def _method(call: Any) -> str:
    return str(call.get("method")) if isinstance(call, dict) else repr(call)


def _label(call: Any, index: int) -> str:
    return f"call #{index + 1} {_method(call)}"


def _signature(call: Any, ignore: Ignore, index: int) -> str:
    """A call's method and request, with the ignored fields left out."""
    if not isinstance(call, dict):
        return json.dumps(call, sort_keys=True, default=str)
    request = _pruned(call.get("request"), ignore, ["api_calls", str(index), "request"])
    return f"{_method(call)} {json.dumps(request, sort_keys=True, default=str)}"


def _pruned(value: Any, ignore: Ignore, path: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _pruned(v, ignore, [*path, str(k)]) for k, v in value.items()
                if not ignore([*path, str(k)])}
    if isinstance(value, list):
        return [_pruned(v, ignore, [*path, str(i)]) for i, v in enumerate(value)]
    return value


def _readable(found: list[Difference], expected: dict[str, Any], actual: dict[str, Any]
              ) -> list[Difference]:
    """``found`` with the values as people read them where that differs (bytes as text)."""
    from mmplug.cassette.readable import readable_entry

    if not found:
        return found
    views = (readable_entry(expected), readable_entry(actual))
    out = []
    for d in found:
        shown = (_at(views[0], d.path) if not absent(d.expected) else d.expected,
                 _at(views[1], d.actual_path or d.path) if not absent(d.actual) else d.actual)
        changed = shown != (d.expected, d.actual)
        out.append(Difference(d.path, d.expected, d.actual, d.label, shown if changed else None,
                              d.actual_path))
    return out


def _at(document: Any, path: str) -> Any:
    """The value at a rendered path (``api_calls[2].request.value``) of ``document``."""
    value = document
    for part in path.replace("[", ".").replace("]", "").split("."):
        if not part:
            continue
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return _MISSING
    return value
