"""Plugin ids and the names derived from them, checked the way the server checks them."""

from __future__ import annotations

import keyword
import re

from mmplug.errors import UsageError
from mmplug.manifest import ID_MAX, ID_MIN, ID_PATTERN

RESERVED_PACKAGES = frozenset({"plugin", "tests", "test", "fixtures", "mmplug", "venv"})


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
    """A Python package name for the plugin: the id's last part, as an identifier."""
    parts = [p for p in plugin_id.lower().split(".") if p]
    last = parts[-1] if parts else plugin_id.lower()
    name = re.sub(r"[^a-z0-9_]", "_", last).strip("_") or "plugin"
    name = re.sub(r"_+", "_", name)
    if name[0].isdigit():
        name = f"p_{name}"
    if keyword.iskeyword(name) or name in RESERVED_PACKAGES:
        name = f"{name}_plugin"
    return name


def check_package_name(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED_PACKAGES:
        raise UsageError(
            f"invalid package_name {name!r}",
            hint="use a Python identifier that is not 'plugin', 'tests' or a keyword",
        )
    return name


def display_name(plugin_id: str) -> str:
    """A human name from the id: ``com.example.my-bot`` -> ``My Bot``."""
    last = plugin_id.split(".")[-1] or plugin_id
    words = [w for w in re.split(r"[-_\s]+", last) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or plugin_id
