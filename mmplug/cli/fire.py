"""``mmplug fire``: fire one hook at a plugin with a realistic payload and show what it did."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

OUTPUTS = ("pretty", "json")


def register(app: typer.Typer) -> None:
    import sys

    app.command("fire", context_settings={"allow_interspersed_args": True})(fire)
    if sys.argv[1:2] == ["fire"]:  # this run is a fire: start the plugin's interpreter now
        from mmplug.cli import _fire_prefetch

        _fire_prefetch.start(sys.argv[2:])


def fire(
    hook: Annotated[Optional[str], typer.Argument(  # noqa: UP045 (typer on Python 3.10)
        help="The hook: Go or Python name, any case. Omit it on a terminal to pick one.")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(  # noqa: UP045
        help="The plugin directory (default .) and shortcuts: ExecuteCommand \"/cmd args\", "
             "ServeHTTP GET /path.", show_default=False)] = None,
    json_text: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--json", help="Payload fields as JSON (merged over the synthesized payload).")] = None,
    file: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--file", help="Read the payload fields from a JSON file.")] = None,
    sets: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--set", help="Set one field: --set post.message=hi (repeatable).")] = None,
    as_user: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--as", help="Act as this user of the world (username).")] = None,
    channel: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--channel", help="Channel name (or team/name); default town-square.")] = None,
    message: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--message", "-m", help="The post text (post hooks).")] = None,
    data: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--data", "-d", help="ServeHTTP request body.")] = None,
    headers: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--header", "-H", help="ServeHTTP request header 'Name: value' (repeatable).")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="pretty | json")] = "pretty",
    record: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--record", help="Append the call to this cassette (JSON Lines).")] = None,
    show_request: Annotated[bool, typer.Option(
        "--show-request", help="Also print the request sent.")] = False,
    world: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--world", help="World to synthesize from (name or .json path).")] = None,
    python: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--python", help="Interpreter for the plugin (default: its venv, python3).")] = None,
    hook_timeout: Annotated[float, typer.Option(
        "--hook-timeout", help="Deadline in seconds for the hook call.")] = 30.0,
    local: Annotated[bool, typer.Option(
        "--local", help="Use a short session of its own even when `mmplug dev` runs.")] = False,
    list_hooks: Annotated[bool, typer.Option("--list", help="List every hook and exit.")] = False,
) -> None:
    """Fire a hook at the plugin with realistic data and show its response, the API calls
    it made, its logs and the duration. Goes into the running `mmplug dev` of the project if
    there is one. Exit 0 when the hook completed, 1 when it failed, 2 for usage errors."""
    from mmplug.errors import UsageError

    if python and "/" in python:
        python = str(Path(python).absolute())  # the plugin starts in its own directory
    if output not in OUTPUTS:
        raise UsageError(f"--output must be pretty or json, not {output!r}")
    if hook_timeout <= 0:
        raise UsageError(f"--hook-timeout must be a positive number of seconds, not "
                         f"{hook_timeout:g}")
    from mmplug.cli import _fire_input as inputs

    if list_hooks:
        inputs.list_hooks(Path(args[0]) if args else None)
        return
    plan = inputs.FirePlan(
        hook=hook, args=list(args or []), document=inputs.read_document(json_text, file),
        source="--file" if file is not None else "--json", sets=list(sets or []),
        as_user=as_user, channel=channel, message=message, data=data,
        headers=inputs.parse_headers(headers or []), world=world, python=python,
        hook_timeout=hook_timeout, record=record, local=local)
    if hook is None:
        inputs.interactive(plan)
        return
    code = _fire_once(plan, output, show_request)
    _quick_exit()
    raise typer.Exit(code)


def _quick_exit() -> None:
    """The process ends next: spare it a last garbage collection of everything imported
    (grpc, protobuf, the catalog), about 80 ms of a cold fire."""
    import gc

    gc.freeze()


def _fire_once(plan: Any, output: str, show_request: bool) -> int:
    from rich.console import Console

    from mmplug.cli import _render
    from mmplug.cli._fire_input import run_plan

    outcome = run_plan(plan)
    if output == "json":
        typer.echo(_render.outcome_json(outcome.entry))
    else:
        _render.print_outcome(Console(highlight=False), outcome.entry, show_request=show_request)
    return outcome.exit_code
