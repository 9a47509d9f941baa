"""Firing a hook: one entry point, two targets.

    from mmplug.fire import FirePlan, fire

    event = fire(FirePlan("MessageWillBePosted", args=["path/to/plugin"], message="hi"))
    print(event.ok, event.response, event.api_calls)

:func:`fire` is what ``mmplug fire HOOK ...`` does once its command line is parsed: resolve the
hook (once), find the plugin directory among the arguments, open the target, build the request
from the target's world and the plan, fire it, and let go of the target. The target is the
running ``mmplug dev`` of the project when there is one (:mod:`mmplug.fire.dev`, unless
``local``), else a short deterministic session of its own (:mod:`mmplug.fire.local`); both
answer with the call's :class:`~mmplug.host.events.CallEvent`. The CLI parses the options
before and renders the event after; the interactive picker (``mmplug fire`` without a hook)
drives the same target with :func:`open_target`, :func:`build_request` and :func:`send`.

Importing this package is cheap: the host loads when a target opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mmplug.errors import UsageError

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.events import CallEvent
    from mmplug.host.payloads import Scene
    from mmplug.protocol.catalog import HookSpec

# What fire hands the caller to show: the event and where it went (Target.describe()).
Show = Callable[["CallEvent", dict[str, str]], object]

__all__ = ["FirePlan", "FireRun", "Show", "Target", "build_request", "fire", "fire_many",
           "hook_options", "open_target", "project_folder", "refuse_unused", "send",
           "split_args", "while_closing"]


# -- the entry point ---------------------------------------------------------------------------
def fire(plan: FirePlan, show: Show | None = None,
         opened: Callable[[Target], object] | None = None) -> CallEvent:
    """Fire the hook of ``plan`` and return its event. ``show`` (the output, with its imports:
    rich for the panels, protobuf's JSON mapping) runs while the target closes: a local
    session's plugin takes tens of milliseconds to exit. ``opened`` is told the target as
    soon as it is open."""
    from mmplug.host.payloads import resolve_hook

    spec = resolve_hook(plan.hook or "")
    folder, rest = split_args(spec, plan.args)
    with open_target(folder, plan) as target:
        if opened is not None:
            opened(target)
        event = send(target, spec, build_request(target, spec, rest, plan), plan.node)
        where = target.describe()

        def output() -> None:
            if show is not None:
                show(event, where)

        while_closing(target, output)
    return event


def open_target(folder: Path, plan: FirePlan) -> Target:
    """Where the hook goes: into the running `mmplug dev` of the project when there is one
    (unless ``plan.local``), else a short local session of its own. A plugin process the
    command line started early (``plan.early``) is adopted by the local session, or killed."""
    from mmplug.fire.local import LocalTarget

    pool: Any = plan.early
    plan.early = None  # taken: one target adopts it
    if not plan.local and plan.nodes == 1:  # --nodes shapes a host of its own
        from mmplug.fire.dev import DevTarget, connect_dev

        client = connect_dev(folder)
        if client is not None:
            if pool is not None:
                pool.close()
            return DevTarget(client, folder, record=plan.record,
                             hook_timeout=plan.hook_timeout)
    return LocalTarget(folder, world=plan.world, python=plan.python,
                       start_timeout=plan.start_timeout, hook_timeout=plan.hook_timeout,
                       record=plan.record, pool=pool, transport=plan.transport,
                       private=plan.private, nodes=plan.nodes, start_time=plan.start_time)


# -- what fire is asked to do: the plan ----------------------------------------------------------
# The CLI parses its options into a plan (reading --file and --data); the rest of the meaning
# of the positional arguments (which one is the plugin directory, the shortcuts of
# ExecuteCommand and ServeHTTP) depends on the hook, and is read here.
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
    transport: str = "unix"  # how a local session's plugin serves: "unix" or "tcp"
    private: bool = False  # a local session's PluginAPI on a unix socket too
    # A plugin process the command line started before the host was ready (a
    # :class:`~mmplug.host._prelaunch.Prelaunch`): a local target adopts it, else it is killed.
    early: Any = field(default=None, repr=False)
    # A cluster in one host (a local session of that many nodes; see mmplug.host.cluster), the
    # node to send to (None: round robin), how many calls and how many at once, the clock.
    nodes: int = 1
    node: str | None = None
    count: int = 1
    concurrency: int = 1
    start_time: str | None = None


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


def http_shortcut(rest: list[str]) -> tuple[str, str]:
    """``METHOD /path`` of ``mmplug fire ServeHTTP [METHOD] [/path]``."""
    from mmplug.host.payloads import HTTP_METHODS

    if not rest:
        return "GET", "/"
    if len(rest) == 1:
        if rest[0].upper() in HTTP_METHODS:
            return rest[0], "/"
        return "GET", rest[0]
    return rest[0], rest[1]


# -- the request ---------------------------------------------------------------------------------
def build_request(target: Target, spec: HookSpec, rest: list[str], plan: FirePlan) -> Any:
    """The request of hook ``spec``: synthesized from the target's world, with the shortcuts
    (``rest``), ``--message``, ``--json``/``--file`` and ``--set`` applied. For ServeHTTP, the
    whole request: ``init`` and the body in ``body_chunk``."""
    from mmplug.host.payloads import build_payload, http_payload

    refuse_unused(spec, plan)
    scene = target.scene(plan.as_user, plan.channel)
    if spec.streaming:
        method, path = http_shortcut(rest)
        request: Any = build_payload(spec, scene, document=plan.document, source=plan.source,
                                     sets=plan.sets)
        request.init.CopyFrom(http_payload(scene, method, path, plan.headers,
                                           chosen=plan.as_user is not None))
        _reapply(request, plan)
        if plan.data is not None:  # --data is the body, whatever --json or --set said
            request.body_chunk = plan.data
        return request
    command = rest[0] if rest else None
    if command is not None and not command.startswith("/"):
        command = "/" + command
    if command is None and spec.go_name == "ExecuteCommand":
        triggers = target.commands()  # default: the first command the plugin registered
        command = f"/{triggers[0]}" if triggers else None
    return build_payload(spec, scene, message=plan.message, command=command,
                         document=plan.document, source=plan.source, sets=plan.sets)


def hook_options(spec: HookSpec) -> list[str]:
    """The options of ``mmplug fire`` that shape part of the request of ``spec`` (beyond
    --json, --file and --set, which any field takes)."""
    from mmplug.host.payloads import scene_parts, takes_message

    parts = scene_parts(spec)
    return [option for option, used in (
        ("--as", "user" in parts), ("--channel", "channel" in parts),
        ("--message", takes_message(spec)), ("--data", spec.streaming),
        ("--header", spec.streaming)) if used]


def refuse_unused(spec: HookSpec, plan: FirePlan) -> None:
    """Refuse an option the request of ``spec`` has nothing for (it would be ignored)."""
    given = [(option, what, example) for option, value, what, example in (
        ("--as", plan.as_user, "picks the user who acts: {hook}'s request has no user",
         "ExecuteCommand --as USER"),
        ("--channel", plan.channel, "picks the channel: {hook}'s request has no channel",
         "MessageWillBePosted --channel NAME"),
        ("--message", plan.message, "is a post's text: {hook} has no post",
         "MessageWillBePosted -m ..."),
        ("--data", plan.data, "is an HTTP request's body: {hook} has no HTTP request",
         "ServeHTTP POST /path --data ..."),
        ("--header", plan.headers or None,
         "is an HTTP request's header: {hook} has no HTTP request",
         "ServeHTTP POST /path --header ..."),
    ) if value is not None]
    if not given:
        return
    takes = hook_options(spec)
    for option, what, example in given:
        if option not in takes:
            hook = spec.go_name
            takes_text = (f"{hook} takes {', '.join(takes)}" if takes else
                          f"{hook} takes none of --as, --channel, --message, --data, --header")
            raise UsageError(f"{option} {what.format(hook=hook)}",
                             hint=f"{takes_text}; its fields go in --set or --json (use "
                             f"{option} with a hook that has one: mmplug fire {example})")


def send(target: Target, spec: HookSpec, request: Any, node: str | None = None) -> CallEvent:
    """Fire ``request`` (from :func:`build_request`) at the target (on ``node``, when the
    target runs several)."""
    if spec.streaming:
        return target.fire_http(request.init, bytes(request.body_chunk), spec.go_name, node)
    return target.fire(spec, request, node)


# -- many calls, several nodes: a load run and what it found ---------------------------------------
@dataclass
class FireRun:
    """A ``fire --count N [--concurrency C] [--nodes M]`` run: how the calls went, and what
    the race detector and the comparison of the nodes' answers found."""

    hook: str
    count: int
    concurrency: int
    nodes: list[str]
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one per failed call
    by_node: dict[str, int] = field(default_factory=dict)
    findings: list[Any] = field(default_factory=list)  # mmplug.host.races.Finding
    where: dict[str, str] = field(default_factory=dict)
    last: CallEvent | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.findings

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.durations)

        def at(share: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 6) \
                if ordered else 0.0

        return {"ok": self.ok, "hook": self.hook, "calls": self.count,
                "concurrency": self.concurrency, "nodes": self.nodes,
                "failed": len(self.errors), "errors": sorted(set(self.errors))[:10],
                "by_node": dict(self.by_node), "p50_s": at(0.5), "p95_s": at(0.95),
                "findings": [f.as_dict() for f in self.findings], "session": self.where}


