"""``mmplug explore``: the Plugin Explorer on a project's state when no ``mmplug dev`` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mmplug.cli._options import PROJECT_HELP


def register(app: typer.Typer) -> None:
    app.command("explore")(explore)


def explore(
    path: Annotated[
        Optional[Path], typer.Argument(help=PROJECT_HELP, show_default=False)  # noqa: UP045
    ] = None,
    port: Annotated[
        Optional[int],  # noqa: UP045 (typer needs Optional on Python 3.10)
        typer.Option("--port", help="The explorer's port (default 8066, or any free port when "
                     "that one is taken).", show_default=False),
    ] = None,
) -> None:
    """Open the Plugin Explorer on the project's state and last trace, until Ctrl-C.

    With `mmplug dev` running for the project, it prints that session's explorer URL instead:
    there you can also chat with the plugin and fire calls again.
    """
    import json

    from mmplug._plugin_files import project_dir
    from mmplug.cli._stop import StopSignals
    from mmplug.errors import UsageError

    if port is not None and not 0 <= port <= 65535:
        raise UsageError(f"--port must be a port number (0-65535), not {port}")
    project = Path(project_dir(path))
    from mmplug.devloop.control import connect

    client = connect(project, timeout=1.0)
    if client is not None:
        client.close()
        info_path = project / ".mmplug" / "explorer.json"
        try:
            info = json.loads(info_path.read_text())
            typer.echo(f"`mmplug dev` runs for this project; its explorer: "
                       f"{info['url']}/?token={info['token']}")
            return
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError("`mmplug dev` runs for this project without its explorer",
                             hint="restart it without --no-explorer, or stop it and run "
                             "`mmplug explore` again") from None
    from mmplug.explorer.server import open_offline

    explorer = open_offline(project, port=port)
    stop = StopSignals().install()
    try:
        explorer.start()
        typer.echo(f"explorer: {explorer.login_url}")
        typer.echo("the project's state and the last `mmplug dev` trace; no plugin runs (start "
                   "`mmplug dev` to chat with it). Ctrl-C to stop.")
        stop.wait()
    finally:
        explorer.close()
        stop.restore()
    from mmplug.cli._stop import LEFT

    stop.end(LEFT["explore"])
