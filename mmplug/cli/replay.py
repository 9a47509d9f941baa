"""``mmplug replay``: replay a cassette against a fresh session; check or update it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

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
    cassette: Annotated[Path, typer.Argument(
        help="The cassette (JSON Lines) to replay, or a folder: every cassette in it and its "
             "subfolders, several at once.")],
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
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j",
        help="For a folder: how many cassettes replay at once, each in a process of its own "
             "(default 0: one per CPU).")
    ] = 0,
    any_cpu: Annotated[bool, typer.Option(
        "--any-cpu", hidden=True,
        help="Let the system place the fake host and the plugin while the calls replay "
             "(replay keeps them on one CPU by itself; this is for comparisons, as "
             "benchmarks/replay_cli.py makes).")
    ] = False,
) -> None:
    """Replay the calls of a cassette in order against a fresh deterministic session (same
    world, seeded ids, recorded clock) and report every difference; given a folder, replay
    every cassette in it, several at once."""
    from mmplug._plugin_files import project_dir
    from mmplug.cassette import replay_cassette
    from mmplug.cli._console import output_console
    from mmplug.cli._options import check_python, check_seconds, check_transport
    from mmplug.cli._render import print_report
    from mmplug.errors import UsageError

    if check and update:
        raise UsageError("--check and --update exclude each other",
                         hint="--check reports differences; --update accepts them")
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    check_python(python)
    if jobs < 0:
        raise UsageError(f"--jobs {jobs}: give how many cassettes replay at once",
                         hint="1 or more, or 0 for one per CPU")
    transport = check_transport(tcp, private)
    options: dict[str, Any] = dict(
        ignore=ignore or (), update=update, python=python, start_timeout=start_timeout,
        hook_timeout=hook_timeout, world=world, one_cpu=not any_cpu, transport=transport,
        private=private)
    if cassette.is_dir():
        _replay_folder(cassette, project_dir(path), jobs, check, options)
        return
    report = replay_cassette(cassette, project_dir(path), **options)
    print_report(output_console(), report)
    if report.stop_faults:  # the calls replayed, but the plugin did not stop as it should
        raise report.stop_faults[0]
    if check and not report.ok:
        raise typer.Exit(1)


def _replay_folder(folder: Path, plugin_dir: str, jobs: int, check: bool,
                   options: dict[str, Any]) -> None:
    """Every cassette of ``folder``, ``jobs`` at a time; each report as it is ready, in the
    cassettes' order, then a summary."""
    from mmplug.cassette.batch import replay_folder
    from mmplug.cli._console import output_console
    from mmplug.cli._render import print_folder_summary, print_replay_error, print_report

    console = output_console()
    outcomes = []
    for outcome in replay_folder(folder, plugin_dir, jobs=jobs, **options):
        outcomes.append(outcome)
        if outcome.report is not None:
            print_report(console, outcome.report)
        elif outcome.error is not None:
            print_replay_error(console, outcome.cassette, outcome.error)
    print_folder_summary(console, folder, outcomes)
    faults = [f for o in outcomes if o.report is not None for f in o.report.stop_faults]
    if faults:  # the calls replayed, but a plugin did not stop as it should
        raise faults[0]
    errors = [o.error for o in outcomes if o.error is not None]
    if errors:
        raise typer.Exit(max(e.exit_code for e in errors))
    if check and not all(o.ok for o in outcomes):
        raise typer.Exit(1)
