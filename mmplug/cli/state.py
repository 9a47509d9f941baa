"""``mmplug state``: reset the fake host's state, and save or restore named snapshots of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mmplug.cli._options import PROJECT_HELP

state_app = typer.Typer(
    help="Reset the fake host's state (.mmplug/state.db) or save and restore named snapshots.",
    no_args_is_help=True,
)

ProjectArg = Annotated[Optional[Path], typer.Argument(  # noqa: UP045 (typer on 3.10)
    help=PROJECT_HELP, show_default=False)]
NameArg = Annotated[str, typer.Argument(help="Snapshot name (letters, digits, '-', '_', '.').")]


def register(app: typer.Typer) -> None:
    app.add_typer(state_app, name="state")


def _project(path: Path | None) -> Path:
    from mmplug._plugin_files import project_dir

    return Path(project_dir(path))


@state_app.command("snapshot")
def snapshot_cmd(name: NameArg, path: ProjectArg = None,
                 force: Annotated[bool, typer.Option("--force", help="Replace it.")] = False
                 ) -> None:
    """Save the current state as a named snapshot."""
    from mmplug.host import snapshots

    taken = snapshots.take(_project(path), name, force=force)
    typer.echo(f"saved snapshot {taken.name} ({taken.size / 1024:.0f} KiB)")


@state_app.command("restore")
def restore_cmd(name: NameArg, path: ProjectArg = None) -> None:
    """Replace the current state with a named snapshot."""
    from mmplug.host import snapshots

    restored = snapshots.restore(_project(path), name)
    typer.echo(f"restored snapshot {restored.name}")


@state_app.command("list")
def list_cmd(path: ProjectArg = None) -> None:
    """List the snapshots of the project."""
    from mmplug.host import snapshots

    found = snapshots.list_snapshots(_project(path))
    if not found:
        typer.echo("no snapshots (save one with `mmplug state snapshot NAME`)")
    for item in found:
        typer.echo(item.describe())


@state_app.command("delete")
def delete_cmd(name: NameArg, path: ProjectArg = None) -> None:
    """Delete a named snapshot."""
    from mmplug.host import snapshots

    snapshots.delete(_project(path), name)
    typer.echo(f"deleted snapshot {name}")


@state_app.command("reset")
def reset_cmd(path: ProjectArg = None) -> None:
    """Empty the state; the next run seeds it from the world again (same as --fresh)."""
    from mmplug.host import snapshots

    if snapshots.reset(_project(path)):
        typer.echo("state reset; the next run starts from the world")
    else:
        typer.echo("no state yet; nothing to reset")
