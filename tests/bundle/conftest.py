"""Fixtures for the bundle tests: one wheelhouse per session, a sample project, one bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from bundle_support import Wheelhouse, build, copy_sample, ensure_wheels, wheel_dir

from mmplug.bundle import BundleResult
from mmplug.bundle.targets import Target, current_platform, current_python


@pytest.fixture(scope="session")
def wheelhouse(request: pytest.FixtureRequest) -> Wheelhouse:
    """Wheels for this machine's platform, downloaded once and kept in the pytest cache."""
    platform, python = current_platform(), current_python()
    target = Target(platform, python)
    dest = wheel_dir(request, f"mmplug-bundle-wheelhouse-{target.tag}")
    error = ensure_wheels(dest, target)
    if error:
        pytest.skip(f"cannot download wheels for {target.tag}: {error}")
    return Wheelhouse(dest, platform, python)


@pytest.fixture(scope="session")
def sample_bundle(wheelhouse: Wheelhouse, tmp_path_factory: pytest.TempPathFactory
                  ) -> BundleResult:
    """The sample plugin, bundled once for the session (offline, from the wheelhouse)."""
    project = copy_sample(tmp_path_factory.mktemp("sample"))
    return build(project, wheelhouse)


@pytest.fixture(scope="session")
def cross_wheelhouse(request: pytest.FixtureRequest) -> tuple[Path, list[Target]]:
    """Wheels for this machine and for the other Linux architecture, in one directory."""
    here = Target(current_platform(), current_python())
    other = "linux-arm64" if here.platform == "linux-amd64" else "linux-amd64"
    targets = [here, Target(other, here.python)]
    dest = wheel_dir(request, "mmplug-bundle-wheelhouse-cross")
    for target in targets:
        error = ensure_wheels(dest, target)
        if error:
            pytest.skip(f"cannot download wheels for {target.tag}: {error}")
    return dest, targets
