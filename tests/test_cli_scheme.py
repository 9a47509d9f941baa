"""One naming scheme for every command (docs/cli.md): checked on the typer app itself, on
fire's hand-written fast path, on the old spellings and on the generated reference."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from mmplug.cli._fire_fast import parse
from mmplug.cli._options import FIRE_OPTIONS, OLD_SPELLINGS, modernize
from mmplug.cli.main import build_app

REPO = Path(__file__).resolve().parent.parent
# The commands that start a plugin process, and so take the options about starting it.
STARTS_A_PLUGIN = ("mmplug run", "mmplug dev", "mmplug fire", "mmplug replay")


def _commands() -> dict[str, Any]:
    root = typer.main.get_command(build_app())
    found: dict[str, Any] = {}

    def walk(path: str, command: Any) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{path} {name}", sub)
        if not hasattr(command, "commands"):
            found[path] = command

    walk("mmplug", root)
    return found


def _options(command: Any) -> dict[str, Any]:
    return {name: p for p in command.params if p.param_type_name == "option" for name in p.opts}


def _mmplug(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=110,
                          env={**env, "COLUMNS": "200", "NO_COLOR": "1"})


def test_the_scheme_holds_for_every_command() -> None:
    commands = _commands()
    assert set(commands) >= {"mmplug new", "mmplug fire", "mmplug bundle build",
                             "mmplug state reset", "mmplug upgrade"}
    for path, command in commands.items():
        options = _options(command)
        assert "-p" not in options, path  # not a port here and a path there
        assert "--path" not in options and "--out-dir" not in options, path
        if "--output" in options:  # a directory, never a format
            assert options["--output"].type.name == "path", path
            assert "-o" in options["--output"].opts, path
        if "--format" in options:
            assert options["--format"].default == "text", path
        arguments = [p.name for p in command.params if p.param_type_name == "argument"]
        if path not in ("mmplug new", "mmplug bundle inspect", "mmplug fire"):
            assert arguments[-1] in ("path", "paths"), path  # the project, positional, last
        for param in command.params:
            if param.name in ("path", "paths"):
                assert not param.required and param.default is None, path  # found upward
    for path in STARTS_A_PLUGIN:
        options = _options(commands[path])
        assert options["--start-timeout"].default == 10.0, path
        assert options["--hook-timeout"].default == 30.0, path
        assert "--python" in options and "--world" in options, path
        for flag in ("--tcp", "--private"):  # the plugin's transport (docs/security.md)
            assert options[flag].is_flag and options[flag].default is False, path


def test_minus_v_is_the_version() -> None:
    from mmplug import __version__

    assert _mmplug("-V").stdout == f"mmplug {__version__}\n"  # the quick answer, no typer
    through_typer = subprocess.run(
        [sys.executable, "-c", "import sys; from mmplug.cli._errors import run_app; "
         "from mmplug.cli.main import build_app; sys.exit(run_app(build_app(), ['-V']))"],
        capture_output=True, text=True, timeout=60)
    assert (through_typer.returncode, through_typer.stdout) == (0, f"mmplug {__version__}\n")


def test_bundle_help_shows_the_options_of_build() -> None:
    shown = _mmplug("bundle", "--help")
    assert shown.returncode == 0
    for name in ("--output", "--platform", "--python", "--wheelhouse", "--force", "--format"):
        assert name in shown.stdout, name
    assert "inspect" in shown.stdout and "[PATH]" in shown.stdout.upper()


def _plain(value: Any) -> Any:
    """Lists as lists and paths as text: click gives tuples and strings before typer converts
    them, the fast path lists and paths."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value


def _sample(kind: str) -> str:
    return {"float": "2.5", "int": "3", "path": "some/file.json", "list": "a=1"}.get(kind, "x")


