"""How to install, with pip, the very mmplug that is running.

A generated project's README and the hint of an interpreter that lacks the SDK both tell the
user to install mmplug somewhere else (a plugin's ``venv/``). mmplug is not necessarily on the
package index, so the words come from where this copy comes from: imported from a source
checkout (an editable install, or PYTHONPATH) gives ``-e <checkout>``; an installed copy says
how it was installed (PEP 610's ``direct_url.json``): a local wheel or directory its path, a URL
that URL, a VCS install ``mmplug @ git+...@<commit>``; a copy from the package index (no
``direct_url.json``) gives ``mmplug==<version>``.
"""

from __future__ import annotations

import shlex
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import mmplug
from mmplug._json import loads

_DIST = "mmplug"


def pip_install_args() -> str:
    """Arguments for ``pip install`` that install this mmplug (shell-quoted)."""
    here = Path(mmplug.__file__).resolve().parent.parent  # the directory holding mmplug/
    checkout = _checkout(here)  # imported from a source tree: editable, or on PYTHONPATH
    if checkout is not None:
        return checkout
    from_index = shlex.quote(f"{_DIST}=={mmplug.__version__}")
    try:
        dist = metadata.distribution(_DIST)
    except metadata.PackageNotFoundError:
        return from_index
    if Path(str(dist.locate_file("mmplug/__init__.py"))).resolve() != Path(
            mmplug.__file__).resolve():
        return from_index  # that metadata describes another copy of mmplug than this one
    direct = _direct_url(dist)
    if direct is None:
        return from_index
    url = str(direct.get("url") or "")
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        commit = vcs.get("commit_id") or vcs.get("requested_revision") or ""
        at = f"@{commit}" if commit else ""
        return shlex.quote(f"{_DIST} @ {vcs['vcs']}+{url}{at}")
    path = _local_path(url)
    if path is None:
        return shlex.quote(f"{_DIST} @ {url}") if url else _DIST
    dir_info = direct.get("dir_info")
    if isinstance(dir_info, dict) and path.is_dir():
        editable = bool(dir_info.get("editable"))
        return f"-e {shlex.quote(str(path))}" if editable else shlex.quote(str(path))
    if path.exists():
        return shlex.quote(str(path))
    return from_index  # installed from a file that is gone since


def _direct_url(dist: metadata.Distribution) -> dict[str, object] | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    try:
        data = loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _local_path(url: str) -> Path | None:
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def _checkout(root: Path) -> str | None:
    """``-e <root>`` when mmplug runs from a source checkout (a pyproject.toml next to it)."""
    if (root / "pyproject.toml").is_file() and (root / "mmplug").is_dir():
        return f"-e {shlex.quote(str(root))}"
    return None
