"""Writing files so that a stop or a failure at any moment leaves each one whole: the old file
or the new one, never half of it. Every file the tool writes for the user (cassettes, bundles,
the answers of a template, snapshots, the dev session's pointers, caches) goes through here.

* :func:`write_file`: one file from bytes or text;
* :class:`replacing`: one file from a writer that streams (``with replacing(path) as out:``);
* :func:`replace_files`: several files of a folder as one change (``mmplug upgrade``, ``mmplug
  new --force``): all of them are written, or none;
* :func:`recover_changes`: a change of several files that a crash or SIGKILL cut short is
  completed or rolled back the next time a command works on that folder;
* :class:`HeldSignals`: Ctrl-C, SIGTERM and SIGHUP wait while a change is being put in place.

A file is written under a temporary name in its own folder, flushed to the disk, then renamed
over the target: a rename within a folder is atomic, so a reader (or the user after Ctrl-C)
sees either file whole. A file that existed keeps its permissions; a new one gets the umask's,
or ``mode`` when given. A symbolic link is written through (the file it points to is
replaced, the link stays).
"""

from __future__ import annotations

import errno
import os
import signal

# `mmplug fire` reaches this module before its plugin has started (a cached probe of the
# plugin's Python is written through it): no typing at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from types import TracebackType
    from typing import IO, Any

HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
NEW_FILE_MODE = 0o666  # less the umask, as open() makes a file


