"""LogDebug, LogInfo, LogWarn, LogError: the plugin's server-log lines, passed to ``ctx.log``.

The server logs ``msg`` with the alternating key/value pairs the plugin gave, adding the
plugin's id; here they arrive as ``KeyValuePair`` messages whose values are JSON values.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from mmplug.host.api._registry import ApiContext, emulates
from mmplug.protocol import api_kv_config_pb2 as pb


def _key_values(req: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in req.key_value_pairs:
        value = json_format.MessageToDict(pair.value) if pair.HasField("value") else None
        values[pair.key] = value
    return values


def _log(ctx: ApiContext, level: str, req: Any) -> None:
    ctx.log(level, req.msg, _key_values(req))


@emulates("LogDebug")
def log_debug(ctx: ApiContext, req: pb.LogDebugRequest) -> pb.LogDebugResponse:
    _log(ctx, "debug", req)
    return pb.LogDebugResponse()


@emulates("LogInfo")
def log_info(ctx: ApiContext, req: pb.LogInfoRequest) -> pb.LogInfoResponse:
    _log(ctx, "info", req)
    return pb.LogInfoResponse()


@emulates("LogWarn")
def log_warn(ctx: ApiContext, req: pb.LogWarnRequest) -> pb.LogWarnResponse:
    _log(ctx, "warn", req)
    return pb.LogWarnResponse()


@emulates("LogError")
def log_error(ctx: ApiContext, req: pb.LogErrorRequest) -> pb.LogErrorResponse:
    _log(ctx, "error", req)
    return pb.LogErrorResponse()
