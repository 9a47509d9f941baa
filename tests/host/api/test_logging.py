"""LogDebug/LogInfo/LogWarn/LogError reach the host's log sink with their key/values."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2
from worldhost import Host

from mmplug.protocol import api_kv_config_pb2 as pb


def pair(key: str, value: object) -> pb.KeyValuePair:
    v = struct_pb2.Value()
    if isinstance(value, str):
        v.string_value = value
    elif isinstance(value, bool):
        v.bool_value = value
    elif isinstance(value, int | float):
        v.number_value = value
    return pb.KeyValuePair(key=key, value=v)


@pytest.mark.parametrize(
    ("rpc", "request_cls", "level"),
    [
        ("LogDebug", pb.LogDebugRequest, "debug"),
        ("LogInfo", pb.LogInfoRequest, "info"),
        ("LogWarn", pb.LogWarnRequest, "warn"),
        ("LogError", pb.LogErrorRequest, "error"),
    ],
)
def test_each_level_reaches_the_sink(host: Host, rpc: str, request_cls: type, level: str) -> None:
    host.logs.clear()
    req = request_cls(msg="something happened", key_value_pairs=[pair("user", "alice")])
    assert not getattr(host.api, rpc)(req).error.id
    assert host.logs == [(level, "something happened", {"user": "alice"})]


def test_key_values_keep_their_json_types(host: Host) -> None:
    host.logs.clear()
    pairs = [pair("count", 3), pair("ok", True), pair("name", "x"), pb.KeyValuePair(key="none")]
    host.api.LogInfo(pb.LogInfoRequest(msg="m", key_value_pairs=pairs))
    assert host.logs[0][2] == {"count": 3, "ok": True, "name": "x", "none": None}
