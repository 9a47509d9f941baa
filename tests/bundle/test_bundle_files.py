"""Choosing project files: virtualenvs, symlinks, secrets, without building anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmplug.bundle.files import collect_files, looks_secret
from mmplug.errors import BundleError


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "plugin.py").write_text("print('hi')\n")
    (root / "pkg" / "__init__.py").write_text("")
    return root


def test_files_come_sorted_and_virtualenvs_are_skipped(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "env" / "lib").mkdir(parents=True)
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "env" / "lib" / "site.py").write_text("")
    collection = collect_files(root)
    assert [f.arcname for f in collection.files] == ["pkg/__init__.py", "plugin.py"]
    assert collection.warnings == ["skipped virtualenv env/"]


def test_symlink_inside_the_project_is_stored_as_a_file(tmp_path: Path) -> None:
    root = _project(tmp_path)
    os.symlink("plugin.py", root / "alias.py")
    os.symlink("pkg", root / "pkg2")
    files = {f.arcname: f for f in collect_files(root).files}
    assert files["alias.py"].path == (root / "plugin.py").resolve()
    assert "pkg2/__init__.py" in files


def test_broken_symlink_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    os.symlink("missing.py", root / "gone.py")
    with pytest.raises(BundleError, match=r"gone\.py is a broken symlink"):
        collect_files(root)


def test_symlinked_directory_outside_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (tmp_path / "shared").mkdir()
    os.symlink(tmp_path / "shared", root / "shared")
    with pytest.raises(BundleError, match="outside the project"):
        collect_files(root)


def test_every_secret_is_listed_at_once(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for name in (".env", "id_ed25519", "pkg/.netrc"):
        (root / name).write_text("x")
    (root / ".env.example").write_text("TOKEN=")
    with pytest.raises(BundleError) as info:
        collect_files(root)
    assert info.value.message.startswith("refusing to bundle 3 file(s)")
    assert info.value.details.split() == [".env", "id_ed25519", "pkg/.netrc"]


@pytest.mark.parametrize(("name", "secret"), [
    (".env", True), (".env.production", True), (".env.example", False), ("tls.pem", True),
    ("server.KEY", True), ("id_rsa.pub", False), ("credentials.yaml", True), ("keys.py", False),
    ("service-account-prod.json", True), ("config.json", False),
])
def test_secret_names(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


def test_executable_bit_is_kept(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    files = {f.arcname: f for f in collect_files(root).files}
    assert files["run.sh"].executable and not files["plugin.py"].executable
