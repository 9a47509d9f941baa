"""What ``mmplug fire`` was asked to do, turned into a request and sent to a target.

Kept apart from the command module so that the command stays parsing and rendering; the
interactive loop (no HOOK on a terminal) lives here too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import UsageError

if TYPE_CHECKING:
    from mmplug.cassette.target import FireOutcome, FireTarget
    from mmplug.protocol.catalog import HookSpec


@dataclass
class FirePlan:
    hook: str | None
    args: list[str] = field(default_factory=list)
    document: Any = None
    source: str = "--json"
    sets: list[str] = field(default_factory=list)
    as_user: str | None = None
    channel: str | None = None
    message: str | None = None
    data: bytes | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    world: str | None = None
    python: str | None = None
    start_timeout: float = 10.0
    hook_timeout: float = 30.0
    record: Path | None = None
    local: bool = False
    transport: str = "unix"
    private: bool = False


def read_document(json_text: str | None, file: Path | None) -> Any:
    from mmplug.host.payload_fields import parse_json_text

    if json_text is not None and file is not None:
        raise UsageError("give the payload with --json or --file, not both")
    if file is not None:
        try:
            return parse_json_text(file.read_text(encoding="utf-8"), f"--file {file}")
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


def split_args(spec: HookSpec, args: list[str]) -> tuple[Path, list[str]]:
    """The plugin directory and the shortcut arguments among the positional arguments; without
    a plugin directory among them, the project around the current directory."""
    from mmplug._json import clean_text
    from mmplug._plugin_files import is_plugin_dir

    plugin_dirs = [a for a in args if is_plugin_dir(a)]
    rest = [clean_text(a) for a in args if a not in plugin_dirs]
    if len(plugin_dirs) > 1:
        raise UsageError("fire takes one plugin directory", hint=f"got {', '.join(plugin_dirs)}")
    if spec.go_name == "ExecuteCommand" and rest:
        rest = [" ".join(rest)]  # `fire ExecuteCommand /cmd some args`, unquoted
    allowed = {"ServeHTTP": 2, "ServeMetrics": 2, "ExecuteCommand": 1}.get(spec.go_name, 0)
    if len(rest) > allowed:
        word = rest[allowed]
        if Path(word).exists() and not allowed:
            hint = "that directory holds no plugin.json"
        else:
            hint = ('shortcuts: mmplug fire ExecuteCommand "/cmd args", '
                    "mmplug fire ServeHTTP GET /path")
            if "/" in word.strip("/") or word.startswith("."):  # meant as a plugin directory
                hint = f"there is no directory {word}; {hint}"
        raise UsageError(f"unexpected argument {word!r} for {spec.go_name}", hint=hint)
    return project_folder(plugin_dirs[0] if plugin_dirs else None), rest


def project_folder(given: str | None) -> Path:
    """The plugin directory fire works on: ``given``, else the project found upward."""
    from mmplug._plugin_files import project_dir

    return Path(project_dir(given))


def _http_shortcut(rest: list[str]) -> tuple[str, str]:
    from mmplug.host.payloads import HTTP_METHODS

    if not rest:
        return "GET", "/"
    if len(rest) == 1:
        if rest[0].upper() in HTTP_METHODS:
            return rest[0], "/"
        return "GET", rest[0]
    return rest[0], rest[1]


def run_plan(plan: FirePlan, emit: Callable[[FireOutcome], object] | None = None
             ) -> FireOutcome:
    """Resolve the hook, open the target, build the request, fire. ``emit`` (the output, with
    its imports: rich for the panels, protobuf's JSON mapping) runs while the target closes: a
    local session's plugin takes tens of milliseconds to exit."""
    from mmplug.host.payloads import resolve_hook

    spec = resolve_hook(plan.hook or "")
    folder, rest = split_args(spec, plan.args)
    with open_target(folder, plan) as target:
        outcome = fire_on(target, spec, rest, plan)
        describe = getattr(target, "describe", None)
        session = describe() if describe is not None else None

        def show() -> None:
            if session is not None:  # the output says which session the hook went to
                outcome.entry["session"] = session
            if emit is not None:
                emit(outcome)

        while_closing(target, show)
    return outcome


def while_closing(target: FireTarget, work: Callable[[], object]) -> None:
    """Run ``work`` while ``target.close()`` runs on a thread; then wait for the close and
    raise what it raised, if ``work`` did not raise first."""
    import threading

    failure: list[BaseException] = []

    def close() -> None:
        try:
            target.close()
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    closer = threading.Thread(target=close, name="mmplug-fire-close")
    closer.start()
    try:
        work()
    finally:
        closer.join()
    if failure:
        raise failure[0]


def open_target(folder: Path, plan: FirePlan) -> Any:
    """The seam: where the hook goes. Into the running `mmplug dev` of the project when there
    is one (unless --local), else a short local session of its own."""
    from mmplug.cassette.target import LocalTarget
    from mmplug.cli._fire_prefetch import take

    pool = take()
    if not plan.local:
        from mmplug.cassette.dev_target import DevTarget, connect_dev

        client = connect_dev(folder)
        if client is not None:
            if pool is not None:
                pool.close()
            return DevTarget(client, folder, record=plan.record,
                             hook_timeout=plan.hook_timeout)
    return LocalTarget(folder, world=plan.world, python=plan.python,
                       start_timeout=plan.start_timeout, hook_timeout=plan.hook_timeout,
                       record=plan.record, pool=pool, transport=plan.transport,
                       private=plan.private)


def fire_on(target: FireTarget, spec: HookSpec, rest: list[str], plan: FirePlan
            ) -> FireOutcome:
    return send(target, spec, build_request(target, spec, rest, plan))


def build_request(target: FireTarget, spec: HookSpec, rest: list[str], plan: FirePlan) -> Any:
    """The request of hook ``spec`` that fire sends: synthesized from the target's world, with
    the shortcuts (``rest``), ``--message``, ``--json``/``--file`` and ``--set`` applied. For
    ServeHTTP, the whole request: ``init`` and the body in ``body_chunk``."""
    from mmplug.host.payloads import build_payload, http_payload

    scene = target.scene(plan.as_user, plan.channel)
    if spec.streaming:
        method, path = _http_shortcut(rest)
        request = build_payload(spec, scene, document=plan.document, source=plan.source,
                                sets=plan.sets)
        request.init.CopyFrom(http_payload(scene, method, path, plan.headers))  # type: ignore[attr-defined]
        _reapply(request, plan)
        if plan.data is not None:  # --data is the body, whatever --json or --set said
            request.body_chunk = plan.data  # type: ignore[attr-defined]
        return request
    command = rest[0] if rest else None
    if command is not None and not command.startswith("/"):
        command = "/" + command
    if command is None and spec.go_name == "ExecuteCommand":
        triggers = target.commands()  # default: the first command the plugin registered
        command = f"/{triggers[0]}" if triggers else None
    return build_payload(spec, scene, message=plan.message, command=command,
                         document=plan.document, source=plan.source, sets=plan.sets)


def send(target: FireTarget, spec: HookSpec, request: Any) -> FireOutcome:
    """Fire ``request`` (from :func:`build_request`) at the target."""
    if spec.streaming:
        return target.fire_http(request.init, bytes(request.body_chunk), spec.go_name)
    return target.fire(spec, request)


def _reapply(request: Any, plan: FirePlan) -> None:
    """--json/--set win over the HTTP shortcut (applied again after it)."""
    from mmplug.host.payload_fields import apply_json, set_field

    if plan.document is not None:
        apply_json(request, plan.document, plan.source)
    for expr in plan.sets:
        set_field(request, expr)


def list_hooks(folder: Path | None) -> None:
    from mmplug.cli._console import output_console
    from mmplug.cli._render import print_hooks
    from mmplug.protocol.catalog import HOOKS

    print_hooks(output_console(), [h for h in HOOKS if h.go_name != "Implemented"])


def interactive(plan: FirePlan) -> None:
    """Pick a hook, edit its fields, fire, see the result; repeat until Ctrl-D or 'q'."""
    if not sys.stdin.isatty():
        raise UsageError("no HOOK given", hint="name a hook (`mmplug fire --list` lists them), "
                         "or run on a terminal to pick one interactively")
    from mmplug.cli._fire_loop import loop

    if len(plan.args) > 1:
        raise UsageError(f"unexpected argument {plan.args[1]!r}",
                         hint="without a HOOK, fire takes at most the plugin directory")
    with open_target(project_folder(plan.args[0] if plan.args else None), plan) as target:
        loop(target, plan)
