"""Building bundles: layout, vendoring, reproducibility, exclusions and refusals."""

from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from bundle_support import Wheelhouse, build, copy_sample

from mmplug.bundle import BundleOptions, BundleResult, build_bundle
from mmplug.bundle.targets import Target
from mmplug.errors import BundleError, ManifestError


def _names(result: BundleResult) -> list[str]:
    with tarfile.open(result.path) as tar:
        return tar.getnames()


def _manifest(result: BundleResult) -> dict[str, object]:
    with tarfile.open(result.path) as tar:
        handle = tar.extractfile(f"{result.plugin_id}/plugin.json")
        assert handle is not None
        data: dict[str, object] = json.load(handle)
        return data


def test_bundle_is_named_after_id_and_version(sample_bundle: BundleResult) -> None:
    assert sample_bundle.path.name == "com.example.bundle-sample-1.2.3.tar.gz"
    assert sample_bundle.path.parent.name == "dist"
    assert sample_bundle.size == sample_bundle.path.stat().st_size
    assert len(sample_bundle.sha256) == 64


def test_layout_is_one_directory_with_manifest_shim_and_plugin_files(
    sample_bundle: BundleResult,
) -> None:
    names = _names(sample_bundle)
    assert {n.split("/")[0] for n in names} == {"com.example.bundle-sample"}
    top = "com.example.bundle-sample/"
    for expected in ("plugin.json", "mmplug_entry.py", "plugin.py", "greeter.py",
                     "requirements.txt", "assets/icon.svg", "webapp/dist/main.js",
                     "mmplug_vendor/common/mmplug/__init__.py",
                     "mmplug_vendor/common/mmplug/sdk/__init__.py",
                     "mmplug_vendor/common/mmplug/protocol/hooks_pb2.py"):
        assert top + expected in names, expected
    manifest = _manifest(sample_bundle)
    assert manifest["server"] == {"executable": "mmplug_entry.py", "runtime": "python"}


def test_vendored_dependencies_cover_sdk_runtime_and_plugin_requirements(
    sample_bundle: BundleResult,
) -> None:
    tag = sample_bundle.targets[0]
    vendored = {n.split("/")[3] for n in _names(sample_bundle)
                if n.startswith(f"com.example.bundle-sample/mmplug_vendor/{tag}/")}
    assert {"grpc", "grpc_health", "google", "inflection.py"} <= vendored
    assert not [n for n in _names(sample_bundle) if "/cli/" in n or "typer" in n or "rich/" in n]
    assert sample_bundle.requirements == ["inflection==0.5.1"]
    assert any("mmplug" in n and "vendors the SDK" in n for n in sample_bundle.notes)
    assert not any("vendors the SDK" in w for w in sample_bundle.warnings)


def test_default_exclusions_and_mmplugignore(sample_bundle: BundleResult) -> None:
    names = _names(sample_bundle)
    unwanted = ("tests/", "NOTES.md", "webapp/src", ".mmplugignore", "__pycache__", ".pyc",
                "direct_url.json", "/bin/")
    assert not [n for n in names for u in unwanted if u in n]


def test_members_are_normalised(sample_bundle: BundleResult) -> None:
    with tarfile.open(sample_bundle.path) as tar:
        members = tar.getmembers()
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert {m.mode for m in members} <= {0o644, 0o755}
    assert len({m.mtime for m in members}) == 1
    assert [m.name for m in members] == sorted((m.name for m in members),
                                               key=lambda n: n.split("/"))
    header = sample_bundle.path.read_bytes()[:10]
    assert header[3] & 0x08 == 0, "no file name in the gzip header"
    assert header[4:8] == b"\0\0\0\0", "gzip mtime is 0"


def test_bundling_twice_gives_the_same_sha256(
    sample_bundle: BundleResult, wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)  # fresh copy: different mtimes, inode order, directory
    (project / "plugin.py").touch()
    again = build(project, wheelhouse, out_dir=tmp_path / "out")
    assert again.sha256 == sample_bundle.sha256
    assert again.path.read_bytes() == sample_bundle.path.read_bytes()


def test_source_date_epoch_and_pyproject_dependencies(
    wheelhouse: Wheelhouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_sample(tmp_path)
    (project / "requirements.txt").unlink()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "sample"\nversion = "1.2.3"\n'
        'dependencies = ["inflection==0.5.1", "mmplug>=0.1"]\n')
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = build(project, wheelhouse)
    with tarfile.open(result.path) as tar:
        assert {m.mtime for m in tar.getmembers()} == {1700000000}
    assert result.requirements == ["inflection==0.5.1"]
    assert any(n.endswith("/inflection.py") for n in _names(result))


