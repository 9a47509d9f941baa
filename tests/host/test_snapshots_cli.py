"""`mmplug state`: named snapshots of a project's fake-host state, and reset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.host.session import Session


def _state(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "state", *args, str(project)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def _kv_posts(project: Path) -> int | None:
    with Session([project], python=sys.executable) as session:
        value = session.fire("MessageHasBeenPosted", post={"message": "hi"})
        assert value.error is None
        with session.store.read() as db:
            row = db.execute("SELECT value FROM kv WHERE key='posts'").fetchone()
    return None if row is None else int(row[0])


@pytest.fixture()
def project(parrot_plugin: Path) -> Path:
    return parrot_plugin


def test_snapshot_then_restore_returns_to_the_saved_state(project: Path) -> None:
    assert _kv_posts(project) == 1
    saved = _state(project, "snapshot", "one-post")
    assert saved.returncode == 0, saved.stderr
    assert _kv_posts(project) == 2
    restored = _state(project, "restore", "one-post")
    assert restored.returncode == 0, restored.stderr
    assert _kv_posts(project) == 2  # back to 1, then this run counts one more
    listing = _state(project, "list")
    assert "one-post" in listing.stdout


def test_reset_starts_over_from_the_world(project: Path) -> None:
    assert _kv_posts(project) == 1
    assert _kv_posts(project) == 2
    assert _state(project, "reset").returncode == 0
    assert _kv_posts(project) == 1


def test_bad_names_and_unknown_snapshots_are_clear_errors(project: Path) -> None:
    _kv_posts(project)
    bad = _state(project, "snapshot", "../escape")
    assert bad.returncode == 1 and "invalid snapshot name" in bad.stderr
    missing = _state(project, "restore", "nope")
    assert missing.returncode == 1 and "no snapshot named 'nope'" in missing.stderr
    assert "Traceback" not in bad.stderr + missing.stderr
    assert _state(project, "snapshot", "x").returncode == 0
    again = _state(project, "snapshot", "x")
    assert again.returncode == 1 and "--force" in again.stderr


def test_snapshot_without_any_state_says_how_to_create_it(parrot_plugin: Path) -> None:
    result = _state(parrot_plugin, "snapshot", "x")
    assert result.returncode == 1
    assert "mmplug run" in result.stderr


def test_a_directory_without_a_plugin_is_refused_and_left_alone(tmp_path: Path) -> None:
    result = _state(tmp_path, "reset")
    assert result.returncode == 1
    assert f"error: no plugin.json in {tmp_path}" in result.stderr
    assert not (tmp_path / ".mmplug").exists()


def test_a_damaged_state_is_explained_with_what_works(project: Path) -> None:
    """A state file that is not a database: the hint says to delete it (or to start dev or
    run with --fresh), not to pass an option the state command lacks."""
    (project / ".mmplug").mkdir()
    (project / ".mmplug" / "state.db").write_bytes(b"this is not a database" * 100)
    result = _state(project, "snapshot", "one")
    assert result.returncode == 1
    assert "file is not a database\nhint: delete it to start over" in result.stderr, \
        result.stderr
    assert "`mmplug dev` or `mmplug run` with --fresh" in result.stderr
