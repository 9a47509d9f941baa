"""How the host starts a plugin's process: the go-plugin environment and the interpreter.

Kept free of heavy imports: a cold ``mmplug fire`` uses it to start the plugin's interpreter
before anything else (see :mod:`mmplug.cli._fire_prefetch`). :mod:`mmplug.host.launcher`
re-exports every name. :func:`choose_python` is the one place that picks a plugin's
interpreter; the launcher, the early start of a cold fire and the dev loop's warm spares all
ask it.
"""

from __future__ import annotations

import os

# the environment's names, each once (generated with the catalog; the SDK reads them)
from mmplug.protocol.names import (
    ENV_API_TARGET,
    ENV_HOST_CLOCK,
    ENV_MAGIC_COOKIE,
    ENV_MAX_PORT,
    ENV_MIN_PORT,
    ENV_PROTOCOL_VERSIONS,
    ENV_UNIX_SOCKET_DIR,
    MAGIC_COOKIE_VALUE,
)

__all__ = ["APP_PROTOCOL_VERSIONS", "ENV_API_TARGET", "ENV_MAGIC_COOKIE", "ENV_MAX_PORT",
           "ENV_MIN_PORT", "ENV_PROTOCOL_VERSIONS", "ENV_UNIX_SOCKET_DIR", "MAGIC_COOKIE_VALUE",
           "MAX_PORT", "MIN_PORT", "VENV_PYTHONS", "Interpreter", "choose_python", "find_python",
           "plugin_env", "server_python"]

TYPE_CHECKING = False  # typing, pathlib: imported after a cold fire has started the plugin
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

APP_PROTOCOL_VERSIONS = (1,)
MIN_PORT, MAX_PORT = 10000, 25000
VENV_PYTHONS = ("venv/bin/python", "venv/bin/python3", ".venv/bin/python", ".venv/bin/python3")


# Run by a candidate interpreter in the plugin directory: can it import what the SDK needs?
# It prints the folders it imports from but the plugin directory, and the user's own
# site-packages even before it exists (`pip install --user` makes it): the answer is kept
# against them (see _remembered).
_SDK_PROBE = """
import importlib.util, os, site, sys
def has(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False
answer = all(has(m) for m in ("mmplug.sdk", "grpc", "google.protobuf"))
here = os.getcwd()
folders = [os.path.abspath(entry) for entry in sys.path if entry and os.path.isdir(entry)]
if site.ENABLE_USER_SITE:
    folders.append(site.getusersitepackages())
for folder in dict.fromkeys(folders):
    if folder != here:
        print(folder)
sys.exit(0 if answer else 3)
"""
_SDK_MODULES = ("mmplug", "grpc", "google")  # what the plugin directory itself may hold
_PROBE_TIMEOUT = 15.0
_PROBED: dict[tuple[str, str], bool] = {}
# What decides which interpreter a ``python3`` shim runs and what it imports, besides the
# folders it imports from: the answer is asked again when any of these changes.
_PROBE_ENV = ("PATH", "HOME", "PYENV_VERSION", "PYENV_ROOT", "PYENV_DIR", "ASDF_PYTHON_VERSION",
              "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE",
              "PYTHONNOUSERSITE", "PYTHONSAFEPATH")
_VERSION_FILES = (".python-version", ".tool-versions")
_PROBE_FORMAT = "mmplug-interpreter-probe 1"
PROBE_KEPT_S = 3600.0  # an answer is asked again after an hour whatever else
_BUNDLED_SDK = "mmplug_vendor"  # an unpacked `mmplug bundle` carries the SDK itself


class Interpreter:
    """The interpreter a plugin runs with, and why (``rule``):

    * ``"--python"``: given explicitly (``--python``, ``Session(python=...)``, the pytest
      plugin's ``mmplug_python``);
    * ``"venv"``: the server's rule, ``source`` (``venv/bin/python`` ...) in the plugin
      directory;
    * ``"PATH"``: the server's rule when there is no venv, ``source`` (``python3``/``python``)
      found on PATH;
    * ``"mmplug"``: where the fake host differs from the server: the plugin has no venv and
      ``python3`` on PATH (``instead_of``, empty when there is none) cannot import the SDK, so
      the interpreter running mmplug is used.
    """

    __slots__ = ("instead_of", "path", "rule", "source")

    def __init__(self, path: str, rule: str, source: str = "", instead_of: str = "") -> None:
        self.path = path
        self.rule = rule
        self.source = source
        self.instead_of = instead_of

    def __repr__(self) -> str:
        return f"Interpreter({self.path!r}, {self.rule!r})"

    def why(self) -> str:
        """Why this interpreter, in words (for notes and errors)."""
        if self.rule == "--python":
            return "it was given as the plugin's interpreter (--python)"
        if self.rule == "venv":
            return (f"the plugin directory has {self.source} (the server's rule: a venv/ or "
                    ".venv/ in the plugin directory comes first)")
        if self.rule == "PATH":
            return (f"the plugin directory has no venv/, so {self.source} on PATH runs it "
                    "(the server's rule)")
        lacking = (f"python3 on PATH ({self.instead_of}) cannot import the mmplug SDK"
                   if self.instead_of else "there is no python3 on PATH")
        return (f"the plugin directory has no venv/ and {lacking}, so mmplug runs the plugin "
                "with its own interpreter")


