"""A plugin id whose last part names a standard-library module or a package the plugin and its
tests import (``com.example.logging``, ``com.acme.http``) gives a project that works: its
package is renamed, with a note; a package name given explicitly that would hide one is refused.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.scaffold import create_project, package_name
from mmplug.scaffold._ids import dependency_modules, shadowed_module


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "FORCE_COLOR")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.mark.parametrize(("plugin_id", "template", "package"), [
    ("com.example.logging", "minimal", "logging_plugin"),
    ("com.acme.http", "http", "http_plugin"),
])
def test_the_project_scaffolds_tests_and_fires(tmp_path: Path, plugin_id: str, template: str,
                                               package: str) -> None:
    project = create_project(plugin_id, template=template, parent=tmp_path)
    hidden = package.removesuffix("_plugin")
    assert project.answers["package_name"] == package
    assert (project.path / package / "plugin.py").is_file()
    assert not (project.path / hidden).exists()
    assert any(f"package {hidden}/ in the plugin directory would hide the standard library's "
               f"{hidden} module" in w for w in project.warnings)
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=project.path, capture_output=True, text=True, timeout=110,
                            env=_env())
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert " passed" in tested.stdout
    fired = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "fire", "OnActivate",
                            "--python", sys.executable, "--output", "json"],
                           cwd=project.path, capture_output=True, text=True, timeout=60,
                           env=_env())
    assert fired.returncode == 0, fired.stdout + fired.stderr
    assert json.loads(fired.stdout)["ok"] is True


def test_the_cli_says_why_the_package_is_renamed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mmplug.cli.main", "new", "com.example.logging",
                           "--no-input", "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, env=_env())
    assert done.returncode == 0, done.stderr
    assert ("warning: the plugin's package is logging_plugin, not logging: a package logging/ "
            "in the plugin directory would hide the standard library's logging module"
            in " ".join(done.stderr.split()))
    made = tmp_path / "com.example.logging"
    assert "from logging_plugin.plugin import LoggingPlugin" in (made / "plugin.py").read_text()


def test_interactive_new_renames_too(mmplug, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mmplug.cli.new._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("Logging\n\nLogs things\nJane\nminimal\n"))
    result = mmplug("new", "-o", str(tmp_path))
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "com.example.logging" / ".mmplug-answers.json").read_text())
    assert record["answers"]["package_name"] == "logging_plugin"
    assert "would hide the standard library's logging module" in result.err


@pytest.mark.parametrize(("name", "what"), [
    ("logging", "the standard library's logging module"),
    ("http", "the standard library's http module"),
    ("grpc", "the grpc package of grpcio"),
    ("google", "the google package of protobuf"),
    ("aiohttp", "aiohttp, which the plugin or its tests import"),
])
def test_an_explicit_package_name_that_hides_a_module_is_refused(
        mmplug, tmp_path: Path, name: str, what: str) -> None:
    result = mmplug("new", "com.example.fine", "--no-input", "-o", str(tmp_path),
                    "--set", f"package_name={name}")
    assert result.code == 2
    assert f"package_name {name!r} would hide {what}" in result.err
    assert f"--set package_name={name}_plugin" in result.err
    assert not (tmp_path / "com.example.fine").exists()


def test_names_come_from_the_installed_dependencies_not_a_fixed_list() -> None:
    modules = dependency_modules()
    # the SDK's runtime, the tool's own, and what they pull in (yarl comes with aiohttp)
    for name in ("grpc", "grpc_health", "google", "mmplug", "aiohttp", "yarl", "pytest",
                 "_pytest", "typer", "rich"):
        assert name in modules, name
    assert shadowed_module("weather") is None
    assert package_name("com.example.yarl") == "yarl_plugin"
    assert package_name("com.example.weather") == "weather"
    assert package_name("com.example.asyncio") == "asyncio_plugin"
