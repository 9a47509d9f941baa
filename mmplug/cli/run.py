"""``mmplug run``: start a plugin under the fake host, stream its logs until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from mmplug.cli._options import (
    FRESH,
    HOOK_TIMEOUT,
    HOOK_TIMEOUT_S,
    LOG_LEVEL,
    PRIVATE,
    PROJECT_HELP,
    PYTHON,
    START_TIME,
    START_TIMEOUT,
    START_TIMEOUT_S,
    STORE,
    TCP,
    WORLD,
)


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    path: Annotated[
        Optional[Path], typer.Argument(help=PROJECT_HELP, show_default=False)  # noqa: UP045
    ] = None,
    log_level: Annotated[str, LOG_LEVEL.typer()] = "info",
    world: Annotated[Optional[str], WORLD.typer(  # noqa: UP045
        help="World (seed state) for a new store: a name or a .json file.")] = None,
    fresh: Annotated[bool, FRESH.typer()] = False,
    store: Annotated[Optional[str], STORE.typer()] = None,  # noqa: UP045 (typer on 3.10)
    start_timeout: Annotated[float, START_TIMEOUT.typer()] = START_TIMEOUT_S,
    hook_timeout: Annotated[float, HOOK_TIMEOUT.typer()] = HOOK_TIMEOUT_S,
    python: Annotated[Optional[str], PYTHON.typer()] = None,  # noqa: UP045
    tcp: Annotated[bool, TCP.typer()] = False,
    private: Annotated[bool, PRIVATE.typer()] = False,
    start_time: Annotated[Optional[str], START_TIME.typer()] = None,  # noqa: UP045
) -> None:
    """Run a plugin under the fake host and stream its logs until Ctrl-C."""
    from mmplug._plugin_files import project_dir
    from mmplug.cli._options import (
        check_level,
        check_python,
        check_seconds,
        check_time,
        check_transport,
    )

    level = check_level(log_level)
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    check_python(python)
    transport = check_transport(tcp, private)
    _serve(Path(project_dir(path)), level, world, fresh, store, start_timeout, hook_timeout,
           python, {"transport": transport, "private": private,
                    "start_time": check_time(start_time)})


def _serve(path: Path, level: str, world: str | None, fresh: bool, store: str | None,
           start_timeout: float, hook_timeout: float, python: str | None,
           sockets: dict[str, Any]) -> None:
    from mmplug.cli._console import output_console
    from mmplug.cli._render import render_log
    from mmplug.cli._stop import StopSignals
    from mmplug.host.logs import LogRecord, level_at_least
    from mmplug.host.session import STOP_FAULT, Session

    console = output_console(soft_wrap=True)

    class Printer:
        def on_log(self, record: LogRecord) -> None:
            if record.module == STOP_FAULT:
                return  # the command ends with it as its error
            if level_at_least(record.level, level):
                console.print(render_log(record))

    session = Session([path], store=store, world=world, fresh=fresh, python=python,
                      start_timeout=start_timeout, hook_timeout=hook_timeout, **sockets)
    session.add_observer(Printer())
    with session:
        from mmplug.cli._stop import LEFT, state_kept

        left = f"{LEFT['run']}; {state_kept(getattr(session.store, 'path', None))}"
        try:
            with StopSignals() as stop:
                for handle in session.plugins.values():
                    console.print(_banner(handle, session), style="bold")
                console.print("Press Ctrl-C to stop.", style="dim")
                stop.wait(session.poll)
        finally:
            console.print("stopping...", style="dim")
    session.raise_stop_faults()
    stop.end(left)


def _banner(handle: Any, session: Any) -> str:
    api = handle.api_target or "not available"
    store = getattr(session.store, "path", "")
    return (f"{handle.id} {handle.manifest.version} is active (pid {handle.pid}); "
            f"hooks: {', '.join(handle.implemented) or 'none'}; API at {api}; store: {store}")
