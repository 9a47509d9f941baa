"""How the host starts a plugin's process: the go-plugin environment and the interpreter.

Kept free of heavy imports: a cold ``mmplug fire`` uses it to start the plugin's interpreter
before anything else (see :mod:`mmplug.cli._fire_prefetch`). :mod:`mmplug.host.launcher`
re-exports every name.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing, pathlib: imported after a cold fire has started the plugin
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

COOKIE_KEY = "MATTERMOST_PLUGIN"
COOKIE_VALUE = "Securely message teams, anywhere."
ENV_API_TARGET = "MATTERMOST_PLUGIN_API_TARGET"
ENV_PROTOCOL_VERSIONS = "PLUGIN_PROTOCOL_VERSIONS"
ENV_MIN_PORT = "PLUGIN_MIN_PORT"
ENV_MAX_PORT = "PLUGIN_MAX_PORT"
APP_PROTOCOL_VERSIONS = (1,)
MIN_PORT, MAX_PORT = 10000, 25000
VENV_PYTHONS = ("venv/bin/python", "venv/bin/python3", ".venv/bin/python", ".venv/bin/python3")


def find_python(plugin_dir: Path | str, override: str | None = None) -> str | None:
    """The interpreter the server would use for the plugin in ``plugin_dir``."""
    if override:
        return _absolute(override)
    for relative in VENV_PYTHONS:
        candidate = os.path.join(plugin_dir, relative)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return _joined_absolute(candidate)
    import shutil

    for name in ("python3", "python"):
        found = shutil.which(name)
        if found:
            return _absolute(found)
    return None


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


def plugin_env(api_target: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ours, then ``extra``, then the go-plugin variables (last wins)."""
    from mmplug.host import FORK_SUPPORT_ENV, FORK_SUPPORT_SET_BY_US
    from mmplug.protocol.grpc_env import CHOSEN_HERE, EXPERIMENTS_ENV

    env = dict(os.environ)
    if FORK_SUPPORT_SET_BY_US:
        env.pop(FORK_SUPPORT_ENV, None)
    if CHOSEN_HERE:
        env.pop(EXPERIMENTS_ENV, None)
    env.update(extra or {})
    env[COOKIE_KEY] = COOKIE_VALUE
    env[ENV_PROTOCOL_VERSIONS] = ",".join(str(v) for v in APP_PROTOCOL_VERSIONS)
    env[ENV_MIN_PORT] = str(MIN_PORT)
    env[ENV_MAX_PORT] = str(MAX_PORT)
    if api_target:
        env[ENV_API_TARGET] = api_target
    return env