def server_python(plugin_dir: Path | str, override: str | None = None) -> Interpreter | None:
    """The interpreter the server would use for the plugin in ``plugin_dir``: its
    ``venv/bin/python`` ... (made absolute), else ``python3``/``python`` on PATH."""
    if override:
        return Interpreter(_absolute(override), "--python", override)
    for relative in VENV_PYTHONS:
        candidate = os.path.join(plugin_dir, relative)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Interpreter(_joined_absolute(candidate), "venv", relative)
    import shutil

    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            return Interpreter(_absolute(found), "PATH", name)
    return None


def choose_python(plugin_dir: Path | str, override: str | None = None) -> Interpreter | None:
    """The interpreter the fake host runs the plugin with (the one place that decides it): the
    server's rule (:func:`server_python`), except that a plugin without a venv whose
    ``python3`` on PATH cannot import the SDK runs with the interpreter running mmplug (the user
    started mmplug from a virtualenv without activating it). A probe answers that, once per
    interpreter and directory, and only for a ``python3`` outside mmplug's own environment."""
    chosen = server_python(plugin_dir, override)
    if chosen is not None and chosen.rule != "PATH":
        return chosen
    own = _own_python()
    if own is None or os.path.isdir(os.path.join(plugin_dir, _BUNDLED_SDK)):
        return chosen
    if chosen is None:
        return Interpreter(own, "mmplug")
    if _has_sdk(chosen.path, os.fspath(plugin_dir)):
        return chosen
    return Interpreter(own, "mmplug", instead_of=chosen.path)


def find_python(plugin_dir: Path | str, override: str | None = None) -> str | None:
    """The path of :func:`choose_python`'s interpreter (None when there is none)."""
    chosen = choose_python(plugin_dir, override)
    return chosen.path if chosen is not None else None


def _own_python() -> str | None:
    import sys

    return _joined_absolute(sys.executable) if sys.executable else None


def _has_sdk(python: str, plugin_dir: str) -> bool:
    import sys

    own_bin = os.path.dirname(_joined_absolute(sys.executable)) if sys.executable else ""
    if os.path.dirname(python) == own_bin:  # mmplug's own environment has the SDK
        return True
    plugin_dir = os.path.abspath(plugin_dir or os.curdir)
    key = (python, plugin_dir)
    known = _PROBED.get(key)
    if known is None:
        known = _remembered(python, plugin_dir)
    if known is None:
        known = _probe(python, plugin_dir)
    _PROBED[key] = known
    return known


