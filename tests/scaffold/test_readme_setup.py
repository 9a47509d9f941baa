"""The generated README's set-up line installs something pip can install: the mmplug the project
was made with (a checkout, a wheel, a URL), or a release from the package index."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scaffold_support import REPO, TEMPLATE_NAMES

from mmplug._self_install import pip_install_args
from mmplug.scaffold import create_project


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_ADDOPTS", "FORCE_COLOR", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _setup_lines(readme: str) -> list[str]:
    """The commands of the README's set-up block (the one that makes the venv)."""
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    [block] = [b for b in blocks if "python3 -m venv venv" in b]
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_the_readme_installs_this_mmplug(tmp_path: Path, template: str) -> None:
    project = create_project("com.example.demo", template=template, parent=tmp_path).path
    lines = _setup_lines((project / "README.md").read_text())
    assert lines == ["python3 -m venv venv",
                     f"venv/bin/pip install -e {shlex.quote(str(REPO))} pytest -r requirements.txt",
                     ". venv/bin/activate"]
    assert "pip install -r requirements.txt" not in (project / "README.md").read_text()


def test_the_readme_line_resolves_in_a_throw_away_venv(tmp_path: Path) -> None:
    """Run the set-up block, with pip in --dry-run --no-deps mode (no downloads of grpc & co)."""
    project = create_project("com.example.demo", parent=tmp_path).path
    lines = _setup_lines((project / "README.md").read_text())
    python3 = shutil.which("python3") or sys.executable
    made = subprocess.run([python3, "-m", "venv", "venv"], cwd=project, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    pip = shlex.split(lines[1])
    assert pip[:2] == ["venv/bin/pip", "install"]
    done = subprocess.run([str(project / pip[0]), *pip[1:], "--dry-run", "--no-deps"],
                          cwd=project, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    would = done.stdout.split("Would install", 1)[1].split()
    assert [p.rsplit("-", 1)[0] for p in would] == ["mmplug", "pytest"]  # mmplug: that one


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_readme_set_up_gives_a_project_that_tests_and_fires(tmp_path: Path) -> None:
    """For real: the venv the README makes runs the project's tests and `mmplug fire`, with no
    other mmplug in reach (the plugin's venv/ is the interpreter the fake host picks)."""
    project = create_project("com.example.logging", parent=tmp_path).path
    lines = _setup_lines((project / "README.md").read_text())
    python3 = shutil.which("python3") or sys.executable
    assert subprocess.run([python3, "-m", "venv", "venv"], cwd=project, env=_env(),
                          timeout=120).returncode == 0
    pip = shlex.split(lines[1])
    done = subprocess.run([str(project / pip[0]), *pip[1:], "-q"], cwd=project, env=_env(),
                          capture_output=True, text=True, timeout=500)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    venv_bin = project / "venv" / "bin"
    env = {**_env(), "PATH": f"{venv_bin}{os.pathsep}/usr/bin:/bin",  # as if activated
           "VIRTUAL_ENV": str(project / "venv")}
    tested = subprocess.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    fired = subprocess.run(["mmplug", "fire", "OnActivate", "--output", "json"], cwd=project,
                           env=env, capture_output=True, text=True, timeout=120)
    assert fired.returncode == 0, fired.stdout + fired.stderr
    assert '"ok": true' in fired.stdout and '"warnings"' not in fired.stdout


@pytest.mark.slow
def test_an_installed_wheel_names_itself_and_a_release_the_index(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(REPO / "mmplug", src / "mmplug", symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "templates", src / "templates", ignore=ignore)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=110, env=_env())
    if built.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {built.stderr.strip()[-300:]}")
    [wheel] = list((tmp_path / "dist").glob("*.whl"))
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
         str(wheel)], capture_output=True, text=True, timeout=110, env=_env())
    assert installed.returncode == 0, installed.stderr
    ask = ["-c", "from mmplug._self_install import pip_install_args; print(pip_install_args())"]
    env = {**_env(), "PYTHONPATH": str(site)}
    said = subprocess.run([sys.executable, *ask], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert said.stdout.strip() == shlex.quote(str(wheel)), said.stderr
    check = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                            *shlex.split(said.stdout)], capture_output=True, text=True,
                           timeout=110, env=_env())
    assert check.returncode == 0 and "Would install mmplug-" in check.stdout, check.stderr
    for direct in site.glob("mmplug-*.dist-info/direct_url.json"):
        direct.unlink()  # as a copy from the package index has it
    said = subprocess.run([sys.executable, *ask], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    import mmplug

    assert said.stdout.strip() == f"mmplug=={mmplug.__version__}", said.stderr


def test_a_checkout_gives_an_editable_install() -> None:
    assert pip_install_args() == f"-e {shlex.quote(str(REPO))}"
