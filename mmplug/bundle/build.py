"""Building ``dist/<id>-<version>.tar.gz``: validate, collect, vendor, shim, pack.

Bundle layout (one top-level directory, as the server installs it)::

    <id>/plugin.json                         server.executable -> mmplug_entry.py, runtime python
    <id>/mmplug_entry.py                     the entry shim (see ``shim.py``)
    <id>/mmplug_vendor/common/mmplug/...     the SDK runtime (sdk + protocol)
    <id>/mmplug_vendor/<os>-<arch>-cpXY/...  the wheels installed for one target
    <id>/<the plugin's own files>            executable, packages, assets/, public/, webapp/dist/
"""

from __future__ import annotations

import json
import posixpath
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmplug._plugin_files import MANIFEST_NAMES
from mmplug.bundle import files as _files
from mmplug.bundle.inspect import UPLOAD_LIMIT
from mmplug.bundle.requirements import Requirements, plugin_requirements, sdk_requirements
from mmplug.bundle.shim import COMMON_DIR, SHIM_NAME, VENDOR_DIR, shim_source
from mmplug.bundle.tarball import Entry, archive_mtime, write_tarball
from mmplug.bundle.targets import Target, make_targets, plan_pythons
from mmplug.bundle.vendor import Reporter, install_target
from mmplug.errors import BundleError, ManifestError, UsageError
from mmplug.manifest import (
    Finding,
    errors_only,
    find_manifest,
    manifest_error,
    read_json,
    validate_manifest,
)


@dataclass
class BundleOptions:
    project: Path
    out_dir: Path | None = None
    platforms: list[str] | None = None
    pythons: list[str] | None = None
    wheelhouse: Path | None = None
    force: bool = False
    reporter: Reporter | None = None


@dataclass
class BundleResult:
    path: Path
    size: int
    sha256: str
    plugin_id: str
    version: str
    targets: list[str]
    files: int
    requirements: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # informational, e.g. requirements replaced

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "size": self.size, "sha256": self.sha256,
                "id": self.plugin_id, "version": self.version, "targets": self.targets,
                "files": self.files, "requirements": self.requirements,
                "warnings": self.warnings, "notes": self.notes}


def read_manifest(root: Path) -> tuple[Path, dict[str, Any]]:
    path = find_manifest(root)
    if path.name != "plugin.json":
        raise ManifestError(f"{path.name}: mmplug bundle reads plugin.json only",
                            hint="convert the manifest to plugin.json (the server reads either)")
    return path, read_json(path)


def check_manifest(path: Path, data: dict[str, Any]) -> list[Finding]:
    """All findings; raise one ManifestError listing every error if there are any."""
    findings = validate_manifest(data)
    if isinstance(data, dict) and not data.get("version"):
        findings.append(Finding("version", "is required to name the bundle file",
                                'add "version": "0.1.0"'))
    errors = errors_only(findings)
    if errors:
        raise manifest_error(path, errors,
                             "fix every field listed above, then run mmplug bundle again")
    return findings


