"""Python logging as hclog JSON lines on stderr, so levels survive into the server log."""

from __future__ import annotations

import json
import logging
import os
import sys
import sysconfig
import traceback
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, TextIO

from . import _env

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

_STANDARD = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "taskName"}
)
_LEVEL_NAMES = {"trace": TRACE, "debug": logging.DEBUG, "info": logging.INFO,
                "warn": logging.WARNING, "warning": logging.WARNING, "error": logging.ERROR}


_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STDLIB_DIR = sysconfig.get_paths()["stdlib"] + os.sep


def _carrier(filename: str) -> bool:
    """A frame of the SDK, or of the standard library (asyncio, concurrent.futures) on the way
    from the SDK to the plugin's code."""
    if filename.startswith(_SDK_DIR):
        return True
    return filename.startswith(_STDLIB_DIR) and os.sep + "site-packages" + os.sep not in filename


def hook_exc_info(exc: BaseException) -> tuple[type[BaseException], BaseException,
                                               TracebackType | None]:
    """``exc_info`` for an exception a plugin's handler raised, its traceback starting at the
    plugin's own code: the SDK's frames that called it say nothing to the plugin's author.
    The whole traceback when no frame is the plugin's (a fault of the SDK itself)."""
    first = exc.__traceback__
    while first is not None and _carrier(first.tb_frame.f_code.co_filename):
        first = first.tb_next
    return type(exc), exc, first if first is not None else exc.__traceback__


def hclog_level(levelno: int) -> str:
    """hclog's name for a Python level (hclog knows trace, debug, info, warn, error)."""
    if levelno < logging.DEBUG:
        return "trace"
    if levelno < logging.INFO:
        return "debug"
    if levelno < logging.WARNING:
        return "info"
    if levelno < logging.ERROR:
        return "warn"
    return "error"


def format_timestamp(created: float) -> str:
    """Layout 2006-01-02T15:04:05.000000Z07:00 (six fractional digits)."""
    stamp = datetime.fromtimestamp(created, tz=timezone.utc).isoformat(timespec="microseconds")
    return stamp.replace("+00:00", "Z")


# json.dumps(entry, default=str, ensure_ascii=False), without making its encoder per record
_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


class HclogFormatter(logging.Formatter):
    """One JSON object per record: @level, @message, @timestamp, @module, plus ``extra`` keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "@level": hclog_level(record.levelno),
            "@message": str(record.getMessage()),
            "@timestamp": format_timestamp(record.created),
            "@module": record.name,
        }
        fields = vars(record)
        if fields.keys() - _STANDARD:  # ``extra`` keys (most records have none): in order
            for key, value in fields.items():
                if key not in _STANDARD and not key.startswith(("@", "_")):
                    entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return _encode(entry)


def parse_level(text: str | None, default: int = logging.DEBUG) -> int:
    if not text:
        return default
    return _LEVEL_NAMES.get(text.strip().lower(), default)


def configure(stream: TextIO | None = None, level: str | None = None) -> logging.Handler:
    """Send all Python logging to ``stream`` (the real stderr) as hclog JSON; idempotent."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_mmplug", False):
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.__stderr__ or sys.stderr)
    handler.setFormatter(HclogFormatter())
    handler._mmplug = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(parse_level(_env.resolve(_env.LOG_LEVEL, level)))
    # asyncio logs "Using selector: EpollSelector" at debug each time a loop starts (the first
    # async hook): noise at the default level; shown at trace, with everything else.
    asyncio_log = logging.getLogger("asyncio")
    if asyncio_log.level in (logging.NOTSET, logging.INFO):  # not the plugin's own choice
        asyncio_log.setLevel(logging.NOTSET if root.level <= TRACE else logging.INFO)
    logging.captureWarnings(True)
    return handler
