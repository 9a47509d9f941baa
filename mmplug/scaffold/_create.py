"""``mmplug new``: validate, render into a scratch directory next to the target, move it in.

Nothing is written at the target until the whole project rendered; on any error or stop the
scratch directory is removed, so a failed ``mmplug new`` leaves no half-written project
behind. The rendered project takes the target's place with one rename; over an existing
folder (``--force``) its files are put in place as one change
(:func:`mmplug._atomic.replace_files`): the folder is as it was, or has every file of the
template.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmplug._atomic import HeldSignals, recover_changes, replace_files
from mmplug.errors import MmplugError, UsageError
from mmplug.scaffold._answers import AnswersRecord, write_record
from mmplug.scaffold._find import Template, find_template
from mmplug.scaffold._ids import (
    check_package_name,
    check_plugin_id,
    derive_package_name,
    display_name,
    package_name,
)
from mmplug.scaffold._render import build_context, check_answers, public_names, read_tree, render

DEFAULT_TEMPLATE = "minimal"


@dataclass
class NewProject:
    """What ``create_project`` made."""

    path: Path
    template: Template
    answers: dict[str, Any]
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def default_answers(plugin_id: str) -> dict[str, Any]:
    """The answers mmplug offers for a plugin id (templates take those they declare)."""
    return {
        "plugin_id": plugin_id,
        "plugin_name": display_name(plugin_id),
        "description": f"{display_name(plugin_id)}: a Mattermost plugin written in Python.",
        "author": git_user() or "",
        "package_name": package_name(plugin_id),
    }


def git_user() -> str | None:
    import subprocess

    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "config", "user.name"], capture_output=True, text=True,
                              timeout=5, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def check_target(target: Path, force: bool) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a directory",
                         hint="pick another plugin id or output directory (-o)")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(
            f"{target} already exists and is not empty",
            hint="pick another id or output directory (-o), or pass --force to render the "
            "template over it (files of the template are overwritten, others kept)",
        )


def create_project(
    plugin_id: str,
    *,
    template: str = DEFAULT_TEMPLATE,
    parent: Path | str = ".",
    answers: dict[str, Any] | None = None,
    force: bool = False,
    ref: str | None = None,
    suggested: dict[str, Any] | None = None,
    written: Callable[[], object] | None = None,
) -> NewProject:
    """Render ``template`` for ``plugin_id`` into ``parent/<plugin_id>``.

    ``answers`` must name variables of the template (an unknown one is an error);
    ``suggested`` answers (what the prompts gathered, the user's last word) win over
    ``answers`` and apply where the template has the variable. ``written`` is called as the
    project is in place (a stop after it leaves the whole project)."""
    warnings = check_plugin_id(plugin_id)
    parent = Path(parent).expanduser().resolve()
    target = parent / plugin_id
    if force and target.is_dir():  # a new --force a crash cut short: done or undone first
        warnings.extend(recover_changes(target))
    check_target(target, force)
    created = _make_parent(parent)
    scratch: Path | None = None
    try:
        scratch = Path(tempfile.mkdtemp(prefix=".mmplug-new-", dir=parent))
        found = find_template(template, scratch, ref)
        names = public_names(found)
        soft = {k: v for k, v in (suggested or {}).items() if k in names}
        given = {"plugin_id": plugin_id, **(answers or {}), **soft}
        final = _answers_for(found, plugin_id, given)
        derived, note = derive_package_name(plugin_id)
        if note and "package_name" not in given and final.get("package_name") == derived:
            warnings.append(note)
        project = render(found, build_context(found, final), scratch / "out")
        base = read_tree(project)
        write_record(project, _record(found, final), base)
        files = sorted(read_tree(project))
        _move_into_place(project, target, written)
    except BaseException:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        _remove_created(created)
        raise
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return NewProject(target, found, final, files, warnings)


def _answers_for(found: Template, plugin_id: str, given: dict[str, Any]) -> dict[str, Any]:
    names = public_names(found)
    merged = {k: v for k, v in default_answers(plugin_id).items() if k in names}
    for key, value in given.items():
        if key == "plugin_id" and key not in names:
            continue  # a foreign template without a plugin_id variable
        merged[key] = value
    check_answers(found, merged)
    if "package_name" in merged:
        check_package_name(str(merged["package_name"]))
    return merged


def _record(found: Template, answers: dict[str, Any]) -> AnswersRecord:
    from mmplug import __version__

    source = found.source if found.kind != "path" else str(found.path)
    return AnswersRecord(template=source, kind=found.kind, answers=answers,
                         template_hash=found.content_hash(), mmplug_version=__version__,
                         ref=found.ref, commit=found.commit)


def _make_parent(parent: Path) -> list[Path]:
    """Create ``parent`` and its missing ancestors; return those created (deepest last)."""
    missing: list[Path] = []
    probe = parent
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MmplugError(f"cannot create {parent}: {exc.strerror}",
                          hint="pick an output directory you can write to (-o)") from None
    return list(reversed(missing))


def _remove_created(created: list[Path]) -> None:
    for path in reversed(created):
        try:
            path.rmdir()
        except OSError:
            break


def _move_into_place(project: Path, target: Path,
                     written: Callable[[], object] | None) -> None:
    if not target.exists() or not any(target.iterdir()):
        with HeldSignals():  # the empty folder is not lost to a stop between the two steps
            if target.exists():
                target.rmdir()
            os.replace(project, target)
            if written is not None:
                written()
        return
    files: dict[str, bytes | None] = {}  # --force: render over an existing project
    modes: dict[str, int] = {}
    folders: list[Path] = []
    for source in sorted(project.rglob("*")):
        name = source.relative_to(project).as_posix()
        if source.is_dir():
            folders.append(target / name)
        else:
            files[name] = source.read_bytes()
            modes[name] = source.stat().st_mode & 0o7777
    replace_files(target, files, modes=modes, written=written)
    for folder in folders:  # the template's empty folders
        folder.mkdir(parents=True, exist_ok=True)
