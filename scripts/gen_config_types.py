#!/usr/bin/env python3
"""Write mmplug/host/api/config_types.json: the Go type of every field of the server's
``model.Config`` and of the structs its sections are made of, read from the server's
``server/public/model/config.go``.

The fake host's configuration decoder (mmplug/host/api/_config_model.py) checks each setting
of a saved configuration against these types as Go's ``json.Unmarshal`` does. The server's
source is not part of this repository: give the path of a copy of config.go (any checkout of
mattermost/mattermost, or the file alone)::

    python scripts/gen_config_types.py PATH/TO/config.go           # (re)write the data file
    python scripts/gen_config_types.py PATH/TO/config.go --check   # exit 1 if it is stale

Only the ``type X struct { ... }`` declarations of the file are read. The data file keeps,
for ``Config`` and each struct reachable from it, its fields in source order with the Go type
as written (``*int64``, ``[]string``, ``map[string]*PluginState``, ``json.RawMessage``...),
under the name Go's JSON package uses for it (a ``json:"name"`` tag renames, ``json:"-"``
leaves the field out). A type config.go does not declare (``FeatureFlags`` lives in another
file) is listed under ``external``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "mmplug" / "host" / "api" / "config_types.json"
ROOT_STRUCT = "Config"
SOURCE = "server/public/model/config.go"

_STRUCT_START = re.compile(r"^type\s+(\w+)\s+struct\s*\{\s*$")
_FIELD = re.compile(r"^(\w+(?:\s*,\s*\w+)*)\s+(\S.*?)\s*$")
_TAG = re.compile(r"`([^`]*)`")
_JSON_TAG = re.compile(r'json:"([^"]*)"')
_BUILTIN = {"string", "bool", "int", "int64", "int32", "uint", "uint16", "uint64",
            "float64", "float32", "byte", "any", "interface", "map", "struct"}


class ParseError(Exception):
    """config.go has a declaration this script cannot read."""


def _strip_comment(line: str) -> str:
    """The line without its ``//`` comment (a ``//`` inside a backquoted tag is kept)."""
    in_tag = False
    for i, c in enumerate(line):
        if c == "`":
            in_tag = not in_tag
        elif not in_tag and line.startswith("//", i):
            return line[:i]
    return line


def parse_structs(text: str) -> dict[str, list[tuple[str, str]]]:
    """Every ``type X struct {...}`` of a Go file: its fields as (JSON name, Go type)."""
    structs: dict[str, list[tuple[str, str]]] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = _STRUCT_START.match(lines[i])
        i += 1
        if not start:
            continue
        fields: list[tuple[str, str]] = []
        while True:
            if i >= len(lines):
                raise ParseError(f"struct {start.group(1)} is not closed")
            line = lines[i]
            i += 1
            if line.strip() == "}":
                break
            code = _strip_comment(line).strip()
            if not code:
                continue
            tag_match = _TAG.search(code)
            tag = tag_match.group(1) if tag_match else ""
            code = _TAG.sub("", code).strip()
            field = _FIELD.match(code)
            if not field:
                raise ParseError(f"struct {start.group(1)}: cannot read field {line.strip()!r} "
                                 "(an embedded field or a nested struct type)")
            names = [n.strip() for n in field.group(1).split(",")]
            go_type = re.sub(r"\s+", " ", field.group(2))
            json_tag = _JSON_TAG.search(tag)
            json_name = json_tag.group(1).split(",")[0] if json_tag else ""
            if json_name == "-":
                continue
            for name in names:
                if name[:1].isupper():  # unexported fields are not decoded
                    fields.append((json_name if json_name and len(names) == 1 else name,
                                   go_type))
        structs[start.group(1)] = fields
    return structs


def _named_types(go_type: str) -> list[str]:
    """The named types (of package model) a Go type expression refers to."""
    words = re.findall(r"[A-Za-z_][\w.]*", go_type)
    return [w for w in words if "." not in w and w not in _BUILTIN]


def build(text: str) -> dict[str, object]:
    structs = parse_structs(text)
    if ROOT_STRUCT not in structs:
        raise ParseError(f"no `type {ROOT_STRUCT} struct` in the file: is it {SOURCE}?")
    reachable: list[str] = []
    external: list[str] = []
    todo = [ROOT_STRUCT]
    while todo:
        name = todo.pop(0)
        if name in reachable or name in external:
            continue
        if name not in structs:
            external.append(name)
            continue
        reachable.append(name)
        for _, go_type in structs[name]:
            todo.extend(_named_types(go_type))
    return {
        "source": SOURCE,
        "root": ROOT_STRUCT,
        "structs": {name: dict(structs[name]) for name in reachable},
        "external": sorted(external),
    }


def render(text: str) -> str:
    return json.dumps(build(text), indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config_go", type=Path, help=f"a copy of the server's {SOURCE}")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed data file differs from what the file gives")
    args = parser.parse_args(argv)
    try:
        text = args.config_go.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {args.config_go}: {exc.strerror}; give the path of the server's "
              f"{SOURCE}", file=sys.stderr)
        return 2
    try:
        data = render(text)
    except ParseError as exc:
        print(f"{args.config_go}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != data:
            print(f"{OUT.relative_to(ROOT)} is stale: rerun without --check", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(data, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
