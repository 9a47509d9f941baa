"""The server's syntax check of an LDAP search filter (``LdapSettings.UserFilter`` and others).

``LdapSettings.isValid`` compiles each filter with ``ldap.CompileFilter`` of the LDAP library the
server uses (github.com/mattermost/ldap, a fork of go-ldap). :func:`filter_error` walks a filter
as that compiler does, quirks included, and answers its error text:

* a filter is ``(`` item ``)``; an item is ``&`` or ``|`` and filters, ``!`` and a filter, a
  parenthesised filter, or ``attribute`` op ``value`` with op ``=``, ``>=``, ``<=``, ``~=`` or an
  extensible match (``attr:dn:rule:=value``); ``=*`` is a presence test, ``*`` in a value a
  substring match;
* the attribute is not checked (``(=x)`` compiles); a value's ``\\`` must start a two-digit hex
  escape;
* the compiler does not check the ``)`` that ends a list of ``&``/``|`` filters or a
  parenthesised filter (``(&(a=b)x`` compiles), and a ``!`` takes the next item whether or not
  it is in parentheses (``(!a=b)`` compiles);
* where the compiler fails on a missing child (``(!`` at the end) or reads past the end of a
  value (``\\4`` ending it), it recovers from the panic with no error at position 0, so the
  filter is refused as "extra at end" in full.

Positions in messages are byte offsets of the UTF-8 text, as Go counts them.
"""

from __future__ import annotations

import re

_RUNE_ERROR = "\ufffd"
_HEX2 = re.compile(rb"[0-9A-Fa-f]{2}")
_UNEXPECTED_END = "ldap: unexpected end of filter"


class _Panic(Exception):
    """A Go runtime panic inside the compiler (a nil child, a slice past the end)."""


