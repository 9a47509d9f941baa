"""The names of mmplug's options, in one place; docs/cli.md states the rules they follow.

Two parsers read this module: typer, for every command (:meth:`Opt.typer` turns an entry into
a ``typer.Option``), and the hand-written fast path of ``mmplug fire``
(:mod:`mmplug.cli._fire_fast`), which must read a fire command line exactly as typer does, so
both take fire's options from :data:`FIRE_OPTIONS`. Old spellings that scripts may still use
are rewritten to the current ones by :func:`modernize` before either parser sees the command
line, with a one-line notice on stderr (:data:`OLD_SPELLINGS`).

Nothing is imported at the top: a cold ``mmplug fire`` reads this before starting the plugin.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Defaults shared by every command that starts a plugin (run, dev, fire, replay).
START_TIMEOUT_S = 10.0
HOOK_TIMEOUT_S = 30.0
FORMATS = ("text", "json")


class Opt:
    """One option: its names (long first), the keyword argument it fills, its kind (str, path,
    float, int, list: repeatable, flag) and its help."""

    __slots__ = ("help", "hidden", "key", "kind", "names")

    def __init__(self, key: str, names: tuple[str, ...], kind: str, help: str,
                 hidden: bool = False) -> None:
        self.key, self.names, self.kind, self.help = key, names, kind, help
        self.hidden = hidden

    def typer(self, **settings: Any) -> Any:
        """The ``typer.Option`` of this entry (``settings`` override, e.g. ``help``)."""
        import typer

        settings.setdefault("help", self.help)
        settings.setdefault("hidden", self.hidden)
        return typer.Option(*self.names, **settings)


# Options several commands share: one spelling and one help text each.
START_TIMEOUT = Opt("start_timeout", ("--start-timeout",), "float",
                    "Seconds to wait for the plugin to start (its handshake).")
HOOK_TIMEOUT = Opt("hook_timeout", ("--hook-timeout",), "float",
                   "Deadline in seconds for each hook call.")
PYTHON = Opt("python", ("--python",), "str",
             "Interpreter for the plugin (default: its venv/, else python3).")
WORLD = Opt("world", ("--world",), "str", "World (seed state): a name or a .json file.")
FORMAT = Opt("output_format", ("--format",), "str", "Output format: text or json.")
STORE = Opt("store", ("--store",), "str",
            "State database file, or :memory:. Default: .mmplug/state.db in the project.")
LOG_LEVEL = Opt("log_level", ("--log-level", "-l"), "str",
                "Show this level and up: trace|debug|info|warn|error.")
FRESH = Opt("fresh", ("--fresh",), "flag", "Start from a freshly seeded store.")
TCP = Opt("tcp", ("--tcp",), "flag",
          "Let the plugin serve its hooks on loopback TCP, as under the server (default: a "
          "unix socket in a private folder; docs/security.md).")
PRIVATE = Opt("private", ("--private",), "flag",
              "Serve the PluginAPI on a private unix socket instead of loopback TCP, so that "
              "no other local user can reach it (docs/security.md).")
START_TIME = Opt("start_time", ("--start-time",), "str",
                 "Start the fake host's clock at this time (ISO 8601, UTC unless it has an "
                 "offset: 2026-03-01T09:00); it runs on from there.")
PROJECT_HELP = ("The plugin project (the directory with plugin.json). Default: the nearest one "
                "from the current directory upward.")

FIRE_OPTIONS: tuple[Opt, ...] = (
    Opt("json_text", ("--json",), "str",
        "Payload fields as JSON (merged over the synthesized payload)."),
    Opt("file", ("--file",), "path", "Read the payload fields from a JSON file."),
    Opt("sets", ("--set",), "list", "Set one field: --set post.message=hi (repeatable)."),
    Opt("as_user", ("--as",), "str", "Act as this user of the world (username)."),
    Opt("channel", ("--channel",), "str", "Channel name (or team/name); default town-square."),
    Opt("message", ("--message", "-m"), "str", "The post text (post hooks)."),
    Opt("data", ("--data", "-d"), "str",
        "ServeHTTP request body; @FILE reads it from FILE, @- from standard input."),
    Opt("headers", ("--header", "-H"), "list",
        "ServeHTTP request header 'Name: value' (repeatable)."),
    FORMAT,
    Opt("record", ("--record",), "path", "Append the call to this cassette (JSON Lines)."),
    Opt("show_request", ("--show-request",), "flag", "Also print the request sent."),
    WORLD,
    PYTHON,
    START_TIMEOUT,
    HOOK_TIMEOUT,
    TCP,
    PRIVATE,
    Opt("local", ("--local",), "flag",
        "Use a short session of its own even when `mmplug dev` runs."),
    Opt("nodes", ("--nodes",), "int",
        "Run the plugin on this many nodes sharing one store, as a high-availability cluster: "
        "races in its KV access and nodes that answer differently are reported (exit 1)."),
    Opt("node", ("--node",), "str", "Send the hook to this node (2 or node2; --nodes, or a "
        "running `mmplug dev --nodes`)."),
    Opt("count", ("--count",), "int", "Fire the hook this many times; a summary is shown."),
    Opt("concurrency", ("--concurrency",), "int",
        "With --count: this many calls at once (default 1)."),
    START_TIME,
    Opt("list_hooks", ("--list",), "flag", "List every hook and exit."),
)
FIRE: dict[str, Opt] = {opt.key: opt for opt in FIRE_OPTIONS}


def check_format(value: str, name: str = "--format") -> str:
    """``value`` if it is an output format; else a usage error naming the formats."""
    if value not in FORMATS:
        from mmplug.errors import UsageError

        raise UsageError(f"{name} must be text or json, not {value!r}")
    return value


def check_level(value: str) -> str:
    """The log level ``value`` names (``warning`` is ``warn``); else a usage error."""
    from mmplug.host.logs import LEVELS, normalize_level

    level = normalize_level(value)
    if level is None:
        from mmplug.errors import UsageError

        raise UsageError(f"unknown log level {value!r}", hint="use one of " + ", ".join(LEVELS))
    return level


def check_transport(tcp: bool, private: bool) -> str:
    """The plugin transport ``--tcp`` asks for (``"tcp"``, else ``"unix"``); with
    ``--private`` as well, a usage error: private mode keeps the plugin's socket private."""
    if tcp and private:
        from mmplug.errors import UsageError

        raise UsageError("--tcp and --private contradict each other: --private keeps the "
                         "plugin's hooks on a private unix socket",
                         hint="drop one of them (docs/security.md)")
    return "tcp" if tcp else "unix"


