"""`mmplug check`: what works under mmplug but not on a real server, found by starting the plugin
(its Implemented hooks) and reading its code (the PluginAPI methods it calls)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

PLUGIN = '''
from mmplug.sdk import Plugin, serve


class Risky(Plugin):
    def on_activate(self):
        raise RuntimeError("check must not activate the plugin")

    def channel_will_be_archived(self, context, channel):  # an extension hook
        return None

    def message_has_been_deleted(self, context, post):  # Mattermost 9.1
        self.api.kv_set_with_options("k", b"v", atomic=True)  # Mattermost 5.20

    def messages_will_be_consumed(self, posts):
        return posts

    def on_configuration_change(self):
        self.api.call("GetPostsSince", channel_id="c", time=0)  # Mattermost 5.6


if __name__ == "__main__":
    serve(Risky)
'''


def _project(tmp_path: Path, min_server_version: str | None, code: str = PLUGIN) -> Path:
    extra = {"min_server_version": min_server_version} if min_server_version else {}
    return write_plugin_project(tmp_path / "risky", "com.example.risky", code, name="Risky",
                                runtime=True, **extra)


def _check(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "check", str(project), "--python",
         sys.executable, *args],
        capture_output=True, text=True, timeout=60, env=_env())


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def _findings(result: subprocess.CompletedProcess[str]) -> dict[tuple[str, str], dict[str, str]]:
    data = json.loads(result.stdout)
    return {(f["kind"], f["subject"]): f for f in data["findings"]}


def test_reports_what_a_real_server_would_not_do_and_fails_for_ci(tmp_path: Path) -> None:
    result = _check(_project(tmp_path, "5.12.0"), "--format", "json")
    assert result.returncode == 1, result.stderr
    found = _findings(result)
    assert found[("extension-hook", "ChannelWillBeArchived")]["severity"] == "warning"
    hook = found[("hook-version", "MessageHasBeenDeleted")]
    assert "9.1" in hook["message"] and "5.12.0" in hook["message"]
    api = found[("api-version", "KVSetWithOptions")]
    assert api["where"] == "plugin.py:13" and "5.20" in api["message"]
    assert found[("ignored-answer", "MessagesWillBeConsumed")]["severity"] == "note"
    assert ("api-version", "GetPostsSince") not in found  # 5.6 <= 5.12
    # Hooks the server calls on 5.12 are not findings.
    assert not any(subject == "OnConfigurationChange" for _, subject in found)


def test_a_newer_server_version_clears_the_version_findings(tmp_path: Path) -> None:
    found = _findings(_check(_project(tmp_path, "5.12.0"), "--server-version", "11.0",
                             "--format", "json"))
    assert ("hook-version", "MessageHasBeenDeleted") not in found
    assert ("api-version", "KVSetWithOptions") not in found
    assert ("extension-hook", "ChannelWillBeArchived") in found  # no version helps here


def test_text_output_names_each_finding_with_its_fix(tmp_path: Path) -> None:
    result = _check(_project(tmp_path, "5.12.0"))
    assert result.returncode == 1
    assert "warning ChannelWillBeArchived" in result.stdout
    assert "a real server never calls ChannelWillBeArchived on a Python plugin" in result.stdout
    assert "fix: raise min_server_version in plugin.json to 9.1" in result.stdout


def test_without_min_server_version_it_says_so_and_checks_no_versions(tmp_path: Path) -> None:
    found = _findings(_check(_project(tmp_path, None), "--format", "json"))
    assert found[("no-version", "min_server_version")]["severity"] == "note"
    assert not any(kind.endswith("-version") for kind, _ in found if kind != "no-version")


def _deactivating_with(line: str) -> str:
    """The sample plugin's code with none of its risky hooks, whose OnDeactivate runs
    ``line`` (at plugin.py line 10)."""
    return PLUGIN.split("    def channel_will_be_archived")[0] + (
        f"    def on_deactivate(self):\n        {line}\n\n\n"
        "if __name__ == '__main__':\n    serve(Risky)\n")


def test_a_method_the_servers_handler_does_not_implement_is_a_warning(tmp_path: Path) -> None:
    """GetPluginID fails on every server version (its handler answers UNIMPLEMENTED): check
    says so, whatever --server-version, and how to get the id instead."""
    code = _deactivating_with("self.id = self.api.get_plugin_id()")
    project = _project(tmp_path, "9.0.0", code)
    result = _check(project, "--server-version", "11.0", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    found = _findings(result)[("api-unimplemented", "GetPluginID")]
    assert found["severity"] == "warning" and found["where"] == "plugin.py:10"
    assert '"GetPluginID not yet implemented"' in found["message"]
    assert "plugin.json" in found["hint"]
    assert "fix: read the id from your plugin.json" in _check(project).stdout


def test_a_method_the_server_does_not_serve_is_a_warning(tmp_path: Path) -> None:
    """A property field call works under mmplug but fails on the server whose code mmplug
    follows (its gRPC API server has no handler for it): check says so, whatever
    --server-version."""
    code = _deactivating_with("self.api.get_property_field('g', 'f')")
    project = _project(tmp_path, "9.0.0", code)
    result = _check(project, "--server-version", "11.0", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    found = _findings(result)[("api-not-served", "GetPropertyField")]
    assert found["severity"] == "warning" and found["where"] == "plugin.py:10"
    assert '"method GetPropertyField not implemented"' in found["message"]
    assert "NotImplementedAPIError" in found["hint"]


def test_a_plugin_that_only_does_what_the_server_does_passes(tmp_path: Path) -> None:
    code = _deactivating_with("self.api.kv_set('k', b'v')")
    result = _check(_project(tmp_path, "9.0.0", code))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing that works only under mmplug" in result.stdout


@pytest.mark.parametrize("transport", [["--tcp"], ["--private"]])
def test_it_runs_the_plugin_over_the_transport_asked_for(tmp_path: Path,
                                                         transport: list[str]) -> None:
    """check starts the plugin like run and fire do: --tcp as the server runs it, --private
    with nothing on loopback; the same findings either way."""
    project = _project(tmp_path, "9.0.0")
    result = _check(project, "--format", "json", "--hook-timeout", "5", *transport)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("extension-hook", "ChannelWillBeArchived") in _findings(result)  # it ran
    both = _check(project, "--tcp", "--private")
    assert both.returncode == 2 and "contradict" in both.stderr


def test_manifest_problems_are_findings(tmp_path: Path) -> None:
    project = _project(tmp_path, "ten")
    result = _check(project, "--format", "json")
    assert result.returncode == 1
    assert ("manifest", "min_server_version") in _findings(result)


@pytest.mark.parametrize("manifest", ["[1, 2]", '{"name": "no id"}'])
def test_a_manifest_without_an_id_is_headed_by_its_file(tmp_path: Path, manifest: str) -> None:
    """The heading names the plugin.json checked when it has no plugin id to show."""
    project = _project(tmp_path, None)
    (project / "plugin.json").write_text(manifest)
    result = _check(project)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{project / 'plugin.json'}: "), result.stdout


@pytest.mark.parametrize("version", ["", "latest"])
def test_a_server_version_that_is_not_one_is_a_usage_error(tmp_path: Path, version: str) -> None:
    result = _check(_project(tmp_path, "9.0.0"), "--server-version", version)
    assert result.returncode == 2
    assert "is not a version" in result.stderr
