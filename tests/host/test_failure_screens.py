"""Failure screens lead with the plugin's own error, show its traceback once (its own frames
only) and give a hint that fits the error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.host.tracebacks import find_error


def fire(plugin: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", "fire", *args, "--python",
                           sys.executable], cwd=plugin, capture_output=True, text=True,
                          timeout=60, env={"COLUMNS": "200", "NO_COLOR": "1",
                                           "PATH": "/usr/bin:/bin"})


def break_import(plugin: Path, module: str) -> None:
    source = plugin / "plugin.py"
    source.write_text(source.read_text().replace("from mmplug.sdk import",
                                                 f"import {module}\nfrom mmplug.sdk import", 1))


def test_a_syntax_error_screen_starts_with_the_error_and_its_place(parrot_plugin: Path) -> None:
    (parrot_plugin / "pkg").mkdir()
    (parrot_plugin / "pkg" / "__init__.py").write_text("x = 1\ndef f(:\n    pass\n")
    break_import(parrot_plugin, "pkg")
    result = fire(parrot_plugin, "MessageWillBePosted")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: plugin com.example.parrot: SyntaxError: invalid syntax " \
        "(pkg/__init__.py:2)"
    assert lines[1] == "the plugin exited with code 1 before printing its handshake"
    assert result.stderr.count("Traceback (most recent call last):") == 1
    assert result.stderr.count("SyntaxError:") == 2  # the headline and the traceback's end
    for launcher in ("<string>", "_go", "<frozen runpy>", "runpy"):
        assert launcher not in result.stderr
    assert '  File "plugin.py", line' in result.stderr  # relative to the plugin directory
    hint = lines[-1]
    assert hint.startswith("hint: fix the SyntaxError at pkg/__init__.py:2")
    assert "handshake" not in hint


def test_a_missing_module_names_the_interpreter_and_requirements(parrot_plugin: Path) -> None:
    break_import(parrot_plugin, "surely_not_installed_anywhere")
    result = fire(parrot_plugin, "MessageWillBePosted")
    first, hint = result.stderr.splitlines()[0], result.stderr.splitlines()[-1]
    assert first == "error: plugin com.example.parrot: ModuleNotFoundError: No module named " \
        "'surely_not_installed_anywhere' (plugin.py:7)"
    assert sys.executable in hint and "requirements.txt" in hint and "--python" in hint


def test_a_hooks_key_error_is_not_called_not_found(parrot_plugin: Path) -> None:
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace(
        '        if "badword" in post.message:', '        {}["missing"]\n'
        '        if "badword" in post.message:'))
    result = fire(parrot_plugin, "MessageWillBePosted")
    assert result.returncode == 1
    assert "✗ failed: KeyError: 'missing' (gRPC status INTERNAL)" in result.stdout
    assert "NOT_FOUND" not in result.stdout


@pytest.mark.parametrize(("text", "headline"), [
    ("Traceback (most recent call last):\n"
     '  File "<string>", line 26, in <module>\n'
     '  File "<frozen runpy>", line 291, in run_path\n'
     '  File "/p/plugin.py", line 3, in <module>\n'
     "    import x\n"
     "ModuleNotFoundError: No module named 'x'",
     "ModuleNotFoundError: No module named 'x' (plugin.py:3)"),
    ('  File "/p/plugin.py", line 9\n    def (:\n        ^\nSyntaxError: invalid syntax',
     "SyntaxError: invalid syntax (plugin.py:9)"),
    ("Traceback (most recent call last):\n"
     '  File "/p/plugin.py", line 5, in <module>\n'
     "    main()\n"
     '  File "/usr/lib/python3/json/__init__.py", line 2, in loads\n'
     "ValueError: first\n\n"
     "During handling of the above exception, another exception occurred:\n\n"
     "Traceback (most recent call last):\n"
     '  File "/p/plugin.py", line 7, in <module>\n'
     "RuntimeError: second",
     "RuntimeError: second (plugin.py:7)"),
])
def test_the_error_is_found_in_what_the_plugin_wrote(text: str, headline: str) -> None:
    error = find_error(["some log line", *text.splitlines()])
    assert error is not None and error.headline("/p") == headline
    assert not any(line.startswith('  File "<') for line in error.lines("/p"))