def build_bundle(options: BundleOptions) -> BundleResult:
    root = options.project.resolve()
    if not root.is_dir():
        raise UsageError(f"{options.project} is not a directory", hint="pass a plugin project")
    make_targets(options.platforms, options.pythons)  # a bad option fails before anything else
    mtime = archive_mtime()
    if options.wheelhouse is not None and not options.wheelhouse.is_dir():
        raise UsageError(f"--wheelhouse {options.wheelhouse} is not a directory",
                         hint="fill one with `pip download -d DIR ...` or drop the option")
    manifest_path, data = read_manifest(root)
    findings = check_manifest(manifest_path, data)
    pythons, target_warnings, target_notes = plan_pythons(
        options.pythons, data["server"].get("python_version"))
    targets = make_targets(options.platforms, pythons)
    out_dir = (options.out_dir or root / "dist").resolve()
    try:  # before the long part: a bad -o fails at once
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot make the output directory {out_dir}: {exc.strerror or exc}",
                         hint="pass a directory you can write to with -o") from None
    collection = _files.collect_files(root, force=options.force, skip=MANIFEST_NAMES,
                                      skip_dirs=(out_dir,))
    _check_referenced_files(collection, data)
    server = data["server"]
    executables = dict(server.get("executables") or {})
    requirements = plugin_requirements(root)
    plugin_id = str(data["id"]).lower()
    entries = [Entry(f"{plugin_id}/{f.arcname}", source=f.path, executable=f.executable)
               for f in collection.files]
    entries.append(Entry(f"{plugin_id}/plugin.json", data=_bundled_manifest(data)))
    entries.append(Entry(f"{plugin_id}/{SHIM_NAME}", data=shim_source(
        server["executable"], executables, [t.tag for t in targets])))
    dest = out_dir / f"{plugin_id}-{data['version']}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="mmplug-bundle-") as tmp:
        entries += _vendor(Path(tmp), plugin_id, targets, requirements, options)
        if options.reporter is not None:
            options.reporter.stage("writing the tarball")
        sha = write_tarball(entries, dest, mtime=mtime)
    warnings = [str(f) for f in findings] + target_warnings + collection.warnings
    if dest.stat().st_size > UPLOAD_LIMIT:
        warnings.append(f"{dest.name} is over 100 MiB, the server's default upload limit "
                        "(FileSettings.MaxFileSize): ship fewer targets or raise the limit")
    return BundleResult(
        path=dest, size=dest.stat().st_size, sha256=sha, plugin_id=plugin_id,
        version=str(data["version"]), targets=[t.tag for t in targets],
        files=len(entries), requirements=requirements.lines, warnings=warnings,
        notes=target_notes + list(requirements.dropped),
    )


def _check_referenced_files(collection: _files.Collection, data: dict[str, Any]) -> None:
    """Every file plugin.json points at must be in the bundle; reserved names must not."""
    bundled = {f.arcname for f in collection.files}
    reserved = [name for name in bundled
                if name == SHIM_NAME or name.split("/")[0] == VENDOR_DIR]
    if reserved:
        raise BundleError(f"{reserved[0]} is a name mmplug bundle reserves for itself",
                          hint="rename it, or list it in .mmplugignore")
    server = data["server"]
    wanted = {"server.executable": server["executable"]}
    wanted |= {f"server.executables.{k}": v
               for k, v in (server.get("executables") or {}).items()}
    webapp = data.get("webapp")
    if isinstance(webapp, dict) and isinstance(webapp.get("bundle_path"), str):
        wanted["webapp.bundle_path"] = webapp["bundle_path"]
    if isinstance(data.get("icon_path"), str):
        wanted["icon_path"] = data["icon_path"]
    wanted = {k: v for k, v in wanted.items() if v}
    for field_name, rel in wanted.items():
        clean = posixpath.normpath(rel.replace("\\", "/"))
        if clean not in bundled:
            raise BundleError(
                f"{field_name} {rel!r} is not in the bundle",
                hint="create the file (build the webapp first if it is webapp/dist), fix the "
                "path in plugin.json, or remove the .mmplugignore rule (or default "
                "exclusion) that leaves it out",
            )


def _bundled_manifest(data: dict[str, Any]) -> bytes:
    manifest = dict(data)
    server = dict(manifest["server"])
    server.pop("executables", None)  # the shim picks the per-platform executable itself
    server["executable"] = SHIM_NAME
    server["runtime"] = "python"
    manifest["server"] = server
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()


def _vendor(tmp: Path, plugin_id: str, targets: list[Target], requirements: Requirements,
            options: BundleOptions) -> list[Entry]:
    from mmplug.bundle.sdk_runtime import sdk_entries

    prefix = f"{plugin_id}/{VENDOR_DIR}"
    entries = sdk_entries(f"{prefix}/{COMMON_DIR}")
    req_file = tmp / "requirements.txt"
    req_file.write_text(requirements.text(), encoding="utf-8")
    for index, target in enumerate(targets):
        dest = tmp / target.tag
        if options.reporter is not None:
            options.reporter.target_started(target, index, len(targets))
        install_target(target, dest, req_file, sdk_requirements(), options.wheelhouse,
                       options.reporter)
        if options.reporter is not None:
            options.reporter.target_finished(target)
        for path in sorted(dest.rglob("*")):
            if path.is_file():
                rel = path.relative_to(dest).as_posix()
                entries.append(Entry(f"{prefix}/{target.tag}/{rel}", source=path,
                                     executable=bool(path.stat().st_mode & 0o111)))
    return entries
