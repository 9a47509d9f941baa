"""Property tests: no plugin.json, however broken, makes mmplug fail with anything but a clear
ManifestError (never a traceback from mmplug itself).

A valid manifest is taken apart field by field: every field (and field of a field) is replaced
by an arbitrary JSON value (every JSON type, NaN and Infinity included, which Python's parser
takes and Go's refuses), removed, or the whole file by arbitrary text. Then everything the
commands do with a manifest short of starting a process runs on it: the load every command
does (``load_manifest``: the findings, the warnings said at load, the settings), the checks of
``mmplug bundle`` (findings, referenced files, the rewritten manifest, the shim, the Python
versions), the minimum server version check, and the PluginAPI answers built from the manifest
(GetPluginConfig, LoadPluginConfiguration, GetPlugins, GetPluginStatus). Bounded so the suite
stays fast; hypothesis keeps the failing example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_paths import paths, replaced

from mmplug.errors import ManifestError, MmplugError

MANIFEST: dict[str, Any] = {
    "id": "com.example.fuzz",
    "name": "Fuzz",
    "description": "a plugin to take apart",
    "homepage_url": "https://example.com",
    "version": "0.1.0",
    "min_server_version": "9.0.0",
    "icon_path": "assets/icon.svg",
    "server": {
        "executable": "plugin.py",
        "executables": {"linux-amd64": "plugin.py", "darwin-arm64": "plugin.py"},
        "runtime": "python",
        "python_version": ">=3.10",
    },
    "webapp": {"bundle_path": "webapp/dist/main.js"},
    "props": {"a": 1},
    "settings_schema": {
        "header": "h",
        "settings": [
            {"key": "Greeting", "type": "text", "display_name": "Greeting", "default": "Hi",
             "placeholder": "say hi", "secret": True},
            {"key": "Colour", "type": "dropdown", "default": "red",
             "options": [{"display_name": "Red", "value": "red"}]},
        ],
        "sections": [
            {"key": "more", "title": "More",
             "settings": [{"key": "Flag", "type": "bool", "default": False}]},
        ],
    },
}

scalars = (st.none() | st.booleans() | st.integers() | st.text(max_size=20)
           | st.floats(allow_nan=True, allow_infinity=True))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
# strings a path field may hold that bother file systems and path code
hostile_strings = st.sampled_from([
    "", ".", "..", "../x.py", "/etc/passwd", "C:\\x.py", "a\0b.py", "plugin.py\0", "~/x",
    "x" * 300, "dir/", "\\\\server\\share", "plugin.py/..", "é.py", "\ud800",
])
# one JSON type as likely as another, so every field meets every type
any_type = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), hostile_strings,
    st.lists(json_values, max_size=3), st.dictionaries(st.text(max_size=8), json_values,
                                                        max_size=3))


def _project(tmp_path: Path, text: str) -> Path:
    project = tmp_path / "project"
    (project / "assets").mkdir(parents=True, exist_ok=True)
    (project / "plugin.py").write_text("print('hi')\n", encoding="utf-8")
    (project / "assets" / "icon.svg").write_text("<svg/>", encoding="utf-8")
    (project / "plugin.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    return project


def exercise(tmp_path: Path, text: str) -> None:
    """Everything mmplug does with a plugin.json before it starts a process; only a clear
    ManifestError (or BundleError for bundling) may come out."""
    from mmplug.manifest import load_manifest, read_json, validate_manifest

    project = _project(tmp_path, text)
    try:
        data = read_json(project / "plugin.json")
    except ManifestError as exc:
        assert "plugin.json" in exc.message
        return
    for finding in validate_manifest(data):
        assert finding.path and finding.message
        str(finding)
        json.dumps(finding.as_dict())
    _bundle_checks(project, data)
    try:
        manifest = load_manifest(project)
    except ManifestError as exc:
        assert "plugin.json" in exc.message and exc.details
        return
    for warning in manifest.warnings:
        str(warning)
    assert manifest.id and manifest.executable
    manifest.setting_defaults()
    _server_version_check(manifest)
    _api_answers(manifest)


def _bundle_checks(project: Path, data: Any) -> None:
    from mmplug.bundle.build import (
        _bundled_manifest,
        _check_referenced_files,
        check_manifest,
    )
    from mmplug.bundle.files import collect_files
    from mmplug.bundle.shim import shim_source
    from mmplug.bundle.targets import plan_pythons

    try:
        check_manifest(project / "plugin.json", data)
    except ManifestError as exc:
        assert exc.details
        return
    server = data["server"]
    plan_pythons(None, server.get("python_version"))
    try:
        _check_referenced_files(collect_files(project, skip=("plugin.json",)), data)
    except MmplugError as exc:
        assert exc.hint
    json.loads(_bundled_manifest(data))
    compile(shim_source(server["executable"], dict(server.get("executables") or {}),
                        ["cp311-manylinux_2_17_x86_64"]), "shim", "exec")
    assert f"{str(data['id']).lower()}-{data['version']}.tar.gz".count("/") == 0


def _server_version_check(manifest: Any) -> None:
    from mmplug.host.session import PluginHandle, Session
    from mmplug.host.store import Store

    session = Session([manifest.plugin_dir], store=Store.open(":memory:"))
    try:
        session._check_server_version(PluginHandle(manifest.id, manifest))
    except ManifestError as exc:
        assert "min_server_version" in exc.message
    finally:
        session.store.close()


def _api_answers(manifest: Any) -> None:
    from mmplug.host.api import config, plugins
    from mmplug.host.api._registry import ApiContext, PluginInfo
    from mmplug.host.store import Store
    from mmplug.protocol import api_kv_config_pb2 as pb

    store = Store.open(":memory:")
    try:
        ctx = ApiContext(store, manifest.id, manifest, None, None)
        with store.tx() as db:
            config.save_plugin_settings(db, manifest.id, {"Greeting": "saved"})
        config.get_plugin_config(ctx, pb.GetPluginConfigRequest())
        loaded = config.load_plugin_configuration(ctx, pb.LoadPluginConfigurationRequest())
        document = json.loads(loaded.config_json, parse_constant=_refuse_constant)
        assert document["greeting"] == "saved"
        info = PluginInfo(manifest.id, dict(manifest.raw), str(manifest.plugin_dir), 2)
        plugins._manifest_message(info.manifest)
    finally:
        store.close()


def _refuse_constant(name: str) -> float:
    raise AssertionError(f"the plugin got {name} in JSON, which Go's decoder refuses")


FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(data=st.data(), new=any_type, remove=st.booleans())
def test_any_field_replaced_is_loaded_or_refused_clearly(
        tmp_path: Path, data: st.DataObject, new: Any, remove: bool) -> None:
    path = data.draw(st.sampled_from(paths(MANIFEST)))
    broken = replaced(MANIFEST, path, new, remove and bool(path))
    exercise(tmp_path, json.dumps(broken))


@FAST
@given(a=st.sampled_from(paths(MANIFEST)[1:]), b=st.sampled_from(paths(MANIFEST)[1:]),
       new_a=any_type, new_b=any_type)
def test_two_fields_replaced_are_loaded_or_refused_clearly(
        tmp_path: Path, a: tuple[Any, ...], b: tuple[Any, ...], new_a: Any, new_b: Any) -> None:
    broken = replaced(MANIFEST, a, new_a, False)
    try:
        broken = replaced(broken, b, new_b, False)
    except (KeyError, IndexError, TypeError):
        pass  # the first change removed the second's place
    exercise(tmp_path, json.dumps(broken))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_text_as_the_manifest_is_refused_clearly(tmp_path: Path, text: str) -> None:
    exercise(tmp_path, text)


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_as_the_server_refuses_them(
        tmp_path: Path, word: str) -> None:
    from mmplug.manifest import load_manifest

    text = json.dumps(MANIFEST, indent=1).replace('"default": "Hi"', f'"default": {word}')
    line = text[:text.index(word)].count("\n") + 1
    project = _project(tmp_path, text)
    with pytest.raises(ManifestError) as caught:
        load_manifest(project)
    message = caught.value.message
    assert f"invalid JSON at line {line}, column" in message
    assert f"{word} is not a JSON value" in message


@pytest.mark.parametrize("field", [("server", "executable"),
                                   ("server", "executables", "linux-amd64")])
def test_a_nul_character_in_the_executable_is_refused_at_load(
        tmp_path: Path, field: tuple[str, ...]) -> None:
    from mmplug.manifest import load_manifest

    project = _project(tmp_path, json.dumps(replaced(MANIFEST, field, "plugin\0.py", False)))
    with pytest.raises(ManifestError) as caught:
        load_manifest(project)
    assert f"{'.'.join(field)}: 'plugin\\x00.py' contains a NUL character" in \
        caught.value.details
