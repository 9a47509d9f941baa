"""inspect_bundle: lists and validates a bundle, refuses hostile archives, extracts nothing."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from mmplug.bundle import BundleResult, inspect_bundle

MANIFEST = json.dumps({"id": "com.example.evil", "name": "Evil", "version": "1.0.0",
                       "server": {"executable": "plugin.py", "runtime": "python"}}).encode()


def _tarball(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def _hostile(tmp_path: Path, *extra: tuple[tarfile.TarInfo, bytes | None]) -> Path:
    base = [_file("com.example.evil/plugin.json", MANIFEST), _file("com.example.evil/plugin.py")]
    return _tarball(tmp_path / "evil.tar.gz", [*base, *extra])


def test_a_built_bundle_passes(sample_bundle: BundleResult) -> None:
    report = inspect_bundle(sample_bundle.path)
    assert report.ok, report.problems
    assert report.sha256 == sample_bundle.sha256
    assert report.manifest is not None and report.manifest["id"] == "com.example.bundle-sample"
    names = {m.name for m in report.members}
    assert "com.example.bundle-sample/mmplug_entry.py" in names
    assert report.targets == sample_bundle.targets


def test_a_plain_good_tarball_passes(tmp_path: Path) -> None:
    report = inspect_bundle(_hostile(tmp_path))
    assert report.ok and not report.warnings


HOSTILE = {
    "absolute path": (_file("/etc/cron.d/evil"), "absolute path"),
    "dot-dot": (_file("com.example.evil/../../.bashrc"), "climbs out"),
    "symlink": (_special("com.example.evil/link", tarfile.SYMTYPE, "/etc/passwd"), "symlink"),
    "hardlink": (_special("com.example.evil/hard", tarfile.LNKTYPE, "/etc/shadow"), "hardlink"),
    "char device": (_special("com.example.evil/null", tarfile.CHRTYPE), "char-device"),
    "block device": (_special("com.example.evil/sda", tarfile.BLKTYPE), "block-device"),
    "fifo": (_special("com.example.evil/pipe", tarfile.FIFOTYPE), "fifo"),
    "duplicate": (_file("com.example.evil/plugin.py", b"second"), "appears twice"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_members_are_refused(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    member, expected = HOSTILE[case]
    path = _hostile(tmp_path, member)
    monkeypatch.chdir(tmp_path)
    before = sorted(os.listdir(tmp_path))
    report = inspect_bundle(path)
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems
    assert sorted(os.listdir(tmp_path)) == before, "nothing was extracted"


def test_oversized_member_stops_the_scan(tmp_path: Path) -> None:
    path = _hostile(tmp_path, _file("com.example.evil/big.bin", b"\0" * 2_000_000),
                    _file("com.example.evil/after.txt"))
    report = inspect_bundle(path, max_member_size=1_000_000)
    assert not report.ok
    assert any("big.bin" in p and "exceeds" in p for p in report.problems)
    assert "com.example.evil/after.txt" not in {m.name for m in report.members}


def test_claimed_huge_member_is_refused_from_its_header(tmp_path: Path) -> None:
    info = tarfile.TarInfo("com.example.evil/bomb.bin")
    info.size = 50 * 1024**3  # 50 GiB claimed; the data is not there at all
    header = info.tobuf(tarfile.GNU_FORMAT)
    path = tmp_path / "bomb.tar.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(header + b"\0" * 1024)
    report = inspect_bundle(path)
    assert any("bomb.bin" in p and "exceeds" in p for p in report.problems)


def test_invalid_manifest_inside_is_reported(tmp_path: Path) -> None:
    bad = json.dumps({"id": "x", "name": "", "server": {"executable": "plugin.py"}}).encode()
    path = _tarball(tmp_path / "bad.tar.gz", [_file("x/plugin.json", bad), _file("x/plugin.py")])
    report = inspect_bundle(path)
    assert not report.ok
    assert {f.path for f in report.findings} >= {"id", "name"}


def test_missing_executable_and_manifest(tmp_path: Path) -> None:
    no_exe = _tarball(tmp_path / "a.tar.gz", [_file("com.example.evil/plugin.json", MANIFEST)])
    assert any("server.executable" in p for p in inspect_bundle(no_exe).problems)
    no_manifest = _tarball(tmp_path / "b.tar.gz", [_file("p/plugin.py")])
    assert any("no p/plugin.json" in p for p in inspect_bundle(no_manifest).problems)


def test_not_a_tarball(tmp_path: Path) -> None:
    path = tmp_path / "junk.tar.gz"
    path.write_bytes(b"this is not gzip")
    report = inspect_bundle(path)
    assert not report.ok
    assert [p.split(":")[0] for p in report.problems] == ["the archive is damaged or not a tar.gz"]


def test_warns_above_the_servers_upload_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.tar.gz"
    with path.open("wb") as fh:  # sparse: 101 MiB on paper, nothing on disk
        fh.truncate(101 * 1024 * 1024)
    report = inspect_bundle(path)
    assert any("100 MiB" in w for w in report.warnings)


def test_hand_made_tarball_with_dot_slash_names_is_understood(tmp_path: Path) -> None:
    root = tarfile.TarInfo("./")
    root.type = tarfile.DIRTYPE
    path = _tarball(tmp_path / "flat.tar.gz", [
        (root, None), _file("./plugin.json", MANIFEST), _file("./plugin.py")])
    report = inspect_bundle(path)
    assert report.ok, report.problems
    assert report.manifest is not None and report.manifest["id"] == "com.example.evil"
    assert any("no single top-level directory" in w for w in report.warnings)
