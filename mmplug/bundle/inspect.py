"""Looking inside a bundle without extracting it.

The archive is read as a stream, one header at a time, and each member is judged before its
data is touched: absolute names, ``..``, symlinks, hard links, devices, FIFOs and oversized
members are refused (scanning stops at the first oversized member so a decompression bomb
is never inflated). Only ``plugin.json`` is read, into memory and bounded, to be validated.
"""

from __future__ import annotations

import json
import lzma
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmplug.bundle.shim import COMMON_DIR, VENDOR_DIR
from mmplug.bundle.tarball import sha256_file
from mmplug.errors import BundleError
from mmplug.manifest import Finding, errors_only, validate_manifest

UPLOAD_LIMIT = 100 * 1024 * 1024  # the server's default FileSettings.MaxFileSize
MAX_MEMBER_SIZE = 100 * 1024 * 1024
MAX_TOTAL_SIZE = 1024 * 1024 * 1024
MAX_MANIFEST_SIZE = 1024 * 1024
_KINDS = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink",
          tarfile.CHRTYPE: "char-device", tarfile.BLKTYPE: "block-device",
          tarfile.FIFOTYPE: "fifo"}


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    mode: int
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "mode": f"{self.mode:04o}",
                "kind": self.kind}


@dataclass
class Report:
    path: Path
    size: int
    sha256: str
    members: list[Member] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not errors_only(self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "size": self.size, "sha256": self.sha256, "ok": self.ok,
                "problems": self.problems, "warnings": self.warnings,
                "findings": [f.as_dict() for f in self.findings],
                "id": (self.manifest or {}).get("id"),
                "version": (self.manifest or {}).get("version"), "targets": self.targets,
                "members": [m.as_dict() for m in self.members]}


def inspect_bundle(path: Path, *, max_member_size: int = MAX_MEMBER_SIZE,
                   max_total_size: int = MAX_TOTAL_SIZE) -> Report:
    """Read the headers of every member of ``path`` and judge the bundle."""
    if not path.is_file():
        raise BundleError(f"{path} is not a file", hint="pass the path of a .tar.gz bundle")
    report = Report(path=path, size=path.stat().st_size, sha256=sha256_file(path))
    manifests: dict[str, bytes] = {}
    try:
        with _open_stream(path) as tar:
            _scan(tar, report, manifests, max_member_size, max_total_size)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        report.problems.append(f"the archive is damaged or not a tar.gz: {exc}")
        if not report.members:
            return report  # nothing was read: "empty" or "no plugin.json" would only repeat it
    if report.size > UPLOAD_LIMIT:
        report.warnings.append(
            f"the bundle is {report.size / 1048576:.1f} MiB, above the server's default upload "
            "limit of 100 MiB (FileSettings.MaxFileSize); vendor fewer targets or raise the limit")
    _judge_layout(report, manifests)
    return report


def _open_stream(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r|*")
    except TypeError:  # the standard library's stream reader on a gzip header cut short
        raise tarfile.ReadError("the gzip header is cut short") from None


def _scan(tar: tarfile.TarFile, report: Report, manifests: dict[str, bytes],
          max_member_size: int, max_total_size: int) -> None:
    names: set[str] = set()
    total = 0
    for info in tar:
        kind = _KINDS.get(info.type, "file" if info.isreg() else f"type {info.type!r}")
        report.members.append(Member(info.name, info.size, info.mode & 0o7777, kind))
        problem = _member_problem(info, kind, names)
        if problem:
            report.problems.append(problem)
        names.add(info.name.rstrip("/"))
        total += info.size
        if info.size > max_member_size:
            report.problems.append(
                f"{info.name}: member of {info.size} bytes exceeds the limit of "
                f"{max_member_size} bytes; stopped reading here")
            return
        if total > max_total_size:
            report.problems.append(f"members add up to more than {max_total_size} bytes "
                                   "uncompressed; stopped reading here")
            return
        name = _clean(info.name)
        if info.isreg() and posixpath.basename(name) == "plugin.json" and name.count("/") <= 1 \
                and not problem:
            if info.size <= MAX_MANIFEST_SIZE:
                handle = tar.extractfile(info)
                if handle is not None:
                    manifests[name] = handle.read(MAX_MANIFEST_SIZE)


def _clean(name: str) -> str:
    """A member name without a leading ``./`` (as `tar czf x.tgz -C dir .` writes)."""
    while name.startswith("./"):
        name = name[2:]
    return name


def _member_problem(info: tarfile.TarInfo, kind: str, seen: set[str]) -> str:
    name = info.name
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or name.startswith("\\"):
        return f"{name}: absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return f"{name}: path climbs out of the plugin directory ('..')"
    if info.issym() or info.islnk():
        return f"{name}: {kind} to {info.linkname} (links are not allowed in a bundle)"
    if not (info.isreg() or info.isdir()):
        return f"{name}: {kind} (only regular files and directories are allowed)"
    if name.rstrip("/") in seen:
        return f"{name}: appears twice (a later copy would overwrite the first)"
    return ""


def _judge_layout(report: Report, manifests: dict[str, bytes]) -> None:
    names = [_clean(m.name).strip("/") for m in report.members]
    names = [n for n in names if n and n != "."]
    if not names:
        report.problems.append("the archive is empty")
        return
    tops = {n.split("/")[0] for n in names}
    prefix = ""
    if len(tops) == 1 and any("/" in n for n in names):
        prefix = next(iter(tops)) + "/"
    elif len(tops) > 1:
        report.warnings.append("no single top-level directory; the server accepts this, but "
                               "`mmplug bundle` always writes <id>/")
    vendor = f"{prefix}{VENDOR_DIR}/"
    report.targets = sorted({n[len(vendor):].split("/")[0] for n in names
                             if n.startswith(vendor) and n.count("/") > vendor.count("/")}
                            - {COMMON_DIR})
    raw = manifests.get(prefix + "plugin.json")
    if raw is None:
        report.problems.append(f"no {prefix}plugin.json in the bundle")
        return
    from mmplug._json import JSONDepthError, loads

    try:
        data = loads(raw.decode("utf-8"), constants=False)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.problems.append(f"{prefix}plugin.json is not valid JSON: {exc}")
        return
    except JSONDepthError as exc:
        report.problems.append(f"{prefix}plugin.json is {exc}")
        return
    report.manifest = data if isinstance(data, dict) else None
    report.findings = validate_manifest(data)
    if report.manifest is None:
        return
    files = {_clean(m.name) for m in report.members if m.kind == "file"}
    server = report.manifest.get("server")
    exe = server.get("executable") if isinstance(server, dict) else None
    if isinstance(exe, str) and exe and prefix + posixpath.normpath(exe) not in files:
        report.problems.append(f"server.executable {exe!r} is not in the bundle")
    plugin_id = report.manifest.get("id")
    if prefix and isinstance(plugin_id, str) and prefix[:-1] != plugin_id.lower():
        report.warnings.append(f"top-level directory {prefix[:-1]!r} differs from the plugin id "
                               f"{plugin_id!r}; the server installs it as {plugin_id.lower()!r}")
