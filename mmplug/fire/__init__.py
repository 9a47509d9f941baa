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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.fire.plan import FirePlan, project_folder, split_args
from mmplug.fire.request import build_request, send
from mmplug.fire.target import Target, while_closing

if TYPE_CHECKING:
    from mmplug.host.events import CallEvent

# What fire hands the caller to show: the event and where it went (Target.describe()).
Show = Callable[["CallEvent", dict[str, str]], object]

__all__ = ["FirePlan", "Show", "Target", "build_request", "fire", "open_target",
           "project_folder", "send", "split_args", "while_closing"]


def fire(plan: FirePlan, show: Show | None = None) -> CallEvent:
    """Fire the hook of ``plan`` and return its event. ``show`` (the output, with its imports:
    rich for the panels, protobuf's JSON mapping) runs while the target closes: a local
    session's plugin takes tens of milliseconds to exit."""
    from mmplug.host.payloads import resolve_hook

    spec = resolve_hook(plan.hook or "")
    folder, rest = split_args(spec, plan.args)
    with open_target(folder, plan) as target:
        event = send(target, spec, build_request(target, spec, rest, plan))
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
    if not plan.local:
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
                       private=plan.private)
