"""Watching a plugin project for saves: which files count, debouncing, atomic saves.

A save counts when it touches Python sources, ``plugin.json``, templates or assets of the project
(anything that is not build output, tool state, a virtualenv, VCS data or an editor's temporary
file). Editors that save atomically (write ``x.py.tmp`` or ``.x.py.swp``, then rename it over
``x.py``) produce a burst of events; the temporary names are ignored and the rename shows up as
a change of ``x.py`` itself. Bursts are debounced by watchfiles: events are gathered until the
tree has been quiet for ``step_ms``.

Files the project's ``.gitignore`` files (and ``.git/info/exclude``) ignore do not count, and
neither do files mmplug itself writes: its standard output and error when they are redirected
into the project (``mmplug dev > out.log``: each line written would otherwise be a save, and
each reload writes lines), and the files it is told about (a ``--record`` cassette).
"""

from __future__ import annotations

import fnmatch
import os
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmplug.bundle.ignore import Rule

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


GITIGNORE = ".gitignore"


class GitIgnored:
    """Whether git ignores a path of one project: its ``.gitignore`` files (the root's and
    those of the folders on the way to the path) and ``.git/info/exclude``, read again when
    they change. The rule syntax is the bundle's (:mod:`mmplug.bundle.ignore`), which is
    gitignore's: the last matching rule wins, and nothing inside an ignored folder comes back.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, tuple[float, list[Rule]]] = {}

    def _read(self, path: Path) -> list[Rule]:
        from mmplug.bundle.ignore import parse_rules

        try:
            mtime = path.stat().st_mtime
        except OSError:
            self._files.pop(path, None)
            return []
        known = self._files.get(path)
        if known is not None and known[0] == mtime:
            return known[1]
        try:
            rules = parse_rules(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            rules = []
        self._files[path] = (mtime, rules)
        return rules

    def _rules(self, folder: Path) -> list[Rule]:
        rules = self._read(folder / GITIGNORE)
        if folder == self.root:
            rules = self._read(folder / ".git" / "info" / "exclude") + rules
        return rules

    def __call__(self, path: Path) -> bool:
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return False
        for depth in range(1, len(parts) + 1):
            is_dir = depth < len(parts) or path.is_dir()
            verdict = False
            for base in range(depth):  # the root's rules first, the nearest folder's last
                folder = self.root.joinpath(*parts[:base])
                relative = "/".join(parts[base:depth])
                for rule in self._rules(folder):
                    if rule.matches(relative, is_dir):
                        verdict = not rule.negate
            if verdict:
                return True
        return False


def own_outputs() -> set[tuple[int, int]]:
    """(device, inode) of our standard output and error when they are regular files: a
    redirection that may point into a watched project."""
    found = set()
    for fd in (1, 2):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.add((info.st_dev, info.st_ino))
    return found


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


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
        self.outputs = own_outputs()  # our stdout/stderr, when redirected into a file
        self.git = {root: GitIgnored(root) for root in self.roots}
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
                    paths = [p for p in relevant(raw, root) if self.counts(p, root)]
                    if paths:
                        self.on_save(Save(root, tuple(paths)))

    def counts(self, path: Path, root: Path) -> bool:
        """Whether a change of ``path`` (one :func:`watched` accepts) is a save: not a file
        mmplug writes itself, not ignored by git, not a ``.gitignore``."""
        if path in self.ignore or path.name == GITIGNORE:
            return False
        if self.outputs and _identity(path) in self.outputs:
            return False
        return not self.git[root](path)
