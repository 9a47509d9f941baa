"""Audit records and the retired RegisterCollectionAndTopic over real gRPC."""

from __future__ import annotations

import json
from typing import Any

from apiworld import World

from mmplug.protocol import api_remaining_pb2 as rem


def test_audit_record_is_captured_with_its_level(world: World) -> None:
    record = rem.AuditRecord(event="updateSettings", status="success", user_id=world.users["admin"])
    rsp = world.api.LogAuditRecWithLevel(
        rem.LogAuditRecWithLevelRequest(record=record, level="audit-perms")
    )
    assert not rsp.HasField("error")
    kind, payload = world.emitted[-1]
    assert kind == "audit" and payload["level"] == "audit-perms"
    assert payload["record"]["event"] == "updateSettings"
    with world.store.read() as db:
        row = db.execute("SELECT payload FROM events WHERE kind='audit' ORDER BY seq DESC")
        assert json.loads(row.fetchone()[0])["record"]["status"] == "success"


def test_odd_audit_records_are_recorded_with_a_warning(world: World) -> None:
    # As the server: LogAuditRec returns nothing, so it cannot fail.
    logs: list[tuple[str, str, dict[str, Any]]] = []
    original = world.server.ctx.log
    world.server.ctx.log = lambda level, msg, kv: logs.append((level, msg, kv))
    try:
        blank = world.api.LogAuditRec(rem.LogAuditRecRequest(record=rem.AuditRecord()))
        odd = world.api.LogAuditRecWithLevel(
            rem.LogAuditRecWithLevelRequest(record=rem.AuditRecord(event="x"), level="loud")
        )
    finally:
        world.server.ctx.log = original
    assert not blank.error.id and not odd.error.id
    assert world.emitted[-1][1]["level"] == "loud"
    assert any("unknown audit level" in message for _, message, _ in logs)


def test_register_collection_and_topic_is_a_no_op(world: World) -> None:
    rsp = world.api.RegisterCollectionAndTopic(
        rem.RegisterCollectionAndTopicRequest(collection_type="boards", topic_type="cards")
    )
    assert not rsp.HasField("error")
