"""Text rules of the server's model that several areas share."""

from __future__ import annotations

# Code points the server's SanitizeUnicode drops: bidi controls, deprecated and annotation
# characters, line and paragraph separators, the byte order mark, musical scoping and
# language tags.
_DROPPED = (
    frozenset(
        (0x0340, 0x0341, 0x17A3, 0x17D3, 0x2028, 0x2029, 0xFFF9, 0xFFFA, 0xFFFB, 0xFEFF, 0xFFFC)
    )
    | frozenset((*range(0x202A, 0x202F), *range(0x206A, 0x2070)))
    | frozenset((*range(0x1D173, 0x1D17B), *range(0xE0000, 0xE0080)))
)


def sanitize_unicode(text: str) -> str:
    """The server's ``SanitizeUnicode``: ``text`` without the invisible and deprecated code
    points it removes from names and texts."""
    return "".join(ch for ch in text if ord(ch) not in _DROPPED)
