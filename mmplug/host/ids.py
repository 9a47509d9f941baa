"""Mattermost-style ids (26 characters, base32) from a seeded, persistent generator."""

from __future__ import annotations

import base64
import hashlib
import os
import threading

# Mattermost encodes 16 random bytes with this base32 alphabet and drops the padding.
_ALPHABET = b"ybndrfg8ejkmcpqxot1uwisza345h769"
_TRANSLATE = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)
# Two characters (10 bits) at a time: 16 bytes are 128 bits, 26 characters 130 (2 padding bits).
_PAIRS = [chr(_ALPHABET[i >> 5]) + chr(_ALPHABET[i & 31]) for i in range(1024)]
_SHIFTS = tuple(range(120, -1, -10))


def encode_id(raw: bytes) -> str:
    """Encode 16 bytes the way the server does (26 lower-case base32 characters)."""
    if len(raw) < 16:
        return base64.b32encode(raw).translate(_TRANSLATE).decode()[:26]
    bits = int.from_bytes(raw[:16], "big") << 2
    return "".join([_PAIRS[(bits >> shift) & 1023] for shift in _SHIFTS])


def random_id() -> str:
    return encode_id(os.urandom(16))


def is_valid_id(value: str) -> bool:
    return len(value) == 26 and all(c.encode() in _ALPHABET for c in value)


class IdGenerator:
    """Deterministic ids: the n-th id of a seed is always the same.

    The counter lives in the store (``meta`` table) so that a persistent session keeps
    handing out fresh ids across restarts, and a replay from the same world repeats them.
    """

    def __init__(self, seed: str, counter: int = 0) -> None:
        self.seed = seed
        self.counter = counter
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            self.counter += 1
            n = self.counter
        return encode_id(hashlib.sha256(f"{self.seed}:{n}".encode()).digest())
