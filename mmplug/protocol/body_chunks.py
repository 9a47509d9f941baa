"""The body-only messages of the ServeHTTP stream, encoded and read by hand: the one place
protobuf is not left to protobuf.

A streamed body is mostly messages that hold nothing but ``body_chunk`` bytes. Building and
serializing such a message copies the bytes twice, parsing one copies them again (and each read
of the field once more); this module writes the wire form directly and reads the bytes as a
view. Both sides of the wire use it: the SDK's ServeHTTP servicer (mmplug.sdk._http, _hooks)
and the host's ServeHTTP client (mmplug.host.hooks_client, for the dev loop's front door).
Everything else builds messages with protobuf. The measurements are in docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# body_chunk of ServeHTTPRequest and ServeHTTPResponse is field 2, length-delimited: a message
# holding only body bytes is this tag, the length as a varint, then the bytes (what
# SerializeToString produces)
_BODY_CHUNK_TAG = b"\x12"


def encode_body_chunk(data: bytes | bytearray | memoryview) -> bytes:
    """The serialized ``ServeHTTPResponse(body_chunk=data)`` (the same bytes as a
    ``ServeHTTPRequest``'s) for non-empty ``data``, built with one copy (constructing and
    serializing the message would copy ``data`` twice)."""
    length = len(data)
    varint = bytearray()
    while length > 0x7F:
        varint.append((length & 0x7F) | 0x80)
        length >>= 7
    varint.append(length)
    return b"".join((_BODY_CHUNK_TAG, varint, data))


def body_chunk_view(data: bytes) -> memoryview | None:
    """The body bytes of a serialized ServeHTTPRequest/ServeHTTPResponse that holds nothing
    but one ``body_chunk`` field (the common message of a streamed body), as a view into
    ``data``; None for any other message (parse that with protobuf)."""
    if len(data) < 3 or data[0] != _BODY_CHUNK_TAG[0]:
        return None
    length, shift, at = 0, 0, 1
    while at < len(data) and at <= 5:  # a length up to 2**35 takes five varint bytes
        byte = data[at]
        at += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return memoryview(data)[at:] if at + length == len(data) else None
    return None


class BodyChunk:
    """A received body-only message: ``body_chunk`` is a view into the received bytes
    (protobuf would copy them into the message, and again on every read of the field)."""

    __slots__ = ("body_chunk",)
    init = None
    body_complete = False
    flush = False

    def __init__(self, body: memoryview) -> None:
        self.body_chunk = body


def chunk_parser(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """The deserializer of streamed requests: body-only messages become BodyChunk views,
    every other message is parsed by ``parse`` (the message type's FromString)."""

    def deserialize(data: bytes) -> Any:
        view = body_chunk_view(data)
        return parse(data) if view is None else BodyChunk(view)

    return deserialize


def serialize_response(message: Any) -> bytes:
    """Serializer of streamed responses: pre-encoded body chunks (bytes) pass unchanged."""
    if isinstance(message, bytes):
        return message
    data: bytes = message.SerializeToString()
    return data
