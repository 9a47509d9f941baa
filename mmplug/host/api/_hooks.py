"""Firing hooks from emulated rpcs, the way the server does.

Never call these while holding ``store.tx()``: the plugin may call the API back.

"Will" hooks (MessageWillBePosted, ...) are chained: each plugin sees the previous plugin's
modified object and a non-empty rejection reason stops the chain. The server's gRPC hook client
reads every answer the same way: a reason rejects (even with an object), else the modified
object replaces the subject, else the subject goes on unchanged. True chaining needs the
ordered plugin ids; a dispatcher that has a ``plugin_ids`` attribute (a list, or a callable
returning one) gets one call per plugin. Otherwise all plugins are fired with the same
request and their answers are applied in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from mmplug.errors import MmplugError
from mmplug.host.api._registry import ApiContext
from mmplug.protocol import common_pb2

_log = logging.getLogger("mmplug.host.api")


def request_context(ctx: ApiContext, user_id: str = "") -> common_pb2.RequestContext:
    return common_pb2.RequestContext(plugin_id=ctx.plugin_id, user_id=user_id)


def fire(
    ctx: ApiContext, hook: str, request: Message, *, plugin_id: str | None = None,
    failed: list[str] | None = None,
) -> list[tuple[str, Message]]:
    """Fire ``hook`` (no-op without a dispatcher, e.g. in unit tests of the store only);
    ``failed`` collects the plugins whose call failed (see ``HookDispatcher.fire``)."""
    if ctx.hooks is None:
        return []
    try:
        if failed is None:
            return ctx.hooks.fire(hook, request, plugin_id=plugin_id)
        return ctx.hooks.fire(hook, request, plugin_id=plugin_id, failed=failed)
    except MmplugError as exc:  # e.g. the plugin named is not part of this session
        _log.warning("could not run %s: %s", hook, exc.message)
        return []


@dataclass
class ChainResult:
    subject: Any
    rejection: str = ""
    rejected_by: str = ""
    rejected: bool = False


def plugin_ids(ctx: ApiContext) -> list[str] | None:
    """The plugins in the order a chained hook runs over them; None when the dispatcher does
    not say (then all are fired with the same request)."""
    ids = getattr(ctx.hooks, "plugin_ids", None)
    if callable(ids):
        ids = ids()
    return None if ids is None else list(ids)


def chain(
    ctx: ApiContext,
    hook: str,
    subject: Any,
    make_request: Callable[[Any], Message],
    modified_field: str,
    *,
    merge: Callable[[Any, Message], Any] | None = None,
) -> ChainResult:
    """Run a "Will" hook over every plugin; returns the final subject or the rejection.

    ``merge(subject, response)`` replaces the default "take the modified field when set" step
    (e.g. FileWillBeUploaded: info and content)."""
    result = ChainResult(subject)
    if ctx.hooks is None:
        return result
    ids = plugin_ids(ctx)
    if ids is None:
        answers = fire(ctx, hook, make_request(subject))
        return _apply(result, answers, modified_field, merge)
    for plugin_id in ids:
        answers = fire(ctx, hook, make_request(result.subject), plugin_id=plugin_id)
        _apply(result, answers, modified_field, merge)
        if result.rejected:
            break
    return result


def _apply(
    result: ChainResult,
    answers: list[tuple[str, Message]],
    modified_field: str,
    merge: Callable[[Any, Message], Any] | None = None,
) -> ChainResult:
    for plugin_id, response in answers:
        reason = getattr(response, "rejection_reason", "")
        if reason:
            result.rejection, result.rejected_by, result.rejected = reason, plugin_id, True
            return result
        if merge is not None:
            result.subject = merge(result.subject, response)
        elif response.HasField(modified_field):
            modified = getattr(response, modified_field)
            copy = type(modified)()
            copy.CopyFrom(modified)
            result.subject = copy
    return result
