"""Helpers shared by the bundle tests (the fixtures live in conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmplug.bundle import BundleOptions, BundleResult, build_bundle
from mmplug.bundle.requirements import plugin_requirements, sdk_requirements
from mmplug.bundle.targets import Target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIXTURES / "bundle_sample"


@dataclass(frozen=True)
class Wheelhouse:
    path: Path
    platform: str
    python: str


def download(dest: Path, target: Target, offline: bool) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", "download", "-d", str(dest), *target.pip_args(),
           "--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    if offline:
        cmd += ["--no-index", "--find-links", str(dest)]
    cmd += [*sdk_requirements(), *plugin_requirements(SAMPLE).lines]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=110, check=False)


def copy_sample(dest: Path) -> Path:
    project = dest / "bundle_sample"
    shutil.copytree(SAMPLE, project)
    return project


def build(project: Path, wheelhouse: Wheelhouse, out_dir: Path | None = None,
          **kwargs: object) -> BundleResult:
    options = BundleOptions(project=project, out_dir=out_dir, platforms=[wheelhouse.platform],
                            pythons=[wheelhouse.python], wheelhouse=wheelhouse.path)
    for key, value in kwargs.items():
        setattr(options, key, value)
    return build_bundle(options)




def wheel_dir(request: pytest.FixtureRequest, name: str) -> Path:
    """A wheelhouse folder kept in pytest's cache across runs (downloaded once), or a fresh
    temporary one when the run has no cache (``-p no:cacheprovider``)."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(name))
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    return factory.mktemp(name)


def ensure_wheels(dest: Path, target: Target) -> str:
    """Fill ``dest`` with the sample's wheels for ``target``; return an error text or ""."""
    if download(dest, target, offline=True).returncode == 0:
        return ""
    result = download(dest, target, offline=False)
    return "" if result.returncode == 0 else result.stderr[-500:]
