"""``mmplug run``: start a plugin under the fake host, stream its logs until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

LEVELS = ("trace", "debug", "info", "warn", "error")


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    path: Annotated[
        Path, typer.Argument(help="The plugin project (directory with plugin.json).")
    ] = Path("."),
    log_level: Annotated[
        str, typer.Option("--log-level", "-l", help="Show this level and up: " + "|".join(LEVELS))
    ] = "info",
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start from a freshly seeded store.")
    ] = False,
    store: Annotated[
        Optional[str],  # noqa: UP045 (typer needs Optional on Python 3.10)
        typer.Option("--store", help="State database file, or :memory:. Default .mmplug/state.db."),
    ] = None,
    start_timeout: Annotated[
        float, typer.Option("--start-timeout", help="Seconds to wait for the handshake.")
    ] = 10.0,
    hook_timeout: Annotated[
        float, typer.Option("--hook-timeout", help="Deadline in seconds per hook call.")
    ] = 30.0,
    python: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--python", help="Interpreter for the plugin (default: its venv, python3)."),
    ] = None,
) -> None:
    """Run a plugin under the fake host and stream its logs until Ctrl-C."""
    from mmplug.errors import UsageError
    from mmplug.host.logs import normalize_level

    level = normalize_level(log_level)
    if level is None:
        raise UsageError(f"unknown log level {log_level!r}", hint="use one of " + ", ".join(LEVELS))
    for name, value in (("--start-timeout", start_timeout), ("--hook-timeout", hook_timeout)):
        if value <= 0:
            raise UsageError(f"{name} must be a positive number of seconds, not {value:g}")
    _serve(path, level, fresh, store, start_timeout, hook_timeout, python)


def _serve(path: Path, level: str, fresh: bool, store: str | None, start_timeout: float,
           hook_timeout: float, python: str | None) -> None:
    import signal
    import threading

    from mmplug.cli._console import output_console
    from mmplug.host.logs import LogRecord, level_at_least, render_log
    from mmplug.host.session import Session

    console = output_console(soft_wrap=True)

    class Printer:
        def on_log(self, record: LogRecord) -> None:
            if level_at_least(record.level, level):
                console.print(render_log(record))

    session = Session([path], store=store, fresh=fresh, python=python,
                      start_timeout=start_timeout, hook_timeout=hook_timeout)
    session.add_observer(Printer())
    stop = threading.Event()
    with session:
        previous = {sig: signal.signal(sig, lambda *_: stop.set())
                    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            for handle in session.plugins.values():
                console.print(_banner(handle, session), style="bold")
            console.print("Press Ctrl-C to stop.", style="dim")
            while not stop.wait(0.25):
                session.poll()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            console.print("stopping...", style="dim")
    console.print("plugin deactivated and stopped.", style="dim")


def _banner(handle: Any, session: Any) -> str:
    api = handle.api_target or "not available"
    store = getattr(session.store, "path", "")
    return (f"{handle.id} {handle.manifest.version} is active (pid {handle.pid}); "
            f"hooks: {', '.join(handle.implemented) or 'none'}; API at {api}; store: {store}")
