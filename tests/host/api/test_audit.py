"""Audit records and the retired RegisterCollectionAndTopic over real gRPC."""

from __future__ import annotations

import json

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


def test_audit_record_needs_an_event_and_a_known_level(world: World) -> None:
    assert world.api.LogAuditRec(rem.LogAuditRecRequest(record=rem.AuditRecord())).error.id
    bad = world.api.LogAuditRecWithLevel(
        rem.LogAuditRecWithLevelRequest(record=rem.AuditRecord(event="x"), level="loud")
    )
    assert bad.error.status_code == 400


def test_register_collection_and_topic_is_a_no_op(world: World) -> None:
    rsp = world.api.RegisterCollectionAndTopic(
        rem.RegisterCollectionAndTopicRequest(collection_type="boards", topic_type="cards")
    )
    assert not rsp.HasField("error")
