"""Every command finds the project from any folder inside it, as the pytest plugin does, with
one helper (``mmplug._plugin_files.project_dir``); without one, the error says where it looked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from processes import read_until

from mmplug._plugin_files import find_project, project_dir
from mmplug.errors import ManifestError


def mmplug(*args: str, cwd: Path, timeout: float = 110) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**env, "COLUMNS": "200", "NO_COLOR": "1"})


def typer_path(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``mmplug ARGS`` through the typer app, skipping the fast path of ``fire``."""
    code = ("import sys; from mmplug.cli._errors import run_app; "
            "from mmplug.cli.main import build_app; sys.exit(run_app(build_app(), sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=110)


@pytest.fixture()
def inside(parrot_plugin: Path) -> Path:
    """A folder two levels down in the parrot project."""
    folder = parrot_plugin / "src" / "deeper"
    folder.mkdir(parents=True)
    return folder


def test_the_helper_finds_the_nearest_project_upward(parrot_plugin: Path, inside: Path,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_project(str(inside)) == str(parrot_plugin)
    assert find_project(str(tmp_path)) is None
    monkeypatch.chdir(inside)
    assert project_dir() == str(parrot_plugin)
    assert project_dir(str(parrot_plugin)) == str(parrot_plugin)
    monkeypatch.chdir(parrot_plugin)
    with pytest.raises(ManifestError, match=r"no plugin\.json in src") as given:
        project_dir("src")  # a path given must hold the manifest itself
    assert f"the project above it is {parrot_plugin}" in given.value.hint


def test_no_project_anywhere_up_says_where_it_looked(tmp_path: Path) -> None:
    for command in (["run"], ["fire", "OnActivate"], ["state", "list"], ["bundle"],
                    ["replay", "c.jsonl"], ["upgrade"], ["dev"]):
        done = mmplug(*command, cwd=tmp_path)
        assert done.returncode == 1, (command, done.stderr)
        assert f"error: no plugin.json in {tmp_path} or in any directory above it" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / ".mmplug").exists()


def test_fire_from_inside_the_project(parrot_plugin: Path, inside: Path) -> None:
    for run in (mmplug, typer_path):
        done = run("fire", "ExecuteCommand", "/parrot hi", "--format", "json", "--python",
                   sys.executable, cwd=inside)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["response"]["response"]["text"] == "repeated 2 characters"


def test_state_from_inside_the_project(parrot_plugin: Path, inside: Path) -> None:
    assert "no snapshots" in mmplug("state", "list", cwd=inside).stdout
    assert "no state yet" in mmplug("state", "reset", cwd=inside).stdout
    assert not (inside / ".mmplug").exists()


def test_replay_from_inside_the_project(parrot_plugin: Path, inside: Path) -> None:
    cassette = parrot_plugin / "calls.jsonl"
    fired = mmplug("fire", "ExecuteCommand", "/parrot hi", "--record", str(cassette),
                   "--python", sys.executable, cwd=inside)
    assert fired.returncode == 0, fired.stderr
    done = mmplug("replay", str(cassette), "--check", "--python", sys.executable, cwd=inside)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all match" in done.stdout


@pytest.mark.slow
def test_bundle_from_inside_the_project(parrot_plugin: Path, inside: Path) -> None:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    done = mmplug("bundle", "--format", "json", "--platform", "linux-amd64", "--python", python,
                  cwd=inside)
    assert done.returncode == 0, done.stderr
    assert Path(json.loads(done.stdout)["path"]).parent == parrot_plugin / "dist"


def test_upgrade_from_inside_the_project(tmp_path: Path) -> None:
    made = mmplug("new", "com.example.found", "--no-input", "-o", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    inside = tmp_path / "com.example.found" / "tests"
    done = mmplug("upgrade", "--dry-run", cwd=inside)
    assert done.returncode == 0, done.stderr
    assert "would be up to date" in done.stdout


def _until_shown(proc: subprocess.Popen[str], text: str, timeout: float = 60) -> str:
    """The output of ``proc`` up to the line holding ``text``."""
    return read_until(proc, lambda seen: text in seen, timeout)


@pytest.mark.parametrize("command", [
    ["run", "--store", ":memory:"],
    ["dev", "--plain", "--port", "0", "--store", ":memory:"],
])
def test_run_and_dev_start_and_stop_from_inside_the_project(
        parrot_plugin: Path, inside: Path, command: list[str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", *command, "--python", sys.executable],
        cwd=inside, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        shown = _until_shown(proc, "Ctrl-C to stop")
        assert "com.example.parrot" in shown and "active" in shown
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, shown + rest
    assert not (inside / ".mmplug").exists()  # the project's own folder holds what it writes
