"""The rich console a command prints its results with.

When whatever reads the output stops reading (``mmplug replay ... | head``), rich's default is
to exit with status 1; this console raises ``BrokenPipeError`` instead, which
:func:`mmplug.cli._errors.guard` turns into a quiet end with status 141, as for a plain write.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console


class OutputConsole(Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def output_console(**options: Any) -> Console:
    """A console on stdout (``highlight=False`` unless given) for a command's results."""
    options.setdefault("highlight", False)
    return OutputConsole(**options)
