"""The cassette file format: JSON Lines, a versioned header, then one line per hook call.

    {"format": "mmplug-cassette", "version": 1, "plugin_id": ..., "mmplug_version": ...,
     "world": {"name": ..., "seed": ..., "epoch_ms": ...}, "created_at": ...,
     "ignore": [...]}
    {"seq": 1, "hook": "MessageWillBePosted", "plugin_id": ..., "request": {...},
     "response": {...}, "error": null, "api_calls": [...], "logs": [...],
     "duration_s": 0.0011, "at_ms": 1767225600042}

A call line is the JSON form of the call's event (:meth:`mmplug.host.events.CallEvent.to_dict`);
messages use protobuf's JSON mapping with the proto field names. The full description is in
``docs/cassettes.md``. Reading checks every line and reports the first problem with its line
number; writing a whole cassette is atomic (temporary file, then rename).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mmplug._json import JSONDepthError, loads
from mmplug.errors import UsageError, read_text
from mmplug.host.payload_fields import (  # at import, not lazily: requests are parsed on a
    check_document,  # thread, where an import can meet pytest's rewriting on CPython 3.11
    descriptor_of,  # (see Session._read_code)
)

if TYPE_CHECKING:
    from google.protobuf.message import Message

FORMAT = "mmplug-cassette"
VERSION = 1
# What each field of a cassette line may hold: (types, required). Checked field by field, so a
# cassette that parses but holds a wrong value is refused with its line and the field's path,
# before a replay would trip over it.
_Field = tuple[tuple[type, ...], bool]
_NUMBER = (int, float)
_HEADER: dict[str, _Field] = {
    "plugin_id": ((str,), True),
    "mmplug_version": ((str,), False),
    "created_at": ((str,), False),
    "world": ((dict, type(None)), False),
    "ignore": ((list,), False),
}
_WORLD: dict[str, _Field] = {
    "name": ((str,), False),
    "seed": ((str, int), False),
    "epoch_ms": ((int,), False),
}
_ENTRY: dict[str, _Field] = {
    "hook": ((str,), True),
    "request": ((dict,), True),
    "response": ((dict, type(None)), True),
    "error": ((str, type(None)), True),
    "api_calls": ((list,), True),
    "logs": ((list,), True),
    "seq": ((int,), False),
    "plugin_id": ((str,), False),
    "duration_s": (_NUMBER, False),
    "at_ms": ((int,), False),
    "ids": ((int,), False),
    "http": ((dict,), False),
    "hint": ((str,), False),
    "details": ((str,), False),
    "nested": ((bool,), False),
    "session_start": ((bool,), False),
    "host": ((list,), False),
}
_CALL: dict[str, _Field] = {
    "method": ((str,), True),
    "request": ((dict,), True),
    "response": ((dict, type(None)), True),
    "error": ((dict, type(None)), True),
    "duration_s": (_NUMBER, False),
    "emulated": ((bool,), False),
}
_LOG: dict[str, _Field] = {
    "level": ((str,), True),
    "message": ((str,), True),
    "fields": ((dict,), False),
    "module": ((str, type(None)), False),
    "source": ((str, type(None)), False),
}
_HOST_STEP: dict[str, _Field] = {  # what the host did around the call (informative)
    "kind": ((str,), False),
    "text": ((str,), False),
}
_HTTP: dict[str, _Field] = {
    "status": ((int,), True),
    "headers": ((list,), True),
    "body": ((str,), False),
    "body_b64": ((str,), False),
    "request_body": ((str,), False),
    "request_body_b64": ((str,), False),
}


class CassetteError(UsageError):
    """A cassette that cannot be read (names the file and line)."""


def from_json(cls: type[Message], data: dict[str, Any], where: str) -> Message:
    """Parse ``data`` as a ``cls``; a bad document is a CassetteError naming ``where``."""
    from google.protobuf import json_format

    message = cls()
    if not isinstance(data, dict):
        raise CassetteError(f"{where}: not a valid {cls.DESCRIPTOR.name}: it must be a JSON "
                            "object")
    try:
        check_document(descriptor_of(message), data)  # names the field, in the words fire uses
    except UsageError as exc:
        raise CassetteError(f"{where}: {exc.message}", hint=exc.hint) from None
    try:
        json_format.ParseDict(data, message)
    except (json_format.ParseError, TypeError, ValueError, RecursionError) as exc:
        text = str(exc).rstrip(".")
        raise CassetteError(f"{where}: not a valid {cls.DESCRIPTOR.name}: {text}") from None
    return message


def header_dict(plugin_id: str, world: dict[str, Any] | None,
                ignore: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """A header; ``ignore``: the fields every replay of this cassette leaves out (what the
    recording could not make reproducible, e.g. the real clock's times of a dev session)."""
    from datetime import datetime, timezone

    from mmplug import __version__

    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "plugin_id": plugin_id,
        "mmplug_version": __version__,
        "world": world,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if ignore:
        header["ignore"] = list(ignore)
    return header


@dataclass
class Entry:
    """One recorded hook call and the line it came from."""

    line: int
    data: dict[str, Any]

    @property
    def hook(self) -> str:
        return str(self.data["hook"])


@dataclass
class Cassette:
    path: Path
    header: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)

    @property
    def plugin_id(self) -> str:
        return str(self.header.get("plugin_id", ""))

    @property
    def world(self) -> dict[str, Any]:
        return dict(self.header.get("world") or {})


