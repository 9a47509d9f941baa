"""Property tests: no tarball, however hostile, makes `mmplug bundle inspect` or the PluginAPI's
InstallPlugin fail with anything but a clear answer (never a traceback from mmplug itself),
and neither writes anything outside the folder it was given.

Tarballs are built member by member: names that climb out (``..``, absolute, drive letters,
backslashes), long names (GNU and PAX headers), every member type (files, folders, symlinks,
hard links, devices, FIFOs), modes, sizes, a plugin.json at the top or one level down holding a
valid manifest, a broken one or any text, in every tar format, compressed or not, truncated or
with bytes flipped. ``bundle inspect`` runs through the CLI in both output formats; InstallPlugin
runs against a real session's plugin control and must answer a response or an AppError with
the server's id, never the fake host's internal error. Bounded so the suite stays fast;
hypothesis keeps the failing example.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MANIFEST = {"id": "com.example.fuzz", "name": "Fuzz", "version": "0.1.0",
            "server": {"executable": "plugin.py", "runtime": "python"}}
SERVER_IDS = {"app.plugin.extract.app_error", "app.plugin.manifest.app_error",
              "app.plugin.invalid_id.app_error", "app.plugin.install_id.app_error"}

names = st.one_of(
    st.sampled_from([
        "plugin.json", "com.example.fuzz/plugin.json", "./plugin.json", "plugin.py",
        "com.example.fuzz/plugin.py", "com.example.fuzz/", "a/b/c.txt", "../plugin.json",
        "../../etc/x", "/etc/passwd", "/plugin.json", "C:\\x", "a\\..\\..\\x", "a/../../x",
        ".", "./", "..", "", "com.example.fuzz/../x", "x" * 120 + "/plugin.json",
        "d/" * 60 + "f", "é/ü.txt", "plugin.json/x", "com.example.fuzz/plugin.json/",
        "mmplug_vendor/cp311-x/a.py", "-rf", "a\nb", " plugin.json",
    ]),
    st.text(min_size=1, max_size=30).filter(lambda n: "\0" not in n),
)
kinds = st.sampled_from([tarfile.REGTYPE, tarfile.REGTYPE, tarfile.REGTYPE, tarfile.DIRTYPE,
                         tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE,
                         tarfile.CONTTYPE])
link_names = st.sampled_from(["plugin.json", "../x", "/etc/passwd", "", ".", "a/b"])
manifest_texts = st.one_of(
    st.just(json.dumps(MANIFEST)),
    st.builds(lambda key, value: json.dumps({**MANIFEST, key: value}),
              st.sampled_from(["id", "server", "name", "version", "settings_schema"]),
              st.none() | st.integers() | st.text(max_size=8) | st.lists(st.integers())
              | st.just({"executable": "../../x.py"}) | st.just("../../x")),
    st.sampled_from(["", "{", "[]", "null", "NaN", "{\"id\": NaN}", "[" * 2000 + "]" * 2000,
                     "{\"id\": \"\\ud800\"}", "\xff\xfe"]),
    st.text(max_size=40),
)


@st.composite
def members(draw: st.DrawFn) -> tuple[tarfile.TarInfo, bytes]:
    name = draw(names)
    info = tarfile.TarInfo(name)
    info.type = draw(kinds)
    info.mode = draw(st.sampled_from([0o644, 0o755, 0o4755, 0o777, 0o000, 0o7777]))
    data = b""
    if info.type in (tarfile.REGTYPE, tarfile.CONTTYPE):
        if os.path.basename(name.rstrip("/")) == "plugin.json":
            data = draw(manifest_texts).encode("utf-8", "surrogatepass")
        else:
            data = draw(st.binary(max_size=64))
    if info.type in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = draw(link_names)
    info.size = len(data)
    return info, data


@st.composite
def tarballs(draw: st.DrawFn) -> bytes:
    items = draw(st.lists(members(), max_size=6))
    if draw(st.booleans()):  # most bundles hold a manifest somewhere
        text = draw(manifest_texts).encode("utf-8", "surrogatepass")
        info = tarfile.TarInfo(draw(st.sampled_from(["plugin.json",
                                                     "com.example.fuzz/plugin.json"])))
        info.size = len(text)
        items.append((info, text))
    fmt = draw(st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]))
    buffer = io.BytesIO()
    try:
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
            for info, data in items:
                tar.addfile(info, io.BytesIO(data) if data else None)
    except ValueError:  # a name this tar format cannot hold: that archive cannot be made
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for info, data in items:
                tar.addfile(info, io.BytesIO(data) if data else None)
    raw = buffer.getvalue()
    packing = draw(st.sampled_from(["gz", "gz", "none", "bz2", "xz"]))
    if packing == "gz":
        import gzip

        raw = gzip.compress(raw, mtime=0)
    elif packing == "bz2":
        import bz2

        raw = bz2.compress(raw)
    elif packing == "xz":
        import lzma

        raw = lzma.compress(raw)
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip", "garbage"]))
    if damage == "truncate" and raw:
        raw = raw[:draw(st.integers(0, len(raw) - 1))]
    elif damage == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:]
    elif damage == "garbage":
        raw = draw(st.binary(max_size=200))
    return raw


def _files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture()
def sandbox(tmp_path: Path) -> Iterator[Path]:
    """A folder whose only other content is a sentinel: nothing may appear beside it."""
    (tmp_path / "sentinel").write_text("x")
    yield tmp_path


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FAST
@given(raw=tarballs(), output=st.sampled_from(["text", "json"]))
def test_bundle_inspect_judges_any_tarball_clearly(
        sandbox: Path, capsys: pytest.CaptureFixture[str], raw: bytes, output: str) -> None:
    from mmplug.cli._errors import run_app
    from mmplug.cli.main import build_app

    work = sandbox / "work"
    work.mkdir(exist_ok=True)
    bundle = work / "b.tar.gz"
    bundle.write_bytes(raw)
    before = _files_under(sandbox)
    code = run_app(build_app(), ["bundle", "inspect", str(bundle), "--format", output])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out, captured.err
    assert code in (0, 1), (code, captured.err)
    assert _files_under(sandbox) == before, "bundle inspect wrote files"
    if output == "json":
        report = json.loads(captured.out)
        assert report["ok"] is (code == 0)
        if not report["ok"]:
            assert report["problems"] or [f for f in report["findings"]
                                          if f["severity"] == "error"]


@pytest.fixture()
def installer(tmp_path: Path) -> Iterator[Any]:
    """InstallPlugin against a real session's plugins (none running), uploads enabled."""
    from mmplug.host.api._registry import ApiContext
    from mmplug.host.api.config import load_server_config, save_server_config
    from mmplug.host.session import Session
    from mmplug.host.store import Store

    store = Store.open(tmp_path / "state" / "state.db")
    with store.tx() as db:
        config = load_server_config(db)
        config["PluginSettings"].update(Enable=True, EnableUploads=True)
        save_server_config(db, config)
    project = tmp_path / "project"
    project.mkdir()
    session = Session([project], store=store)
    yield ApiContext(store, "com.example.caller", None, None, session.plugin_control), session
    session.close()
    store.close()


