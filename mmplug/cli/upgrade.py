"""``mmplug upgrade``: re-render a project from a newer template with a three-way merge."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ACTION_MARKS = {"added": "A", "updated": "U", "merged": "M", "deleted": "D", "conflict": "C"}


def register(app: typer.Typer) -> None:
    @app.command("upgrade")
    def upgrade(
        path: Annotated[Path | None, typer.Argument(
            help="The project (made by `mmplug new`). Default: the nearest directory with "
            "plugin.json from the current directory upward.", show_default=False)] = None,
        template_version: Annotated[str | None, typer.Option(
            "--template-version",
            help="Git ref of the template to apply (tag, branch or commit), for templates from "
            "a URL or a git directory. Built-in templates come with mmplug.",
        )] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Show what would change; write nothing.")] = False,
        allow_dirty: Annotated[bool, typer.Option(
            "--allow-dirty", help="Upgrade even with uncommitted changes in git.")] = False,
    ) -> None:
        """Re-render a project from a newer template with a three-way merge."""
        from mmplug._plugin_files import project_dir
        from mmplug.cli._stop import done
        from mmplug.scaffold import upgrade_project

        result = upgrade_project(Path(project_dir(path)), template_version=template_version,
                                 dry_run=dry_run, allow_dirty=allow_dirty,
                                 written=done("upgrade"))
        verb = "would be" if dry_run else "is"
        if result.up_to_date:
            typer.echo(f"{result.project.name} {verb} up to date with template "
                       f"{result.new_version}.")
        else:
            typer.echo(f"Upgrading {result.project.name}: template {result.old_version} -> "
                       f"{result.new_version}" + (" (dry run)" if dry_run else ""))
        for action, name in result.changes:
            typer.echo(f"  {ACTION_MARKS.get(action, '?')} {name}  ({action})")
        for note in result.notes:
            typer.echo(f"note: {note}", err=True)
        if result.conflicts:
            typer.echo(f"\n{len(result.conflicts)} file(s) with conflicts; resolve the "
                       "<<<<<<< ======= >>>>>>> markers, then commit:", err=True)
            for name in result.conflicts:
                typer.echo(f"  {name}", err=True)
            raise typer.Exit(1)
