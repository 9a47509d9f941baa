"""What ``mmplug fire`` does once its command line is parsed (by typer, or by the fast path in
:mod:`mmplug.cli._fire_fast`): read the options into a :class:`~mmplug.fire.FirePlan`, hand it to
:func:`mmplug.fire.fire`, render the event. Imports no typer, so a cold fire does not pay for it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.cli._options import HOOK_TIMEOUT_S, START_TIMEOUT_S
from mmplug.errors import UsageError, read_text

if TYPE_CHECKING:
    from mmplug.fire import FirePlan, Target
    from mmplug.host.events import CallEvent


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
    nodes: int | None = None,
    node: str | None = None,
    count: int | None = None,
    concurrency: int | None = None,
    start_time: str | None = None,
    list_hooks: bool = False,
) -> int:
    """Run one ``mmplug fire``; the exit code (0 hook completed, 1 it failed, or a run of
    several calls or nodes failed a call or found something)."""
    from mmplug.cli._options import (
        check_counts,
        check_format,
        check_python,
        check_seconds,
        check_time,
        check_transport,
    )

    check_format(output_format)
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    check_counts(nodes=nodes, count=count, concurrency=concurrency)
    check_time(start_time)
    check_python(python)
    transport = check_transport(tcp, private)
    if concurrency is not None and count is None:
        raise UsageError("--concurrency goes with --count (how many of the calls run at once)")
    if record is not None and ((count or 1) > 1 or (nodes or 1) > 1):
        raise UsageError("--record keeps one call; it does not go with --count or --nodes")
    from mmplug._json import clean_text

    # words that become text in the request (a word that was not UTF-8 keeps its bytes as
    # surrogates, which no request can carry)
    hook, message, as_user, channel = (None if word is None else clean_text(word)
                                       for word in (hook, message, as_user, channel))
    headers = [clean_text(header) for header in headers or []]

    if record is not None:
        from mmplug.cassette.format import check_cassette_path

        check_cassette_path(record)
    if list_hooks:
        _list_hooks()
        return 0
    if hook is not None and not args and _names_a_project(hook):
        args = [hook]  # `mmplug fire PROJECT`: the picker, for that project
        hook = None
    from mmplug.cli._fire_prefetch import take
    from mmplug.fire import FirePlan

    plan = FirePlan(
        hook=hook, args=list(args or []), document=read_document(json_text, file),
        source="--file" if file is not None else "--json", sets=list(sets or []),
        as_user=as_user, channel=channel, message=message, data=read_body(data),
        headers=parse_headers(headers or []), world=world, python=python,
        start_timeout=start_timeout, hook_timeout=hook_timeout, record=record, local=local,
        transport=transport, private=private, early=take(), nodes=nodes or 1, node=node,
        count=count or 1, concurrency=concurrency or 1, start_time=start_time)
    if hook is None:
        _interactive(plan)
        return 0
    if plan.count > 1 or plan.nodes > 1:
        code = _fire_run(plan, output_format)
        _quick_exit()
        return code
    code = _fire_once(plan, output_format, show_request)
    _quick_exit()
    return code


def _names_a_project(word: str) -> bool:
    """Whether the first word is a plugin's folder rather than a hook (no hook has a name
    like a path, and a folder with plugin.json is meant as the project)."""
    from mmplug.host.payloads import find_hook

    return find_hook(word) is None and (Path(word) / "plugin.json").is_file()


def read_document(json_text: str | None, file: Path | None) -> Any:
    from mmplug.host.payload_fields import parse_json_text

    if json_text is not None and file is not None:
        raise UsageError("give the payload with --json or --file, not both")
    if file is not None:
        try:
            return parse_json_text(read_text(file), f"--file {file}")
        except OSError as exc:
            raise UsageError(f"--file: cannot read {file}: {exc.strerror or exc}") from None
    return None if json_text is None else parse_json_text(json_text, "--json")


def read_body(data: str | None) -> bytes | None:
    """``--data``: the body itself, or with ``@FILE`` the bytes of FILE (``@-``: standard
    input), as curl reads it."""
    if data is None:
        return None
    if not data.startswith("@"):
        try:  # bytes of the command line that were not UTF-8 stay as they were given
            return data.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            from mmplug._json import clean_text

            return clean_text(data).encode()
    name = data[1:]
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise UsageError(f"--data: cannot read {name}: {exc.strerror or exc}",
                         hint="give an existing file after @, or - for standard input") from None


def parse_headers(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, text = value.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {value!r}: write it as 'Name: value'")
        pairs.append((name.strip(), text.strip()))
    return pairs


def _quick_exit() -> None:
    """The process ends next: spare it a last garbage collection of everything imported
    (grpc, protobuf, the catalog), which frees nothing that matters."""
    import gc

    gc.freeze()


def document(event: CallEvent, where: dict[str, str] | None = None) -> dict[str, Any]:
    """What ``mmplug fire`` shows of a fired hook: the event's JSON form (a cassette line),
    ``ok`` first and where it went (``session``) last. ``--format json`` prints it."""
    data: dict[str, Any] = {"ok": event.ok, **event.to_dict(seq=1)}
    if where is not None:
        data["session"] = where
    return data


def _fire_once(plan: FirePlan, output_format: str, show_request: bool) -> int:
    from mmplug.fire import fire

    def show(event: CallEvent, where: dict[str, str]) -> None:
        shown = document(event, where)
        if output_format == "json":
            import json

            sys.stdout.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            from mmplug.cli import _render
            from mmplug.cli._console import output_console

            _render.print_outcome(output_console(), shown, show_request=show_request)

    event = fire(plan, show, opened=_say_what_a_stop_leaves)
    return 0 if event.ok else 1


def _say_what_a_stop_leaves(target: Target) -> None:
    """What Ctrl-C leaves of a fire into ``target``: a throw-away session is closed with
    its plugin; a running `mmplug dev` goes on, and may still finish the call."""
    if target.describe().get("kind") == "dev":
        from mmplug.cli._stop import leaves

        leaves("the call was left to the running `mmplug dev`, which goes on (it may still "
               "finish the call)")


def _fire_run(plan: FirePlan, output_format: str) -> int:
    """``--count`` / ``--nodes``: the run's summary and findings; 1 when a call failed or
    something was found."""
    from mmplug.fire import fire_many

    run = fire_many(plan, opened=_say_what_a_stop_leaves)
    shown = run.to_dict()
    if output_format == "json":
        import json

        sys.stdout.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
    else:
        from mmplug.cli import _render
        from mmplug.cli._console import output_console

        _render.print_run(output_console(), shown, [f.describe() for f in run.findings])
    return 0 if run.ok else 1


def _list_hooks() -> None:
    from mmplug.cli._console import output_console
    from mmplug.cli._render import print_hooks
    from mmplug.protocol.catalog import HOOKS

    print_hooks(output_console(), [h for h in HOOKS if h.go_name != "Implemented"])


def _interactive(plan: FirePlan) -> None:
    """Pick a hook, edit its fields, fire, see the result; repeat until Ctrl-D or 'q'."""
    from mmplug.fire import open_target, project_folder

    if not sys.stdin.isatty():
        if plan.early is not None:
            plan.early.close()
        raise UsageError("no HOOK given", hint="name a hook (`mmplug fire --list` lists them), "
                         "or run on a terminal to pick one interactively")
    from mmplug.cli._fire_loop import loop

    if len(plan.args) > 1:
        raise UsageError(f"unexpected argument {plan.args[1]!r}",
                         hint="without a HOOK, fire takes at most the plugin directory")
    with open_target(project_folder(plan.args[0] if plan.args else None), plan) as target:
        _say_what_a_stop_leaves(target)
        loop(target, plan)