@FAST
@given(raw=tarballs(), replace=st.booleans())
def test_install_plugin_answers_any_tarball_as_the_server_does(
        sandbox: Path, installer: Any, raw: bytes, replace: bool) -> None:
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.plugins import install_plugin
    from mmplug.protocol import api_kv_config_pb2 as pb

    ctx, session = installer
    root = session.install_root()
    outside = _files_under(sandbox) - {str(p.relative_to(sandbox)) for p in root.rglob("*")
                                       if root.is_relative_to(sandbox)}
    try:
        answer = install_plugin(ctx, pb.InstallPluginRequest(file_data=raw, replace=replace))
    except ApiFailure as failure:
        assert failure.error_id in SERVER_IDS, (failure.error_id, failure.message)
        assert failure.status_code == 400
    else:
        plugin_id = answer.manifest.id.lower()
        assert plugin_id in session.plugins
        assert (root / plugin_id / "plugin.json").is_file()
        session.remove_plugin(plugin_id)  # the next example installs afresh
    now = {str(p.relative_to(sandbox)) for p in sandbox.rglob("*")
           if not (root.is_relative_to(sandbox) and p.is_relative_to(root))}
    assert now - outside <= {"state/state.db-journal", "state/state.db-wal",
                             "state/state.db-shm"}, "InstallPlugin wrote outside its folder"


def _tar(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_install_plugin_installs_a_good_bundle(installer: Any) -> None:
    """The property above is not vacuous: a good bundle is installed."""
    from mmplug.host.api.plugins import install_plugin
    from mmplug.protocol import api_kv_config_pb2 as pb

    ctx, session = installer
    raw = _tar({"com.example.fuzz/plugin.json": json.dumps(MANIFEST).encode(),
                "com.example.fuzz/plugin.py": b"print('hi')\n"})
    answer = install_plugin(ctx, pb.InstallPluginRequest(file_data=raw))
    assert answer.manifest.id == "com.example.fuzz"
    assert "com.example.fuzz" in session.plugins


def test_a_gzip_header_cut_short_is_a_damaged_archive(tmp_path: Path) -> None:
    from mmplug.bundle.inspect import inspect_bundle

    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(b"\x1f\x8b\x08")
    report = inspect_bundle(bundle)
    assert report.problems == ["the archive is damaged or not a tar.gz: the gzip header is "
                               "cut short"]


def test_install_plugin_replaces_what_an_earlier_session_unpacked(installer: Any) -> None:
    from mmplug.host.api.plugins import install_plugin
    from mmplug.protocol import api_kv_config_pb2 as pb

    ctx, session = installer
    leftover = session.install_root() / "com.example.fuzz"
    leftover.mkdir(parents=True)
    (leftover / "stale.txt").write_text("from an earlier session")
    raw = _tar({"com.example.fuzz/plugin.json": json.dumps(MANIFEST).encode(),
                "com.example.fuzz/plugin.py": b"print('hi')\n"})
    install_plugin(ctx, pb.InstallPluginRequest(file_data=raw))
    assert sorted(p.name for p in leftover.iterdir()) == ["plugin.json", "plugin.py"]


def test_install_plugin_refuses_a_bundle_without_its_executable(installer: Any) -> None:
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.plugins import install_plugin
    from mmplug.protocol import api_kv_config_pb2 as pb

    ctx, session = installer
    raw = _tar({"com.example.fuzz/plugin.json": json.dumps(MANIFEST).encode()})
    with pytest.raises(ApiFailure) as caught:
        install_plugin(ctx, pb.InstallPluginRequest(file_data=raw))
    assert caught.value.error_id == "app.plugin.manifest.app_error"
    assert "server.executable: 'plugin.py' does not exist" in caught.value.detailed_error
    assert list(session.install_root().iterdir()) == []