def fire_many(plan: FirePlan, opened: Callable[[Target], object] | None = None) -> FireRun:
    """Fire the hook of ``plan`` ``plan.count`` times, ``plan.concurrency`` at once, then
    collect the findings: with several nodes, the race detector's and a comparison of the
    nodes' answers to the same request (from the same shared state). ``opened``: as
    :func:`fire`'s."""
    import copy
    from concurrent.futures import ThreadPoolExecutor

    from mmplug.errors import MmplugError
    from mmplug.host.payloads import resolve_hook

    spec = resolve_hook(plan.hook or "")
    folder, rest = split_args(spec, plan.args)
    with open_target(folder, plan) as target:
        if opened is not None:
            opened(target)
        request = build_request(target, spec, rest, plan)
        target.implemented()  # starts the session, before the calls run at once
        run = FireRun(spec.go_name, plan.count, plan.concurrency, target.nodes())
        if plan.node is not None:
            from mmplug.host.cluster import parse_node

            parse_node(plan.node, run.nodes)  # a node that is not there: a usage error

        def one(_: int) -> None:
            try:
                event = send(target, spec, copy.deepcopy(request), plan.node)
            except MmplugError as exc:  # a crash or a deadline: counted, the run goes on
                run.errors.append(exc.message)
                return
            run.durations.append(event.duration_s)
            run.by_node[event.node or "-"] = run.by_node.get(event.node or "-", 0) + 1
            if not event.ok:
                run.errors.append(event.error or "failed")
            run.last = event

        with ThreadPoolExecutor(max_workers=plan.concurrency,
                                thread_name_prefix="mmplug-fire") as pool:
            list(pool.map(one, range(plan.count)))
        run.findings = target.ha_findings(spec, request)
        run.where = target.describe()
    return run


