"""JSON nested a thousand levels deep, given to mmplug anywhere, is a clear error naming it
(never a RecursionError traceback): plugin.json, --json and --file."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]

DEEP = "[" * 1000 + "]" * 1000


def test_a_deep_manifest_is_refused_with_its_path(parrot_plugin: Path, cli: Cli) -> None:
    manifest = json.loads((parrot_plugin / "plugin.json").read_text())
    text = json.dumps({**manifest, "props": "DEEP"}).replace('"DEEP"', DEEP)
    (parrot_plugin / "plugin.json").write_text(text)
    result = cli("fire", "OnActivate", str(parrot_plugin))
    assert result.returncode == 1
    assert "plugin.json: the manifest is nested more than 64 levels deep" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_deep_json_payload_is_a_usage_error(parrot_plugin: Path, tmp_path: Path,
                                               cli: Cli) -> None:
    result = cli("fire", "MessageWillBePosted", str(parrot_plugin), "--json",
                    '{"post": {"props": {"x": ' + DEEP + "}}}")
    assert result.returncode == 2
    assert "--json: the document is nested more than 64 levels deep" in result.stderr
    payload = tmp_path / "payload.json"
    payload.write_text('{"post": {"props": {"x": ' + DEEP + "}}}")
    result = cli("fire", "MessageWillBePosted", str(parrot_plugin), "--file", str(payload))
    assert result.returncode == 2
    assert "the document is nested more than 64 levels deep" in result.stderr
    assert "Traceback" not in result.stderr