def check_time(value: str | None, name: str = "--start-time") -> str | None:
    """``value`` if it is a time the clock can be set to (None passes); else a usage error."""
    if value is not None:
        from mmplug.errors import UsageError
        from mmplug.host.timekeeper import parse_time

        try:
            parse_time(value)
        except UsageError as exc:
            raise UsageError(f"{name}: {exc.message}", hint=exc.hint) from None
    return value


def check_python(value: str | None) -> str | None:
    """``value`` if it names an interpreter that can run (None passes: the plugin's own);
    else a usage error, before any plugin is started with it."""
    if value is not None:
        import os

        from mmplug.host._child_env import server_python

        chosen = server_python(".", value)
        path = chosen.path if chosen is not None else value
        if not os.path.isfile(path) or not os.access(path, os.X_OK):
            from mmplug.errors import UsageError

            what = "not an executable file" if os.path.exists(path) else "there is no such file"
            raise UsageError(f"--python {value}: {what}",
                             hint="give the path of a Python interpreter (.venv/bin/python) or "
                             "a command on PATH (python3.12), or leave --python out to use the "
                             "plugin's venv/, else python3")
    return value


def check_counts(**values: int | None) -> None:
    """Each keyword (``count=200``) that is given must be a whole number of at least 1."""
    for key, value in values.items():
        if value is not None and value < 1:
            from mmplug.errors import UsageError

            raise UsageError(f"--{key.replace('_', '-')} must be 1 or more, not {value}")


def check_seconds(**values: float) -> None:
    """Each keyword (``start_timeout=10``) must be a positive number of seconds."""
    for key, value in values.items():
        if value <= 0:
            from mmplug.errors import UsageError

            name = "--" + key.replace("_", "-")
            raise UsageError(f"{name} must be a positive number of seconds, not {value:g}")


# --- old spellings ---------------------------------------------------------------------------

# A directory named like a format, given to the new `bundle --output DIR`, is taken as a
# directory only when it exists (see the ``when`` of that spelling below).
def _a_format_not_a_directory(value: str) -> bool:
    import os

    return value in FORMATS and not os.path.isdir(value)


