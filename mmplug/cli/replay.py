"""``mmplug replay``: replay a cassette against a fresh session; check or update it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    # short_help: typer keeps a docstring's line breaks in the command list
    app.command("replay", short_help="Replay a cassette against a fresh session; report "
                                     "every difference.")(replay)


def replay(
    cassette: Annotated[Path, typer.Argument(help="The cassette (JSON Lines) to replay.")],
    path: Annotated[Path, typer.Argument(
        help="The plugin directory (default .).")] = Path("."),
    check: Annotated[bool, typer.Option(
        "--check", help="Compare with the recording; exit 1 and show a diff on a mismatch.")
    ] = False,
    update: Annotated[bool, typer.Option(
        "--update", help="Rewrite the cassette with the new results (atomically).")] = False,
    ignore: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 (typer on 3.10)
        "--ignore", help="A field to leave out of the comparison: a name (update_at) or a "
                         "path (response.post.update_at); repeatable.")] = None,
    world: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--world", help="World name or .json file (default: the one the cassette names).")
    ] = None,
    python: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--python", help="Interpreter for the plugin (default: its venv, python3).")] = None,
    hook_timeout: Annotated[float, typer.Option(
        "--hook-timeout", help="Deadline in seconds per hook call.")] = 30.0,
    one_cpu: Annotated[bool, typer.Option(
        "--one-cpu/--any-cpu", help="Replay the calls with the fake host and the plugin on one "
                                    "CPU (Linux; they wait on each other, and waking another "
                                    "CPU is dear on virtual machines) or let the system place "
                                    "them.")
    ] = True,
) -> None:
    """Replay the calls of a cassette in order against a fresh deterministic session (same
    world, seeded ids, recorded clock) and report every difference."""
    from mmplug.cassette import replay_cassette
    from mmplug.cli._console import output_console
    from mmplug.cli._render import print_report
    from mmplug.errors import UsageError

    if check and update:
        raise UsageError("--check and --update exclude each other",
                         hint="--check reports differences; --update accepts them")
    report = replay_cassette(cassette, path, ignore=ignore or (), update=update, python=python,
                             hook_timeout=hook_timeout, world=world, one_cpu=one_cpu)
    print_report(output_console(), report)
    if check and not report.ok:
        raise typer.Exit(1)
