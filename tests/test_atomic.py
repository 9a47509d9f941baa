"""A file the tool writes is replaced whole: a writer that fails half-way leaves the old file and
no temporary one; permissions and symbolic links are kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmplug._atomic import replacing, write_file


def test_a_write_that_fails_half_way_leaves_the_old_file(tmp_path: Path) -> None:
    """A bundle or cassette whose writing breaks off leaves the previous one intact."""
    path = tmp_path / "plugin.tar.gz"
    path.write_bytes(b"old bundle")
    with pytest.raises(RuntimeError), replacing(path) as out:
        out.write(b"half of the new")
        raise RuntimeError("the build broke")
    assert path.read_bytes() == b"old bundle"
    assert os.listdir(tmp_path) == ["plugin.tar.gz"]


def test_a_replaced_file_keeps_its_permissions_and_its_link(tmp_path: Path) -> None:
    """An executable stays executable, a private file private, and a linked file is written
    where the link points."""
    script = tmp_path / "run.sh"
    script.write_text("old\n")
    script.chmod(0o751)
    write_file(script, "new\n")
    assert script.read_text() == "new\n" and script.stat().st_mode & 0o777 == 0o751
    (tmp_path / "real.json").write_text("{}")
    (tmp_path / "link.json").symlink_to("real.json")
    write_file(tmp_path / "link.json", '{"a": 1}')
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == '{"a": 1}'
    write_file(tmp_path / "secret", b"token", mode=0o600)
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
