"""What ``mmplug fire`` does once its command line is parsed (by typer, or by the fast path in
:mod:`mmplug.cli._fire_fast`). Imports no typer, so a cold fire does not pay for it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mmplug.cli._options import HOOK_TIMEOUT_S, START_TIMEOUT_S


def execute(
    hook: str | None = None,
    args: list[str] | None = None,
    json_text: str | None = None,
    file: Path | None = None,
    sets: list[str] | None = None,
    as_user: str | None = None,
    channel: str | None = None,
    message: str | None = None,
    data: str | None = None,
    headers: list[str] | None = None,
    output_format: str = "text",
    record: Path | None = None,
    show_request: bool = False,
    world: str | None = None,
    python: str | None = None,
    start_timeout: float = START_TIMEOUT_S,
    hook_timeout: float = HOOK_TIMEOUT_S,
    tcp: bool = False,
    private: bool = False,
    local: bool = False,
    list_hooks: bool = False,
) -> int:
    """Run one ``mmplug fire``; the exit code (0 hook completed, 1 it failed)."""
    from mmplug.cli._options import check_format, check_seconds, check_transport

    check_format(output_format)
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    transport = check_transport(tcp, private)
    from mmplug._json import clean_text
    from mmplug.cli import _fire_input as inputs

    # words that become text in the request (a word that was not UTF-8 keeps its bytes as
    # surrogates, which no request can carry)
    hook, message, as_user, channel = (None if word is None else clean_text(word)
                                       for word in (hook, message, as_user, channel))
    headers = [clean_text(header) for header in headers or []]

    if record is not None:
        from mmplug.cassette.format import check_cassette_path

        check_cassette_path(record)
    if list_hooks:
        inputs.list_hooks(Path(args[0]) if args else None)
        return 0
    plan = inputs.FirePlan(
        hook=hook, args=list(args or []), document=inputs.read_document(json_text, file),
        source="--file" if file is not None else "--json", sets=list(sets or []),
        as_user=as_user, channel=channel, message=message, data=inputs.read_body(data),
        headers=inputs.parse_headers(headers or []), world=world, python=python,
        start_timeout=start_timeout, hook_timeout=hook_timeout, record=record, local=local,
        transport=transport, private=private)
    if hook is None:
        inputs.interactive(plan)
        return 0
    code = _fire_once(plan, output_format, show_request)
    _quick_exit()
    return code


def _quick_exit() -> None:
    """The process ends next: spare it a last garbage collection of everything imported
    (grpc, protobuf, the catalog), about 80 ms of a cold fire."""
    import gc

    gc.freeze()


def outcome_json(entry: dict[str, Any]) -> str:
    """The ``--format json`` document of one fired hook."""
    import json

    document = {"ok": entry.get("error") is None, **entry}
    return json.dumps(document, indent=2, ensure_ascii=False)


def _fire_once(plan: Any, output_format: str, show_request: bool) -> int:
    from mmplug.cli._fire_input import run_plan

    def emit(outcome: Any) -> None:
        if output_format == "json":
            sys.stdout.write(outcome_json(outcome.entry) + "\n")
            sys.stdout.flush()
        else:
            from mmplug.cli import _render
            from mmplug.cli._console import output_console

            _render.print_outcome(output_console(), outcome.entry,
                                  show_request=show_request)

    outcome = run_plan(plan, emit=emit)
    return outcome.exit_code