def filter_error(text: str) -> str | None:
    """Why the server's ``ldap.CompileFilter`` refuses ``text`` (its message, such as ``ldap:
    unexpected end of filter``); None if it compiles."""
    # Go reads the configuration's JSON as UTF-8: a character it cannot encode is U+FFFD
    data = "".join(_RUNE_ERROR if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode()
    if not data or data[0] != ord("("):
        return "ldap: filter does not start with an '('"
    _, pos, err = _Compiler(data).compile(1)
    if err is not None:
        return err
    if pos > len(data):
        return _UNEXPECTED_END
    if pos < len(data):
        rest = data[pos:].decode(errors="replace")
        return f"ldap: finished compiling filter with extra at end: {rest}"
    return None


_ATTRIBUTE, _MATCHING_RULE, _CONDITION = range(3)
# what an operator read in the attribute makes of the item, and the state after it
_OPERATORS: tuple[tuple[bytes, str, int], ...] = (
    (b":dn:=", "extensible", _CONDITION),
    (b":dn:", "extensible", _MATCHING_RULE),
    (b":=", "extensible", _CONDITION),
    (b":", "extensible", _MATCHING_RULE),
    (b"=", "equality", _CONDITION),
    (b">=", "other", _CONDITION),
    (b"<=", "other", _CONDITION),
    (b"~=", "other", _CONDITION),
)


# A compiled item: its kind (None where Go's packet is nil), the position after it, an error
_Result = tuple[str | None, int, str | None]
# Go's deferred recover after a panic leaves the unnamed results at their zero values
_RECOVERED: _Result = (None, 0, None)
# An item waiting for its child: "paren", "not" or "set", and a position (for a set, that
# of the child's "(", where compileFilterSet answers a failed child)
_Frame = tuple[str, int]
# A step of the compiler: a result, or a frame to wait and where its child starts
_Step = tuple[_Result | None, _Frame | None, int]


class _Compiler:
    """go-ldap's ``compileFilter`` and ``compileFilterSet`` over ``data``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def _rune(self, pos: int) -> tuple[str, int]:
        """``utf8.DecodeRuneInString(filter[pos:])``."""
        if pos >= len(self.data):
            return _RUNE_ERROR, 0
        lead = self.data[pos]
        width = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        try:
            return self.data[pos:pos + width].decode(), width
        except UnicodeDecodeError:
            return _RUNE_ERROR, 1

    def compile(self, pos: int) -> _Result:
        """``compileFilter`` from ``pos`` (just after an item's ``(``): (kind, position after
        the item, error). Go recurses for each nested item; this keeps the items still waiting
        for a child on a stack instead, so any depth compiles as it does in Go."""
        waiting: list[_Frame] = []
        result, frame, child = self._open(pos)
        while True:
            while frame is not None:
                waiting.append(frame)
                result, frame, child = self._open(child)
            assert result is not None
            if not waiting:
                return result
            result, frame, child = self._resume(waiting.pop(), result)

    def _open(self, pos: int) -> _Step:
        """The start of ``compileFilter`` at ``pos``: its result, or the frame that waits for
        the child item it compiles first and where that child starts."""
        rune, width = self._rune(pos)
        if rune == _RUNE_ERROR:
            return (None, 0, f"ldap: error reading rune at position {pos}"), None, 0
        if rune == "(":
            return None, ("paren", pos), pos + width
        if rune in "&|":
            return self._next_in_set(pos + width)
        if rune == "!":
            return None, ("not", pos), pos + width
        try:
            return self._item(pos), None, 0
        except _Panic:
            return _RECOVERED, None, 0

    def _resume(self, frame: _Frame, result: _Result) -> _Step:
        """An item that waited for a child, given the child's result."""
        waiting, at = frame
        child, after, err = result
        if waiting == "paren":
            return (child, after + 1, err), None, 0  # the closing ')' is skipped unchecked
        if waiting == "not":
            # AppendChild(nil) panics, and the '!' item's recover answers for it
            return (_RECOVERED if child is None else ("not", after, err)), None, 0
        if err is not None:  # compileFilterSet answers where the failed child started
            return ("set", at, err), None, 0
        if child is None:
            return _RECOVERED, None, 0
        return self._next_in_set(after)

    def _next_in_set(self, pos: int) -> _Step:
        """``compileFilterSet`` at ``pos``: the next child of an ``&``/``|`` list, or its
        end."""
        if pos < len(self.data) and self.data[pos] == ord("("):
            return None, ("set", pos), pos + 1
        if pos == len(self.data):
            return ("set", pos, _UNEXPECTED_END), None, 0
        return ("set", pos + 1, None), None, 0  # whatever ends the list is skipped unchecked

    def _item(self, pos: int) -> tuple[str | None, int, str | None]:
        kind: str | None = None
        state, condition, at = _ATTRIBUTE, "", pos
        while at < len(self.data):
            rune, width = self._rune(at)
            if rune == ")":
                break
            if rune == _RUNE_ERROR:
                return kind, at, f"ldap: error reading rune at position {at}"
            if state == _ATTRIBUTE:
                operator = next((op for op in _OPERATORS if self.data.startswith(op[0], at)),
                                None)
                if operator is None:
                    at += width  # still the attribute
                else:
                    text, kind, state = operator
                    at += len(text)
            elif state == _MATCHING_RULE:
                if self.data.startswith(b":=", at):
                    state, at = _CONDITION, at + 2
                else:
                    at += width
            else:
                condition += rune
                at += width
        if at == len(self.data):
            return kind, at, _UNEXPECTED_END
        if kind is None:
            return kind, at, "ldap: error parsing filter"
        if kind == "equality" and condition == "*":
            pass  # a presence test
        elif kind == "equality" and "*" in condition:
            for part in condition.split("*"):
                if part:
                    err = _unescape_error(part)
                    if err is not None:
                        return kind, at, err
        else:
            err = _unescape_error(condition)
            if err is not None:
                return kind, at, err
        return kind, at + 1, None


def _unescape_error(value: str) -> str | None:
    """Why go-ldap's ``escapedStringToEncodedBytes`` refuses a value's ``\\xx`` escapes."""
    data = value.encode()
    i = 0
    while i < len(data):
        if data[i] == ord("\\"):
            if i + 2 > len(data):
                return "ldap: missing characters for escape in filter"
            if i + 3 > len(data):
                raise _Panic  # Go slices two characters past the end
            if not _HEX2.fullmatch(data[i + 1:i + 3]):
                return "ldap: invalid characters for escape in filter"
            i += 2
        i += 1
    return None
