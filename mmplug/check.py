"""What works under mmplug but not on a real server: the findings of ``mmplug check``.

The fake host is built to behave like the server, but some things a plugin can do under mmplug
silently do nothing in production. This module names them, from three sources:

* the manifest, validated as the server validates it (``mmplug.manifest``);
* the hooks the plugin implements (it is started and asked ``Implemented``, as the server does):
  extension hooks that the wire contract of Python plugins lacks, so a real server never calls
  them; hooks newer than the server versions the plugin declares (``min_server_version``, or
  ``--server-version``); answers the server ignores;
* the PluginAPI methods the plugin's code calls through the SDK (read from its source, not run):
  methods newer than the declared server version, methods whose server handler is not
  implemented, so the call always fails (``GetPluginID``; the fake host fails it the same way),
  and methods the server's API server does not serve at all, so the call always fails there
  (the property fields and values, ...; the fake host emulates them so they can be tried).

``mmplug check`` reports them all with exit 1 for CI; ``mmplug dev`` and ``mmplug fire`` print
the same findings once as warnings (:func:`load_findings`, which the session asks when it loads
a plugin: what reading the code found is cached by the files' sizes and modification times, so
a cold fire does not parse anything). docs/parity.md lists the
hook-side facts too.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "note"]

# Answers a plugin may give under mmplug that the real server throws away.
IGNORED_ANSWERS: dict[str, str] = {
    "MessagesWillBeConsumed": (
        "the server keeps every post unchanged when the returned list is empty (its Go client "
        "replaces the posts only with a non-empty list), so returning [] hides nothing"
    ),
}

# Folders of a project that are not the plugin's own code.
_SKIP_DIRS = {
    ".git", ".mmplug", ".venv", "venv", "env", "node_modules", "build", "dist", "tests", "test",
    "vendor", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache",
}


@dataclass(frozen=True)
class Finding:
    """One thing that works under mmplug but not (or not the same) on a real server."""

    # manifest | extension-hook | hook-version | ignored-answer | api-version
    # | api-unimplemented | api-not-served | no-version | not-started
    kind: str
    subject: str  # the hook, rpc or manifest field it is about
    message: str
    hint: str = ""
    severity: Severity = "warning"
    where: str = ""  # file:line of a use in the plugin's code, when known

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message,
                "hint": self.hint, "severity": self.severity, "where": self.where}

    def line(self) -> str:
        """The finding as one warning sentence (what ``dev`` and ``fire`` print)."""
        where = f" ({self.where})" if self.where else ""
        hint = f" (fix: {self.hint})" if self.hint else ""
        subject = "" if self.subject in self.message else f"{self.subject}: "
        return f"mmplug check: {subject}{self.message}{where}{hint}"


@dataclass
class Report:
    plugin_id: str
    server_version: str  # the version checked against ("" when none is known)
    version_source: str  # "min_server_version", "--server-version" or ""
    implemented: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    manifest_file: str = ""  # the plugin.json checked: the heading when it has no id

    @property
    def refused(self) -> bool:
        """Whether the server would refuse the plugin (then its hooks are not looked at)."""
        return any(f.kind == "manifest" and f.severity == "error" for f in self.findings)

    @property
    def failed(self) -> bool:
        """Whether CI should fail: any error or warning (notes do not count)."""
        return any(f.severity != "note" for f in self.findings)


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"9.3"``, ``"v11.00.1"`` or ``">=9.5.0"`` as a tuple of ints; None if it is none."""
    found = re.match(r"^\s*(?:>=|=)?\s*v?(\d+(?:\.\d+)*)", text or "")
    if not found:
        return None
    return tuple(int(part) for part in found[1].split("."))


def _newer(needed: str, have: tuple[int, ...]) -> bool:
    version = parse_version(needed)
    if version is None:
        return False
    width = max(len(version), len(have))
    return version + (0,) * (width - len(version)) > have + (0,) * (width - len(have))


def hook_findings(
    implemented: Iterable[str], server_version: tuple[int, ...] | None, shown_version: str
) -> list[Finding]:
    """Findings about the hooks a plugin implements."""
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    out: list[Finding] = []
    for name in implemented:
        spec = HOOKS_BY_GO_NAME.get(name)
        if spec is None or name == "Implemented":
            continue
        if not spec.upstream:
            out.append(Finding(
                "extension-hook", name,
                f"a real server never calls {name} on a Python plugin: the wire contract of "
                "Python plugins has no such rpc (mmplug adds it so it can be tried)",
                "keep it for experiments, or do the work in a hook the server calls"))
        elif server_version is not None and _newer(spec.min_server_version, server_version):
            out.append(Finding(
                "hook-version", name,
                f"{name} needs Mattermost {spec.min_server_version}; on {shown_version} it is "
                "never called",
                f"raise min_server_version in plugin.json to {spec.min_server_version}, or do "
                "not rely on this hook"))
        if name in IGNORED_ANSWERS:
            out.append(Finding("ignored-answer", name, f"{name}: {IGNORED_ANSWERS[name]}",
                               "to hide a post, return it with its message replaced",
                               severity="note"))
    return out