class Old:
    """An old spelling of an option of ``command`` (``"fire"``, ``"bundle build"``): ``new``
    is the current name ("" for the project, now positional; None: dropped, it does nothing
    now); ``values`` renames values; ``when`` limits the rewrite to values it accepts."""

    __slots__ = ("command", "name", "new", "takes_value", "values", "when", "why")

    def __init__(self, command: str, name: str, new: str | None, *, takes_value: bool = True,
                 values: dict[str, str] | None = None, when: Any = None, why: str = "") -> None:
        self.command, self.name, self.new, self.takes_value = command, name, new, takes_value
        self.values, self.when, self.why = values or {}, when, why


OLD_SPELLINGS: tuple[Old, ...] = (
    Old("fire", "--output", "--format", values={"pretty": "text"}),
    Old("fire", "-o", "--format", values={"pretty": "text"}),
    Old("bundle build", "--out-dir", "--output"),
    Old("bundle build", "--output", "--format", when=_a_format_not_a_directory,
        why="--output now names the output directory"),
    Old("bundle inspect", "--output", "--format"),
    Old("dev", "-p", "--port"),
    *(Old(f"state {sub}", name, "") for sub in ("snapshot", "restore", "list", "delete", "reset")
      for name in ("--path", "-p")),
    Old("replay", "--one-cpu", None, takes_value=False,
        why="replay places the plugin and the fake host itself"),
)

# The sub-commands of groups; a group's first entry is its default sub-command.
_GROUPS = {"bundle": ("build", "inspect"),
           "state": ("snapshot", "restore", "list", "delete", "reset")}


def _command_of(argv: list[str]) -> tuple[str, int]:
    """The command ("bundle build") the words name, and where its own words begin."""
    if not argv or argv[0].startswith("-"):
        return "", 0
    subs = _GROUPS.get(argv[0])
    if subs is None:
        return argv[0], 1
    if len(argv) > 1 and argv[1] in subs:
        return f"{argv[0]} {argv[1]}", 2
    return f"{argv[0]} {subs[0]}" if argv[0] == "bundle" else argv[0], 1


def modernize(argv: list[str], notices: list[str] | None = None) -> list[str]:
    """``argv`` (the words after ``mmplug``) with old option spellings rewritten to the
    current ones; a one-line notice per rewrite goes to ``notices`` (default: stderr)."""
    command, start = _command_of(argv)
    olds = {old.name: old for old in OLD_SPELLINGS if old.command == command}
    if not olds:
        return argv
    out, said = list(argv[:start]), []
    moved: list[str] = []
    words = iter(argv[start:])
    for word in words:
        if word == "--":
            out.append(word)
            out.extend(words)
            break
        name, attached = word, None
        if word.startswith("--") and "=" in word:
            name, attached = word.split("=", 1)
        elif not word.startswith("--") and len(word) > 2 and word[:2] in olds:
            name, attached = word[:2], word[2:]
        old = olds.get(name)
        if old is None or (attached is not None and not old.takes_value):
            out.append(word)
            continue
        value = None
        if old.takes_value:
            value = attached if attached is not None else next(words, None)
            if value is None or (old.when is not None and not old.when(value)):
                out.append(word)  # left to the parser: its usage error, or the new meaning
                if value is not None and attached is None:
                    out.append(value)
                continue
        said.append(_notice(old, name, value))
        if old.new is None:
            continue
        if old.new == "":  # the value moves to the positional arguments
            if value is not None:
                moved.append(value)
            continue
        out.append(old.new)
        if value is not None:
            out.append(old.values.get(value, value))
    if said:
        if notices is None:
            import sys

            for line in said:
                sys.stderr.write(f"note: {line}\n")
        else:
            notices.extend(said)
    if "--" in out and moved:
        cut = out.index("--")
        return [*out[:cut], *moved, *out[cut:]]
    return out + moved


def _notice(old: Old, name: str, value: str | None) -> str:
    given = name if value is None or not old.takes_value else f"{name} {value}"
    if old.new is None:
        now = "is no longer needed"
    elif old.new == "":
        now = f"is now just `{value}` (the project is positional)"
    elif value is None:
        now = f"is now `{old.new}`"
    else:
        now = f"is now `{old.new} {old.values.get(value, value)}`"
    why = f"; {old.why}" if old.why else ""
    return f"`{given}` {now}{why} (docs/cli.md); the old spelling will go away"
