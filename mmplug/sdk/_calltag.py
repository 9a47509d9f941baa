"""Which hook call an API call belongs to: a tag the fake host may send with a hook call, echoed
on the API calls the hook makes.

mmplug's host sends gRPC metadata ``mmplug-call: <tag>`` with a hook call (and with a
``PluginClock/Tick``) when it tracks calls per node (``--nodes``): the SDK keeps the tag for the
time the handler runs (a context variable, so it follows the handler into its ``async def`` on the
SDK's loop) and sends it back with each PluginAPI call made meanwhile; with ``<tag>;site`` it
sends ``<tag>;file:line (function)``, the plugin's code that made the call, in the same entry.
The race detector pairs a read and a write of a key by these tags. A real server sends no such
metadata, so nothing is added to any call there; the messages on the wire never change.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Sequence
from typing import Any

from mmplug.protocol.names import CALL_HEADER

__all__ = ["CALL_HEADER", "current", "enter", "leave", "metadata"]
_SDK_DIR = os.path.dirname(os.path.abspath(__file__))
_ASYNCIO_DIR = os.path.dirname(os.path.abspath(str(__import__("asyncio").__file__)))
# (tag, with call sites) of the hook call this code runs for, or None
_CURRENT: contextvars.ContextVar[tuple[str, bool] | None] = contextvars.ContextVar(
    "mmplug_call", default=None)

Metadata = tuple[tuple[str, str], ...]


def from_metadata(metadata: Sequence[Any] | None) -> tuple[str, bool] | None:
    """The tag of a call's invocation metadata (``context.invocation_metadata()``), if any."""
    for item in metadata or ():
        if item[0] == CALL_HEADER:
            tag, _, option = str(item[1]).partition(";")
            return tag, option == "site"
    return None


def enter(tag: tuple[str, bool] | None) -> contextvars.Token[tuple[str, bool] | None] | None:
    """Make ``tag`` current in this thread's (or task's) context; None: leave it alone."""
    if tag is None:
        return None
    return _CURRENT.set(tag)


def leave(token: contextvars.Token[tuple[str, bool] | None] | None) -> None:
    if token is not None:
        _CURRENT.reset(token)


def current() -> tuple[str, bool] | None:
    return _CURRENT.get()


def metadata() -> Metadata | None:
    """What to send with a PluginAPI call made now: nothing outside a tagged hook call."""
    tag = _CURRENT.get()
    if tag is None:
        return None
    if tag[1]:  # one entry: gRPC's cost is per call with metadata, not per entry
        return ((CALL_HEADER, f"{tag[0]};{call_site()}"),)
    return ((CALL_HEADER, tag[0]),)


def call_site() -> str:
    """``file:line (function)`` of the innermost frame outside the SDK and asyncio: the
    plugin's line that made the API call (relative to the plugin's folder when inside it)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        shown = _SHOWN.get(filename)
        if shown is None:
            shown = _SHOWN[filename] = _shown(filename)
        if shown:
            return f"{shown}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


# file name -> how a call site shows it ("" for the SDK's and asyncio's own files): walking
# the stack runs on every tracked API call, so each file is judged once per process
_SHOWN: dict[str, str] = {}


def _shown(filename: str) -> str:
    folder = os.path.dirname(os.path.abspath(filename))
    if folder.startswith((_SDK_DIR, _ASYNCIO_DIR)) or filename.startswith("<"):
        return ""
    try:
        shown = os.path.relpath(filename)  # the plugin runs in its folder, as the server runs it
    except ValueError:  # another drive (Windows)
        return filename
    return filename if shown.startswith("..") else shown
