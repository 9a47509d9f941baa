"""``mmplug upgrade``: apply a newer template to a project with a three-way merge.

base = the files the old template rendered (kept in ``.mmplug-base.json`` by ``mmplug new``),
theirs = the new template rendered with the stored answers, ours = the project as it is now.
Changes of the template since base are merged into the project; where both changed the same
lines, the file gets conflict markers and is listed (like copier's ``update``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mmplug._atomic import recover_changes, replace_files
from mmplug.errors import UsageError
from mmplug.scaffold._answers import ANSWERS_FILE, AnswersRecord, read_record, record_files
from mmplug.scaffold._find import Template, clone_template, find_template
from mmplug.scaffold._merge import Labels, merge
from mmplug.scaffold._render import check_answers, public_names, read_tree, render_tree

SIDE_SUFFIX = ".mmplug-new"


@dataclass
class UpgradeResult:
    project: Path
    old_version: str
    new_version: str
    changes: list[tuple[str, str]] = field(default_factory=list)  # (action, path)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not self.changes and not self.conflicts


def upgrade_project(path: Path | str = ".", *, template_version: str | None = None,
                    dry_run: bool = False, use_git: bool = True, allow_dirty: bool = False,
                    written: Callable[[], object] | None = None) -> UpgradeResult:
    """Re-render the project's template (at ``template_version``) and merge it in.

    The project's files change as one (:func:`mmplug._atomic.replace_files`): a stop or an
    error at any point leaves the project as it was, or wholly upgraded; ``written`` is called
    as the upgrade is in place."""
    project = Path(path).expanduser().resolve()
    recovered = recover_changes(project)  # an upgrade a crash cut short: done or undone first
    record, base = read_record(project)
    if not dry_run and not allow_dirty:
        _refuse_uncommitted(project)
    scratch = Path(tempfile.mkdtemp(prefix="mmplug-upgrade-"))
    try:
        template = find_template(_spec(record), scratch / "new", template_version)
        answers = {k: v for k, v in record.answers.items() if k in public_names(template)}
        _check_recorded(project, template, answers)
        theirs = render_tree(template, answers)
        notes: list[str] = list(recovered)
        if base is None:
            base = _rebuild_base(record, scratch / "old", notes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = UpgradeResult(project, _version(record.mmplug_version, record.template_hash),
                           _version(_mmplug_version(), template.content_hash()), notes=notes)
    labels: Labels = ("project", f"template {result.old_version}",
                      f"template {result.new_version}")
    writes = _plan(read_tree(project), base, theirs, labels, use_git, result)
    if not dry_run:
        writes.update(record_files(_new_record(record, template, answers), theirs))
        replace_files(project, writes, written=written)
    return result


def _check_recorded(project: Path, template: Template, answers: dict[str, object]) -> None:
    """The answers of the record (which users edit to change the next upgrade) are checked
    as `mmplug new` checks typed ones: a bad one is named with the file it is in."""
    try:
        check_answers(template, answers)
    except UsageError as exc:
        raise UsageError(f"{project / ANSWERS_FILE}: {exc.message}",
                         hint=f"fix it in {ANSWERS_FILE}: {exc.hint}") from None


def _refuse_uncommitted(project: Path) -> None:
    """In a git work tree, upgrade only a clean project, so the upgrade can be reviewed with
    `git diff` and undone with `git checkout` (as copier does)."""
    import subprocess

    git = shutil.which("git")
    if git is None:
        return
    try:
        done = subprocess.run([git, "status", "--porcelain", "--", "."], cwd=project,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return
    if done.returncode == 0 and done.stdout.strip():
        changed = [line[3:] for line in done.stdout.splitlines()][:5]
        raise UsageError(
            f"{project} has uncommitted changes ({', '.join(changed)}"
            f"{', ...' if len(done.stdout.splitlines()) > 5 else ''})",
            hint="commit or stash them first, so you can review the upgrade with `git diff` "
            "and undo it; or pass --allow-dirty",
        )


def _spec(record: AnswersRecord) -> str:
    return record.template


def _version(mmplug_version: str, template_hash: str) -> str:
    short = template_hash.removeprefix("sha256:")[:8]
    return f"{mmplug_version or '?'} ({short})" if short else (mmplug_version or "?")


def _mmplug_version() -> str:
    from mmplug import __version__

    return __version__


def _rebuild_base(record: AnswersRecord, workdir: Path, notes: list[str]) -> dict[str, bytes]:
    """Without .mmplug-base.json: re-render the old git commit, or merge against nothing."""
    if record.kind == "git" and record.commit:
        workdir.mkdir(parents=True, exist_ok=True)
        old = clone_template(record.template, workdir, record.commit)
        return render_tree(old, {k: v for k, v in record.answers.items()
                                 if k in public_names(old)})
    notes.append(".mmplug-base.json is missing: every file the project changed is merged "
                 "without a base, so differences show as conflicts")
    return {}


def _new_record(record: AnswersRecord, template: Template,
                answers: dict[str, object]) -> AnswersRecord:
    return AnswersRecord(template=record.template, kind=record.kind, answers=dict(answers),
                         template_hash=template.content_hash(), mmplug_version=_mmplug_version(),
                         ref=template.ref, commit=template.commit)


def _plan(ours: dict[str, bytes], base: dict[str, bytes], theirs: dict[str, bytes],
          labels: Labels, use_git: bool, result: UpgradeResult) -> dict[str, bytes | None]:
    """Decide every file; returns {path: new bytes, or None to delete}."""
    writes: dict[str, bytes | None] = {}
    for name in sorted(set(base) | set(theirs)):
        old, new, mine = base.get(name), theirs.get(name), ours.get(name)
        if new == old or new == mine:
            continue
        if new is None:  # the template dropped the file
            if mine == old:
                writes[name] = None
                result.changes.append(("deleted", name))
            else:
                result.notes.append(f"{name}: the template dropped it; kept (changed here)")
            continue
        if mine is None:
            if old is None:
                writes[name] = new
                result.changes.append(("added", name))
            else:
                result.notes.append(f"{name}: deleted here, changed in the template; "
                                    "left deleted")
            continue
        if mine == old:
            writes[name] = new
            result.changes.append(("updated", name))
            continue
        _merge_file(name, mine, old or b"", new, labels, use_git, writes, result)
    return writes


def _merge_file(name: str, mine: bytes, old: bytes, new: bytes, labels: Labels,
                use_git: bool, writes: dict[str, bytes | None], result: UpgradeResult) -> None:
    try:
        texts = (mine.decode("utf-8"), old.decode("utf-8"), new.decode("utf-8"))
    except UnicodeDecodeError:
        writes[name + SIDE_SUFFIX] = new
        result.conflicts.append(name)
        result.notes.append(f"{name}: binary file changed on both sides; the template's "
                            f"version is in {name}{SIDE_SUFFIX}")
        return
    merged, conflicts = merge(*texts, labels=labels, use_git=use_git)
    writes[name] = merged.encode("utf-8")
    if conflicts:
        result.conflicts.append(name)
        result.changes.append(("conflict", name))
    else:
        result.changes.append(("merged", name))