def _probe(python: str, plugin_dir: str) -> bool:
    """Ask ``python`` in ``plugin_dir`` (a process: through a pyenv shim, over 100 ms) and keep
    the answer in mmplug's cache folder for the next commands."""
    import subprocess

    inputs = _probe_inputs(python, plugin_dir)
    try:
        done = subprocess.run([python, "-c", _SDK_PROBE], cwd=plugin_dir,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=_PROBE_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return True  # not an interpreter we can ask: the launch reports what is wrong
    if done.returncode not in (0, 3):
        return True  # (the same)
    known = done.returncode == 0
    folders = done.stdout.decode(errors="replace").splitlines()
    _remember(python, plugin_dir, known, inputs, folders)
    return known


# The answer of a probe is kept in a file per interpreter and plugin directory, in lines:
# the format, the key, the answer and when it was given, what decided which interpreter runs
# (_probe_inputs), then one line per folder it imports from with that folder's modification
# time (installing or removing a package changes it). Any difference means asking again.


def _probe_file(python: str, plugin_dir: str) -> str:
    import zlib

    from mmplug.host import cache_root

    name = f"{zlib.crc32(repr((python, plugin_dir)).encode()):08x}.txt"
    return os.path.join(cache_root(), "interpreters", name)


def _probe_inputs(python: str, plugin_dir: str) -> str:
    """What decides which interpreter ``python`` is and what it imports, in one line: the file
    and its target, the environment, the version files a shim reads (from the plugin directory
    up, and pyenv's global one), and what of the SDK the plugin directory holds itself."""
    def stamp(path: str) -> tuple[str, int, int, int]:
        try:
            info = os.stat(path)
        except OSError:
            return (path, -1, 0, 0)
        return (path, info.st_ino, info.st_size, info.st_mtime_ns)

    files = [python, os.path.realpath(python)]
    here = plugin_dir
    while True:
        files.extend(os.path.join(here, name) for name in _VERSION_FILES)
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    files.append(os.path.join(pyenv_root, "version"))
    files.append(os.path.join(os.path.expanduser("~"), ".tool-versions"))
    files.extend(os.path.join(plugin_dir, name) for name in _SDK_MODULES)
    return repr(([stamp(path) for path in files],
                 [(name, os.environ.get(name)) for name in _PROBE_ENV]))


def _folder_line(folder: str) -> str:
    try:
        return f"{os.stat(folder).st_mtime_ns} {folder}"
    except OSError:
        return f"-1 {folder}"


def _remember(python: str, plugin_dir: str, known: bool, inputs: str,
              folders: list[str]) -> None:
    """Keep a probe's answer (best effort: a cache that cannot be written only costs the next
    command the probe)."""
    import time

    lines = [_PROBE_FORMAT, repr((python, plugin_dir)), f"{int(known)} {time.time()}", inputs,
             *(_folder_line(folder) for folder in folders)]
    if any("\n" in line for line in lines):
        return
    from mmplug._atomic import write_file

    path = _probe_file(python, plugin_dir)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        write_file(path, "\n".join(lines) + "\n")
    except OSError:
        pass


def _remembered(python: str, plugin_dir: str) -> bool | None:
    """A kept answer for ``python`` in ``plugin_dir`` while nothing it depends on changed, else
    None (ask again)."""
    import time

    try:
        with open(_probe_file(python, plugin_dir), encoding="utf-8") as kept:
            lines = kept.read().splitlines()
    except (OSError, ValueError):
        return None
    if len(lines) < 4 or lines[0] != _PROBE_FORMAT or lines[1] != repr((python, plugin_dir)):
        return None
    answer, _, when = lines[2].partition(" ")
    try:
        age = time.time() - float(when)
    except ValueError:
        return None
    if answer not in ("0", "1") or not 0 <= age < PROBE_KEPT_S:
        return None
    if lines[3] != _probe_inputs(python, plugin_dir):
        return None
    for line in lines[4:]:
        if line != _folder_line(line.partition(" ")[2]):
            return None
    return answer == "1"


def _joined_absolute(path: str) -> str:
    """``path`` made absolute without resolving ``..`` or symlinks (as Path.absolute())."""
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def _absolute(command: str) -> str:
    """An interpreter path that still works from the plugin directory (the child's cwd).

    A relative PATH entry or ``--python .venv/bin/python`` is relative to *our* working
    directory; symlinks are kept (a virtualenv's python finds its pyvenv.cfg through them).
    """
    if os.sep not in command:
        import shutil

        command = shutil.which(command) or command
    return os.path.abspath(command) if os.sep in command else command


def plugin_env(api_target: str | None, extra: Mapping[str, str] | None = None,
               socket_dir: str | None = None) -> dict[str, str]:
    """The child's environment: ours, then ``extra``, then the go-plugin variables (last wins).

    ``socket_dir``: the private folder the plugin serves its unix socket in (go-plugin's
    ``PLUGIN_UNIX_SOCKET_DIR``); None for loopback TCP, as under the server, whose go-plugin
    client does not set it (nor does the plugin inherit one of ours then)."""
    from mmplug._grpc_fork import FORK_SUPPORT_ENV, FORK_SUPPORT_SET_BY_US
    from mmplug.protocol.grpc_env import CHOSEN_HERE, EXPERIMENTS_ENV

    env = dict(os.environ)
    if FORK_SUPPORT_SET_BY_US:
        env.pop(FORK_SUPPORT_ENV, None)
    if CHOSEN_HERE:
        env.pop(EXPERIMENTS_ENV, None)
    env.update(extra or {})
    env[ENV_MAGIC_COOKIE] = MAGIC_COOKIE_VALUE
    env[ENV_PROTOCOL_VERSIONS] = ",".join(str(v) for v in APP_PROTOCOL_VERSIONS)
    env[ENV_MIN_PORT] = str(MIN_PORT)
    env[ENV_MAX_PORT] = str(MAX_PORT)
    if api_target:
        env[ENV_API_TARGET] = api_target
        env[ENV_HOST_CLOCK] = "1"
    if socket_dir:
        env[ENV_UNIX_SOCKET_DIR] = socket_dir
    else:
        env.pop(ENV_UNIX_SOCKET_DIR, None)
    return env
