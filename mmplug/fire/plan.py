"""What ``mmplug fire`` is asked to do, as the command line gave it: :class:`FirePlan`.

The CLI parses its options into a plan (reading ``--file`` and ``--data``); the rest of the
meaning of the positional arguments (which one is the plugin directory, the shortcuts of
ExecuteCommand and ServeHTTP) depends on the hook, and is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import UsageError

if TYPE_CHECKING:
    from mmplug.protocol.catalog import HookSpec


@dataclass
class FirePlan:
    hook: str | None
    args: list[str] = field(default_factory=list)
    document: Any = None
    source: str = "--json"
    sets: list[str] = field(default_factory=list)
    as_user: str | None = None
    channel: str | None = None
    message: str | None = None
    data: bytes | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    world: str | None = None
    python: str | None = None
    start_timeout: float = 10.0
    hook_timeout: float = 30.0
    record: Path | None = None
    local: bool = False
    transport: str = "unix"  # how a local session's plugin serves: "unix" or "tcp"
    private: bool = False  # a local session's PluginAPI on a unix socket too
    # A plugin process the command line started before the host was ready (a
    # :class:`~mmplug.host._prelaunch.Prelaunch`): a local target adopts it, else it is killed.
    early: Any = field(default=None, repr=False)


def split_args(spec: HookSpec, args: list[str]) -> tuple[Path, list[str]]:
    """The plugin directory and the shortcut arguments among the positional arguments; without
    a plugin directory among them, the project around the current directory."""
    from mmplug._json import clean_text
    from mmplug._plugin_files import is_plugin_dir

    plugin_dirs = [a for a in args if is_plugin_dir(a)]
    rest = [clean_text(a) for a in args if a not in plugin_dirs]
    if len(plugin_dirs) > 1:
        raise UsageError("fire takes one plugin directory", hint=f"got {', '.join(plugin_dirs)}")
    if spec.go_name == "ExecuteCommand" and rest:
        rest = [" ".join(rest)]  # `fire ExecuteCommand /cmd some args`, unquoted
    allowed = {"ServeHTTP": 2, "ServeMetrics": 2, "ExecuteCommand": 1}.get(spec.go_name, 0)
    if len(rest) > allowed:
        word = rest[allowed]
        if Path(word).exists() and not allowed:
            hint = "that directory holds no plugin.json"
        else:
            hint = ('shortcuts: mmplug fire ExecuteCommand "/cmd args", '
                    "mmplug fire ServeHTTP GET /path")
            if "/" in word.strip("/") or word.startswith("."):  # meant as a plugin directory
                hint = f"there is no directory {word}; {hint}"
        raise UsageError(f"unexpected argument {word!r} for {spec.go_name}", hint=hint)
    return project_folder(plugin_dirs[0] if plugin_dirs else None), rest


def project_folder(given: str | None) -> Path:
    """The plugin directory fire works on: ``given``, else the project found upward."""
    from mmplug._plugin_files import project_dir

    return Path(project_dir(given))


def http_shortcut(rest: list[str]) -> tuple[str, str]:
    """``METHOD /path`` of ``mmplug fire ServeHTTP [METHOD] [/path]``."""
    from mmplug.host.payloads import HTTP_METHODS

    if not rest:
        return "GET", "/"
    if len(rest) == 1:
        if rest[0].upper() in HTTP_METHODS:
            return rest[0], "/"
        return "GET", rest[0]
    return rest[0], rest[1]
