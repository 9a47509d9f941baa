"""Mattermost-style ids: 16 bytes as 26 characters of the server's base32 alphabet."""

from __future__ import annotations

import base64
import os

from mmplug.host.ids import IdGenerator, encode_id, is_valid_id, random_id

ALPHABET = b"ybndrfg8ejkmcpqxot1uwisza345h769"


def _reference(raw: bytes) -> str:
    """What the server does: standard base32 over its own alphabet, padding dropped."""
    table = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)
    return base64.b32encode(raw[:16]).translate(table).decode()[:26]


def test_encode_id_is_the_servers_base32() -> None:
    samples = [bytes(16), b"\xff" * 16, bytes(range(16)), bytes(range(32))]
    samples += [os.urandom(16) for _ in range(500)] + [os.urandom(32) for _ in range(50)]
    for raw in samples:
        assert encode_id(raw) == _reference(raw)
    assert encode_id(bytes(16)) == "y" * 26


def test_random_and_generated_ids_are_valid_and_distinct() -> None:
    ids = {random_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_valid_id(i) for i in ids)
    first, second = IdGenerator("seed"), IdGenerator("seed")
    assert [first.new_id() for _ in range(3)] == [second.new_id() for _ in range(3)]
