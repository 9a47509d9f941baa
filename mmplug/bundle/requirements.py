"""What a bundle must vendor: the SDK's runtime dependencies and the plugin's own.

The plugin's requirements come from ``requirements.txt`` or, failing that, the
``[project] dependencies`` of its ``pyproject.toml``. A requirement on ``mmplug`` itself is
dropped: the bundle carries the SDK runtime directly, without the tool's CLI dependencies.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from mmplug.errors import BundleError, read_text

SDK_RUNTIME_PACKAGES = ("grpcio", "grpcio-health-checking", "protobuf")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(\s+|=)(.+)$")


@dataclass
class Requirements:
    """Lines for a pip requirements file, and where they came from."""

    lines: list[str] = field(default_factory=list)
    source: str = ""
    dropped: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(f"{line}\n" for line in self.lines)


def canonical(name: str) -> str:
    """A distribution's name as the index compares it (PEP 503: ``My_Pkg.x`` -> ``my-pkg-x``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sdk_requirements() -> list[str]:
    """The SDK's runtime dependencies, pinned to the versions installed here.

    Pinning to what the developer ran their tests with keeps bundles reproducible and ships
    exactly the protobuf runtime the generated code was checked against.
    """
    pins: list[str] = []
    for name in SDK_RUNTIME_PACKAGES:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def plugin_requirements(root: Path) -> Requirements:
    req_file = root / "requirements.txt"
    if req_file.is_file():
        return _from_requirements_txt(req_file)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return _from_pyproject(pyproject)
    return Requirements()


def _keep(req: Requirements, line: str, origin: str) -> None:
    match = _NAME.match(line)
    if match and canonical(match.group(1)) == "mmplug":
        req.dropped.append(f"{origin}: {line.strip()} (the bundle vendors the SDK runtime)")
    else:
        req.lines.append(line)


def _from_requirements_txt(path: Path) -> Requirements:
    req = Requirements(source=path.name)
    for number, raw in enumerate(read_text(path).splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name}:{number}"
        if line.startswith(("-e", "--editable")):
            raise BundleError(
                f"{where}: editable requirement {line!r} cannot be vendored",
                hint="build a wheel of it (`pip wheel`) and pass the directory with --wheelhouse",
            )
        include = _INCLUDE.match(line)
        if include:  # keep nested files working from the temporary requirements file
            nested = (path.parent / include.group(3).strip()).resolve()
            req.lines.append(f"{include.group(1)} {nested}")
            continue
        _keep(req, line, where)
    return req


def _from_pyproject(path: Path) -> Requirements:
    data = _load_toml(path)
    project = data.get("project")
    deps = project.get("dependencies", []) if isinstance(project, dict) else []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise BundleError(
            f"{path.name}: [project] dependencies must be a list of strings",
            hint='e.g. dependencies = ["requests>=2"]',
        )
    req = Requirements(source=f"{path.name} [project] dependencies")
    for dep in deps:
        _keep(req, dep, path.name)
    return req


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            raise BundleError(
                f"reading {path.name} needs Python 3.11 or the tomli package",
                hint="pip install tomli, or list the dependencies in requirements.txt",
            ) from None
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise BundleError(f"{path.name}: invalid TOML: {exc}", hint="fix the syntax") from None
