"""Target platforms and Python versions a bundle carries dependencies for.

A target is ``<os>-<arch>`` (the server's platform naming) plus a CPython ``X.Y``. Its tag,
``linux-amd64-cp311``, names the vendored directory the entry shim picks at run time. The
Python versions come from ``--python``, else from ``server.python_version`` in plugin.json
(see :func:`mmplug.manifest.python_versions`), else the interpreter running mmplug.
"""

from __future__ import annotations

import platform as _platform
import sys
from dataclasses import dataclass
from typing import Any

from mmplug.errors import UsageError
from mmplug.manifest import python_versions, vendorable_pythons

# Oldest glibc we ask wheels for is 2.17 (manylinux2014); newest is 2.28 (Debian 10, RHEL 8).
_GLIBC_MINORS = range(28, 16, -1)


def _manylinux(arch: str) -> tuple[str, ...]:
    return (*(f"manylinux_2_{m}_{arch}" for m in _GLIBC_MINORS), f"manylinux2014_{arch}")


def _macos(arch: str, oldest: int) -> tuple[str, ...]:
    versions = [f"{v}_0" for v in range(14, 10, -1)]
    versions += [f"10_{m}" for m in range(15, oldest - 1, -1)]
    return tuple(f"macosx_{v}_{arch}" for v in versions) + tuple(
        f"macosx_{v}_universal2" for v in versions
    )


PLATFORM_TAGS: dict[str, tuple[str, ...]] = {
    "linux-amd64": _manylinux("x86_64"),
    "linux-arm64": _manylinux("aarch64"),
    "darwin-amd64": _macos("x86_64", 9),
    "darwin-arm64": _macos("arm64", 16),
}
DEFAULT_PLATFORMS = ("linux-amd64", "linux-arm64")


@dataclass(frozen=True, order=True)
class Target:
    platform: str
    python: str

    @property
    def tag(self) -> str:
        return f"{self.platform}-cp{self.python.replace('.', '')}"

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python]
        for tag in PLATFORM_TAGS[self.platform]:
            args += ["--platform", tag]
        return args


def current_platform() -> str:
    machine = _platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"{_platform.system().lower()}-{arch}"


def current_python() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def make_targets(platforms: list[str] | None, pythons: list[str] | None) -> list[Target]:
    """Validate the requested platforms and Python versions; every combination is a target."""
    chosen_platforms = list(dict.fromkeys(platforms or DEFAULT_PLATFORMS))
    chosen_pythons = list(dict.fromkeys(pythons or [current_python()]))
    for plat in chosen_platforms:
        if plat not in PLATFORM_TAGS:
            raise UsageError(
                f"unsupported --platform {plat!r}",
                hint=f"use one of {', '.join(PLATFORM_TAGS)}",
            )
    supported = vendorable_pythons()
    for version in chosen_pythons:
        if version not in supported:
            raise UsageError(
                f"unsupported --python {version!r}",
                hint=f"give a CPython minor version from {supported[0]} to {supported[-1]}, "
                "e.g. 3.11",
            )
    return sorted(Target(p, v) for p in chosen_platforms for v in chosen_pythons)


def plan_pythons(requested: list[str] | None, declared: Any
                 ) -> tuple[list[str], list[str], list[str]]:
    """The CPython versions to vendor for, with warnings and notes: ``--python`` when given
    (a version outside ``server.python_version`` is a warning), else the versions
    ``server.python_version`` names, else the Python running mmplug. ``declared`` must have
    passed manifest validation."""
    current = current_python()
    if declared is None or declared == "":
        if requested:
            return list(requested), [], []
        return [current], [], [
            f"plugin.json has no server.python_version, so the bundle vendors for CPython "
            f"{current} (the Python running mmplug); set it to the Python of the servers you "
            'ship to, e.g. "3.11" or ">=3.10"']
    named = python_versions(declared)
    shown = f"server.python_version {declared!r} (CPython {', '.join(named)})"
    if not requested:
        notes = [] if current in named else [
            f"the bundle vendors for {shown}, not for the Python {current} running mmplug "
            f"(the one your tests ran on)"]
        return named, [], notes
    warnings = [f"--python {version} is outside {shown}: the bundle vendors for it as asked; "
                "add it to python_version if the plugin supports it"
                for version in dict.fromkeys(requested) if version not in named]
    return list(requested), warnings, []
