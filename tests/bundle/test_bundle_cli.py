"""`mmplug bundle [PATH]` and `mmplug bundle inspect FILE` as a user runs them."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from bundle_support import Wheelhouse, copy_sample

from mmplug.bundle import BundleResult


def _mmplug(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=110, check=False)


def _target_args(wheelhouse: Wheelhouse) -> list[str]:
    return ["--platform", wheelhouse.platform, "--python", wheelhouse.python,
            "--wheelhouse", str(wheelhouse.path)]


def test_bundle_prints_path_size_and_sha256(
    sample_bundle: BundleResult, wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    result = _mmplug("bundle", *_target_args(wheelhouse), cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    path = project / "dist" / "com.example.bundle-sample-1.2.3.tar.gz"
    assert lines[0] == str(path)
    assert f"sha256  {sample_bundle.sha256}" in result.stdout
    assert f"size    {path.stat().st_size} bytes" in result.stdout


def test_bundle_json_output_and_out_dir(wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    out = tmp_path / "release"
    result = _mmplug("bundle", str(project), "-o", str(out), "--format", "json",
                     *_target_args(wheelhouse))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == str(out / "com.example.bundle-sample-1.2.3.tar.gz")
    assert data["size"] == Path(data["path"]).stat().st_size
    assert data["targets"] == [f"{wheelhouse.platform}-cp{wheelhouse.python.replace('.', '')}"]
    inspected = _mmplug("bundle", "inspect", data["path"], "--format", "json")
    assert inspected.returncode == 0, inspected.stderr
    report = json.loads(inspected.stdout)
    assert report["ok"] and report["sha256"] == data["sha256"]


def test_inspect_text_lists_members_and_says_ok(sample_bundle: BundleResult) -> None:
    result = _mmplug("bundle", "inspect", str(sample_bundle.path))
    assert result.returncode == 0, result.stderr
    assert "com.example.bundle-sample/mmplug_entry.py" in result.stdout
    assert "plugin com.example.bundle-sample 1.2.3" in result.stdout
    assert f"vendored targets {sample_bundle.targets[0]}" in result.stdout
    assert result.stdout.rstrip().endswith("OK")


def test_inspect_of_a_hostile_file_fails_cleanly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    result = _mmplug("bundle", "inspect", str(junk))
    assert result.returncode == 1
    assert "refused: the archive is damaged" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_manifest_is_a_clean_error_listing_every_field(tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    data = json.loads((project / "plugin.json").read_text())
    data["version"] = "v2"
    data["settings_schema"]["settings"][1]["type"] = "colour"
    (project / "plugin.json").write_text(json.dumps(data))
    result = _mmplug("bundle", str(project))
    assert result.returncode == 1
    assert "version: 'v2' is not a strict semantic version" in result.stderr
    assert "settings_schema.settings[1].type: invalid setting type ('colour')" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "dist").exists()


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    result = _mmplug("bundle", str(project), "--platform", "amiga-m68k")
    assert result.returncode == 2
    assert "unsupported --platform 'amiga-m68k'" in result.stderr
    result = _mmplug("bundle", str(project), "--python", "2.7")
    assert result.returncode == 2
    assert "unsupported --python '2.7'" in result.stderr


def test_an_output_directory_that_cannot_be_made_fails_at_once(tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = _mmplug("bundle", str(project), "-o", str(blocker / "dist"))
    assert result.returncode == 2
    assert f"error: cannot make the output directory {blocker / 'dist'}: Not a directory" \
        in result.stderr
    assert "hint: pass a directory you can write to with -o" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_shows_both_forms() -> None:
    result = _mmplug("bundle", "--help")
    assert result.returncode == 0
    assert "inspect" in result.stdout and "build" in result.stdout


def test_inspect_never_prints_terminal_escapes_from_member_names(tmp_path: Path) -> None:
    path = tmp_path / "escape.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("p/\x1b]0;owned\x07name")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    result = _mmplug("bundle", "inspect", str(path))
    assert "\x1b" not in result.stdout + result.stderr
    assert "p/\\x1b]0;owned\\x07name" in result.stdout


@pytest.mark.parametrize(("alone", "by"), [
    (None, "Ctrl-C"), (signal.SIGTERM, "SIGTERM"), (signal.SIGHUP, "SIGHUP")])
def test_a_stop_while_pip_runs_leaves_no_temporary_folders(
    wheelhouse: Wheelhouse, tmp_path: Path, alone: int | None, by: str,
) -> None:
    """Ctrl-C in the middle of vendoring stops pip cleanly: nothing of it is left in the
    temporary directory and no bundle is written. SIGTERM or SIGHUP sent to mmplug alone
    does the same, pip included, with the exit code a shell expects of that signal."""
    import os
    import time

    project = copy_sample(tmp_path)
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(  # its own process group, as a terminal's foreground job
        [sys.executable, "-m", "mmplug.cli.main", "bundle", *_target_args(wheelhouse)],
        cwd=project, env={**os.environ, "TMPDIR": str(temp)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith("pip-") for p in temp.iterdir()):  # pip is at work
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
            time.sleep(0.02)
        pips = [int(pid) for pid in Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
                .read_text().split()]
        if alone is None:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: to the whole job
        else:
            proc.send_signal(alone)
        out = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 128 + (alone or signal.SIGINT), out
    assert out.endswith(f"stopped by {by}; no bundle was written.\n"), out
    assert pips and not any(Path(f"/proc/{pid}").exists() for pid in pips)
    assert "Traceback" not in out
    assert sorted(p.name for p in temp.iterdir()) == []
    assert not any((project / "dist").glob("*.tar.gz"))
