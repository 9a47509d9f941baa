"""Python logging leaves the plugin as hclog JSON lines the host can read levels from."""

from __future__ import annotations

import io
import json
import logging
import re
import traceback
from collections.abc import Iterator

import grpc
import pytest

from mmplug.sdk import TRACE, Plugin
from mmplug.sdk._logging import configure

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure(buffer, level="trace")
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.captureWarnings(False)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_plugin_logger_writes_hclog_json_with_extra(stream: io.StringIO) -> None:
    class Demo(Plugin):
        pass

    Demo().logger.info("hello %s", "world", extra={"user_id": "u1", "count": 3})
    (entry,) = lines(stream)
    assert entry["@level"] == "info"
    assert entry["@message"] == "hello world"
    assert entry["@module"] == "plugin.Demo"
    assert entry["user_id"] == "u1" and entry["count"] == 3
    assert TIMESTAMP.match(str(entry["@timestamp"]))


def test_levels_map_to_hclog_names(stream: io.StringIO) -> None:
    log = logging.getLogger("levels")
    log.log(TRACE, "t")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    assert [e["@level"] for e in lines(stream)] == [
        "trace", "debug", "info", "warn", "error", "error"]


def test_exception_carries_traceback_and_values_stay_json(stream: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("x").exception("failed", extra={"obj": object(), "@message": 5})
    (entry,) = lines(stream)
    assert entry["@message"] == "failed"  # a non-string @message would crash the host
    assert "RuntimeError: boom" in str(entry["exception"])
    assert "Traceback" in str(entry["exception"])
    assert str(entry["obj"]).startswith("<object object")
    assert all(isinstance(entry[k], str) for k in ("@level", "@message", "@timestamp"))


def test_one_line_per_record_even_with_newlines(stream: io.StringIO) -> None:
    logging.getLogger("x").warning("two\nlines")
    assert len(stream.getvalue().splitlines()) == 1


@pytest.mark.parametrize(("level", "shown"), [("debug", []), ("trace", ["Using selector"])])
def test_asyncios_start_up_line_only_at_trace(level: str, shown: list[str]) -> None:
    import asyncio

    buffer = io.StringIO()
    root, asyncio_log = logging.getLogger(), logging.getLogger("asyncio")
    before = root.level, asyncio_log.level
    handler = configure(buffer, level=level)
    try:
        asyncio.new_event_loop().close()  # logs "Using selector: ..." at debug
    finally:
        root.removeHandler(handler)
        root.setLevel(before[0])
        asyncio_log.setLevel(before[1])
        logging.captureWarnings(False)
    assert [str(e["@message"]).split(":")[0] for e in lines(buffer)] == shown


def test_a_hooks_traceback_starts_at_the_plugins_code() -> None:
    from sdk_support import hooks_server

    class Failing(Plugin):
        def message_will_be_posted(self, context: object, post: object) -> None:
            raise ValueError("boom")

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logging.getLogger().addHandler(keep)
    try:
        with hooks_server(Failing()) as call, pytest.raises(grpc.RpcError):
            call("MessageWillBePosted", post={"message": "x"})
    finally:
        logging.getLogger().removeHandler(keep)
    (failed,) = [r for r in records if r.exc_info]
    text = "".join(traceback.format_exception(*failed.exc_info))
    frames = re.findall(r'File "([^"]+)"', text)
    assert frames == [__file__]  # no frame of the SDK before the plugin's own
    assert text.rstrip().endswith("ValueError: boom")
