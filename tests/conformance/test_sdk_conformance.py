"""An SDK plugin under the genuine HashiCorp go-plugin client (../shared/conformance)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.sdk._proto import message_class

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = (REPO / ".." / "shared" / "conformance").resolve()
RUN = CONFORMANCE / "run.sh"
SAMPLE = REPO / "tests" / "fixtures" / "sdk_plugins" / "sample_plugin.py"
HOOKS = "/mattermost.pluginapi.v1.PluginHooks"
EXPECTED_HOOKS = ["ExecuteCommand", "MessageHasBeenPosted", "MessageWillBePosted", "OnActivate",
                  "ServeHTTP"]

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not RUN.is_file(), reason=f"go-plugin conformance harness absent ({RUN})"),
    pytest.mark.skipif(sys.platform == "win32", reason="the harness is a POSIX shell script"),
]


def env(**extra: str) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "MATTERMOST_"))}
    result["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), result.get("PYTHONPATH")]))
    result.update(extra)
    return result


def harness_ready() -> bool:
    """run.sh builds gohost into its cache; without a built binary it needs Go to build one."""
    cache = os.environ.get("MM_CONFORMANCE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mm-conformance")
    return Path(cache, "gohost").is_file() or shutil.which("go") is not None


def gohost(*flags: str, extra_env: dict[str, str] | None = None) -> str:
    if shutil.which("bash") is None:
        pytest.skip("bash is not available")
    if not harness_ready():
        pytest.skip("gohost is not built and Go is missing: run ../shared/conformance/run.sh "
                    "--setup")
    result = subprocess.run(
        [str(RUN), *flags, "--", sys.executable, str(SAMPLE)],
        env=env(**(extra_env or {})), capture_output=True, text=True, timeout=90,
        stdin=subprocess.DEVNULL, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "RESULT PASS" in output, output
    return output


def implemented_hex() -> str:
    response = message_class("ImplementedResponse")(hooks=EXPECTED_HOOKS)
    return response.SerializeToString().hex()


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_handshake_ping_implemented_shutdown(transport: str, tmp_path: Path) -> None:
    extra = {"PLUGIN_UNIX_SOCKET_DIR": str(tmp_path)} if transport == "unix" else {}
    output = gohost("-method", f"{HOOKS}/Implemented", "-payload-hex", "",
                    "-expect-hex", implemented_hex(), "-n", "5", extra_env=extra)
    for step in ("handshake", "ping", "dispense", "call", "shutdown"):
        assert f"PASS {step}" in output, output
    assert f"addr={transport}/" in output, output
    assert "graceful" in output
    if transport == "unix":
        assert list(tmp_path.iterdir()) == [], "socket file left behind"


def test_message_will_be_posted_rejection_through_the_real_client() -> None:
    request = message_class("MessageWillBePostedRequest")(post={"message": "a forbidden word"})
    expected = message_class("MessageWillBePostedResponse")(rejection_reason="forbidden word")
    gohost("-method", f"{HOOKS}/MessageWillBePosted",
           "-payload-hex", request.SerializeToString().hex(),
           "-expect-hex", expected.SerializeToString().hex())


def test_without_cookie_the_plugin_refuses_to_run() -> None:
    result = subprocess.run([sys.executable, str(SAMPLE)], env=env(), capture_output=True,
                            text=True, timeout=30, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "This binary is a plugin. These are not meant to be executed directly." in result.stderr
