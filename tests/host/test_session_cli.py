"""``mmplug run``: activates the plugin, streams its logs, stops cleanly on Ctrl-C; faults are
clean messages, never tracebacks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLAIN_DIR = FIXTURES / "plain_plugin"
FAULT_DIR = FIXTURES / "fault_plugins"


def mmplug(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mmplug.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_run_streams_logs_until_ctrl_c_then_deactivates() -> None:
    proc = mmplug("run", str(PLAIN_DIR), "--store", ":memory:", "--python", sys.executable,
                  "--log-level", "debug")
    assert proc.stdout is not None and proc.stderr is not None
    try:
        seen: list[str] = []
        for line in proc.stdout:
            seen.append(line)
            if "Press Ctrl-C" in line:
                break
        banners = [line for line in seen if "is active" in line]
        assert banners, "mmplug run did not start: " + proc.stderr.read()
        pid = int(re.search(r"pid (\d+)", banners[0]).group(1))  # type: ignore[union-attr]
        proc.send_signal(signal.SIGINT)
        rest, errors = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    output = "".join(seen) + rest
    assert proc.returncode == 0, errors
    assert "com.example.plain 0.1.0 is active" in output
    assert "activating" in output and "context_sent=false" in output
    assert "deactivating" in output
    assert "stopped by Ctrl-C; the plugin was stopped and nothing is left running" in errors
    assert "Traceback" not in errors
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError("the plugin survived mmplug run")


def test_run_reports_a_broken_plugin_cleanly() -> None:
    proc = mmplug("run", str(FAULT_DIR), "--store", ":memory:", "--python", sys.executable,
                  env={"FAULT_MODE": "wrong-core"})
    _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "error: plugin com.example.faulty:" in errors
    assert "core protocol version '2'" in errors
    assert "hint:" in errors
    assert "Traceback" not in errors


def test_run_rejects_bad_options_and_missing_manifest(tmp_path: Path) -> None:
    proc = mmplug("run", str(PLAIN_DIR), "--log-level", "loud")
    _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "unknown log level 'loud'" in errors
    proc = mmplug("run", str(tmp_path), "--store", ":memory:")
    _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "no plugin.json" in errors
    assert "Traceback" not in errors
    for where, says in ((tmp_path / "typo", f"there is no directory {tmp_path / 'typo'}"),
                        (PLAIN_DIR / "plugin.json", f"{PLAIN_DIR / 'plugin.json'} is not a "
                                                    "directory")):
        proc = mmplug("run", str(where), "--store", ":memory:")
        _, errors = proc.communicate(timeout=30)
        assert proc.returncode == 1
        assert f"error: {says}\nhint: give the directory" in errors


def test_run_with_a_directory_as_store_says_so(tmp_path: Path) -> None:
    """--store naming a directory is refused as such, with a file path to give instead."""
    folder = tmp_path / "states"
    folder.mkdir()
    proc = mmplug("run", str(PLAIN_DIR), "--store", str(folder), "--python", sys.executable)
    _, errors = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert errors == (f"error: cannot open the state database {folder}: it is a directory\n"
                      f"hint: pass --store with a file path ({folder / 'state.db'}, made if "
                      "missing), or :memory:\n")
    assert list(folder.iterdir()) == []
