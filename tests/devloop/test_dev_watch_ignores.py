"""Files mmplug writes itself and files git ignores are not saves."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from devloop_support import write_plugin

from mmplug.devloop.watch import Save, Watcher


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_output_redirected_into_the_project_does_not_reload_it(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    out = project / "out.log"
    with out.open("w") as output:  # `mmplug dev --plain > out.log` in the project
        dev = subprocess.Popen(
            [sys.executable, "-m", "mmplug.cli.main", "dev", "--plain", "--port",
             str(free_port()), "--python", sys.executable, "--store", ":memory:"],
            cwd=project, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "watching for saves" not in out.read_text():
            assert dev.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.05)
        time.sleep(2.0)  # a reload storm would be well under way by now
        assert "reloading" not in out.read_text(), out.read_text()
        (project / "plugin.py").write_text((project / "plugin.py").read_text() + "\n# saved\n")
        while "plugin.py changed, reloading" not in out.read_text():
            assert time.monotonic() < deadline + 30, out.read_text()
            time.sleep(0.05)
        time.sleep(1.5)
        assert out.read_text().count("reloading") == 1, out.read_text()
    finally:
        dev.send_signal(signal.SIGINT)
        try:
            dev.wait(20)
        except subprocess.TimeoutExpired:
            dev.kill()
            dev.wait()


def test_gitignored_files_are_not_saves(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    (project / ".gitignore").write_text("*.log\n/scratch/\n!keep.log\n")
    (project / "pkg").mkdir()
    (project / "pkg" / ".gitignore").write_text("generated_*.py\n")
    saves: list[Save] = []
    seen = threading.Event()

    def on_save(save: Save) -> None:
        saves.append(save)
        seen.set()

    watcher = Watcher([project], on_save, debounce_ms=200)
    watcher.start()
    try:
        (project / "notes.log").write_text("x")
        (project / "scratch").mkdir()
        (project / "scratch" / "try.py").write_text("x = 1\n")
        (project / "pkg" / "generated_models.py").write_text("x = 1\n")
        (project / ".gitignore").write_text("*.log\n/scratch/\n!keep.log\n# edited\n")
        time.sleep(1.0)
        (project / "pkg" / "handlers.py").write_text("y = 2\n")
        (project / "keep.log").write_text("kept")
        assert seen.wait(10)
        time.sleep(0.5)
    finally:
        watcher.stop()
    changed = sorted(p.relative_to(project).as_posix() for s in saves for p in s.paths)
    assert changed == ["keep.log", "pkg/handlers.py"]


def test_gitignore_rules_follow_git(tmp_path: Path) -> None:
    from mmplug.devloop.watch import GitIgnored

    (tmp_path / ".gitignore").write_text("build-*/\n*.out\n!important.out\nsecret\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("!again.out\nlocal.txt\n")
    ignored = GitIgnored(tmp_path)
    assert ignored(tmp_path / "run.out") and not ignored(tmp_path / "important.out")
    assert ignored(tmp_path / "build-1" / "x.py") and not ignored(tmp_path / "build.py")
    assert ignored(tmp_path / "a" / "secret") and ignored(tmp_path / "secret" / "x.py")
    assert not ignored(tmp_path / "sub" / "again.out") and ignored(tmp_path / "sub" / "x.out")
    assert ignored(tmp_path / "sub" / "local.txt") and not ignored(tmp_path / "local.txt")
    assert not ignored(tmp_path / "plugin.py")
