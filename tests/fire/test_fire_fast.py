"""The fast command-line path of ``mmplug fire`` (no typer): same options, same results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.cli._fire_fast import OPTIONS, parse


def _typer_options() -> dict[str, tuple[str, str]]:
    import typer

    from mmplug.cli.main import build_app

    group = typer.main.get_command(build_app())
    command = group.commands["fire"]  # type: ignore[attr-defined]
    table: dict[str, tuple[str, str]] = {}
    for param in command.params:
        if param.param_type_name != "option":
            continue
        if param.is_flag:
            kind = "flag"
        elif param.multiple:
            kind = "list"
        elif _annotation(param) is float:
            kind = "float"
        elif _annotation(param) is int:
            kind = "int"
        elif _annotation(param) is Path:
            kind = "path"
        else:
            kind = "str"
        for name in param.opts:
            if name not in ("-h", "--help"):
                table[name] = (str(param.name), kind)
    return table


def _annotation(param: object) -> object:
    """The parameter's Python type (typer >= 0.2x keeps it; older ones have click types)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        return descriptor.annotation
    name = getattr(getattr(param, "type", None), "name", "")
    return {"float": float, "integer": int, "int": int, "path": Path}.get(name, str)


def test_fast_table_equals_the_typer_command() -> None:
    assert _typer_options() == OPTIONS


def test_fast_defaults_equal_the_typer_command() -> None:
    import inspect

    from mmplug.cli._fire_run import execute
    from mmplug.cli.fire import fire

    typer_defaults = {n: p.default for n, p in inspect.signature(fire).parameters.items()}
    fast_defaults = {n: p.default for n, p in inspect.signature(execute).parameters.items()}
    assert typer_defaults == fast_defaults


@pytest.mark.parametrize(("argv", "expected"), [
    (["OnActivate"], {"hook": "OnActivate", "args": None}),
    (["ExecuteCommand", "/echo", "hi", "-mhello", "--format=json"],
     {"hook": "ExecuteCommand", "args": ["/echo", "hi"], "message": "hello",
      "output_format": "json"}),
    (["--set", "a=1", "MessageWillBePosted", "--set", "b=2", "--local"],
     {"hook": "MessageWillBePosted", "args": None, "sets": ["a=1", "b=2"], "local": True}),
    (["ServeHTTP", "GET", "/x", "-H", "A: b", "--hook-timeout", "2.5", "--", "--odd"],
     {"hook": "ServeHTTP", "args": ["GET", "/x", "--odd"], "headers": ["A: b"],
      "hook_timeout": 2.5}),
    (["OnActivate", "--record", "c.jsonl"],
     {"hook": "OnActivate", "args": None, "record": Path("c.jsonl")}),
])
def test_parse(argv: list[str], expected: dict[str, object]) -> None:
    assert parse(argv) == expected


@pytest.mark.parametrize("argv", [
    [],  # interactive loop
    ["--help"], ["OnActivate", "-h"],
    ["OnActivate", "--unknown"],
    ["OnActivate", "--hook-timeout", "soon"],  # typer reports the bad value
    ["OnActivate", "--json"],  # missing value
    ["--list"],
    ["OnActivate", "--local=yes"],
])
def test_unusual_command_lines_go_to_typer(argv: list[str]) -> None:
    assert parse(argv) is None