def _reapply(request: Any, plan: FirePlan) -> None:
    """--json/--set win over the HTTP shortcut (applied again after it)."""
    from mmplug.host.payload_fields import apply_json, set_field

    if plan.document is not None:
        apply_json(request, plan.document, plan.source)
    for expr in plan.sets:
        set_field(request, expr)


# -- where it goes: the targets' one interface -----------------------------------------------
# A target knows the world (to synthesize payloads), the hooks the plugin implements and the
# slash commands it registered, and fires one hook, answering with the call's event.
class Target(Protocol):
    plugin_id: str

    def scene(self, as_user: str | None, channel: str | None) -> Scene: ...

    def implemented(self) -> list[str]: ...

    def commands(self) -> list[str]: ...

    def fire(self, spec: HookSpec, request: Message, node: str | None = None) -> CallEvent: ...

    def fire_http(self, init: Message, body: bytes, hook: str = "ServeHTTP",
                  node: str | None = None) -> CallEvent:
        """ServeHTTP (or ServeMetrics: ``hook``) with the request ``init`` and ``body``."""

    def nodes(self) -> list[str]:
        """The nodes the plugin runs on (``[""]`` for one)."""

    def ha_findings(self, spec: HookSpec, request: Message) -> list[Any]:
        """What the race detector found, and whether the nodes answer ``request``
        differently (several nodes; else nothing)."""

    def describe(self) -> dict[str, str]:
        """Which session the hook goes to: ``kind`` (local, dev) and ``text`` (fire says it)."""

    def close(self) -> None:
        """Let go of the host; safe to call twice (also what leaving the ``with`` does)."""

    def __enter__(self) -> Target: ...

    def __exit__(self, *exc: object) -> None: ...


def while_closing(target: Target, work: Callable[[], object]) -> None:
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
