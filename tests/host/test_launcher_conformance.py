"""Our launcher and the genuine go-plugin client (v1.0.1, ../shared/conformance) agree on
every fault plugin: a plugin one rejects at start the other rejects too, and a plugin both
start is one both stop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.errors import PluginLaunchError
from mmplug.host.session import Session
from mmplug.host.store import Store

REPO = Path(__file__).resolve().parents[2]
RUN = (REPO / ".." / "shared" / "conformance" / "run.sh").resolve()
FIXTURES = REPO / "tests" / "fixtures"
START_STEPS = {"handshake", "client", "ping"}

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not RUN.is_file(), reason=f"go-plugin conformance harness absent ({RUN})"),
    pytest.mark.skipif(shutil.which("bash") is None, reason="the harness needs bash"),
]

MODES = ["bad-line", "short-line", "exit-early", "stdout-noise", "wrong-core", "wrong-app",
         "netrpc", "four-fields", "bad-net", "hang", "dead-port", "exit-after", "no-health"]


def gohost_command() -> list[str]:
    """The built go-plugin host if run.sh has built it (skipping run.sh's per-call setup
    checks), else run.sh itself, which builds it first."""
    cache = os.environ.get("MM_CONFORMANCE_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mm-conformance"
    )
    binary = Path(cache) / "gohost"
    source = RUN.parent / "gohost" / "host.go"
    if binary.is_file() and source.is_file() and binary.stat().st_mtime > source.stat().st_mtime:
        return [str(binary)]
    return [str(RUN)]


def start_timeout(extra_env: dict[str, str]) -> float:
    """Short only where the plugin hangs: a loaded machine may need seconds to import grpc."""
    return 1.0 if extra_env.get("FAULT_MODE") == "hang" else 10.0


def genuine_failed_steps(plugin_dir: Path, extra_env: dict[str, str]) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "MATTERMOST_"))}
    env.update(extra_env)
    result = subprocess.run(
        [*gohost_command(), "-start-timeout", f"{start_timeout(extra_env):g}s", "-method", "",
         "-allow-forced-kill", "--", sys.executable, str(plugin_dir / _executable(plugin_dir))],
        cwd=plugin_dir, env=env, capture_output=True, text=True, timeout=60, check=False,
        stdin=subprocess.DEVNULL,
    )
    lines = result.stdout.splitlines()
    assert any(line.startswith("RESULT") for line in lines), result.stdout + result.stderr
    return {line.split()[1] for line in lines if line.startswith("FAIL ")}


def _executable(plugin_dir: Path) -> str:
    return "fault.py" if plugin_dir.name == "fault_plugins" else "plugin.py"


def ours_rejects(plugin_dir: Path, extra_env: dict[str, str]) -> bool:
    store = Store.open(":memory:")
    try:
        with Session([plugin_dir], store=store, python=sys.executable,
                     start_timeout=start_timeout(extra_env), env=extra_env):
            return False
    except PluginLaunchError:
        return True
    finally:
        store.close()


@pytest.mark.parametrize("mode", MODES)
def test_both_clients_reject_the_same_fault(mode: str) -> None:
    env = {"FAULT_MODE": mode}
    genuine = genuine_failed_steps(FIXTURES / "fault_plugins", env)
    assert genuine & START_STEPS, f"the genuine client accepted {mode}: {genuine}"
    assert ours_rejects(FIXTURES / "fault_plugins", env)


def test_both_clients_run_the_plain_plugin() -> None:
    assert genuine_failed_steps(FIXTURES / "plain_plugin", {}) == set()
    assert not ours_rejects(FIXTURES / "plain_plugin", {})
