"""A non-editable install (a built wheel) carries the built-in templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from scaffold_support import REPO, TEMPLATE_NAMES


@pytest.mark.slow
def test_wheel_ships_the_templates_and_new_works_from_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(REPO / "mmplug", src / "mmplug", symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "templates", src / "templates", ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=110)
    if done.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {done.stderr.strip()[-300:]}")
    [wheel] = list((tmp_path / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for template in TEMPLATE_NAMES:
        root = f"mmplug/scaffold/_templates/{template}/"
        assert root + "cookiecutter.json" in names
        assert root + "{{cookiecutter.plugin_id}}/.gitignore" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import mmplug.scaffold as s; "
            f"p = s.create_project('com.example.w', template='bot', parent={str(tmp_path)!r}); "
            "print(s.builtin_root().is_symlink(), 'plugin.json' in p.files)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.split() == ["False", "True"], run.stdout + run.stderr
