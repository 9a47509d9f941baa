"""Choosing the project files that go into a bundle.

Walks the plugin project, applies the ignore rules, refuses symlinks that leave the project
and credential-looking files (unless forced), and returns the files in a stable order.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from mmplug.bundle.ignore import IGNORE_FILE, IgnoreRules, parse_rules
from mmplug.errors import BundleError, read_text

SECRET_PATTERNS = (
    ".env", ".env.*", "*.pem", "*.key", "*.p12", "*.pfx", "*.keystore", "*.jks",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "credentials*", ".netrc", ".pypirc",
    ".npmrc", ".htpasswd", "*.kdbx", "service-account*.json",
)
SECRET_ALLOWED = (".env.example", ".env.sample", ".env.template", "*.pub")


@dataclass(frozen=True)
class SourceFile:
    """A project file as it will appear in the bundle (``arcname`` relative to ``<id>/``)."""

    arcname: str
    path: Path
    executable: bool


@dataclass
class Collection:
    files: list[SourceFile] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def looks_secret(name: str) -> bool:
    lowered = name.lower()
    if any(fnmatch.fnmatchcase(lowered, p) for p in SECRET_ALLOWED):
        return False
    return any(fnmatch.fnmatchcase(lowered, p) for p in SECRET_PATTERNS)


def is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def collect_files(root: Path, *, force: bool = False, skip: tuple[str, ...] = (),
                  skip_dirs: tuple[Path, ...] = ()) -> Collection:
    """Every file of the project at ``root`` that belongs in the bundle, sorted by name.

    ``skip`` names top-level files handled elsewhere (the manifest, which is rewritten);
    ``skip_dirs`` are directories never to enter (the output directory, when inside).
    """
    root = root.resolve()
    ignore_file = root / IGNORE_FILE
    rules = IgnoreRules(read_text(ignore_file) if ignore_file.is_file() else "")
    for directory in skip_dirs:
        if directory.resolve().is_relative_to(root) and directory.resolve() != root:
            rules.rules.extend(parse_rules("/" + directory.resolve().relative_to(root).as_posix()
                                           + "/"))
    result = Collection()
    _walk(root, root, "", rules, result, {root})
    result.files = sorted((f for f in result.files if f.arcname not in skip),
                          key=lambda f: f.arcname)
    if result.secrets and not force:
        listed = "\n".join(f"  {name}" for name in sorted(result.secrets))
        raise BundleError(
            f"refusing to bundle {len(result.secrets)} file(s) that look like secrets",
            details=listed,
            hint=f"add them to {IGNORE_FILE} (or delete them); pass --force if they really "
            "belong in the bundle",
        )
    result.warnings.extend(f"bundling {name}, which looks like a secret (--force)"
                           for name in sorted(result.secrets))
    return result


def _walk(
    root: Path, directory: Path, prefix: str, rules: IgnoreRules, out: Collection,
    seen: set[Path],
) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise BundleError(f"cannot read {directory}: {exc.strerror}") from None
    for entry in entries:
        rel = f"{prefix}{entry.name}"
        path = Path(entry.path)
        target = _resolve_link(root, path, rel) if entry.is_symlink() else path
        is_dir = target.is_dir()
        if rules.ignored(rel, is_dir):
            continue
        if is_dir:
            if is_virtualenv(target):
                out.warnings.append(f"skipped virtualenv {rel}/")
                continue
            real = target.resolve()
            if real in seen:
                raise BundleError(f"symlink loop at {rel}", hint="remove the looping symlink")
            _walk(root, target, rel + "/", rules, out, seen | {real})
            continue
        mode = target.stat().st_mode
        if not stat.S_ISREG(mode):
            out.warnings.append(f"skipped {rel}: not a regular file")
            continue
        if looks_secret(entry.name):
            out.secrets.append(rel)
        out.files.append(SourceFile(rel, target, bool(mode & 0o111)))


def _resolve_link(root: Path, path: Path, rel: str) -> Path:
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise BundleError(
            f"{rel} is a broken symlink (-> {os.readlink(path)})",
            hint=f"fix or remove it, or list it in {IGNORE_FILE}",
        ) from None
    if not real.is_relative_to(root):
        raise BundleError(
            f"{rel} is a symlink to {os.readlink(path)}, outside the project",
            hint="copy the file into the project instead of linking to it, or list it in "
            f"{IGNORE_FILE}",
        )
    return real
