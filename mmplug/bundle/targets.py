"""Target platforms and Python versions a bundle carries dependencies for.

A target is ``<os>-<arch>`` (the server's platform naming) plus a CPython ``X.Y``. Its tag,
``linux-amd64-cp311``, names the vendored directory the entry shim picks at run time.
"""

from __future__ import annotations

import platform as _platform
import re
import sys
from dataclasses import dataclass

from mmplug.errors import UsageError

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
_PYTHON = re.compile(r"^3\.(\d{1,2})$")
OLDEST_PYTHON_MINOR = 10  # the SDK runtime needs 3.10


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
    for version in chosen_pythons:
        match = _PYTHON.match(version)
        if not match or int(match.group(1)) < OLDEST_PYTHON_MINOR:
            raise UsageError(
                f"unsupported --python {version!r}",
                hint=f"give a CPython minor version from 3.{OLDEST_PYTHON_MINOR} up, e.g. 3.11",
            )
    return sorted(Target(p, v) for p in chosen_platforms for v in chosen_pythons)
