"""``mmplug check``: what works under mmplug but not on a real server (exit 1 for CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mmplug.cli._options import (
    FORMAT,
    HOOK_TIMEOUT,
    HOOK_TIMEOUT_S,
    PRIVATE,
    PROJECT_HELP,
    PYTHON,
    START_TIMEOUT,
    START_TIMEOUT_S,
    TCP,
)


def register(app: typer.Typer) -> None:
    # short_help: typer keeps a docstring's line breaks in the command list
    app.command("check", short_help="Report what works under mmplug but not on a real server "
                                    "(exit 1 for CI).")(check)


def check(
    path: Annotated[Optional[Path], typer.Argument(  # noqa: UP045 (typer on 3.10)
        help=PROJECT_HELP, show_default=False)] = None,
    server_version: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--server-version", help="Check against this Mattermost version instead of the "
                                 "manifest's min_server_version.")] = None,
    output_format: Annotated[str, FORMAT.typer()] = "text",
    python: Annotated[Optional[str], PYTHON.typer()] = None,  # noqa: UP045
    start_timeout: Annotated[float, START_TIMEOUT.typer()] = START_TIMEOUT_S,
    hook_timeout: Annotated[float, HOOK_TIMEOUT.typer()] = HOOK_TIMEOUT_S,
    tcp: Annotated[bool, TCP.typer()] = False,
    private: Annotated[bool, PRIVATE.typer()] = False,
) -> None:
    """Start the plugin (without activating it) to learn its hooks, read its code for the
    PluginAPI methods it calls, validate its manifest, and report everything that works under
    mmplug but not on a real server: hooks a Python plugin never receives, hooks and methods
    newer than the server versions it declares, answers the server ignores, manifest problems.
    Exit 0 when there are only notes, 1 on any warning or error, 2 for usage errors."""
    from mmplug._plugin_files import project_dir
    from mmplug.check import check_project, parse_version
    from mmplug.cli._console import output_console
    from mmplug.cli._options import (
        check_format,
        check_python,
        check_seconds,
        check_transport,
    )
    from mmplug.cli._render import print_check_report
    from mmplug.errors import UsageError
    from mmplug.host.session import Session
    from mmplug.manifest import find_manifest, read_json

    check_format(output_format)
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    check_python(python)
    transport = check_transport(tcp, private)
    if server_version is not None and parse_version(server_version) is None:
        raise UsageError(f"--server-version {server_version!r} is not a version",
                         hint="write it like 9.11 or 10.5.1")
    folder = Path(project_dir(path)).resolve()
    from mmplug._atomic import recover_changes

    for line in recover_changes(folder):  # an upgrade a crash cut short: done or undone
        typer.echo(f"note: {line}", err=True)
    manifest = find_manifest(folder)
    raw = read_json(manifest)
    report = check_project(folder, None, raw, server_version)
    session = None
    if not report.refused:  # the server would run it: learn its hooks as the server does
        with Session([folder], store=":memory:", python=python, start_timeout=start_timeout,
                     hook_timeout=hook_timeout, transport=transport, private=private,
                     activate=False) as session:
            report = check_project(folder, session.plugin().implemented, raw, server_version)
    report.manifest_file = str(manifest)
    print_check_report(output_console(), report, as_json=output_format == "json")
    if session is not None:
        session.raise_stop_faults()  # it did not stop as the server expects
    if report.failed:
        raise typer.Exit(1)
