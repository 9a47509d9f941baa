"""The mmplug command itself: help, version, fast start, clean errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.cli.main import COMMAND_MODULES


def _mmplug(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


def test_help_lists_every_command() -> None:
    result = _mmplug("--help")
    assert result.returncode == 0
    for name in ("new", "dev", "fire", "replay", "bundle"):
        assert f" {name} " in result.stdout, name


def test_version() -> None:
    from mmplug import __version__

    result = _mmplug("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mmplug {__version__}"
    shown = subprocess.run(  # without typer, click or rich: it answers at once
        [sys.executable, "-c", "import atexit, sys; from mmplug.cli import main; "
         "atexit.register(lambda: print(sorted({'typer', 'click', 'rich'} & set(sys.modules)),"
         " file=sys.stderr)); sys.argv = ['mmplug', '--version']; main.run()"],
        capture_output=True, text=True, timeout=60)
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, f"mmplug {__version__}\n", "[]\n")


def test_unknown_command_is_a_usage_error() -> None:
    result = _mmplug("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_start_imports_nothing_heavy() -> None:
    code = (
        "import sys, mmplug.cli.main; "
        "heavy = [m for m in ('grpc', 'rich', 'watchfiles', 'cookiecutter', 'google.protobuf',"
        " 'mmplug.host.session', 'sqlite3') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_every_command_module_is_registered() -> None:
    assert set(COMMAND_MODULES) >= {"new", "dev", "fire", "replay", "bundle"}


def test_each_command_is_summed_up_in_one_line_in_the_command_list() -> None:
    import typer

    from mmplug.cli.main import build_app

    group = typer.main.get_command(build_app())
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        summary = (command.short_help or command.help or "").split("\n\n")[0]
        assert summary and "\n" not in summary.strip(), (name, summary)


def test_an_error_of_the_system_is_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mmplug.cli._errors import guard

    def refused() -> None:
        raise PermissionError(13, "Permission denied", "/srv/plugins/out.tar.gz")

    assert guard(refused) == 1
    errors = capsys.readouterr().err
    assert errors.startswith("error: Permission denied: /srv/plugins/out.tar.gz\nhint: ")
    assert "Traceback" not in errors


LATIN1 = "café".encode("latin-1")  # what an editor set to Latin-1 saves


@pytest.mark.parametrize(("command", "culprit"), [
    (["fire", "MessageWillBePosted", "--file", "payload.json"], "payload.json"),
    (["fire", "OnActivate", "--world", "world.json"], "world.json"),
    (["replay", "calls.jsonl"], "calls.jsonl"),
    (["fire", "OnActivate", "--record", "calls.jsonl"], "calls.jsonl"),
    (["bundle"], "requirements.txt"),
    (["bundle"], ".mmplugignore"),
    (["upgrade", "--allow-dirty"], ".mmplug-answers.json"),
    (["fire", "OnActivate"], "plugin.json"),
    (["new", "com.example.latin", "--no-input", "-t", "template"], "template/cookiecutter.json"),
])
def test_a_file_that_is_not_utf8_is_named_with_the_spot(
    parrot_plugin: Path, command: list[str], culprit: str,
) -> None:
    """Whichever command reads it, a Latin-1 file gets one clear error naming the file and
    where the bad byte is, never a decoder's traceback."""
    target = parrot_plugin / culprit
    target.parent.mkdir(exist_ok=True)
    if culprit == "plugin.json":
        text = target.read_bytes().replace(b'"name": "', b'"name": "' + LATIN1, 1)
        assert LATIN1 in text
    else:
        text = b'{"note": "' + LATIN1 + b'"}\n' if culprit.endswith("json") else b"# " + LATIN1
    target.write_bytes(text)
    result = _mmplug(*command, cwd=parrot_plugin)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    at = text.index(LATIN1) + 3  # the é
    line, column = text.count(b"\n", 0, at) + 1, at - text.rfind(b"\n", 0, at)
    error = next(x for x in result.stderr.splitlines() if x.startswith("error: "))
    assert error.endswith(f"{culprit}: not UTF-8 text (byte 0xe9 at line {line}, column "
                          f"{column})"), error
    assert "\nhint: " in result.stderr


def test_a_template_answer_that_is_not_utf8_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """A `--set` answer typed in a terminal that is not UTF-8 is refused; no project is made."""
    result = _mmplug("new", "com.example.latin", "--no-input", "--set", "author=caf\udce9",
                     cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr, result.stderr
    assert "not UTF-8 text" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["fire", "OnActivate"], ["run"], ["check"],
                                     ["replay", "fixtures"]])
def test_a_missing_python_is_refused_before_anything_starts(
        command: list[str], tmp_path: Path) -> None:
    """Every command that starts a plugin refuses a --python that names no interpreter as a
    usage error (exit 2) naming the option, before it starts anything (it failed at launch)."""
    import shutil

    project = tmp_path / "plain"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures" / "plain_plugin", project)
    missing = str(tmp_path / "nowhere" / "python")
    done = _mmplug(*command, str(project), "--python", missing, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: --python {missing}: there is no such file")
    assert "Traceback" not in done.stderr
    assert not (project / ".mmplug").exists()  # nothing was started in the project
