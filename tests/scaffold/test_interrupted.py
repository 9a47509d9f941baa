"""Ctrl-C or a failure in the middle of `mmplug new` or `mmplug upgrade` leaves the project as it
was or wholly written, never a mix, and no temporary file behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from processes import alive, children

MANY = 600  # files the new template version adds: writing them takes a while
HOOK = '''import os, sys, time
print("rendered", flush=True)
try:
    time.sleep(float(os.environ.get("HOOK_SLEEP_S", "0")))
except KeyboardInterrupt:
    sys.exit(130)
'''


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, hidden ones included (a temporary file left shows)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _grow(template: Path, marker: str) -> None:
    """A new version of the template: a folder of many files, a changed README, a hook."""
    project = template / "{{cookiecutter.plugin_id}}"
    many = project / "many"
    many.mkdir(exist_ok=True)
    for n in range(MANY):
        (many / f"f{n:03d}.txt").write_text(f"{marker} {n} {{{{cookiecutter.plugin_name}}}}\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + f"\n{marker}\n")
    (template / "hooks").mkdir(exist_ok=True)
    (template / "hooks" / "post_gen_project.py").write_text(HOOK)


def _interrupt(args: list[str], cwd: Path, when: Callable[[str], bool],
               sleep_s: float = 0.0, delay_s: float = 0.0,
               alone: int | None = None) -> tuple[int, str]:
    """Run ``mmplug ARGS`` as a terminal's foreground job; once ``when(stdout so far)`` holds,
    wait ``delay_s`` and send the job SIGINT (Ctrl-C), or the signal ``alone`` to mmplug
    alone. The exit code and stderr; no process of it is left."""
    env = {**os.environ, "NO_COLOR": "1", "HOOK_SLEEP_S": str(sleep_s)}
    proc = subprocess.Popen([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd,
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        seen = ""
        deadline = time.monotonic() + 60
        while not when(seen) and time.monotonic() < deadline and proc.poll() is None:
            seen += proc.stdout.readline() if "rendered" not in seen else ""
            if "rendered" in seen:
                time.sleep(0.0005)
        assert when(seen), seen
        time.sleep(delay_s)
        started = children(proc.pid)
        if alone is None:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(alone)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert not alive(proc.pid)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in started if alive(pid)] == []  # the template's hook too
    assert "Traceback" not in err, err
    return proc.returncode, err


@pytest.fixture
def made(mmplug, tmp_path: Path, local_template: Path) -> Path:
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "p"),
                    "-t", str(local_template))
    assert result.code == 0, result.err
    return tmp_path / "p" / "com.example.hello"


def _wholly(project: Path, before: dict[str, bytes], marker: str) -> str:
    """Whether ``project`` is as ``before`` ("old") or has every file of the new template
    ("new"); fails on anything in between."""
    now = _tree(project)
    if now == before:
        return "old"
    many = [name for name in now if name.startswith("many/")]
    assert len(many) == MANY and marker in now["README.md"].decode(), \
        f"half-written: {len(many)} of {MANY} new files, README new: " \
        f"{marker in now['README.md'].decode()}"
    assert set(now) - set(before) == set(many), sorted(set(now) - set(before) - set(many))
    return "new"


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.3])
def test_ctrl_c_while_an_upgrade_writes_leaves_the_old_project_or_the_new(
        made: Path, local_template: Path, delay_s: float) -> None:
    """Ctrl-C as `mmplug upgrade` writes the project's files leaves the project as it was or
    wholly upgraded, and the stop line says which."""
    before = _tree(made)
    _grow(local_template, "version two")
    code, err = _interrupt(["upgrade", str(made), "--allow-dirty"], made,
                           lambda _: (made / "many").exists(), delay_s=delay_s)
    state = _wholly(made, before, "version two")
    last = (err.rstrip("\n").splitlines() or [""])[-1]
    if state == "old":
        assert code == 130, err
        assert last == ("stopped by Ctrl-C; the project is as it was (an upgrade is written "
                        "whole or not at all).")
    elif code == 130:
        assert last == ("stopped by Ctrl-C; the project was upgraded whole (`git diff` shows "
                        "how).")
    else:  # the upgrade was done before Ctrl-C came (or came as the interpreter exited)
        assert code in (0, -signal.SIGINT) and "Traceback" not in err, err


@pytest.mark.slow
def test_ctrl_c_while_the_template_renders_leaves_the_project_as_it_was(
        made: Path, local_template: Path) -> None:
    """Ctrl-C while the new template renders (its hook takes its time) changes nothing."""
    before = _tree(made)
    _grow(local_template, "version two")
    code, err = _interrupt(["upgrade", str(made), "--allow-dirty"], made,
                           lambda seen: "rendered" in seen, sleep_s=30)
    assert code == 130, err
    assert _tree(made) == before


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.0, 0.3])
def test_ctrl_c_while_new_force_writes_leaves_the_folder_as_it_was_or_new(
        tmp_path: Path, local_template: Path, delay_s: float) -> None:
    """`mmplug new --force` over an existing folder is all-or-nothing too: Ctrl-C as it
    writes leaves the folder as it was or with the whole new project (and the user's other
    files kept)."""
    _grow(local_template, "forced")
    target = tmp_path / "com.example.hello"
    target.mkdir()
    (target / "README.md").write_text("the user's own readme\n")
    (target / "notes.txt").write_text("kept\n")
    before = _tree(target)
    code, err = _interrupt(["new", "com.example.hello", "--no-input", "--force",
                            "-t", str(local_template)], tmp_path,
                           lambda _: (target / "many").exists(), delay_s=delay_s)
    now = _tree(target)
    if now == before:
        assert code == 130, err
        assert err.rstrip("\n").splitlines()[-1] == (
            "stopped by Ctrl-C; the folder is as it was (a project is written whole or not "
            "at all).")
    else:
        assert len([n for n in now if n.startswith("many/")]) == MANY, "half-written"
        assert "forced" in now["README.md"].decode() and now["notes.txt"] == b"kept\n"
        assert not [n for n in now if re.search(r"\.mmplug-\d+-", n)]  # no temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["com.example.hello", "tpl"]


@pytest.mark.slow
@pytest.mark.parametrize(("alone", "by"), [
    (None, "Ctrl-C"), (signal.SIGTERM, "SIGTERM"), (signal.SIGHUP, "SIGHUP")])
def test_a_stop_while_new_renders_leaves_no_folder(tmp_path: Path, local_template: Path,
                                                   alone: int | None, by: str) -> None:
    """Ctrl-C while `mmplug new` renders leaves no project folder, not even a hidden one;
    SIGTERM or SIGHUP sent to mmplug alone does the same (the template's hook is stopped
    too), with the exit code a shell expects of that signal."""
    _grow(local_template, "fresh")
    code, err = _interrupt(["new", "com.example.hello", "--no-input", "-t",
                            str(local_template)], tmp_path, lambda seen: "rendered" in seen,
                           sleep_s=30, alone=alone)
    assert code == 128 + (alone or signal.SIGINT), err
    assert err.rstrip("\n").splitlines()[-1] == f"stopped by {by}; no project was made."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]


def test_an_upgrade_that_fails_half_way_changes_nothing(mmplug, made: Path,
                                                        local_template: Path) -> None:
    """An upgrade that cannot write one of its files (a folder is where it goes) says which
    and leaves every file as it was."""
    _grow(local_template, "version two")
    (made / "many" / f"f{MANY // 2:03d}.txt").mkdir(parents=True)
    before = _tree(made)
    result = mmplug("upgrade", str(made), "--allow-dirty")
    assert result.code == 1
    assert f"f{MANY // 2:03d}.txt" in result.err and "Traceback" not in result.err
    assert _tree(made) == before
    assert sorted(p.name for p in (made / "many").iterdir()) == [f"f{MANY // 2:03d}.txt"]


def _kill_at_rename(args: list[str], cwd: Path, after: str) -> None:
    """Run ``mmplug ARGS`` and SIGKILL it once it has renamed ``after`` files of its change
    into place ("all": every one, before the old ones it set aside are removed)."""
    from mmplug._atomic import PAUSE_ENV

    proc = subprocess.Popen([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1", PAUSE_ENV: after})
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("paused after"), line + proc.stderr.read()
    finally:
        proc.kill()
        proc.communicate()


def _leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if re.search(r"\.mmplug-\d+-", p.name))


@pytest.mark.slow
@pytest.mark.parametrize(("after", "state"), [("1", "old"), (str(MANY // 2), "old"),
                                              ("all", "new")])
def test_an_upgrade_killed_as_it_renames_is_completed_or_rolled_back_next_time(
        mmplug, made: Path, local_template: Path, after: str, state: str) -> None:
    """An upgrade killed (SIGKILL, a crash) as it puts its files in place leaves old files
    set aside and a file briefly missing; the next `mmplug upgrade` finds them and rolls the
    change back (or completes it, when every new file was in place), says so, then
    upgrades as asked."""
    before = _tree(made)
    _grow(local_template, "version two")
    _kill_at_rename(["upgrade", str(made), "--allow-dirty"], made, after)
    assert _leftovers(made)  # what the kill left: the old files set aside, the journal
    result = mmplug("upgrade", str(made), "--allow-dirty", "--dry-run")
    assert result.code == 0, result.err
    said = "rolled back: every file is as it was" if state == "old" else "completed"
    assert said in result.err and "did not finish" in result.err
    assert _leftovers(made) == []
    assert _wholly(made, before, "version two") == state
    result = mmplug("upgrade", str(made), "--allow-dirty")
    assert result.code == 0, result.err
    assert _wholly(made, before, "version two") == "new"
    assert _leftovers(made) == []


@pytest.mark.slow
def test_new_force_killed_as_it_renames_is_rolled_back_by_mmplug_check(
        mmplug, tmp_path: Path, local_template: Path) -> None:
    """`mmplug new --force` killed half way through putting its files in place: `mmplug
    check` on the folder puts every file back as it was, the user's included, and says so."""
    _grow(local_template, "forced")
    target = tmp_path / "com.example.hello"
    made = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path),
                  "-t", str(local_template))
    assert made.code == 0, made.err
    (target / "README.md").write_text("the user's own readme\n")
    (target / "notes.txt").write_text("kept\n")
    before = _tree(target)
    _grow(local_template, "forced again")
    _kill_at_rename(["new", "com.example.hello", "--no-input", "--force", "-t",
                     str(local_template)], tmp_path, "3")
    assert _leftovers(target)
    checked = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "check", str(target),
                              "--python", sys.executable], capture_output=True, text=True,
                             timeout=120)
    assert "Traceback" not in checked.stderr
    assert "rolled back: every file is as it was" in checked.stderr, checked.stderr
    assert _tree(target) == before
