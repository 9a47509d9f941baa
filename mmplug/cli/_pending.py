"""Placeholders for commands whose implementation has not landed yet.

They show in ``mmplug --help`` and, when run, say plainly that they are not available
instead of pretending to work.
"""

from __future__ import annotations

import typer

PENDING: dict[str, tuple[str, int]] = {
    "new": ("Scaffold a plugin project from a template.", 4),
    "dev": ("Run a plugin under the fake host and reload it on every save.", 5),
    "run": ("Run a plugin under the fake host and stream its logs.", 3),
    "fire": ("Fire a hook at a plugin and show what it did.", 6),
    "replay": ("Replay a recorded cassette and check the results.", 6),
    "bundle": ("Pack a plugin into a server-installable tarball.", 7),
    "upgrade": ("Re-render a project from a newer template with a three-way merge.", 4),
}


def register(app: typer.Typer, name: str) -> None:
    summary, issue = PENDING[name]

    def not_yet(
        args: list[str] = typer.Argument(None, hidden=True),  # noqa: B008
    ) -> None:
        typer.echo(
            f"mmplug {name}: not available in this version yet (tracked as issue #{issue}).",
            err=True,
        )
        raise typer.Exit(2)

    not_yet.__doc__ = f"{summary} [not available yet]"
    app.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(
        not_yet
    )
