"""Watching a plugin project for saves: which files count, debouncing, atomic saves.

A save counts when it touches Python sources, ``plugin.json``, templates or assets of the project
(anything that is not build output, tool state, a virtualenv, VCS data or an editor's temporary
file). Editors that save atomically (write ``x.py.tmp`` or ``.x.py.swp``, then rename it over
``x.py``) produce a burst of events; the temporary names are ignored and the rename shows up as
a change of ``x.py`` itself. Bursts are debounced by watchfiles: events are gathered until the
tree has been quiet for ``step_ms``.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

IGNORED_DIRS = frozenset({
    "__pycache__", ".git", ".hg", ".svn", ".mmplug", "dist", "build", "venv", ".venv", "env",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules", ".idea",
    ".vscode", ".eggs",
})
# Editor swap, backup and atomic-save temporaries (vim, emacs, JetBrains, VS Code, sed -i, ...).
IGNORED_FILES = (
    "*.swp", "*.swo", "*.swx", "*~", ".#*", "#*#", "*.tmp", "*.bak", "*.orig", "*.pyc", "*.pyo",
    "*___jb_tmp___", "*___jb_old___", ".*.kate-swp", "4913", "sed??????", ".DS_Store",
    "*.crswap", "*.db", "*.db-wal", "*.db-shm", "*.db-journal", "*.sock",
)
DEFAULT_STEP_MS = 10
DEFAULT_DEBOUNCE_MS = 500


def is_virtualenv(directory: Path) -> bool:
    """A directory holding a Python virtual environment (any name)."""
    return (directory / "pyvenv.cfg").is_file()


def watched(path: str | Path, root: Path) -> bool:
    """Whether a change of ``path`` (inside ``root``) should reload the plugin."""
    candidate = Path(path)
    try:
        relative = candidate.relative_to(root)
    except ValueError:
        return False
    parts = relative.parts
    if not parts:
        return False
    for index, part in enumerate(parts[:-1]):
        if part in IGNORED_DIRS or part.endswith(".egg-info"):
            return False
        if is_virtualenv(root.joinpath(*parts[: index + 1])):
            return False
    name = parts[-1]
    if name in IGNORED_DIRS:
        return False
    return not any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED_FILES)


def relevant(changes: Iterable[tuple[object, str]], root: Path) -> list[Path]:
    """The changed paths that count, sorted, without duplicates (``changes``: watchfiles')."""
    return sorted({Path(path) for _, path in changes if watched(path, root)})


@dataclass(frozen=True)
class Save:
    """One debounced batch of changes: the files and the one named as the trigger."""

    root: Path
    paths: tuple[Path, ...]

    @property
    def trigger(self) -> str:
        first = self.paths[0]
        try:
            name = str(first.relative_to(self.root))
        except ValueError:
            name = str(first)
        more = len(self.paths) - 1
        return f"{name} (+{more} more)" if more else name

    @property
    def manifest_changed(self) -> bool:
        return any(p.name in ("plugin.json", "plugin.yaml", "plugin.yml") for p in self.paths)


class Watcher:
    """Watches project roots on a daemon thread and calls ``on_save(Save)`` per batch."""

    def __init__(
        self,
        roots: Iterable[Path],
        on_save: Callable[[Save], None],
        *,
        step_ms: int = DEFAULT_STEP_MS,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        ignore: Iterable[Path] = (),
    ) -> None:
        self.roots = [Path(r).resolve() for r in roots]
        self.ignore = {Path(p).resolve() for p in ignore}  # files we write ourselves
        self.on_save = on_save
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mmplug-watch", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def _run(self) -> None:
        from watchfiles._rust_notify import RustNotify

        roots = [str(r) for r in self.roots]
        with RustNotify(roots, False, False, 300, True, True) as notify:
            self._ready.set()  # the OS watch is in place: saves from now on are seen
            while not self._stop.is_set():
                raw = notify.watch(self.debounce_ms, self.step_ms, 200, self._stop)
                if raw == "stop":
                    return
                if isinstance(raw, str):  # "timeout" or "signal": nothing changed
                    continue
                for root in self.roots:
                    paths = [p for p in relevant(raw, root) if p not in self.ignore]
                    if paths:
                        self.on_save(Save(root, tuple(paths)))
