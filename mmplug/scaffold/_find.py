"""Finding a template: a built-in name, a local directory, or a git URL.

Built-in templates live in ``templates/`` at the top of the repository, the one source of
truth. ``mmplug/scaffold/_templates`` is a symlink to it, so a checkout and an editable install
read ``templates/`` directly, and ``pip install .`` copies the files behind the symlink into the
wheel as package data (see docs/templates.md).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mmplug._json import loads
from mmplug.errors import MmplugError, UsageError

CONTEXT_FILE = "cookiecutter.json"
GIT_TIMEOUT_S = 60.0
_GIT_URL = re.compile(r"^(https?://|ssh://|git://|file://|git@[^:]+:|gh:|gl:|bb:)")
_ABBREVIATIONS = {
    "gh:": "https://github.com/",
    "gl:": "https://gitlab.com/",
    "bb:": "https://bitbucket.org/",
}
_SKIP_PARTS = frozenset({"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


@dataclass(frozen=True)
class Template:
    """A template ready to render: ``path`` holds its ``cookiecutter.json``."""

    name: str
    path: Path
    kind: str  # builtin | path | git
    source: str  # what the user gave: a name, a directory or a URL
    ref: str | None = None
    commit: str | None = None
    description: str = ""

    def content_hash(self) -> str:
        return template_hash(self.path)


def builtin_root() -> Path:
    """``_templates`` next to this module: the link into ``templates/`` in a checkout, the
    packaged copy in an install. Where git wrote the link as a plain file (Windows without
    symlink support), the checkout's ``templates/`` is used directly."""
    here = Path(__file__).resolve().parent
    packaged = here / "_templates"
    if not packaged.is_dir() and (here.parents[1] / "templates").is_dir():
        return here.parents[1] / "templates"
    return packaged


def builtin_names() -> list[str]:
    root = builtin_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / CONTEXT_FILE).is_file())


def describe(path: Path) -> str:
    try:
        data = loads((path / CONTEXT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    value = data.get("_description", "") if isinstance(data, dict) else ""
    return value if isinstance(value, str) else ""


def list_templates() -> list[Template]:
    """Every built-in template, sorted by name."""
    root = builtin_root()
    return [
        Template(name, root / name, "builtin", name, description=describe(root / name))
        for name in builtin_names()
    ]


def is_git_url(spec: str) -> bool:
    return bool(_GIT_URL.match(spec)) or (spec.endswith(".git") and not Path(spec).exists())


def expand_url(spec: str) -> str:
    for short, full in _ABBREVIATIONS.items():
        if spec.startswith(short):
            return full + spec[len(short):]
    return spec


def find_template(spec: str, workdir: Path, ref: str | None = None) -> Template:
    """Resolve ``spec``; a git URL is cloned into ``workdir`` (which the caller removes)."""
    if spec in builtin_names() and ref is None:
        path = builtin_root() / spec
        return Template(spec, path, "builtin", spec, description=describe(path))
    if is_git_url(spec):
        return clone_template(spec, workdir, ref)
    candidate = Path(spec).expanduser()
    if candidate.is_dir():
        if ref is not None:  # a version of a local template: it must be a git repository
            if _git(["rev-parse", "--git-dir"], cwd=candidate).returncode != 0:
                raise UsageError(
                    f"{candidate} is not a git repository, so it has no version {ref!r}",
                    hint="drop --template-version / --checkout, or put the template in git")
            return clone_template(str(candidate.resolve()), workdir, ref)
        return _local_template(candidate.resolve(), spec)
    if spec in builtin_names():
        raise UsageError(
            f"built-in template {spec!r} has no versions to choose from",
            hint="built-in templates come with mmplug (upgrade mmplug for newer ones); "
            "drop --template-version / --checkout",
        )
    known = ", ".join(builtin_names()) or "(none installed)"
    raise UsageError(
        f"unknown template {spec!r}: not a built-in template, a directory or a git URL",
        hint=f"built-in templates: {known} (see `mmplug new --list`)",
    )


def _local_template(path: Path, spec: str) -> Template:
    if not (path / CONTEXT_FILE).is_file():
        raise UsageError(
            f"{path} is not a template: it has no {CONTEXT_FILE}",
            hint="a template is a cookiecutter directory: cookiecutter.json plus one "
            "{{cookiecutter.*}} project directory",
        )
    return Template(path.name, path, "path", spec, description=describe(path))


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise UsageError("git is needed to fetch a template from a URL, and it is not on PATH",
                         hint="install git, or clone the template yourself and pass its path")
    try:
        return subprocess.run(
            [git, *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env=_git_env(),
        )
    except subprocess.TimeoutExpired:
        raise MmplugError(
            f"git {args[0]} did not finish within {GIT_TIMEOUT_S:.0f} s",
            hint="check the URL and your network connection",
        ) from None


def _git_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # fail instead of asking for a password
    return env


def clone_template(url: str, workdir: Path, ref: str | None = None) -> Template:
    """Clone ``url`` (at ``ref``: tag, branch or commit) into ``workdir``/checkout."""
    full = expand_url(url)
    dest = workdir / "checkout"
    done = _git(["clone", "--quiet", full, str(dest)])
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(
            f"could not fetch the template from {url}: {last}",
            hint="check the URL (and that you can `git clone` it); nothing was written",
        )
    if ref is not None:
        done = _git(["checkout", "--quiet", ref], cwd=dest)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise UsageError(f"template {url} has no version {ref!r}: {last}",
                             hint="pass a tag, branch or commit of the template repository")
    commit = _git(["rev-parse", "HEAD"], cwd=dest).stdout.strip() or None
    if not (dest / CONTEXT_FILE).is_file():
        raise UsageError(f"{url} is not a template: it has no {CONTEXT_FILE} at the top")
    name = full.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return Template(name, dest, "git", url, ref=ref, commit=commit, description=describe(dest))


def template_hash(path: Path) -> str:
    """A content hash of a template directory (file names and bytes, sorted)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path)
        if _SKIP_PARTS.intersection(rel.parts) or file.suffix == ".pyc":
            continue
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()[:16]
