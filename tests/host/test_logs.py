"""Plugin stderr becomes log records the way go-plugin reads it, and renders in one place."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone

from mmplug.cli._render import render_log
from mmplug.host.logs import (
    LogRecord,
    StderrParser,
    StderrPump,
    filter_logs,
    host_record,
    parse_stderr_line,
)


def test_hclog_json_line_keeps_level_message_time_module_and_fields() -> None:
    line = json.dumps({
        "@level": "WARN",
        "@message": "disk almost full",
        "@timestamp": "2024-05-01T12:00:00.123456Z",
        "@module": "plugin.storage",
        "free_mb": 12,
        "path": "/data",
    })
    record = parse_stderr_line(line, "com.example.p")
    assert record.level == "warn"
    assert record.message == "disk almost full"
    assert record.module == "plugin.storage"
    assert record.fields == {"free_mb": 12, "path": "/data"}
    assert record.time == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    assert record.plugin_id == "com.example.p"


def test_json_without_a_known_level_is_kept_verbatim() -> None:
    line = '{"@level": "loud", "@message": "x"}'
    record = parse_stderr_line(line)
    assert record.message == line
    assert record.level == "info"
    assert parse_stderr_line('{"@level": "info", "@message": 5}').message.startswith("{")


def test_plain_lines_take_their_level_from_a_prefix() -> None:
    assert parse_stderr_line("[ERROR] it broke").level == "error"
    assert parse_stderr_line("[ERROR] it broke").message == "it broke"
    assert parse_stderr_line("[debug] detail").level == "debug"
    assert parse_stderr_line("WARNING:root:careful").level == "warn"
    assert parse_stderr_line("just a print").level == "info"


def test_a_traceback_is_an_error_up_to_the_exception_line() -> None:
    parser = StderrParser("p")
    lines = [
        "Traceback (most recent call last):",
        '  File "plugin.py", line 3, in <module>',
        "    boom()",
        "ZeroDivisionError: division by zero",
        "after",
    ]
    levels = [parser.parse(line).level for line in lines]
    assert levels == ["error", "error", "error", "error", "info"]


def test_filter_by_level() -> None:
    records = [LogRecord(level, level) for level in ("trace", "debug", "info", "warn", "error")]
    assert [r.level for r in filter_logs(records, "warn")] == ["warn", "error"]
    assert [r.level for r in filter_logs(records, "WARNING")] == ["warn", "error"]
    assert len(filter_logs(records, "trace")) == 5


def test_render_shows_time_level_origin_message_and_fields() -> None:
    record = parse_stderr_line(
        '{"@level":"error","@message":"failed","@timestamp":"2024-05-01T12:00:00.000000Z",'
        '"user":"u1","n":3}',
        "com.example.p",
    )
    text = render_log(record).plain
    assert "ERROR" in text
    assert "[com.example.p] failed" in text
    assert "user=u1" in text and "n=3" in text
    assert "[mmplug:p] started" in render_log(host_record("p", "info", "started")).plain


def test_pump_parses_every_line_and_drain_waits_for_them() -> None:
    read_fd, write_fd = os.pipe()
    seen: list[LogRecord] = []
    got_all = threading.Event()

    def sink(record: LogRecord) -> None:
        seen.append(record)
        if len(seen) == 300:
            got_all.set()

    pump = StderrPump(os.fdopen(read_fd, "rb"), "p", sink)
    payload = "".join(f"[INFO] line {i}\n" for i in range(300)).encode()
    os.write(write_fd, payload + b"partial")
    pump.drain(5.0)
    assert got_all.is_set()
    assert seen[-1].message == "line 299"
    os.close(write_fd)
    pump.close()
    assert seen[-1].message == "partial"  # the last line without newline comes at EOF
    assert pump.tail(2) == ["[INFO] line 299", "partial"]