def _check_header(header: Any, where: str) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CassetteError(f"{where}: not an mmplug cassette (the first line must be a header "
                            f"with \"format\": \"{FORMAT}\")",
                            hint="record one with `mmplug fire HOOK --record FILE`")
    version = header.get("version")
    if version != VERSION or isinstance(version, bool):
        raise CassetteError(f"{where}: cassette format version {version!r} is not supported "
                            f"(this mmplug reads version {VERSION})",
                            hint="re-record the cassette, or use the mmplug that wrote it")
    _check_fields(header, _HEADER, where, "")
    if not header["plugin_id"]:
        raise CassetteError(f"{where}: plugin_id is empty", hint="name the plugin the calls "
                            "were recorded from")
    if isinstance(header.get("world"), dict):
        _check_fields(header["world"], _WORLD, where, "world.")
    bad = [p for p in header.get("ignore", []) if not isinstance(p, str) or not p]
    if bad:
        raise CassetteError(f"{where}: ignore holds {bad[0]!r}, not a field name or path",
                            hint='list field names or dotted paths: "ignore": ["update_at"]')
    return header


def _check_entry(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CassetteError(f"{where}: a hook call must be a JSON object")
    _check_fields(data, _ENTRY, where, "")
    from mmplug.protocol.catalog import API_BY_GO_NAME, HOOKS_BY_GO_NAME

    if data["hook"] not in HOOKS_BY_GO_NAME:
        raise CassetteError(f"{where}: {data['hook']!r} is not a Mattermost plugin hook")
    for i, call in enumerate(data["api_calls"]):
        path = f"api_calls[{i}]"
        _check_object(call, _CALL, where, path)
        if call["method"] not in API_BY_GO_NAME:
            raise CassetteError(f"{where}: {path}.method: {call['method']!r} is not a "
                                "PluginAPI method")
    for i, log in enumerate(data["logs"]):
        _check_object(log, _LOG, where, f"logs[{i}]")
    for key in ("seq", "at_ms", "ids"):
        if key in data and data[key] < 0:
            raise CassetteError(f"{where}: {key} must not be negative, not {data[key]}")
    for i, step in enumerate(data.get("host", [])):
        _check_object(step, _HOST_STEP, where, f"host[{i}]")
    http = data.get("http")
    if http is not None:
        _check_fields(http, _HTTP, where, "http.")
        for i, pair in enumerate(http["headers"]):
            if not (isinstance(pair, list) and len(pair) == 2
                    and all(isinstance(part, str) for part in pair)):
                raise CassetteError(f"{where}: http.headers[{i}] must be a [name, value] pair "
                                    "of strings")
        for key in ("body_b64", "request_body_b64"):
            if key in http:
                try:
                    base64.b64decode(http[key], validate=True)
                except ValueError:
                    raise CassetteError(f"{where}: http.{key} is not base64") from None
    return data


def _check_object(value: Any, fields: dict[str, _Field], where: str, path: str) -> None:
    if not isinstance(value, dict):
        raise CassetteError(f"{where}: {path} must be a JSON object")
    _check_fields(value, fields, where, f"{path}.")


def _check_fields(data: dict[str, Any], fields: dict[str, _Field], where: str,
                  prefix: str) -> None:
    for key, (types, required) in fields.items():
        if key not in data:
            if required:
                raise CassetteError(f"{where}: missing {prefix}{key}")
            continue
        value = data[key]
        # JSON true/false are not numbers here, although Python's bool is an int
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise CassetteError(f"{where}: {prefix}{key} must be {wanted}, not "
                                f"{_TYPE_NAMES.get(type(value), type(value).__name__)}")


_TYPE_NAMES = {type(None): "null", dict: "an object", list: "a list", str: "a string",
               int: "an integer", float: "a number", bool: "true or false"}


def read_cassette(path: str | Path) -> Cassette:
    """Read and check a whole cassette; the first bad line raises a CassetteError."""
    path = Path(path)
    try:
        text = read_text(path, error=CassetteError)
    except FileNotFoundError:
        raise CassetteError(f"no cassette at {path}",
                            hint="record one with `mmplug fire HOOK --record FILE`") from None
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {path}: {exc.strerror or exc}") from None
    cassette: Cassette | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = loads(raw)
        except json.JSONDecodeError as exc:
            raise CassetteError(f"{where}: malformed line (column {exc.colno}: {exc.msg})",
                                hint="each line of a cassette is one JSON object") from None
        except JSONDepthError as exc:
            raise CassetteError(f"{where}: the line is {exc}",
                                hint="a cassette holds recorded calls; re-record it") from None
        if cassette is None:
            cassette = Cassette(path, _check_header(data, where))
        else:
            cassette.entries.append(Entry(number, _check_entry(data, where)))
    if cassette is None:
        raise CassetteError(f"{path} is empty", hint="a cassette starts with its header line")
    return cassette


def dump_line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_cassette(path: str | Path, header: dict[str, Any],
                   entries: list[dict[str, Any]]) -> None:
    """Write a whole cassette atomically (readers see the old file or the new one)."""
    from mmplug._atomic import replacing

    with replacing(path, text=True) as out:
        out.write(dump_line(header))
        for entry in entries:
            out.write(dump_line(entry))


def check_cassette_path(path: Path, option: str = "--record") -> None:
    """Refuse, before anything runs, a cassette path that cannot be written: a directory, or a
    place whose nearest existing folder we may not write in (missing folders are made)."""
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a directory", hint="give a file name, e.g. "
                         f"{path / 'session.jsonl'}")
    target = path if path.exists() else path.parent
    while not target.exists() and target != target.parent:
        target = target.parent
    if not target.is_dir() and not path.exists():
        raise UsageError(f"{option}: {target} is not a directory",
                         hint="record to a file in a directory")
    if not os.access(target, os.W_OK):
        why = "" if target == path else f" ({target} is not writable)"
        raise UsageError(f"{option}: cannot write to {path}{why}",
                         hint="record to a file you can write to")


def open_for_append(path: str | Path, header: dict[str, Any]) -> tuple[IO[str], int]:
    """Open ``path`` to append lines, writing ``header`` if the file is new or empty.

    Returns the open file and the last ``seq`` already in it. An existing cassette must be
    valid and belong to the same plugin.
    """
    path = Path(path)
    last = 0
    if path.is_file() and path.stat().st_size > 0:
        existing = read_cassette(path)
        if existing.plugin_id != header["plugin_id"]:
            raise CassetteError(
                f"{path} records plugin {existing.plugin_id!r}, not {header['plugin_id']!r}",
                hint="record into a new file")
        last = max((int(e.data.get("seq", 0)) for e in existing.entries), default=0)
        return path.open("a", encoding="utf-8"), last
    from mmplug._atomic import write_file

    write_file(path, dump_line(header))  # a new cassette appears whole, with its header
    return path.open("a", encoding="utf-8"), last