@functools.cache
def sdk_method_rpcs() -> dict[str, frozenset[str]]:
    """Each method of the SDK's API clients, with the PluginAPI rpcs it calls: the table
    ``METHOD_RPCS`` that scripts/gen_sdk.py writes into ``mmplug/sdk/_api_index.py`` (read as
    data, so that checking a plugin does not import the SDK)."""
    import ast

    path = Path(__file__).resolve().parent / "sdk" / "_api_index.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, (ast.AnnAssign, ast.Assign)) or node.value is None:
            continue
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
        if isinstance(target, ast.Name) and target.id == "METHOD_RPCS":
            table: dict[str, tuple[str, ...]] = ast.literal_eval(node.value)
            return {name: frozenset(rpcs) for name, rpcs in table.items()}
    raise RuntimeError(f"{path} has no METHOD_RPCS table; run scripts/gen_sdk.py")


def _sdk_sources() -> list[Path]:
    """The SDK file that maps its API client methods to PluginAPI rpcs (a cache key)."""
    return [Path(__file__).resolve().parent / "sdk" / "_api_index.py"]


def plugin_sources(plugin_dir: Path) -> Iterator[Path]:
    """The plugin's own Python files (not its tests, venvs or build output), in order."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(plugin_dir):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        found += [Path(folder, name) for name in files if name.endswith(".py")]
    yield from sorted(found)


def api_uses(plugin_dir: Path) -> list[tuple[str, str]]:
    """``(rpc, "file:line")`` for every PluginAPI call the plugin's code makes through the SDK:
    ``<...>.api.<method>(...)`` or ``api.<method>(...)``, and ``api.call("Rpc", ...)``."""
    import ast

    from mmplug.protocol.catalog import API_BY_GO_NAME

    methods = sdk_method_rpcs()
    uses: list[tuple[str, str]] = []
    for path in plugin_sources(plugin_dir):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # the launch reports a plugin that does not parse
        where = str(path.relative_to(plugin_dir))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            on_api = (isinstance(owner, ast.Attribute) and owner.attr == "api") or (
                isinstance(owner, ast.Name) and owner.id == "api")
            if not on_api:
                continue
            name = node.func.attr
            if name == "call" and node.args and isinstance(node.args[0], ast.Constant):
                rpc = node.args[0].value
                if isinstance(rpc, str) and rpc in API_BY_GO_NAME:
                    uses.append((rpc, f"{where}:{node.lineno}"))
            for rpc in sorted(methods.get(name, ())):
                uses.append((rpc, f"{where}:{node.lineno}"))
    return uses


CACHE_KEEP = 64  # projects whose code reading is kept


def cached_api_uses(plugin_dir: Path) -> list[tuple[str, str]]:
    """:func:`api_uses`, kept in ``checks/`` of mmplug's cache folder (the seeded worlds'
    one, see :mod:`mmplug.host.world_cache`; a file per project) while no plugin source and no SDK
    file changed: their sizes and modification times are the key. A cache that cannot be
    read or written is no error: the code is read again."""
    import hashlib

    from mmplug import __version__
    from mmplug.host.world_cache import cache_dir

    def stamp(path: Path) -> list[object]:
        try:
            info = path.stat()
        except OSError:
            return [str(path), 0, -1]
        return [str(path), info.st_mtime_ns, info.st_size]

    key = [__version__, *(stamp(p) for p in [*plugin_sources(plugin_dir), *_sdk_sources()])]
    folder = cache_dir() / "checks"
    name = hashlib.sha256(str(plugin_dir.resolve()).encode()).hexdigest()[:24]
    cache = folder / f"{name}.json"
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return [(str(rpc), str(where)) for rpc, where in saved["uses"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    uses = api_uses(plugin_dir)
    try:
        from mmplug._atomic import write_file

        write_file(cache, json.dumps({"key": key, "uses": uses}))
        _prune(folder)
    except OSError:
        pass  # no cache folder: read the code again next time
    return uses


def _prune(folder: Path) -> None:
    kept = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[CACHE_KEEP:]:
        old.unlink(missing_ok=True)


def api_findings(
    uses: list[tuple[str, str]], server_version: tuple[int, ...] | None, shown_version: str
) -> list[Finding]:
    """Findings about the PluginAPI methods the plugin's code calls (one per method)."""
    from mmplug.host.api._handlers import INSTEAD, UNIMPLEMENTED
    from mmplug.host.api._status import NOT_SERVED, not_served_details
    from mmplug.protocol.catalog import API_BY_GO_NAME

    out: list[Finding] = []
    first: dict[str, str] = {}
    for rpc, where in uses:
        first.setdefault(rpc, where)
    for rpc, where in sorted(first.items()):
        spec = API_BY_GO_NAME[rpc]
        if rpc in UNIMPLEMENTED:
            out.append(Finding(
                "api-unimplemented", rpc,
                f"{rpc} always fails on a real server: its gRPC handler answers UNIMPLEMENTED "
                f'"{UNIMPLEMENTED[rpc]}" (the SDK raises NotImplementedAPIError)',
                INSTEAD.get(rpc, "do not call it"), where=where))
            continue
        if rpc in NOT_SERVED:
            out.append(Finding(
                "api-not-served", rpc,
                f"{rpc} fails on the server whose code mmplug follows: its gRPC API server has "
                f'no handler for it and answers every call UNIMPLEMENTED "{not_served_details(rpc)}'
                '" (the SDK raises NotImplementedAPIError); mmplug emulates it as the Go plugin '
                "API behaves, so it can be tried",
                "keep it for experiments, or catch NotImplementedAPIError where you call it",
                where=where))
            continue
        if server_version is not None and _newer(spec.min_server_version, server_version):
            out.append(Finding(
                "api-version", rpc,
                f"{rpc} needs Mattermost {spec.min_server_version}; on {shown_version} the "
                "call fails",
                f"raise min_server_version in plugin.json to {spec.min_server_version}, or "
                "guard the call", where=where))
    return out