def test_invalid_source_date_epoch_fails_before_any_work(
    wheelhouse: Wheelhouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_sample(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(BundleError, match="SOURCE_DATE_EPOCH"):
        build(project, wheelhouse)
    assert not (project / "dist").exists()


def test_missing_wheel_names_the_package_and_leaves_no_file(
    wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    (project / "requirements.txt").write_text("no-such-package-mmplug-test==1.0\n")
    with pytest.raises(BundleError) as info:
        build(project, wheelhouse)
    assert "no-such-package-mmplug-test" in info.value.message
    assert wheelhouse.platform in info.value.message
    assert "wheel" in info.value.hint
    assert not list((project / "dist").glob("*")) if (project / "dist").exists() else True


@pytest.mark.parametrize("name", [".env", "deploy.pem", "id_rsa", "credentials.json", ".netrc"])
def test_secret_files_are_refused_unless_forced(
    wheelhouse: Wheelhouse, tmp_path: Path, name: str
) -> None:
    project = copy_sample(tmp_path)
    (project / "conf").mkdir()
    (project / "conf" / name).write_text("TOKEN=hunter2\n")
    with pytest.raises(BundleError) as info:
        build(project, wheelhouse)
    assert f"conf/{name}" in info.value.details
    assert "--force" in info.value.hint and ".mmplugignore" in info.value.hint


def test_forced_secret_is_bundled_with_a_warning_and_ignored_one_is_not(
    wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    (project / ".env").write_text("TOKEN=hunter2\n")
    (project / "server.key").write_text("secret")
    (project / ".mmplugignore").write_text("*.key\n")
    result = build(project, wheelhouse, force=True)
    names = _names(result)
    assert "com.example.bundle-sample/.env" in names
    assert not [n for n in names if n.endswith("server.key")]
    assert [w for w in result.warnings if "looks like a secret" in w] == [
        "bundling .env, which looks like a secret (--force)"]


def test_symlink_outside_the_project_is_refused(wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not yours")
    os.symlink(outside, project / "linked.txt")
    with pytest.raises(BundleError, match=r"linked\.txt is a symlink .* outside the project"):
        build(project, wheelhouse)


def test_invalid_manifest_lists_every_error_before_any_work(
    wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    data = json.loads((project / "plugin.json").read_text())
    data.update(id="x", version="v1.0", homepage_url="ftp://example.com")
    (project / "plugin.json").write_text(json.dumps(data))
    with pytest.raises(ManifestError) as info:
        build(project, wheelhouse)
    for field in ("id:", "version:", "homepage_url:"):
        assert field in info.value.details
    assert not (project / "dist").exists()


def test_executable_left_out_by_ignore_rules_is_an_error(
    wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    (project / ".mmplugignore").write_text("plugin.py\n")
    with pytest.raises(BundleError, match=r"server\.executable .plugin\.py. is not in the bundle"):
        build(project, wheelhouse)


def test_failed_build_keeps_the_previous_bundle_intact(
    sample_bundle: BundleResult, wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    previous = out / sample_bundle.path.name
    shutil.copyfile(sample_bundle.path, previous)
    (project / "requirements.txt").write_text("no-such-package-mmplug-test==1.0\n")
    with pytest.raises(BundleError):
        build(project, wheelhouse, out_dir=out)
    assert sorted(p.name for p in out.iterdir()) == [previous.name], "no partial file left"
    assert previous.read_bytes() == sample_bundle.path.read_bytes()


def test_output_directory_inside_the_project_is_never_bundled(
    sample_bundle: BundleResult, wheelhouse: Wheelhouse, tmp_path: Path
) -> None:
    project = copy_sample(tmp_path)
    (project / "release").mkdir()
    (project / "release" / "old-build.tar.gz").write_bytes(b"an earlier bundle")
    result = build(project, wheelhouse, out_dir=project / "release")
    assert not [n for n in _names(result) if "release" in n]
    assert result.sha256 == sample_bundle.sha256


def test_one_bundle_carries_wheels_for_two_architectures(
    cross_wheelhouse: tuple[Path, list[Target]], tmp_path: Path
) -> None:
    wheels, targets = cross_wheelhouse
    project = copy_sample(tmp_path)
    result = build_bundle(BundleOptions(
        project=project, platforms=[t.platform for t in targets], pythons=[targets[0].python],
        wheelhouse=wheels))
    assert result.targets == sorted(t.tag for t in targets)
    names = _names(result)
    for target in targets:
        arch = {"linux-amd64": "x86_64", "linux-arm64": "aarch64"}[target.platform]
        native = [n for n in names if n.startswith(
            f"com.example.bundle-sample/mmplug_vendor/{target.tag}/grpc/_cython/")
            and n.endswith(".so")]
        assert native and all(arch in n for n in native), native
    with tarfile.open(result.path) as tar:
        handle = tar.extractfile("com.example.bundle-sample/mmplug_entry.py")
        assert handle is not None
        shim = handle.read().decode()
    assert all(t.tag in shim for t in targets)


@pytest.mark.parametrize(("change", "field"), [
    ({"webapp": {"bundle_path": "webapp/dist/missing.js"}}, "webapp.bundle_path"),
    ({"icon_path": "assets/logo.svg"}, "icon_path"),
    ({"server": {"executable": "plugin.py",
                 "executables": {"linux-amd64": "server/plugin-amd64.py"}}},
     "server.executables.linux-amd64"),
])
def test_every_file_the_manifest_names_must_be_bundled(
    wheelhouse: Wheelhouse, tmp_path: Path, change: dict[str, object], field: str
) -> None:
    project = copy_sample(tmp_path)
    data = json.loads((project / "plugin.json").read_text())
    data.update(change)
    (project / "plugin.json").write_text(json.dumps(data))
    with pytest.raises(BundleError, match=rf"^{re.escape(field)} '.*' is not in the bundle"):
        build(project, wheelhouse)
