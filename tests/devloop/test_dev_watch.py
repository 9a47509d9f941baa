"""Which files count as a save, and the watcher on a real directory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mmplug.devloop.watch import Save, Watcher, relevant, watched


@pytest.mark.parametrize("name", [
    "plugin.py", "plugin.json", "pkg/handlers.py", "templates/page.html", "assets/icon.svg",
    "public/app.js", "README.md",
])
def test_project_files_count(tmp_path: Path, name: str) -> None:
    assert watched(tmp_path / name, tmp_path)


@pytest.mark.parametrize("name", [
    "__pycache__/plugin.cpython-311.pyc", ".git/index", ".mmplug/state.db", "dist/x.tar.gz",
    "venv/lib/site.py", ".venv/bin/python", ".plugin.py.swp", "plugin.py~", ".#plugin.py",
    "#plugin.py#", "plugin.py.tmp", "4913", "plugin.py___jb_tmp___", "build/lib/x.py",
    "plugin.egg-info/PKG-INFO", "node_modules/x/index.js", "plugin.pyc",
])
def test_noise_is_ignored(tmp_path: Path, name: str) -> None:
    assert not watched(tmp_path / name, tmp_path)


def test_a_virtualenv_under_any_name_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "myenv").mkdir()
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert not watched(tmp_path / "myenv" / "lib" / "x.py", tmp_path)


def test_outside_the_root_is_ignored(tmp_path: Path) -> None:
    assert not watched(tmp_path.parent / "other.py", tmp_path)


def test_relevant_dedupes_and_sorts(tmp_path: Path) -> None:
    changes = {(2, str(tmp_path / "b.py")), (1, str(tmp_path / "a.py")),
               (3, str(tmp_path / ".a.py.swp")), (2, str(tmp_path / "a.py"))}
    assert relevant(changes, tmp_path) == [tmp_path / "a.py", tmp_path / "b.py"]


def test_save_names_its_trigger(tmp_path: Path) -> None:
    save = Save(tmp_path, (tmp_path / "plugin.py", tmp_path / "x.py"))
    assert save.trigger == "plugin.py (+1 more)"
    assert not save.manifest_changed
    assert Save(tmp_path, (tmp_path / "plugin.json",)).manifest_changed


class _Saves:
    def __init__(self) -> None:
        self.saves: list[Save] = []
        self.cond = threading.Condition()

    def __call__(self, save: Save) -> None:
        with self.cond:
            self.saves.append(save)
            self.cond.notify_all()

    def wait(self, count: int = 1) -> list[Save]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.saves) >= count, 10.0)
            return list(self.saves)


def test_watcher_reports_an_atomic_save_by_its_real_name(tmp_path: Path) -> None:
    (tmp_path / "plugin.py").write_text("v1")
    saves = _Saves()
    watcher = Watcher([tmp_path], saves)
    watcher.start()
    try:
        temp = tmp_path / ".plugin.py.swp"
        temp.write_text("v2")
        os.replace(temp, tmp_path / "plugin.py")
        (saves_seen,) = saves.wait()[:1]
        assert saves_seen.paths == (tmp_path / "plugin.py",)
        assert saves_seen.trigger == "plugin.py"
    finally:
        watcher.stop()


def test_watcher_debounces_a_burst_and_ignores_noise(tmp_path: Path) -> None:
    saves = _Saves()
    watcher = Watcher([tmp_path], saves, step_ms=50)
    watcher.start()
    try:
        (tmp_path / "__pycache__").mkdir()
        (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"x")
        for index in range(30):
            (tmp_path / "plugin.py").write_text(f"v{index}")
        seen = saves.wait()
        assert all(s.paths == (tmp_path / "plugin.py",) for s in seen)
        assert len(seen) < 10  # 30 writes, a handful of batches at most
    finally:
        watcher.stop()