def manifest_findings(raw: object) -> list[Finding]:
    """The manifest's problems, as the server (and bundle) would find them."""
    from mmplug.manifest import validate_manifest

    out = []
    for found in validate_manifest(raw):
        if found.load == "error":  # the server refuses the plugin
            out.append(Finding("manifest", found.path, found.message, found.hint, "error",
                               "plugin.json"))
        else:  # the server runs it, but `mmplug bundle` and the Marketplace tooling refuse it
            refused = " (mmplug bundle refuses this)" if found.severity == "error" else ""
            out.append(Finding("manifest", found.path, found.message + refused, found.hint,
                               "warning", "plugin.json"))
    return out


def _against(raw_manifest: object, server_version: str | None) -> tuple[str, str, str]:
    """The version checked against: ``(version, as shown in messages, its source)``."""
    fields = raw_manifest if isinstance(raw_manifest, dict) else {}  # else a manifest finding
    declared = str(fields.get("min_server_version") or "")
    if server_version:
        return server_version, f"Mattermost {server_version}", "--server-version"
    if declared:
        return (declared, f"Mattermost {declared} (plugin.json's min_server_version)",
                "min_server_version")
    return "", "", ""


def check_project(
    plugin_dir: Path,
    implemented: Iterable[str] | None,
    raw_manifest: object,
    server_version: str | None = None,
) -> Report:
    """Every finding for a plugin whose hooks are ``implemented`` (None: not known, because
    the manifest is refused and the plugin was not started)."""
    fields = raw_manifest if isinstance(raw_manifest, dict) else {}
    against, shown, source = _against(raw_manifest, server_version)
    version = parse_version(against)
    report = Report(str(fields.get("id") or ""), against, source, sorted(implemented or ()))
    report.findings += manifest_findings(raw_manifest)
    if implemented is None:
        report.findings.append(Finding(
            "not-started", "plugin", "the plugin was not started, so its hooks were not "
            "checked: the server would refuse its manifest", "fix the errors above first",
            severity="note"))
    if version is None:
        report.findings.append(Finding(
            "no-version", "min_server_version",
            "plugin.json declares no min_server_version, so any server may load the plugin and "
            "no hook or method can be checked against a version",
            'add "min_server_version": "X.Y.Z", or pass --server-version', severity="note",
            where="plugin.json"))
    report.findings += hook_findings(report.implemented, version, shown)
    report.findings += api_findings(cached_api_uses(plugin_dir), version, shown)
    return report


def load_findings(raw_manifest: object, implemented: Iterable[str],
                  uses: list[tuple[str, str]]) -> list[Finding]:
    """What ``dev`` and ``fire`` say when they load a plugin: the findings that make ``mmplug
    check`` fail, except the manifest's (the host says those itself when it reads
    plugin.json, in the same words). ``uses``: :func:`cached_api_uses` of the project."""
    against, shown, _ = _against(raw_manifest, None)
    version = parse_version(against)
    found = hook_findings(sorted(implemented), version, shown)
    found += api_findings(uses, version, shown)
    return [f for f in found if f.severity != "note"]
