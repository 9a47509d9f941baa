"""``mmplug fire``: fire one hook at a plugin with a realistic payload and show what it did.

The options' names, kinds and help come from :data:`mmplug.cli._options.FIRE_OPTIONS`, which
the fast path (:mod:`mmplug.cli._fire_fast`) reads too; this module only gives them to typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mmplug.cli._options import FIRE as F
from mmplug.cli._options import HOOK_TIMEOUT_S, START_TIMEOUT_S


def register(app: typer.Typer) -> None:
    # short_help: typer keeps a docstring's line breaks in the command list
    app.command("fire", context_settings={"allow_interspersed_args": True},
                short_help="Fire a hook at a plugin with realistic data; show what it did.")(fire)


def fire(
    hook: Annotated[Optional[str], typer.Argument(  # noqa: UP045 (typer on Python 3.10)
        help="The hook: Go or Python name, any case. Omit it on a terminal to pick one.")] = None,
    args: Annotated[Optional[list[str]], typer.Argument(  # noqa: UP045
        help="The plugin directory (default: the nearest with plugin.json, from here upward) "
             "and shortcuts: ExecuteCommand \"/cmd args\", ServeHTTP GET /path.",
        show_default=False)] = None,
    json_text: Annotated[Optional[str], F["json_text"].typer()] = None,  # noqa: UP045
    file: Annotated[Optional[Path], F["file"].typer()] = None,  # noqa: UP045
    sets: Annotated[Optional[list[str]], F["sets"].typer()] = None,  # noqa: UP045
    as_user: Annotated[Optional[str], F["as_user"].typer()] = None,  # noqa: UP045
    channel: Annotated[Optional[str], F["channel"].typer()] = None,  # noqa: UP045
    message: Annotated[Optional[str], F["message"].typer()] = None,  # noqa: UP045
    data: Annotated[Optional[str], F["data"].typer()] = None,  # noqa: UP045
    headers: Annotated[Optional[list[str]], F["headers"].typer()] = None,  # noqa: UP045
    output_format: Annotated[str, F["output_format"].typer()] = "text",
    record: Annotated[Optional[Path], F["record"].typer()] = None,  # noqa: UP045
    show_request: Annotated[bool, F["show_request"].typer()] = False,
    world: Annotated[Optional[str], F["world"].typer()] = None,  # noqa: UP045
    python: Annotated[Optional[str], F["python"].typer()] = None,  # noqa: UP045
    start_timeout: Annotated[float, F["start_timeout"].typer()] = START_TIMEOUT_S,
    hook_timeout: Annotated[float, F["hook_timeout"].typer()] = HOOK_TIMEOUT_S,
    tcp: Annotated[bool, F["tcp"].typer()] = False,
    private: Annotated[bool, F["private"].typer()] = False,
    local: Annotated[bool, F["local"].typer()] = False,
    nodes: Annotated[Optional[int], F["nodes"].typer()] = None,  # noqa: UP045
    node: Annotated[Optional[str], F["node"].typer()] = None,  # noqa: UP045
    count: Annotated[Optional[int], F["count"].typer()] = None,  # noqa: UP045
    concurrency: Annotated[Optional[int], F["concurrency"].typer()] = None,  # noqa: UP045
    start_time: Annotated[Optional[str], F["start_time"].typer()] = None,  # noqa: UP045
    list_hooks: Annotated[bool, F["list_hooks"].typer()] = False,
) -> None:
    """Fire a hook at the plugin with realistic data and show its response, the API calls
    it made, its logs and the duration. Goes into the running `mmplug dev` of the project if
    there is one. With --count, many times (--concurrency at once); with --nodes, on a
    cluster of that many nodes, reporting races and nodes that answer differently. Exit 0
    when the hook completed, 1 when it failed (or something was reported), 2 for usage
    errors."""
    from mmplug.cli._fire_run import execute

    code = execute(
        hook=hook, args=args, json_text=json_text, file=file, sets=sets, as_user=as_user,
        channel=channel, message=message, data=data, headers=headers,
        output_format=output_format, record=record, show_request=show_request, world=world,
        python=python, start_timeout=start_timeout, hook_timeout=hook_timeout, tcp=tcp,
        private=private, local=local, nodes=nodes, node=node, count=count,
        concurrency=concurrency, start_time=start_time, list_hooks=list_hooks)
    if code:
        raise typer.Exit(code)
