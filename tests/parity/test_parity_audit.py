"""Server parity of audit records: LogAuditRec, LogAuditRecWithLevel."""

from __future__ import annotations

import pytest
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem

SOURCE = "server/public/plugin/api.go: API.LogAuditRec, API.LogAuditRecWithLevel (no return)"


@pytest.mark.parity(("LogAuditRec", "LogAuditRecWithLevel"), SOURCE)
def test_audit_records_never_fail(quiet_host: Host) -> None:
    """The audit calls return nothing on the server, so a record without an event name or
    with an unknown level is not an error: it is written as given."""
    assert not quiet_host.api.LogAuditRec(rem.LogAuditRecRequest(record=rem.AuditRecord())).error.id
    rsp = quiet_host.api.LogAuditRecWithLevel(
        rem.LogAuditRecWithLevelRequest(record=rem.AuditRecord(event="e"), level="loud")
    )
    assert not rsp.error.id
    levels = [p["level"] for kind, p in quiet_host.emitted if kind == "audit"]
    assert levels == ["audit-api", "loud"]


@pytest.mark.parity("RegisterCollectionAndTopic", "server/channels/app/plugin_api.go: "
                    "(*PluginAPI).RegisterCollectionAndTopic")
def test_register_collection_and_topic_does_nothing(quiet_host: Host) -> None:
    """RegisterCollectionAndTopic is no longer supported: it succeeds and does nothing."""
    rsp = quiet_host.api.RegisterCollectionAndTopic(
        rem.RegisterCollectionAndTopicRequest(collection_type="c", topic_type="t")
    )
    assert not rsp.error.id and quiet_host.emitted == []
