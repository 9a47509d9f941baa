"""``mmplug clock``: move the clock of a running ``mmplug dev`` (its plugins' scheduled jobs run
as they fall due), or show it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from mmplug.cli._options import FORMAT, PROJECT_HELP


def register(app: typer.Typer) -> None:
    app.command("clock")(clock)


def clock(
    path: Annotated[
        Optional[Path], typer.Argument(help=PROJECT_HELP, show_default=False)  # noqa: UP045
    ] = None,
    advance: Annotated[
        Optional[str],  # noqa: UP045 (typer on 3.10)
        typer.Option("--advance", help="Move the clock forward by this much: 30d, 12h, 90m, "
                     "45s, 1w, 1d12h.", show_default=False),
    ] = None,
    to: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--to", help="Put the clock at this time (ISO 8601, UTC unless it has "
                     "an offset); earlier than now too.", show_default=False),
    ] = None,
    data_retention: Annotated[
        bool, typer.Option("--data-retention", help="Run the server's daily data retention "
                           "job (RunDataRetention) each time the move passes its start time.")
    ] = False,
    output_format: Annotated[str, FORMAT.typer()] = "text",
) -> None:
    """Move the clock of the `mmplug dev` running this project, or show it.

    Scheduled jobs (mmplug.sdk.cluster.schedule) run on the way, in order, as the server would
    run them if that much time passed; KV entries that expire on the way are gone.
    """
    from mmplug._plugin_files import project_dir
    from mmplug.cli._options import check_format
    from mmplug.devloop.control import connect
    from mmplug.errors import UsageError

    check_format(output_format)
    project = Path(project_dir(path))
    client = connect(project)
    if client is None:
        raise UsageError(f"no `mmplug dev` runs for {project}",
                         hint="start it with `mmplug dev` (then move its clock from another "
                              "terminal); in tests, use plugin.clock.advance(days=...)")
    with client:
        answer = client.clock(advance=advance, to=to, data_retention=data_retention)
    if output_format == "json":
        import json

        typer.echo(json.dumps(answer, indent=2))
        return
    typer.echo(_describe(answer))


def _describe(answer: dict[str, Any]) -> str:
    lines = []
    if answer["before"] != answer["now"]:
        lines.append(f"clock: {answer['before']} -> {answer['now']}")
    else:
        running = "running" if answer.get("running") else "standing"
        lines.append(f"clock: {answer['now']} ({running})")
    for run in answer.get("ran", []):
        lines.append(f"  {run['at']}  {run['node']}: job {run['job']} ran")
    for failed in answer.get("failed", []):
        lines.append(f"  {failed['at']}  {failed['node']}: {failed['error']}")
    for node, at in answer.get("due", {}).items():
        lines.append(f"  next: {node} at {at}")
    return "\n".join(lines)
