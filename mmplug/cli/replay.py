"""``mmplug replay``: replay a cassette against a fresh session; check or update it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mmplug.cli._options import (
    HOOK_TIMEOUT,
    HOOK_TIMEOUT_S,
    PRIVATE,
    PROJECT_HELP,
    PYTHON,
    START_TIMEOUT,
    START_TIMEOUT_S,
    TCP,
    WORLD,
)


def register(app: typer.Typer) -> None:
    # short_help: typer keeps a docstring's line breaks in the command list
    app.command("replay", short_help="Replay a cassette against a fresh session; report "
                                     "every difference.")(replay)


def replay(
    cassette: Annotated[Path, typer.Argument(help="The cassette (JSON Lines) to replay.")],
    path: Annotated[
        Optional[Path], typer.Argument(help=PROJECT_HELP, show_default=False)  # noqa: UP045
    ] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Compare with the recording; exit 1 and show a diff on a mismatch.")
    ] = False,
    update: Annotated[bool, typer.Option(
        "--update", help="Rewrite the cassette with the new results (atomically).")] = False,
    ignore: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer on 3.10)
        "--ignore", help="A field to leave out of the comparison: a name (update_at) or a "
                         "path (response.post.update_at); repeatable.")] = None,
    world: Annotated[Optional[str], WORLD.typer(  # noqa: UP045
        help="World: a name or a .json file (default: the one the cassette names).")] = None,
    python: Annotated[Optional[str], PYTHON.typer()] = None,  # noqa: UP045
    start_timeout: Annotated[float, START_TIMEOUT.typer()] = START_TIMEOUT_S,
    hook_timeout: Annotated[float, HOOK_TIMEOUT.typer()] = HOOK_TIMEOUT_S,
    tcp: Annotated[bool, TCP.typer()] = False,
    private: Annotated[bool, PRIVATE.typer()] = False,
    any_cpu: Annotated[bool, typer.Option(
        "--any-cpu", hidden=True,
        help="Let the system place the fake host and the plugin while the calls replay "
             "(replay keeps them on one CPU by itself; this is for comparisons, as "
             "benchmarks/replay_cli.py makes).")
    ] = False,
) -> None:
    """Replay the calls of a cassette in order against a fresh deterministic session (same
    world, seeded ids, recorded clock) and report every difference."""
    from mmplug._plugin_files import project_dir
    from mmplug.cassette import replay_cassette
    from mmplug.cli._console import output_console
    from mmplug.cli._options import check_seconds, check_transport
    from mmplug.cli._render import print_report
    from mmplug.errors import UsageError

    if check and update:
        raise UsageError("--check and --update exclude each other",
                         hint="--check reports differences; --update accepts them")
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    transport = check_transport(tcp, private)
    report = replay_cassette(cassette, project_dir(path), ignore=ignore or (), update=update,
                             python=python, start_timeout=start_timeout,
                             hook_timeout=hook_timeout, world=world, one_cpu=not any_cpu,
                             transport=transport, private=private)
    print_report(output_console(), report)
    if report.stop_faults:  # the calls replayed, but the plugin did not stop as it should
        raise report.stop_faults[0]
    if check and not report.ok:
        raise typer.Exit(1)