@pytest.mark.parametrize("name", [n for opt in FIRE_OPTIONS for n in opt.names])
def test_fires_fast_path_and_typer_read_every_option_alike(name: str) -> None:
    """Each option of fire, parsed by the hand-written fast path and by typer (the click
    command), gives the same keyword arguments."""
    opt = next(o for o in FIRE_OPTIONS if name in o.names)
    words = ["OnActivate"] + ([name] if opt.kind == "flag" else [name, _sample(opt.kind)])
    if opt.key == "list_hooks":
        words = words[1:]  # --list is the one the fast path always leaves to typer
    fast = parse(words)
    command = _commands()["mmplug fire"]
    with command.make_context("fire", list(words)) as ctx:  # click's values, before typer's
        slow = {k: _plain(v) for k, v in ctx.params.items() if v not in (None, False, ())}
    if opt.key == "list_hooks":
        assert fast is None and slow == {"list_hooks": True, "output_format": "text",
                                         "start_timeout": 10.0, "hook_timeout": 30.0}
        return
    assert fast is not None
    defaults = {"output_format": "text", "start_timeout": 10.0, "hook_timeout": 30.0}
    expected = {**defaults, "hook": "OnActivate", **{k: _plain(v) for k, v in fast.items()
                                                     if k not in ("hook", "args")}}
    assert slow == expected


@pytest.mark.parametrize("old", OLD_SPELLINGS, ids=lambda o: f"{o.command} {o.name}")
def test_every_old_spelling_is_rewritten_with_a_notice(old: Any) -> None:
    value = "json" if old.when is not None else "pretty" if old.values else "v"
    words = [*old.command.split(), old.name, *([value] if old.takes_value else [])]
    notices: list[str] = []
    new = modernize(words, notices)
    assert len(notices) == 1 and notices[0].startswith(f"`{old.name}")
    assert old.name not in new[len(old.command.split()):]
    if old.new:
        assert old.new in new
    if old.values:
        assert new[-1] == old.values[value]
    assert modernize(new, []) == new  # the new spelling stays as it is


def test_old_spellings_still_run(parrot_plugin: Path) -> None:
    fired = _mmplug("fire", "OnActivate", "-o", "json", "--python", sys.executable,
                    cwd=parrot_plugin)
    assert fired.returncode == 0, fired.stderr
    assert fired.stdout.startswith("{")
    assert fired.stderr == "note: `-o json` is now `--format json` (docs/cli.md); the old " \
                           "spelling will go away\n"
    listed = _mmplug("state", "list", "--path", str(parrot_plugin))
    assert listed.returncode == 0 and "no snapshots" in listed.stdout
    assert "is now just" in listed.stderr


def test_docs_cli_md_is_current() -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_cli_docs.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_docs_cli_md_lists_every_option_of_every_command() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"### `(mmplug[^`]*)`\n(.*?)(?=\n### |\n## |\Z)", text, re.S))
    for path, command in _commands().items():
        assert path in sections, f"docs/cli.md has no section for {path}"
        for param in command.params:
            names = param.opts if param.param_type_name == "option" else [param.name.upper()]
            for name in names:
                assert name in sections[path], f"docs/cli.md: {path} does not list {name}"


def test_the_readme_lists_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| command |"):readme.index("\n\n", readme.index("| command |"))]
    root = typer.main.get_command(build_app())
    for name in root.commands:  # type: ignore[attr-defined]
        assert f"`mmplug {name}" in table, name


def test_a_format_that_is_not_text_or_json_is_a_usage_error(parrot_plugin: Path) -> None:
    fired = _mmplug("fire", "OnActivate", "--format", "yaml", cwd=parrot_plugin)
    assert fired.returncode == 2
    assert "error: --format must be text or json, not 'yaml'" in fired.stderr
    bundled = _mmplug("bundle", "--format", "yaml", cwd=parrot_plugin)
    assert bundled.returncode == 2 and "use one of: text, json" in bundled.stderr
    assert not (parrot_plugin / "dist").exists()
