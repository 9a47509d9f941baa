"""The slice of mmplug a bundle ships: ``mmplug/sdk`` and ``mmplug/protocol``, nothing else.

A minimal ``mmplug/__init__.py`` is written in place of the tool's own, so a plugin in
production never imports the CLI, rich, typer or watchfiles. Every shipped module is checked
to import nothing from the rest of mmplug.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mmplug.bundle.tarball import Entry
from mmplug.errors import BundleError

SHIPPED_PACKAGES = ("sdk", "protocol")
_SKIP_SUFFIXES = (".pyc", ".pyo", ".pyi", ".proto")


def _package_root() -> Path:
    import mmplug

    return Path(mmplug.__file__).resolve().parent


def init_source() -> bytes:
    from mmplug import __version__

    return (
        '"""mmplug SDK runtime, vendored into this plugin bundle by `mmplug bundle`."""\n\n'
        f'__version__ = "{__version__}"\n'
    ).encode()


def sdk_entries(prefix: str) -> list[Entry]:
    """Entries for the SDK runtime, stored under ``<prefix>/mmplug/``."""
    root = _package_root()
    if not (root / "sdk" / "__init__.py").is_file():
        raise BundleError(
            f"this mmplug installation has no SDK runtime ({root / 'sdk'} is missing)",
            hint="reinstall mmplug; the bundle must carry mmplug.sdk for the plugin to run",
        )
    entries = [Entry(f"{prefix}/mmplug/__init__.py", data=init_source())]
    for package in SHIPPED_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in _SKIP_SUFFIXES:
                continue
            rel = path.relative_to(root).as_posix()
            if path.suffix == ".py":
                _check_imports(path, rel)
            entries.append(Entry(f"{prefix}/mmplug/{rel}", source=path))
    return entries


def _imported_modules(node: ast.AST, package: list[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module.split(".") if node.module else []
    if node.level:
        base = package[: len(package) - node.level + 1] + base
    module = ".".join(base)
    if module == "mmplug":  # `from mmplug import x`: x is a submodule or __version__
        return [f"mmplug.{alias.name}" for alias in node.names if alias.name != "__version__"]
    return [module]


def _check_imports(path: Path, rel: str) -> None:
    package = ["mmplug", *rel.split("/")[:-1]]
    tree = ast.parse(path.read_bytes(), filename=str(path))
    for node in ast.walk(tree):
        for name in _imported_modules(node, package):
            parts = name.split(".")
            if parts[0] == "mmplug" and (len(parts) < 2 or parts[1] not in SHIPPED_PACKAGES):
                raise BundleError(
                    f"mmplug/{rel} imports {name}, which a bundle does not ship",
                    hint="the SDK runtime may import only mmplug.sdk and mmplug.protocol; "
                    "this is a bug in mmplug, please report it",
                )