def write_file(path: str | os.PathLike[str], data: bytes | str, *,
               mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one step."""
    with replacing(path, mode=mode) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


class replacing:
    """``with replacing(path) as out: out.write(...)``: the file (binary; ``text=True`` for a
    UTF-8 text file) takes the place of ``path`` when the block ends without an exception;
    after one, ``path`` is as it was and the temporary file is gone."""

    def __init__(self, path: str | os.PathLike[str], *, mode: int | None = None,
                 text: bool = False) -> None:
        self.path = _through_links(os.fspath(path))
        self.mode = mode
        self.text = text
        self.temp = ""
        self._file: IO[Any] | None = None

    def __enter__(self) -> IO[Any]:
        folder = os.path.dirname(self.path) or "."
        os.makedirs(folder, exist_ok=True)
        fd, self.temp = _open_temp(self.path, "tmp", self.mode)
        self._file = (os.fdopen(fd, "w", encoding="utf-8", newline="") if self.text
                      else os.fdopen(fd, "wb"))
        return self._file

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        out, self._file = self._file, None
        try:
            if out is not None:
                try:
                    if exc_type is None:
                        out.flush()
                        os.fsync(out.fileno())
                finally:
                    out.close()
            if exc_type is None:
                os.replace(self.temp, self.path)
                _sync_folder(self.path)
        except BaseException:
            _unlink(self.temp)
            raise
        if exc_type is not None:
            _unlink(self.temp)


def replace_files(root: str | os.PathLike[str], writes: Mapping[str, bytes | None], *,
                  modes: Mapping[str, int] | None = None,
                  written: Callable[[], object] | None = None) -> None:
    """Change the files under ``root`` as one: ``writes`` maps a relative path (``/``-separated)
    to its new bytes, or to None to delete it; ``modes`` gives a file its permissions (else an
    existing file keeps its own).

    First every new file is written beside its target under a temporary name (a stop or an
    error here removes them, and the folders made for them: nothing changed); then, with stop
    signals held, each target is renamed aside and the new file renamed in. An error there
    (disk, permissions) puts every old file back. When all are in place ``written`` is called,
    still holding the signals (a command says what a stop leaves from now on); a signal that
    came meanwhile is delivered after it."""
    base = os.fspath(root)
    modes = modes or {}
    tag = f"mmplug-{os.getpid()}-{os.urandom(3).hex()}"
    journal = os.path.join(base, f".{tag}{JOURNAL}")
    made: list[str] = []
    staged: list[tuple[str, str | None]] = []  # (target, its new file or None to delete)
    moved: list[tuple[str, str | None, str | None]] = []  # (target, new, the old one aside)
    with HeldSignals() as held:
        try:
            targets = [_through_links(os.path.join(base, *name.split("/"))) for name in writes]
            folders: list[str] = []  # the folders the new files need that are not there yet
            for data, target in zip(writes.values(), targets, strict=True):
                if data is not None:
                    _missing_folders(os.path.dirname(target), folders)
            _write_journal(journal, base, tag, "staging", [(t, None) for t in targets], folders)
            for folder in folders:  # parents first
                if not os.path.isdir(folder):
                    os.mkdir(folder)
                    made.append(folder)
            for (name, data), target in zip(writes.items(), targets, strict=True):
                if held.received:
                    raise _Stop
                if os.path.isdir(target):
                    raise IsADirectoryError(errno.EISDIR, "a folder is where the file goes",
                                            target)
                if data is None:
                    staged.append((target, None))
                    continue
                fd, temp = _open_temp(target, tag, modes.get(name))
                staged.append((target, temp))
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            if held.received:
                raise _Stop
            _pause_for_tests("staged", len(staged))
            _write_journal(journal, base, tag, "renaming", staged, made)
            for target, new in staged:  # from here on, a stop waits: renames only
                aside = None
                if os.path.lexists(target):
                    aside = _aside(target, tag)
                    os.rename(target, aside)
                moved.append((target, new, aside))
                if new is not None:
                    os.replace(new, target)
                _pause_for_tests(str(len(moved)), len(staged))
        except BaseException as exc:
            _put_back(moved, staged, made)
            _unlink(journal)
            if isinstance(exc, _Stop):
                held.deliver()
                raise KeyboardInterrupt from None  # the signal's handler did not end us
            raise
        for folder in {os.path.dirname(target) for target, _ in staged}:
            _sync_folder(os.path.join(folder, "."))
        if written is not None:
            written()
        for _, _, aside in moved:
            if aside is not None:
                _unlink(aside)
        _unlink(journal)


JOURNAL = ".journal"  # `.mmplug-<pid>-<hex>.journal`: a change of several files under way
# For the tests only: after this many renames of a change (or "all"; or "staged", once its new
# files are written, before any rename), say so on stderr and wait, so that a test can kill the
# process at that point.
PAUSE_ENV = "MMPLUG_TEST_PAUSE_AFTER_RENAMES"


def _aside(target: str, tag: str) -> str:
    return f"{_hidden(target)}.{tag}.old"


def _write_journal(journal: str, base: str, tag: str, phase: str,
                   staged: list[tuple[str, str | None]], made: list[str]) -> None:
    """What a change is about to do, for :func:`recover_changes` after a crash: in the
    ``staging`` phase, the targets (their new files are being written) and the folders that
    are being made for them; in ``renaming``, each target with its new file (None: deleted),
    and the folders made for them."""
    import json

    def rel(path: str) -> str:
        return os.path.relpath(path, base)

    write_file(journal, json.dumps({
        "tag": tag, "phase": phase,
        "entries": [[rel(target), None if new is None else rel(new)] for target, new in staged],
        "made": [rel(folder) for folder in made]}))


def _pause_for_tests(point: str, total: int) -> None:
    at = os.environ.get(PAUSE_ENV)
    if at and (at == point or (at == "all" and point == str(total))):
        import sys
        import time

        sys.stderr.write(f"paused after {point} renames\n" if point.isdigit()
                         else f"paused: {point}\n")
        sys.stderr.flush()
        time.sleep(600)


def recover_changes(root: str | os.PathLike[str]) -> list[str]:
    """Complete or roll back each change of :func:`replace_files` under ``root`` that its
    process did not finish (a crash, SIGKILL, a power cut): what was done, one line each.

    What is on disk decides: a change whose new files were all in place (it was removing the
    old ones) is completed; one cut short as it renamed is rolled back, every old file put
    back and every file it added removed; one cut short as it wrote its new files (nothing
    renamed yet) leaves the folder as it was once they are removed. A change whose process
    still runs is left to it."""
    import glob
    import json

    from mmplug.host._process import alive

    base = os.fspath(root)
    said: list[str] = []
    for journal in sorted(glob.glob(os.path.join(glob.escape(base), f".mmplug-*{JOURNAL}"))):
        try:
            with open(journal, encoding="utf-8") as handle:
                plan = json.load(handle)
            tag = str(plan["tag"])
            pid = int(tag.split("-")[1])
            entries = [(os.path.join(base, target), None if new is None
                        else os.path.join(base, new)) for target, new in plan["entries"]]
            made = [os.path.join(base, folder) for folder in plan["made"]]
            phase = plan["phase"]
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            continue  # not one of ours, or being written this moment
        if pid != os.getpid() and alive(pid):
            continue
        if phase == "staging":
            for target, _ in entries:
                for temp in glob.glob(f"{glob.escape(_hidden(target))}.{tag}-*"):
                    _unlink(temp)
            _remove_folders(made)
            said.append(f"a change of {base} that mmplug (process {pid}) did not finish was "
                        "cleaned up: it had replaced no file yet, so every file is as it was")
        elif all(not os.path.lexists(new if new is not None else target)
                 for target, new in entries):
            for target, _ in entries:
                _unlink(_aside(target, tag))
            said.append(f"a change of {base} that mmplug (process {pid}) did not finish was "
                        "completed: its new files were all in place; the old ones it had set "
                        "aside were removed")
        else:
            _roll_back(entries, made, tag)
            said.append(f"a change of {base} that mmplug (process {pid}) did not finish was "
                        "rolled back: every file is as it was before it (run the command "
                        "again to make the change)")
        _unlink(journal)
        _sync_folder(journal)
    return said


def _roll_back(entries: list[tuple[str, str | None]], made: list[str], tag: str) -> None:
    for target, new in reversed(entries):
        aside = _aside(target, tag)
        if os.path.lexists(aside):
            os.replace(aside, target)  # the old file, back over its new one (or in the gap)
        elif new is not None and not os.path.lexists(new):
            _unlink(target)  # a file the change added
        if new is not None:
            _unlink(new)
    _remove_folders(made)
    for folder in {os.path.dirname(target) for target, _ in entries}:
        _sync_folder(os.path.join(folder, "."))


class _Stop(Exception):
    """A stop signal came before anything was renamed: undo, then deliver it."""


def _put_back(moved: list[tuple[str, str | None, str | None]],
              staged: list[tuple[str, str | None]], made: list[str]) -> None:
    for target, temp, aside in reversed(moved):
        if temp is not None and aside is None:
            _unlink(target)
        if aside is not None:
            os.replace(aside, target)
    for _, temp in staged:
        if temp is not None:
            _unlink(temp)
    _remove_folders(made)


def _remove_folders(made: list[str]) -> None:
    """Remove the folders a change made (the deepest first), those left empty."""
    for folder in reversed(made):
        try:
            os.rmdir(folder)
        except OSError:
            pass


class HeldSignals:
    """``with HeldSignals() as held:``: SIGINT, SIGTERM and SIGHUP are noted rather than acted
    on inside the block (``held.received``) and delivered when it ends, to the handlers that
    were there before. Outside the main thread (where Python cannot change handlers), and for
    a signal that is ignored, nothing changes."""

    def __init__(self, signals: Iterable[int] = HELD) -> None:
        self.signals = tuple(signals)
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> HeldSignals:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return self
        for sig in self.signals:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                self._previous[sig] = signal.signal(sig, self._note)
        return self

    def _note(self, signum: int, frame: object) -> None:
        if self.received is None:
            self.received = signum

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.deliver()

    def deliver(self) -> None:
        """Give the handlers back and deliver a signal that came meanwhile."""
        previous, self._previous = self._previous, {}
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        received, self.received = self.received, None
        if received is not None and previous:
            signal.raise_signal(received)


def _open_temp(target: str, tag: str, mode: int | None) -> tuple[int, str]:
    """A new file beside ``target`` (hidden, named after it) open for writing, with the
    permissions ``target`` has (or ``mode``, or a new file's)."""
    if mode is None:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            mode = None
    while True:
        temp = f"{_hidden(target)}.{tag}-{os.urandom(3).hex()}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         NEW_FILE_MODE if mode is None else mode & 0o777)
        except FileExistsError:
            continue
        break
    if mode is not None:
        try:
            os.fchmod(fd, mode)  # as asked, whatever the umask
        except OSError:
            pass
    return fd, temp


def _hidden(target: str) -> str:
    folder, name = os.path.split(target)
    return os.path.join(folder, name if name.startswith(".") else "." + name)


def _through_links(path: str) -> str:
    return os.path.realpath(path) if os.path.islink(path) else path


def _missing_folders(folder: str, missing: list[str]) -> None:
    """Add to ``missing`` the folders down to ``folder`` that are not there, parents first."""
    here, new = folder, []
    while (here and here not in missing and not os.path.isdir(here)
           and here != os.path.dirname(here)):
        new.append(here)
        here = os.path.dirname(here)
    missing.extend(reversed(new))


def _sync_folder(path: str) -> None:
    """Flush the rename in ``path``'s folder to the disk too (where the system allows it)."""
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
