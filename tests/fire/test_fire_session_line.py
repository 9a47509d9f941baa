"""fire says which session it used, shows KV values as text, and words a plugin that cannot
take the hook in a running `mmplug dev`."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_fire_dev import dev_session, running_dev  # noqa: F401  (the dev session fixture)

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_a_local_fire_says_so_and_shows_kv_values_as_text(cli: Cli, parrot_plugin: Path
                                                         ) -> None:
    result = cli("fire", "MessageHasBeenPosted", cwd=parrot_plugin)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fired in a throw-away session of its own" in result.stdout
    assert '{"key": "posts", "value": "1"}' in result.stdout
    assert base64.b64encode(b"1").decode() not in result.stdout


def test_a_fire_into_dev_says_so(cli: Cli, dev_session: Path) -> None:  # noqa: F811
    deadline = time.monotonic() + 30
    while True:  # the plugin may still be activating right after the pointer appears
        result = cli("fire", "MessageHasBeenPosted", cwd=dev_session)
        if result.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fired into the running `mmplug dev`" in result.stdout


@pytest.fixture()
def broken_dev(parrot_plugin: Path, tmp_path: Path) -> Iterator[Path]:
    source = parrot_plugin / "plugin.py"
    source.write_text(source.read_text().replace("class ParrotPlugin(Plugin):",
                                                 "class ParrotPlugin(Plugin)"))
    with running_dev(parrot_plugin, tmp_path) as plugin_dir:
        yield plugin_dir


def test_a_plugin_that_failed_in_dev_is_named_with_its_error_and_what_to_do(
        cli: Cli, broken_dev: Path) -> None:
    result = cli("fire", "MessageHasBeenPosted", cwd=broken_dev)
    assert result.returncode == 1
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith("error: plugin com.example.parrot failed to start in the running "
                            "`mmplug dev`: ")
    assert "SyntaxError" in first and "plugin.py:" in first
    assert "is failed" not in result.stderr
    assert "save" in result.stderr and "--local" in result.stderr
