"""Property tests: no cassette, however broken, makes `mmplug replay` fail with anything but a
clear CassetteError naming the line (never a traceback from mmplug itself).

A valid cassette is taken apart field by field: every field (and field of a field) is replaced
by an arbitrary JSON value, removed, or the whole line by arbitrary text; reading it and
parsing its requests (everything replay does before it starts a plugin) must either work or
raise CassetteError. Bounded so the suite stays fast; hypothesis keeps the failing example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_paths import paths, replaced

from mmplug.cassette import CassetteError, read_cassette
from mmplug.cassette.format import header_dict
from mmplug.cassette.replay import _parse_requests, _runs

ENTRY: dict[str, Any] = {
    "seq": 1, "hook": "MessageWillBePosted", "plugin_id": "com.example.echo",
    "request": {"post": {"message": "hi", "props": {"a": [1, {"b": None}]}}},
    "response": {}, "error": None,
    "api_calls": [{"method": "KVGet", "request": {"key": "k"}, "response": {}, "error": None,
                   "duration_s": 0.001, "emulated": True}],
    "logs": [{"level": "info", "message": "m", "fields": {}, "module": "", "source": "stderr"}],
    "duration_s": 0.002, "at_ms": 1767225600042,
    "http": {"status": 200, "headers": [["a", "b"]], "body": "x", "request_body_b64": "eA=="},
}
HEADER = header_dict("com.example.echo", {"name": "default", "seed": "s", "epoch_ms": 1})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)


def _check(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        cassette = read_cassette(path)
        cassette.world.get("name")  # as replay reads it (any string; empty means the default)
        for run in _runs(cassette.entries):
            _parse_requests(run)
            [int(entry.data.get("seq", 0)) for entry in run]  # as the report does
    except CassetteError as exc:
        assert f"{path}" in exc.message or "empty" in exc.message


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(data=st.data(), new=json_values, remove=st.booleans())
def test_any_field_of_a_line_replaced_is_read_or_refused_clearly(
        tmp_path: Path, data: st.DataObject, new: Any, remove: bool) -> None:
    which = data.draw(st.sampled_from(["header", "entry"]))
    document = HEADER if which == "header" else ENTRY
    path = data.draw(st.sampled_from(paths(document)))
    broken = replaced(document, path, new, remove and bool(path))
    lines = [json.dumps(broken), json.dumps(ENTRY)] if which == "header" else [
        json.dumps(HEADER), json.dumps(broken)]
    _check(tmp_path, lines)


@FAST
@given(text=st.text(max_size=200))
def test_any_text_as_a_line_is_read_or_refused_clearly(tmp_path: Path, text: str) -> None:
    _check(tmp_path, [json.dumps(HEADER), text.replace("\n", " ")])


def test_json_nested_a_thousand_deep_is_refused_with_the_line(tmp_path: Path) -> None:
    line = json.dumps({**ENTRY, "request": {"post": {"props": {"x": "DEEP"}}}})
    line = line.replace('"DEEP"', "[" * 1000 + "]" * 1000)
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(HEADER) + "\n" + line + "\n", encoding="utf-8")
    try:
        read_cassette(path)
    except CassetteError as exc:
        assert f"{path}:2: the line is nested more than 64 levels deep" in exc.message
    else:
        raise AssertionError("a cassette nested 1,000 deep was accepted")
