"""Named snapshots of a project's fake-host state (``.mmplug/state.db``).

A snapshot is a consistent copy of the whole database made with SQLite's backup API, kept
as ``.mmplug/snapshots/<name>.db``. Restoring copies it back over the state, so a plugin
author can save "a team with 500 posts" once and return to it at will.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from mmplug.errors import StoreError
from mmplug.host import STATE_DB, STATE_DIR
from mmplug.host.store import Store

SNAPSHOT_DIR = "snapshots"


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    path: Path
    size: int
    created: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created))
        return f"{self.name:<24} {self.size / 1024:>8.0f} KiB  {when}"


def state_path(project: Path) -> Path:
    return Path(project).resolve() / STATE_DIR / STATE_DB


def snapshot_path(project: Path, name: str) -> Path:
    Store.check_snapshot_name(name)
    return Path(project).resolve() / STATE_DIR / SNAPSHOT_DIR / f"{name}.db"


def _existing_state(project: Path) -> Path:
    path = state_path(project)
    if not path.is_file():
        raise StoreError(
            f"no fake-host state in {path.parent}",
            hint="run the plugin once (`mmplug run` or `mmplug dev`) to create it",
        )
    return path


def take(project: Path, name: str, *, force: bool = False) -> SnapshotInfo:
    """Save the project's current state as snapshot ``name``."""
    dest = snapshot_path(project, name)
    if dest.exists() and not force:
        raise StoreError(f"snapshot {name!r} already exists", hint="pass --force to replace it")
    with Store.open(_existing_state(project)) as store:
        store.snapshot(dest)
    return info(dest)


def _refuse_while_dev_runs(project: Path, action: str) -> None:
    from mmplug.devloop.control import connect

    client = connect(project, timeout=1.0)
    if client is not None:
        client.close()
        raise StoreError(
            f"cannot {action} while `mmplug dev` runs for this project (it holds the state open)",
            hint="stop `mmplug dev` (Ctrl-C), then run this again",
        )


def restore(project: Path, name: str) -> SnapshotInfo:
    """Replace the project's state with snapshot ``name`` (the state file is created if needed)."""
    src = snapshot_path(project, name)
    _refuse_while_dev_runs(project, "restore a snapshot")
    if not src.is_file():
        known = ", ".join(s.name for s in list_snapshots(project)) or "none"
        raise StoreError(f"no snapshot named {name!r}", hint=f"snapshots: {known}")
    with Store.open(state_path(project)) as store:
        store.restore(src)
    return info(src)


def delete(project: Path, name: str) -> None:
    path = snapshot_path(project, name)
    if not path.is_file():
        raise StoreError(f"no snapshot named {name!r}", hint="`mmplug state list` shows them")
    path.unlink()


def reset(project: Path) -> bool:
    """Empty the state; the next run seeds it from the world again. False if there was none."""
    path = state_path(project)
    if not path.is_file():
        return False
    _refuse_while_dev_runs(project, "reset the state")
    with Store.open(path) as store:
        store.reset()
    return True


def info(path: Path) -> SnapshotInfo:
    stat = path.stat()
    return SnapshotInfo(path.stem, path, stat.st_size, stat.st_mtime)


def list_snapshots(project: Path) -> list[SnapshotInfo]:
    folder = Path(project).resolve() / STATE_DIR / SNAPSHOT_DIR
    if not folder.is_dir():
        return []
    return [info(p) for p in sorted(folder.glob("*.db"))]
