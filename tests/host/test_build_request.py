"""build_request: fields given as plain JSON values take the constructor's fast path and must
mean exactly what protobuf's JSON mapping (ParseDict) makes of them, for every hook; anything
else goes through ParseDict itself."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from mmplug.errors import UsageError
from mmplug.host import hooks_client
from mmplug.host.hooks_client import build_request
from mmplug.host.payloads import find_hook
from mmplug.protocol.catalog import HOOKS
from mmplug.protocol.messages import message_class

F = FieldDescriptor


def _sample(descriptor: Any, depth: int, seed: int) -> dict[str, Any]:
    """Every field of ``descriptor`` that JSON can carry as a plain value, filled."""
    data: dict[str, Any] = {}
    for index, field in enumerate(descriptor.fields):
        value: Any
        if field.type == F.TYPE_STRING:
            value = f"s{seed}-{index}" if (seed + index) % 3 else ""  # empty values too
        elif field.type == F.TYPE_BOOL:
            value = (seed + index) % 2 == 0
        elif field.type in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
            value = -(seed + index) if index % 2 else seed + index
        elif field.type in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
            value = 2**40 + seed + index
        elif field.type in (F.TYPE_UINT32, F.TYPE_FIXED32, F.TYPE_UINT64, F.TYPE_FIXED64):
            value = seed + index
        elif field.type == F.TYPE_DOUBLE:
            value = 0.5 + index if index % 2 else index
        elif field.message_type is not None and depth > 0 \
                and not field.message_type.GetOptions().map_entry \
                and not field.message_type.full_name.startswith("google.protobuf."):
            value = _sample(field.message_type, depth - 1, seed + index)
        else:
            continue
        data[field.name] = [value, value] if field.is_repeated else value
    return data


def _parsed(spec_request: str, fields: dict[str, Any]) -> bytes:
    message = message_class(spec_request)()
    json_format.ParseDict(fields, message)
    return message.SerializeToString(deterministic=True)


@pytest.mark.parametrize("spec", [h for h in HOOKS if not h.streaming], ids=lambda h: h.go_name)
def test_plain_fields_mean_what_parse_dict_makes_of_them(spec: Any) -> None:
    descriptor = message_class(spec.request).DESCRIPTOR
    for seed in range(3):
        fields = _sample(descriptor, 3, seed)
        if not fields:
            continue
        assert hooks_client._plain(descriptor, fields), fields  # the fast path is taken
        built = build_request(spec, None, fields)
        assert built.SerializeToString(deterministic=True) == _parsed(spec.request, fields)


def test_empty_message_field_is_present_either_way() -> None:
    spec = find_hook("MessageWillBePosted")
    assert spec is not None
    assert build_request(spec, None, {"post": {}}).HasField("post")  # type: ignore[attr-defined]


@pytest.mark.parametrize("fields", [
    {"post": {"channelId": "c1", "message": "camel case JSON names"}},
    {"post": {"message": "int64 as a string", "create_at": "1700000000000"}},
    {"post": {"message": "a map", "props": {"k": "v"}}},
    {"post": {"message": "a null", "root_id": None}},
    {"post": {"message": "a float for an int", "create_at": 1.0}},
])
def test_other_json_goes_through_parse_dict(fields: dict[str, Any]) -> None:
    spec = find_hook("MessageWillBePosted")
    assert spec is not None
    descriptor = message_class(spec.request).DESCRIPTOR
    assert not hooks_client._plain(descriptor, fields)
    expected = _parsed(spec.request, fields)
    assert build_request(spec, None, fields).SerializeToString(deterministic=True) == expected


def test_out_of_range_and_unknown_fields_are_usage_errors() -> None:
    spec = find_hook("MessageWillBePosted")
    assert spec is not None
    with pytest.raises(UsageError, match="cannot build MessageWillBePostedRequest"):
        build_request(spec, None, {"post": {"edit_at": 2**64}})  # plain, but out of range
    with pytest.raises(UsageError, match="no field named") as caught:
        build_request(spec, None, {"postt": {"message": "x"}})
    assert "has the fields: context, plugin_context, post" in caught.value.hint


def test_fields_over_a_request_merge_as_before() -> None:
    spec = find_hook("MessageWillBePosted")
    assert spec is not None
    base = build_request(spec, None, {"post": {"message": "old", "channel_id": "c1"}})
    merged = build_request(spec, base, {"post": {"message": "new"}})
    assert merged.post.message == "new"  # type: ignore[attr-defined]
    assert merged.post.channel_id == "c1"  # type: ignore[attr-defined]