def _cold_fire(prelude: str, *args: str, cwd: Path | None = None,
               python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    """``mmplug fire ARGS --python PYTHON`` (default: this interpreter) through the console
    script's entry point, in a fresh interpreter that first runs ``prelude``."""
    argv = ["mmplug", "fire", *args, "--python", python]
    code = f"{prelude}\nimport sys\nsys.argv = {argv!r}\nimport mmplug.cli.main as m\nm.run()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def _at_early_start(*lines: str) -> str:
    """A prelude running ``lines`` (with ``self``, the Prelaunch) as the plugin is started."""
    body = "".join(f"    {line}\n" for line in lines)
    return ("import sys\n"
            "from mmplug.host import _prelaunch\n"
            "original = _prelaunch.Prelaunch.__init__\n"
            "def init(self, *a, **k):\n"
            f"{body}"
            "    original(self, *a, **k)\n"
            "_prelaunch.Prelaunch.__init__ = init\n")


def test_a_cold_fire_does_not_import_typer(parrot_plugin: Path) -> None:
    done = _cold_fire(
        "import atexit, sys\n"
        "atexit.register(lambda: print('typer loaded:', 'typer' in sys.modules, file=sys.stderr))",
        "OnActivate", str(parrot_plugin), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert '"ok": true' in done.stdout
    assert "typer loaded: False" in done.stderr


def test_a_cold_fire_adopts_the_plugin_process_it_started_first(parrot_plugin: Path) -> None:
    done = _cold_fire(
        "import atexit\nearly = []\n" + _at_early_start("early.append(self)")
        + "atexit.register(lambda: print('early', len(early), 'hits', sum(p.hits for p in early),"
        " 'misses', sum(p.misses for p in early), file=sys.stderr))",
        "OnActivate", str(parrot_plugin), "--format", "json", cwd=parrot_plugin.parent)
    assert done.returncode == 0, done.stderr
    assert "early 1 hits 1 misses 0" in done.stderr
    assert '"ok": true' in done.stdout


def test_a_relative_python_is_resolved_alike_for_the_early_start_and_the_launch(
        parrot_plugin: Path) -> None:
    cwd = parrot_plugin.parent
    done = _cold_fire(
        "import atexit\nearly = []\n" + _at_early_start("early.append(self)")
        + "atexit.register(lambda: print('hits', sum(p.hits for p in early), file=sys.stderr))",
        "OnActivate", str(parrot_plugin), "--format", "json", cwd=cwd,
        python=os.path.relpath(sys.executable, cwd))  # the plugin runs in its own directory
    assert done.returncode == 0, done.stderr
    assert '"ok": true' in done.stdout
    assert "hits 1" in done.stderr


def test_fallback_to_typer_keeps_its_usage_errors(parrot_plugin: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mmplug.cli.main", "fire", "OnActivate", str(parrot_plugin),
         "--hook-timeout", "soon"], capture_output=True, text=True, timeout=60,
        env={"COLUMNS": "200", "NO_COLOR": "1", **_env()})
    assert done.returncode == 2
    assert "--hook-timeout" in done.stderr
    assert "Traceback" not in done.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}


class _SlowClose:
    """A target whose close waits (like a plugin taking its time to exit) until told."""

    def __init__(self, failure: BaseException | None = None) -> None:
        import threading

        self.may_finish = threading.Event()
        self.closed = False
        self.failure = failure

    def close(self) -> None:
        if not self.may_finish.wait(timeout=10):
            raise AssertionError("close was not overlapped with the output")
        self.closed = True
        if self.failure is not None:
            raise self.failure


def test_the_output_is_written_while_the_target_closes() -> None:
    from mmplug.fire import while_closing

    target = _SlowClose()
    seen: list[bool] = []

    def output() -> None:
        seen.append(target.closed)  # the close is still waiting: we run alongside it
        target.may_finish.set()

    while_closing(target, output)  # type: ignore[arg-type]
    assert seen == [False]
    assert target.closed  # and it was waited for before returning


def test_a_failing_close_is_raised_after_the_output() -> None:
    from mmplug.errors import MmplugError
    from mmplug.fire import while_closing

    target = _SlowClose(MmplugError("the plugin did not stop"))
    written: list[str] = []

    def output() -> None:
        written.append("result")
        target.may_finish.set()

    with pytest.raises(MmplugError, match="did not stop"):
        while_closing(target, output)  # type: ignore[arg-type]
    assert written == ["result"]


def test_a_cold_fire_exits_with_the_hook_exit_code_and_runs_exit_handlers(
        parrot_plugin: Path) -> None:
    done = _cold_fire(
        "import atexit, sys\natexit.register(lambda: print('handlers ran', file=sys.stderr))",
        "NoSuchHookAnywhere", str(parrot_plugin))
    assert done.returncode == 2, done.stderr
    assert "NoSuchHookAnywhere" in done.stderr
    assert "handlers ran" in done.stderr


def test_a_cold_fire_starts_the_plugin_before_its_heavy_imports(parrot_plugin: Path) -> None:
    done = _cold_fire(
        _at_early_start(
            "heavy = [m for m in ('grpc', 'google.protobuf', 'typing', 'pathlib', 'dataclasses',"
            " 'sqlite3') if m in sys.modules]",
            "print('loaded at the early start:', heavy, file=sys.stderr)"),
        "OnActivate", str(parrot_plugin), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "loaded at the early start: []" in done.stderr


@pytest.mark.parametrize("output", ["json", "text"])
def test_a_reader_that_stops_reading_ends_fire_quietly(parrot_plugin: Path, output: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `mmplug fire ... | head -0`: nobody reads what fire prints
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mmplug.cli.main", "fire", "MessageWillBePosted",
             str(parrot_plugin), "--format", output, "--python", sys.executable],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 141  # as a process ended by SIGPIPE
