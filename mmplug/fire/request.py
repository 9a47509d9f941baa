"""The request ``mmplug fire`` sends, and sending it: synthesized from the target's world, with
the plan's shortcuts, ``--message``, ``--json``/``--file`` and ``--set`` applied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mmplug.fire.plan import http_shortcut

if TYPE_CHECKING:
    from mmplug.fire.plan import FirePlan
    from mmplug.fire.target import Target
    from mmplug.host.events import CallEvent
    from mmplug.protocol.catalog import HookSpec


def build_request(target: Target, spec: HookSpec, rest: list[str], plan: FirePlan) -> Any:
    """The request of hook ``spec``: synthesized from the target's world, with the shortcuts
    (``rest``), ``--message``, ``--json``/``--file`` and ``--set`` applied. For ServeHTTP, the
    whole request: ``init`` and the body in ``body_chunk``."""
    from mmplug.host.payloads import build_payload, http_payload

    scene = target.scene(plan.as_user, plan.channel)
    if spec.streaming:
        method, path = http_shortcut(rest)
        request: Any = build_payload(spec, scene, document=plan.document, source=plan.source,
                                     sets=plan.sets)
        request.init.CopyFrom(http_payload(scene, method, path, plan.headers))
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


def send(target: Target, spec: HookSpec, request: Any) -> CallEvent:
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
