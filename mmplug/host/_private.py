"""What the fake host keeps for the developer alone: folders 0700, files 0600.

On a shared machine the project's ``.mmplug/`` holds the state store (the world's users and
their emails, the plugin's KV values and secrets), the dev log and the dev session's control
socket; the plugin's gRPC socket lives in a private temporary folder. Everything the fake host
creates there goes through these functions, and a ``.mmplug/`` made by an older mmplug is
tightened when it is used (only when it is ours: another user's folder is left as it is). See
docs/security.md.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # pathlib: a cold fire makes the socket folder before it imports more
if TYPE_CHECKING:
    from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SOCKET_DIR_PREFIX = "mmplug-sock-"
MAX_BASE = 48  # leaves room for the folder and a socket name (plugin + 12 hex digits)


def private_dir(path: str | os.PathLike[str], *, tighten: bool = True) -> Path:
    """``path`` as a folder only its owner can enter: made with its missing parents, all 0700;
    an existing one of ours is tightened unless ``tighten`` is False (a folder the user named,
    whose mode is the user's business)."""
    from pathlib import Path

    folder = Path(path)
    missing = []
    here = folder
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile (another command of the same user)
            pass
    if tighten:
        _tighten(folder, DIR_MODE)
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """``path`` created empty (if missing) so that only its owner can read or write it, before
    anything is written to it; an existing one of ours is tightened."""
    from pathlib import Path

    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(target, FILE_MODE)
    else:
        os.close(fd)
    return target


def tighten_file(path: str | os.PathLike[str]) -> None:
    """Make an existing file of ours 0600 (files another library created beside ours)."""
    _tighten(path, FILE_MODE)


def private_database(path: str | os.PathLike[str]) -> None:
    """A database file (the state store, the explorer's trace) readable by its owner only,
    before SQLite writes to it; the project's ``.mmplug/`` around it 0700 (a folder the user
    named is made, not changed)."""
    from pathlib import Path

    from mmplug.host import STATE_DIR

    parent = Path(path).absolute().parent
    state = next((p for p in (parent, *parent.parents) if p.name == STATE_DIR), None)
    if state is not None:
        private_dir(state)
    private_dir(parent, tighten=parent == state)
    private_file(path)


def tighten_database(path: str | os.PathLike[str]) -> None:
    """SQLite gives a database's journal files the database's mode; older ones are tightened."""
    for suffix in ("-wal", "-shm", "-journal"):
        tighten_file(f"{os.fspath(path)}{suffix}")


def socket_dir() -> str:
    """A new private temporary folder (0700) for unix sockets, in ``$TMPDIR`` when that is
    short, else ``/tmp``: a socket's path must fit the 104-108 bytes of its address. (Not
    tempfile: a cold ``mmplug fire`` makes this folder before it imports anything else.)"""
    base = os.environ.get("TMPDIR") or "/tmp"
    if len(base) > MAX_BASE or not os.path.isdir(base):
        base = "/tmp"
    _sweep(base)
    while True:
        name = f"{SOCKET_DIR_PREFIX}{os.getpid()}-{os.urandom(4).hex()}"
        path = os.path.join(base, name)
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            continue
        return path


def _sweep(base: str) -> None:
    """Remove the socket folders of our processes that died without removing them (killed,
    or stopped by a signal): ``mmplug-sock-<pid>-<random>`` whose pid is gone."""
    try:
        names = [n for n in os.listdir(base) if n.startswith(SOCKET_DIR_PREFIX)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(SOCKET_DIR_PREFIX):].split("-", 1)[0]
        path = os.path.join(base, name)
        try:
            if not pid_text.isdigit() or os.stat(path).st_uid != os.getuid():
                continue
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def _tighten(path: str | os.PathLike[str], mode: int) -> None:
    try:
        info = os.stat(path)
    except OSError:
        return
    if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
        try:
            os.chmod(path, mode)
        except OSError:
            pass
