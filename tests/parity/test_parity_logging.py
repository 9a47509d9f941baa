"""Server parity of the plugin's server log: LogDebug, LogInfo, LogWarn, LogError."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from worldhost import Host

from mmplug.protocol import api_kv_config_pb2 as pb

SOURCE = "server/channels/app/plugin_api.go: (*PluginAPI).LogDebug/LogInfo/LogWarn/LogError"


def _pair(key: str, text: str | None) -> pb.KeyValuePair:
    if text is None:
        return pb.KeyValuePair(key=key)
    return pb.KeyValuePair(key=key, value=struct_pb2.Value(string_value=text))


@pytest.mark.parametrize(
    ("rpc", "request_cls", "level"),
    [
        ("LogDebug", pb.LogDebugRequest, "debug"),
        ("LogInfo", pb.LogInfoRequest, "info"),
        ("LogWarn", pb.LogWarnRequest, "warn"),
        ("LogError", pb.LogErrorRequest, "error"),
    ],
)
@pytest.mark.parity(("LogDebug", "LogInfo", "LogWarn", "LogError"), SOURCE)
def test_log_writes_the_message_and_its_pairs_at_its_level(
    host: Host, rpc: str, request_cls: type, level: str
) -> None:
    """Each Log* call writes its message at its own level with the key/value pairs in the
    order given, and answers no error."""
    host.logs.clear()
    req = request_cls(msg="sync done", key_value_pairs=[_pair("b", "2"), _pair("a", "1")])
    assert not getattr(host.api, rpc)(req).error.id
    assert len(host.logs) == 1
    got_level, message, values = host.logs[0]
    assert (got_level, message) == (level, "sync done")
    assert list(values.items()) == [("b", "2"), ("a", "1")]


@pytest.mark.parity("LogError", SOURCE)
def test_log_pair_without_a_value_is_logged_as_null(host: Host) -> None:
    """A key without a value (Go nil) is logged with a null value, not dropped and not an
    error."""
    host.logs.clear()
    req = pb.LogErrorRequest(msg="failed", key_value_pairs=[_pair("error", None)])
    assert not host.api.LogError(req).error.id
    assert host.logs == [("error", "failed", {"error": None})]
