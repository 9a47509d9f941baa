"""Plugin ids and the names derived from them, checked the way the server checks them.

A plugin's package sits in the plugin directory, which is first on ``sys.path`` when the plugin
runs (``python plugin.py``) and when its tests run (``pythonpath = ["."]``). A package named like
a standard-library module (``logging``, ``http``) or like a top-level package of what the plugin
and its tests import (``grpc``, ``google``, ``mmplug``, ``aiohttp``, ``pytest``, ...) would hide
that module: the plugin dies at start and pytest cannot even import. So a package name derived
from the id is renamed (``logging`` -> ``logging_plugin``, with a note), and one given
explicitly is refused. The dependency names are read from the installed distributions
(mmplug's requirements and pytest's, recursively), not from a list kept by hand.
"""

from __future__ import annotations

import functools
import keyword
import re
import sys

from mmplug.errors import UsageError
from mmplug.manifest import ID_MAX, ID_MIN, ID_PATTERN

RESERVED_PACKAGES = frozenset({"plugin", "tests", "test", "fixtures", "mmplug", "venv"})
# The distributions whose modules a plugin process or its tests import; their requirements are
# followed too. pytest runs the generated project's tests.
_ROOTS = ("mmplug", "pytest")


def check_plugin_id(plugin_id: str) -> list[str]:
    """Raise :class:`UsageError` for an id the server rejects; return warnings otherwise."""
    if not plugin_id:
        raise UsageError("the plugin id is empty", hint="pass an id like com.example.hello")
    if not ID_PATTERN.match(plugin_id):
        bad = sorted({c for c in plugin_id if not re.match(r"[a-zA-Z0-9_.-]", c)})
        shown = " ".join(repr(c) for c in bad)
        raise UsageError(
            f"invalid plugin id {plugin_id!r}: it contains {shown}",
            hint="a plugin id uses only letters, digits, '-', '_' and '.', "
            "e.g. com.example.hello",
        )
    if not ID_MIN <= len(plugin_id) <= ID_MAX:
        raise UsageError(
            f"invalid plugin id {plugin_id!r}: it has {len(plugin_id)} characters",
            hint=f"a plugin id has {ID_MIN} to {ID_MAX} characters",
        )
    warnings: list[str] = []
    if plugin_id != plugin_id.lower():
        warnings.append(
            f"plugin id {plugin_id!r} has upper-case letters; the server lower-cases ids "
            f"(it will be known as {plugin_id.lower()!r}), so prefer the lower-case form"
        )
    return warnings


def package_name(plugin_id: str) -> str:
    """A Python package name for the plugin: the id's last part, as an identifier, renamed
    (``<name>_plugin``) when it would be a keyword or hide another module."""
    return derive_package_name(plugin_id)[0]


def derive_package_name(plugin_id: str) -> tuple[str, str]:
    """``(package name, note)``: the note says why the name is not the id's last part (empty
    when it is)."""
    parts = [p for p in plugin_id.lower().split(".") if p]
    last = parts[-1] if parts else plugin_id.lower()
    name = re.sub(r"[^a-z0-9_]", "_", last).strip("_") or "plugin"
    name = re.sub(r"_+", "_", name)
    if name[0].isdigit():
        name = f"p_{name}"
    if keyword.iskeyword(name) or name in RESERVED_PACKAGES:
        return f"{name}_plugin", ""
    hidden = shadowed_module(name)
    if hidden is None:
        return name, ""
    renamed = f"{name}_plugin"
    while shadowed_module(renamed) is not None:
        renamed += "_"
    return renamed, (f"the plugin's package is {renamed}, not {name}: a package {name}/ in the "
                     f"plugin directory would hide {hidden} (pass --set package_name=... to "
                     "choose another name)")


def check_package_identifier(name: str) -> str:
    """A package name that can be a folder of the plugin and be imported: an identifier that
    is not a keyword nor a name the project uses for something else."""
    if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED_PACKAGES:
        raise UsageError(
            f"invalid package_name {name!r}",
            hint="use a Python identifier that is not 'plugin', 'tests' or a keyword",
        )
    return name


def check_package_name(name: str) -> str:
    """A new project's package name: an identifier that hides no module either."""
    check_package_identifier(name)
    hidden = shadowed_module(name)
    if hidden is not None:
        raise UsageError(
            f"package_name {name!r} would hide {hidden}: the plugin directory comes first on "
            f"sys.path, so `import {name}` would find the plugin's package instead",
            hint=f"choose another name, e.g. --set package_name={name}_plugin",
        )
    return name


def shadowed_module(name: str) -> str | None:
    """What a top-level package ``name`` in the plugin directory would hide, or None."""
    if name in sys.stdlib_module_names:
        return f"the standard library's {name} module"
    owner = dependency_modules().get(name)
    if owner is not None:
        return (f"the {name} package of {owner}, which the plugin or its tests import"
                if owner != name else f"{name}, which the plugin or its tests import")
    return None


@functools.lru_cache(maxsize=1)
def dependency_modules() -> dict[str, str]:
    """Top-level module name -> distribution, for mmplug, pytest and everything they require
    (recursively, extras left out), as installed here."""
    from importlib import metadata

    from mmplug.bundle.requirements import canonical

    wanted: dict[str, None] = {}
    todo = list(_ROOTS)
    while todo:
        name = canonical(todo.pop())
        if name in wanted:
            continue
        wanted[name] = None
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra" in requirement.partition(";")[2]:
                continue
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match:
                todo.append(match.group(1))
    modules = {"mmplug": "mmplug"}
    for module, owners in metadata.packages_distributions().items():
        for owner in owners:
            if canonical(owner) in wanted and module.isidentifier():
                modules.setdefault(module, owner)
    return modules


def display_name(plugin_id: str) -> str:
    """A human name from the id: ``com.example.my-bot`` -> ``My Bot``."""
    last = plugin_id.split(".")[-1] or plugin_id
    words = [w for w in re.split(r"[-_\s]+", last) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or plugin_id
