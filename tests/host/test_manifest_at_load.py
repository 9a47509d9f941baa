"""Every command that runs a plugin checks its plugin.json when it loads it, with the one
validator `mmplug bundle` uses: an error (nothing starts) where the server refuses the plugin,
a warning in the same words where the server would still run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mmplug.errors import ManifestError
from mmplug.host.session import Session
from mmplug.manifest import validate_manifest

REPO = Path(__file__).resolve().parents[2]
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"
CASSETTE = REPO / "fixtures" / "cassettes" / "parrot.jsonl"

# (what, change to plugin.json, JSON path of the finding); the server refuses each of these:
# it cannot decode the manifest into its types, or cannot parse min_server_version at activation
REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("min_server_version not semver", {"min_server_version": "ten"}, "min_server_version"),
    ("settings_schema a string", {"settings_schema": "settings"}, "settings_schema"),
    ("settings a number", {"settings_schema": {"settings": 5}}, "settings_schema.settings"),
    ("a section a string", {"settings_schema": {"sections": ["a"]}},
     "settings_schema.sections[0]"),
    ("a list as a setting key",
     {"settings_schema": {"settings": [{"key": ["a"], "type": "text"}]}},
     "settings_schema.settings[0].key"),
    ("version a number", {"version": 1.0}, "version"),
]
# the server runs these (it does not call Manifest.IsValid at install or activation)
ACCEPTED: list[tuple[str, dict[str, Any], str]] = [
    ("version not semver", {"version": "1.0"}, "version"),
    ("setting type txt",
     {"settings_schema": {"settings": [{"key": "Greeting", "type": "txt", "default": "Hi"}]}},
     "settings_schema.settings[0].type"),
]


def _plugin(tmp_path: Path, change: dict[str, Any]) -> Path:
    target = tmp_path / "parrot"
    shutil.copytree(PARROT, target, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    data = json.loads((target / "plugin.json").read_text())
    data.update(change)
    (target / "plugin.json").write_text(json.dumps(data))
    return target


def _finding(plugin: Path) -> str:
    """The words the validator (and so `mmplug bundle`) uses for the one finding."""
    [finding] = validate_manifest(json.loads((plugin / "plugin.json").read_text()))
    return str(finding)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def mmplug(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
           ) -> Callable[..., CliResult]:
    """``mmplug ARGS`` in this process (wide output: one line per message)."""
    from mmplug.cli._errors import run_app
    from mmplug.cli.main import app

    monkeypatch.setenv("COLUMNS", "500")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = run_app(app, list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.mark.parametrize(("change", "path"), [(c, p) for _, c, p in REFUSED],
                         ids=[name for name, _, _ in REFUSED])
def test_fire_and_bundle_refuse_it_in_the_same_words(
        tmp_path: Path, mmplug: Callable[..., CliResult], change: dict[str, Any],
        path: str) -> None:
    plugin = _plugin(tmp_path, change)
    words = _finding(plugin)
    assert words.startswith(f"{path}: ")
    fired = mmplug("fire", "OnActivate", str(plugin), "--python", sys.executable)
    assert fired.code == 1
    assert f"{plugin / 'plugin.json'}: 1 problem(s) in the manifest" in fired.err
    assert f"  {words}\n" in fired.err
    assert "the server would refuse this plugin" in fired.err
    assert "Traceback" not in fired.err
    bundled = mmplug("bundle", str(plugin))
    assert bundled.code == 1 and f"  {words}\n" in bundled.err


@pytest.mark.parametrize(("change", "path"), [(c, p) for _, c, p in ACCEPTED],
                         ids=[name for name, _, _ in ACCEPTED])
def test_fire_warns_where_the_server_would_run_it_and_bundle_refuses(
        tmp_path: Path, mmplug: Callable[..., CliResult], change: dict[str, Any],
        path: str) -> None:
    plugin = _plugin(tmp_path, change)
    words = _finding(plugin)
    fired = mmplug("fire", "OnActivate", str(plugin), "--python", sys.executable)
    assert fired.code == 0, fired.out + fired.err
    assert f"warning: plugin.json: {words} (mmplug bundle refuses this)" in fired.out
    as_json = mmplug("fire", "OnActivate", str(plugin), "--python", sys.executable,
                     "--output", "json")
    document = json.loads(as_json.out)
    assert document["ok"] and document["warnings"] == [
        f"plugin.json: {words} (mmplug bundle refuses this)"]
    bundled = mmplug("bundle", str(plugin))
    assert bundled.code == 1 and f"  {words}\n" in bundled.err


def test_run_and_dev_refuse_it_before_starting_anything(
        tmp_path: Path, mmplug: Callable[..., CliResult]) -> None:
    plugin = _plugin(tmp_path, {"settings_schema": {"settings": 5}})
    words = _finding(plugin)
    ran = mmplug("run", str(plugin), "--python", sys.executable, "--store", ":memory:")
    assert ran.code == 1 and f"  {words}\n" in ran.err
    with pytest.raises(ManifestError) as caught:
        # the session as the dev loop composes it: plugins that fail to start do not stop it
        Session([plugin], store=":memory:", python=sys.executable, keep_going=True).start()
    assert f"  {words}" in caught.value.details


def test_dev_refuses_it_from_the_command_line(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path, {"min_server_version": "ten"})
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    done = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "dev", "--plain",
                           "--python", sys.executable], cwd=plugin, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"  {_finding(plugin)}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("keep_going", [False, True], ids=["Session", "as-the-dev-loop"])
def test_a_session_logs_each_warning_once_across_reloads(
        tmp_path: Path, keep_going: bool) -> None:
    plugin = _plugin(tmp_path, {"version": "1.0"})
    words = _finding(plugin)
    with Session([plugin], store=":memory:", python=sys.executable,
                 keep_going=keep_going) as session:
        session.reload(session.plugin().id)
        assert session.plugin().state == "active"
    said = [r.message for r in session.logs if r.level == "warn" and words in r.message]
    assert said == [f"plugin.json: {words} (mmplug bundle refuses this)"]


def test_replay_refuses_it(tmp_path: Path) -> None:
    from mmplug.cassette.replay import replay_cassette

    plugin = _plugin(tmp_path, {"settings_schema": {"sections": ["a"]}})
    with pytest.raises(ManifestError) as caught:
        replay_cassette(CASSETTE, plugin, python=sys.executable)
    assert f"  {_finding(plugin)}" in caught.value.details


def test_the_pytest_plugin_reports_errors_and_warnings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "FORCE_COLOR")}
    test = ("def test_it(plugin):\n"
            "    assert plugin.fire('OnActivate').ok\n")
    refused = _plugin(tmp_path / "refused", {"settings_schema": "settings"})
    accepted = _plugin(tmp_path / "accepted", {"version": "1.0"})
    for plugin in (refused, accepted):
        (plugin / "test_it.py").write_text(test)
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py"]
    failed = subprocess.run(run, cwd=refused, env=env, capture_output=True, text=True,
                            timeout=110)
    assert failed.returncode == 1
    assert "did not start" in failed.stdout and _finding(refused) in failed.stdout
    passed = subprocess.run(run, cwd=accepted, env=env, capture_output=True, text=True,
                            timeout=110)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "MmplugLoadWarning" in passed.stdout
    assert _finding(accepted) in " ".join(passed.stdout.split())


def test_a_plugin_needing_a_newer_server_is_refused_like_activation(
        tmp_path: Path, mmplug: Callable[..., CliResult]) -> None:
    plugin = _plugin(tmp_path, {"min_server_version": "99.0.0"})
    fired = mmplug("fire", "OnActivate", str(plugin), "--python", sys.executable)
    assert fired.code == 1
    assert ("plugin com.example.parrot requires Mattermost 99.0.0 (min_server_version in "
            "plugin.json); the fake host is Mattermost 10.5.0") in fired.err
    fine = _plugin(tmp_path / "fine", {"min_server_version": "10.5.0"})
    assert mmplug("fire", "OnActivate", str(fine), "--python", sys.executable).code == 0


MALFORMED_SCHEMAS: list[tuple[Any, dict[str, Any]]] = [
    ("settings", {}), (5, {}), ([], {}), ({"settings": 5}, {}), ({"settings": "a"}, {}),
    ({"settings": [5, "x", None]}, {}),
    ({"settings": [{"key": ["a"], "default": 1}, {"key": 3, "default": 2}]}, {}),
    ({"sections": ["a"]}, {}), ({"sections": 5}, {}), ({"sections": [{"settings": 7}]}, {}),
    ({"settings": [{"key": "Good", "default": "yes"}], "sections": [None, {"settings": [
        {"key": {"x": 1}, "default": 0}, {"key": "Inner", "default": 3}]}]},
     {"Good": "yes", "Inner": 3.0}),
]


@pytest.mark.parametrize(("schema", "expected"), MALFORMED_SCHEMAS,
                         ids=[repr(s) for s, _ in MALFORMED_SCHEMAS])
def test_the_config_emulation_never_crashes_on_a_schema(
        tmp_path: Path, schema: Any, expected: dict[str, Any]) -> None:
    """Loading refuses these; a manifest handed to the host directly must not crash it: the
    well-formed settings keep their defaults, the rest is skipped."""
    sys.path.insert(0, str(REPO / "tests" / "host" / "api"))
    try:
        from worldhost import PLUGIN_ID, start_host
    finally:
        sys.path.pop(0)
    from google.protobuf import json_format

    from mmplug.manifest import Manifest
    from mmplug.protocol import api_kv_config_pb2 as pb

    raw = {"id": PLUGIN_ID, "name": "T", "version": "1.0.0", "settings_schema": schema}
    manifest = Manifest(tmp_path / "plugin.json", PLUGIN_ID, "T", "1.0.0", "plugin.py",
                        "python", raw)
    with start_host(manifest=manifest) as host:
        got = host.api.GetPluginConfig(pb.GetPluginConfigRequest())
        assert not got.error.id  # only what was saved (nothing here), as on the server
        assert json_format.MessageToDict(got.config) == {}
        loaded = host.api.LoadPluginConfiguration(pb.LoadPluginConfigurationRequest())
        assert not loaded.error.id
        assert json.loads(loaded.config_json) == {k.lower(): v for k, v in expected.items()}
        assert not host.api.GetConfig(pb.GetConfigRequest()).error.id


def test_an_executable_name_too_long_for_the_file_system_is_refused_clearly(
        tmp_path: Path, mmplug: Callable[..., CliResult]) -> None:
    """The file system refuses the name itself (ENAMETOOLONG, not a missing file): the same
    kind of finding, naming the field and the reason, instead of an OSError."""
    name = "x" * 300 + ".py"
    plugin = _plugin(tmp_path, {"server": {"executable": name, "runtime": "python"}})
    with pytest.raises(ManifestError) as caught:
        Session([plugin], store=":memory:").start()
    assert "server.executable" in caught.value.render()
    assert "cannot be opened: File name too long" in caught.value.render()
    done = mmplug("fire", "OnActivate", str(plugin))
    assert done.code != 0 and "cannot be opened: File name too long" in done.err
    assert "Traceback" not in done.out + done.err
