"""Every template, end to end: generate with --no-input, its own tests pass, OnActivate
succeeds under the fake host, and the real go-plugin client accepts the plugin."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from scaffold_support import REPO, TEMPLATE_NAMES

CONFORMANCE = REPO / ".." / "shared" / "conformance"


@pytest.fixture(scope="module", params=TEMPLATE_NAMES)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mmplug.scaffold import create_project

    parent = tmp_path_factory.mktemp(f"tpl-{request.param}")
    return create_project("com.example.demo", template=request.param, parent=parent,
                          answers={"author": "Test", "version": "1.2.3", **TRICKY}).path


# quotes, a backslash, markup and non-ASCII: must stay valid JSON and Python everywhere
TRICKY = {"plugin_name": 'O\'Brien "Demo"', "description": 'Says "hi" \\ to <b>café</b>'}


def test_answers_with_quotes_are_kept_exactly(project: Path) -> None:
    manifest = json.loads((project / "plugin.json").read_text())
    assert (manifest["name"], manifest["description"]) == (TRICKY["plugin_name"],
                                                            TRICKY["description"])


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_generated_tests_pass(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=project, capture_output=True, text=True, timeout=110, env=_env())
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_the_readme_fire_replay_and_check_commands_succeed(project: Path) -> None:
    """Every `mmplug fire|replay|check ...` line of the generated README works (check: the
    project has nothing that works only under mmplug)."""
    if importlib.util.find_spec("mmplug.cli.fire") is None:
        pytest.skip("mmplug fire is not available in this checkout")
    lines = [line.split("  #")[0].strip() for line in (project / "README.md").read_text()
             .splitlines() if line.startswith(("mmplug fire ", "mmplug replay ", "mmplug check"))]
    assert "mmplug fire OnActivate" in lines and "mmplug check" in lines and len(lines) >= 4
    for line in lines:
        args = shlex.split(line)[1:]
        done = subprocess.run(
            [sys.executable, "-m", "mmplug.cli.main", *args, "--python", sys.executable],
            cwd=project, capture_output=True, text=True, timeout=60, env=_env())
        assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"


@pytest.mark.conformance
def test_the_real_go_plugin_client_accepts_it(project: Path) -> None:
    run_sh = CONFORMANCE / "run.sh"
    if not run_sh.is_file():
        pytest.skip(f"the go-plugin conformance harness is not here ({CONFORMANCE})")
    done = subprocess.run(
        [str(run_sh), "-method", "/mattermost.pluginapi.v1.PluginHooks/Implemented",
         "-payload-hex", "", "--",
         sys.executable, "plugin.py"],
        cwd=project, capture_output=True, text=True, timeout=110, env=_env())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_docs_testing_example_runs_on_the_bot_template(project: Path) -> None:
    """The first example of docs/testing.md, run in a project made from the bot template."""
    if json.loads((project / ".mmplug-answers.json").read_text())["template"] != "bot":
        pytest.skip("the example is written for the bot template")
    docs = (REPO / "docs" / "testing.md").read_text()
    example = docs.split("```python\n", 1)[1].split("```", 1)[0]
    (project / "tests" / "test_docs_example.py").write_text(example)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "tests/test_docs_example.py"],
            cwd=project, capture_output=True, text=True, timeout=110, env=_env())
    finally:
        (project / "tests" / "test_docs_example.py").unlink()
    assert done.returncode == 0, done.stdout[-3000:]
