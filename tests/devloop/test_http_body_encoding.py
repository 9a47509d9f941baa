"""Response body messages on both sides of the ServeHTTP stream, without protobuf for the bytes.

The SDK encodes a body chunk by hand and the front door reads one as a view into the received
bytes; both must agree byte for byte with protobuf, and anything else must still go through it.
"""

from __future__ import annotations

import pytest

from mmplug.devloop._http_bridge import _Chunk, _ResponseReader
from mmplug.host.plugin_client import message_class
from mmplug.sdk._http import encode_body_chunk, serialize_response

# lengths on both sides of each varint width (1..4 bytes of length)
LENGTHS = [1, 127, 128, 16383, 16384, 65536, 1024 * 1024, 2**21 - 1, 2**21 + 5]


def _body(length: int) -> bytes:
    return (bytes(range(256)) * (length // 256 + 1))[:length]


@pytest.mark.parametrize("length", LENGTHS)
def test_sdk_encoding_is_what_protobuf_serializes(length: int) -> None:
    body = _body(length)
    expected = message_class("ServeHTTPResponse")(body_chunk=body).SerializeToString()
    assert encode_body_chunk(body) == expected
    assert encode_body_chunk(memoryview(body)) == expected
    assert encode_body_chunk(bytearray(body)) == expected


def test_serializer_passes_encoded_chunks_and_serializes_messages() -> None:
    message = message_class("ServeHTTPResponse")(flush=True)
    assert serialize_response(message) == message.SerializeToString()
    assert serialize_response(b"\x12\x01x") == b"\x12\x01x"


@pytest.mark.parametrize("length", LENGTHS)
def test_front_door_reads_a_body_chunk_as_a_view(length: int) -> None:
    body = _body(length)
    read = _ResponseReader(message_class("ServeHTTPResponse").FromString)(encode_body_chunk(body))
    assert isinstance(read, _Chunk)
    assert isinstance(read.body_chunk, memoryview)
    assert read.body_chunk == body
    assert not read.body_complete and not read.flush and read.init is None


@pytest.mark.parametrize("fields", [
    {"body_chunk": b"abc", "flush": True},
    {"body_chunk": b"abc", "body_complete": True},
    {"body_complete": True},
    {"flush": True},
    {"init": {"status_code": 201, "headers": [{"key": "X", "values": ["1", "2"]}]}},
])
def test_front_door_parses_every_other_message(fields: dict[str, object]) -> None:
    cls = message_class("ServeHTTPResponse")
    sent = cls(**fields)
    read = _ResponseReader(cls.FromString)(sent.SerializeToString())
    assert isinstance(read, cls)
    assert read == sent


def test_front_door_parses_a_chunk_followed_by_more_fields() -> None:
    cls = message_class("ServeHTTPResponse")
    # two body_chunk fields in one message: protobuf keeps the last one
    data = encode_body_chunk(b"first") + encode_body_chunk(b"second")
    read = _ResponseReader(cls.FromString)(data)
    assert isinstance(read, cls)
    assert read.body_chunk == b"second"
