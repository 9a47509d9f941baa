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


def test_a_deep_world_file_is_refused_with_its_path(parrot_plugin: Path, tmp_path: Path,
                                                    cli: Cli) -> None:
    world = tmp_path / "deep-world.json"
    world.write_text('{"teams": ' + DEEP + "}")
    result = cli("fire", "OnActivate", str(parrot_plugin), "--world", str(world))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{world}: the JSON is nested more than 64 levels deep" in result.stderr
    assert "Traceback" not in result.stderr


def test_deep_scaffold_files_are_refused_with_their_paths(tmp_path: Path, cli: Cli) -> None:
    """A template's cookiecutter.json (mmplug new -t DIR) and a project's answers file (mmplug
    upgrade) go through the same reader."""
    template = tmp_path / "deep-template"
    template.mkdir()
    (template / "cookiecutter.json").write_text('{"plugin_id": ' + DEEP + "}")
    result = cli("new", "com.example.deep", "-t", str(template), "-o", str(tmp_path / "out"),
                 "--no-input")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cookiecutter.json: the JSON is nested more than 64 levels deep" in result.stderr
    assert "Traceback" not in result.stderr
    made = cli("new", "com.example.shallow", "-o", str(tmp_path), "--no-input")
    assert made.returncode == 0, made.stdout + made.stderr
    answers = tmp_path / "com.example.shallow" / ".mmplug-answers.json"
    answers.write_text('{"plugin_id": ' + DEEP + "}")
    result = cli("upgrade", str(tmp_path / "com.example.shallow"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert ".mmplug-answers.json: the JSON is nested more than 64 levels deep" in result.stderr
    assert "Traceback" not in result.stderr
