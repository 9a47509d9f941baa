"""``mmplug fire``: fire one hook at a plugin with a realistic payload and show what it did."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    # short_help: typer keeps a docstring's line breaks in the command list
    app.command("fire", context_settings={"allow_interspersed_args": True},
                short_help="Fire a hook at a plugin with realistic data; show what it did.")(fire)


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
        "--data", "-d", help="ServeHTTP request body; @FILE reads it from FILE, @- from "
                             "standard input.")] = None,
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
    from mmplug.cli._fire_run import execute

    code = execute(
        hook=hook, args=args, json_text=json_text, file=file, sets=sets, as_user=as_user,
        channel=channel, message=message, data=data, headers=headers, output=output,
        record=record, show_request=show_request, world=world, python=python,
        hook_timeout=hook_timeout, local=local, list_hooks=list_hooks)
    if code:
        raise typer.Exit(code)
