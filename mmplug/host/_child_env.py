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
_SDK_PROBE = """
import importlib.util, sys
def has(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False
sys.exit(0 if all(has(m) for m in ("mmplug.sdk", "grpc", "google.protobuf")) else 3)
"""
_PROBE_TIMEOUT = 15.0
_PROBED: dict[tuple[str, str], bool] = {}
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
    key = (python, plugin_dir)
    known = _PROBED.get(key)
    if known is None:
        import subprocess

        try:
            done = subprocess.run([python, "-c", _SDK_PROBE], cwd=plugin_dir or None,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=_PROBE_TIMEOUT)
            known = done.returncode != 3
        except (OSError, subprocess.SubprocessError):
            known = True  # not an interpreter we can ask: the launch reports what is wrong
        _PROBED[key] = known
    return known


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
