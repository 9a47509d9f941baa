"""Audit records (LogAuditRec / LogAuditRecWithLevel): the server writes them to its audit
log; the fake host captures each as an ``audit`` event. As on the server (the Go methods
return nothing) they never fail: a record without an event name or with a level the audit
log does not know is still recorded, with a warning in the plugin's log.
RegisterCollectionAndTopic is no longer supported by the server: it succeeds and does nothing
(a warning says so)."""

from __future__ import annotations

from mmplug.host.api._pbjson import to_dict
from mmplug.host.api._registry import ApiContext, emulates
from mmplug.host.api.events import capture
from mmplug.protocol import api_remaining_pb2 as rem

AUDIT = "audit"
LEVELS = (
    "audit-api",
    "audit-content",
    "audit-perms",
    "audit-cli",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "fatal",
)


def _record(ctx: ApiContext, record: rem.AuditRecord, level: str) -> None:
    if not record.event:
        ctx.log("warn", "audit record without an event name (AuditRecord.event)", {})
    entry = to_dict(record)
    entry.setdefault("create_at", str(ctx.now()))
    capture(ctx, AUDIT, {"level": level, "record": entry})


@emulates("LogAuditRec")
def log_audit_rec(ctx: ApiContext, req: rem.LogAuditRecRequest) -> rem.LogAuditRecResponse:
    _record(ctx, req.record, req.record.level or "audit-api")
    return rem.LogAuditRecResponse()


@emulates("LogAuditRecWithLevel")
def log_audit_rec_with_level(
    ctx: ApiContext, req: rem.LogAuditRecWithLevelRequest
) -> rem.LogAuditRecWithLevelResponse:
    level = req.level.lower()
    if level not in LEVELS:
        ctx.log(
            "warn",
            f"unknown audit level {req.level!r} (the audit log knows {', '.join(LEVELS)})",
            {},
        )
    _record(ctx, req.record, level)
    return rem.LogAuditRecWithLevelResponse()


@emulates("RegisterCollectionAndTopic")
def register_collection_and_topic(
    ctx: ApiContext, req: rem.RegisterCollectionAndTopicRequest
) -> rem.RegisterCollectionAndTopicResponse:
    ctx.log(
        "warn",
        "RegisterCollectionAndTopic is no longer supported by Mattermost; the call does nothing",
        {"collection_type": req.collection_type, "topic_type": req.topic_type},
    )
    return rem.RegisterCollectionAndTopicResponse()
