"""A fast path for ``mmplug fire HOOK ...``: parse the command line without typer.

A cold fire is timed against a compiled go-plugin client launching the same plugin, and typer
(with what it imports to build a command) takes longer to start than the whole hook call
(docs/benchmarks.md). So ``mmplug fire`` with a hook and options this parser knows goes straight to
:func:`mmplug.cli._fire_run.execute`; anything else (``--help``, no hook: the interactive loop,
an unknown option, a value that does not parse) returns None and typer handles the command line,
with its usage errors. ``tests/fire/test_fire_fast.py`` keeps this table equal to the options of
the typer command in :mod:`mmplug.cli.fire`: both read their names from
:data:`mmplug.cli._options.FIRE_OPTIONS`, and old spellings are rewritten by the same
:func:`mmplug.cli._options.modernize` before either parses.
"""

from __future__ import annotations

from mmplug.cli._options import FIRE_OPTIONS, modernize

TYPE_CHECKING = False  # typing and pathlib are imported after the plugin has been started
if TYPE_CHECKING:
    from typing import Any

# option name → (keyword of execute(), kind), from the one table the typer command reads too
OPTIONS: dict[str, tuple[str, str]] = {
    name: (opt.key, opt.kind) for opt in FIRE_OPTIONS for name in opt.names}


def parse(argv: list[str]) -> dict[str, Any] | None:
    """Keyword arguments for ``execute`` from the words after ``fire``; None to let typer
    parse them (help, interactive, anything unusual)."""
    options: dict[str, Any] = {}
    positional: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--":
            positional.extend(words)
            break
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        name, attached = word, None
        if word.startswith("--") and "=" in word:
            name, attached = word.split("=", 1)
        elif not word.startswith("--") and len(word) > 2:
            name, attached = word[:2], word[2:]  # -mhello, as click reads it
        spec = OPTIONS.get(name)
        if spec is None:
            return None
        key, kind = spec
        if kind == "flag":
            if attached is not None:
                return None
            options[key] = True
            continue
        value = attached if attached is not None else next(words, None)
        if value is None:
            return None
        if kind == "list":
            options.setdefault(key, []).append(value)
        elif kind == "path":
            from pathlib import Path

            options[key] = Path(value)
        elif kind == "float":
            try:
                options[key] = float(value)
            except ValueError:
                return None
        elif kind == "int":
            if not value.isdigit():
                return None  # typer says what is wrong with it
            options[key] = int(value)
        else:
            options[key] = value
    if not positional or options.get("list_hooks"):
        return None
    return {"hook": positional[0], "args": positional[1:] or None, **options}


def run(argv: list[str]) -> int | None:
    """Run ``mmplug fire ARGV`` on the fast path: the exit code, or None when typer must."""
    notices: list[str] = []
    options = parse(modernize(["fire", *argv], notices)[1:])
    if options is None:
        return None  # typer reads the command line again, notices and all
    if notices:
        import sys

        sys.stderr.write("".join(f"note: {line}\n" for line in notices))
    from mmplug.cli import _fire_prefetch

    _fire_prefetch.start(options)  # first: the plugin starts while we import the rest
    from mmplug.cli._errors import guard
    from mmplug.cli._fire_run import execute

    return guard(lambda: execute(**options))
