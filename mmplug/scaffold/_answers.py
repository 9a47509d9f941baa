"""The record ``mmplug new`` leaves in a project so ``mmplug upgrade`` can re-render it.

``.mmplug-answers.json`` (small, meant to be read and committed) holds the template source,
version and the answers; ``.mmplug-base.json`` holds the files exactly as the template
rendered them, which is the merge base of the next upgrade.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmplug._atomic import write_file
from mmplug._json import JSONDepthError, loads
from mmplug.errors import UsageError, read_text

ANSWERS_FILE = ".mmplug-answers.json"
BASE_FILE = ".mmplug-base.json"
FORMAT = 1


@dataclass
class AnswersRecord:
    template: str
    kind: str
    answers: dict[str, Any]
    template_hash: str
    mmplug_version: str
    ref: str | None = None
    commit: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "_note": "written by `mmplug new`; `mmplug upgrade` re-renders the template with "
            "these answers (edit them to change the next upgrade)",
            "format": FORMAT,
            "template": self.template,
            "template_kind": self.kind,
            "template_ref": self.ref,
            "template_commit": self.commit,
            "template_hash": self.template_hash,
            "mmplug_version": self.mmplug_version,
            "answers": self.answers,
        }


def write_record(project: Path, record: AnswersRecord, base: dict[str, bytes]) -> None:
    for name, data in record_files(record, base).items():
        write_file(project / name, data)


def record_files(record: AnswersRecord, base: dict[str, bytes]) -> dict[str, bytes]:
    """The record's two files, by name: what :func:`write_record` writes."""
    return {ANSWERS_FILE: _json_bytes(record.to_json()), BASE_FILE: _json_bytes(encode_base(base))}


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=False) + "\n").encode("utf-8")


def encode_base(files: dict[str, bytes]) -> dict[str, Any]:
    text: dict[str, str] = {}
    binary: dict[str, str] = {}
    for name, data in sorted(files.items()):
        try:
            text[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            binary[name] = base64.b64encode(data).decode("ascii")
    return {"format": FORMAT, "files": text, "binary_files": binary}


def decode_base(data: dict[str, Any]) -> dict[str, bytes]:
    files = {k: v.encode("utf-8") for k, v in (data.get("files") or {}).items()}
    for name, value in (data.get("binary_files") or {}).items():
        files[name] = base64.b64decode(value)
    return files


def read_record(project: Path) -> tuple[AnswersRecord, dict[str, bytes] | None]:
    """The stored answers and the base files (None when the base file is missing)."""
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise UsageError(
            f"{project} has no {ANSWERS_FILE}, so mmplug does not know its template",
            hint="run `mmplug upgrade` in a project made by `mmplug new`",
        )
    data = _load(path)
    answers = data.get("answers")
    if not isinstance(data.get("template"), str) or not isinstance(answers, dict):
        raise UsageError(f"{path}: `template` or `answers` is missing or malformed",
                         hint="restore the file from version control")
    record = AnswersRecord(
        template=data["template"], kind=str(data.get("template_kind") or "path"),
        answers=answers, template_hash=str(data.get("template_hash") or ""),
        mmplug_version=str(data.get("mmplug_version") or ""),
        ref=data.get("template_ref"), commit=data.get("template_commit"),
    )
    base_path = project / BASE_FILE
    base = decode_base(_load(base_path)) if base_path.is_file() else None
    return record, base


def _load(path: Path) -> dict[str, Any]:
    try:
        data = loads(read_text(path, hint="restore it from version control"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}",
                         hint="fix the file or restore it from version control") from None
    except JSONDepthError as exc:
        raise UsageError(f"{path}: the JSON is {exc}",
                         hint="fix the file or restore it from version control") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object")
    return data
