"""Code gates: ruff over the repository, mypy --strict over the whole package (pyproject's
[tool.mypy]), lean SDK imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")


def test_ruff_is_clean(repo_root: Path) -> None:
    _need("ruff")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise", str(repo_root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=repo_root,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_passes_mypy_strict(repo_root: Path) -> None:
    """mypy --strict over every hand-written module of mmplug (the configuration in
    pyproject.toml: files, the templates left out, the rule for the generated stubs)."""
    _need("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=repo_root,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_mypy_rule_for_generated_stubs_names_each_of_them(repo_root: Path) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

    config = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["mypy"]
    listed = {name for rule in config.get("overrides", []) if rule.get("ignore_errors")
              for name in rule["module"]}
    generated = {f"mmplug.protocol.{p.stem}"
                 for p in (repo_root / "mmplug" / "protocol").glob("*_pb2*.pyi")}
    assert listed == generated


def test_sdk_imports_no_tool_dependencies(repo_root: Path) -> None:
    if not (repo_root / "mmplug" / "sdk" / "__init__.py").exists():
        pytest.skip("mmplug/sdk has not landed")
    code = (
        "import sys, mmplug.sdk; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('typer', 'rich', 'watchfiles', 'cookiecutter', 'click') or "
        "m.startswith(('mmplug.host', 'mmplug.cli', 'mmplug.bundle', 'mmplug.scaffold', "
        "'mmplug.cassette', 'mmplug.devloop'))); print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=repo_root,
    )
    assert result.stdout.strip() == "[]"
