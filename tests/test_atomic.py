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


def test_a_change_killed_while_it_writes_its_new_files_leaves_no_trace(tmp_path: Path) -> None:
    """A change of several files (`mmplug upgrade`) killed before it renamed anything: the
    next command removes its new files and the folders it made for them, and says so; the
    files that were there are untouched."""
    import signal
    import subprocess
    import sys

    from mmplug._atomic import PAUSE_ENV, recover_changes

    (tmp_path / "plugin.py").write_text("old\n")
    code = ("from mmplug._atomic import replace_files; import sys; "
            "replace_files(sys.argv[1], {'plugin.py': b'new', 'a/b/c/new.txt': b'x', "
            "'a/b/other.txt': b'y'})")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, PAUSE_ENV: "staged"})
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == "paused: staged\n"
        assert (tmp_path / "a" / "b" / "c").is_dir()  # the new files are written by now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    said = recover_changes(tmp_path)
    assert len(said) == 1 and "it had replaced no file yet" in said[0]
    assert sorted(os.listdir(tmp_path)) == ["plugin.py"]
    assert (tmp_path / "plugin.py").read_text() == "old\n"
