"""Body messages on both sides of the ServeHTTP stream, without protobuf for the bytes.

Each side (the SDK and the front door share mmplug.sdk._http for this) encodes the body chunks
it sends by hand and reads the ones it receives as views into the received bytes; that must
agree byte for byte with protobuf for both message types, and every other message must still
go through protobuf.
"""

from __future__ import annotations

import pytest

from mmplug.protocol.body_chunks import (
    BodyChunk,
    chunk_parser,
    encode_body_chunk,
    serialize_response,
)
from mmplug.protocol.messages import message_class

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
    read = chunk_parser(message_class("ServeHTTPResponse").FromString)(encode_body_chunk(body))
    assert isinstance(read, BodyChunk)
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
    read = chunk_parser(cls.FromString)(sent.SerializeToString())
    assert isinstance(read, cls)
    assert read == sent


def test_front_door_parses_a_chunk_followed_by_more_fields() -> None:
    cls = message_class("ServeHTTPResponse")
    # two body_chunk fields in one message: protobuf keeps the last one
    data = encode_body_chunk(b"first") + encode_body_chunk(b"second")
    read = chunk_parser(cls.FromString)(data)
    assert isinstance(read, cls)
    assert read.body_chunk == b"second"


@pytest.mark.parametrize("length", LENGTHS)
def test_front_door_encodes_request_chunks_as_protobuf_would(length: int) -> None:
    body = _body(length)
    expected = message_class("ServeHTTPRequest")(body_chunk=body).SerializeToString()
    assert encode_body_chunk(body) == expected
    assert serialize_response(encode_body_chunk(body)) == expected
    message = message_class("ServeHTTPRequest")(body_complete=True)
    assert serialize_response(message) == message.SerializeToString()


@pytest.mark.parametrize("length", LENGTHS)
def test_sdk_reads_a_request_chunk_as_a_view(length: int) -> None:
    body = _body(length)
    cls = message_class("ServeHTTPRequest")
    read = chunk_parser(cls.FromString)(cls(body_chunk=body).SerializeToString())
    assert isinstance(read, BodyChunk)
    assert read.body_chunk == body
    assert read.init is None and not read.body_complete


@pytest.mark.parametrize("fields", [
    {"init": {"method": "POST", "url": "/x"}, "body_chunk": b"abc"},
    {"body_chunk": b"abc", "body_complete": True},
    {"body_complete": True},
])
def test_sdk_parses_every_other_request(fields: dict[str, object]) -> None:
    cls = message_class("ServeHTTPRequest")
    sent = cls(**fields)
    read = chunk_parser(cls.FromString)(sent.SerializeToString())
    assert isinstance(read, cls)
    assert read == sent
