"""grpcio's older I/O: the host and the SDK choose it for themselves when the user did not
choose, and the host keeps its own choice out of the plugins' environment (a plugin built with
another SDK runs with grpc's defaults, as under the server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from plugin_projects import write_plugin_project

from mmplug.host.session import Session
from mmplug.host.store import Store
from mmplug.protocol.grpc_env import OLDER_IO, TRIED_GRPCIO, grpcio_version

TRIED = grpcio_version() in TRIED_GRPCIO
SHOW = """
import json, os
import mmplug.host
from mmplug.host._child_env import plugin_env
from mmplug.protocol import grpc_env
child = plugin_env(None)
print(json.dumps({"ours": os.environ.get("GRPC_EXPERIMENTS"), "set": grpc_env.CHOSEN_HERE,
                  "child": child.get("GRPC_EXPERIMENTS")}))
"""
REPORTER = '''from mmplug.sdk import Plugin, serve
import os

class Reporter(Plugin):
    def on_activate(self):
        self.logger.info("grpc", extra={"experiments": os.environ.get("GRPC_EXPERIMENTS")})

if __name__ == "__main__":
    serve(Reporter)
'''


def _show(**env: str) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if k != "GRPC_EXPERIMENTS"}
    done = subprocess.run([sys.executable, "-c", SHOW], env={**base, **env}, text=True,
                          capture_output=True, check=True, timeout=60)
    return dict(json.loads(done.stdout))


def test_host_picks_the_older_grpc_io_but_plugins_do_not_inherit_it() -> None:
    shown = _show()
    if not TRIED:  # another grpcio: left at its defaults
        assert shown == {"ours": None, "set": False, "child": None}
        return
    assert shown == {"ours": OLDER_IO, "set": True, "child": None}


def test_inherited_from_an_mmplug_parent_it_still_stays_out_of_plugins() -> None:
    shown = _show(GRPC_EXPERIMENTS=OLDER_IO)
    assert shown["ours"] == OLDER_IO and shown["child"] is None


def test_a_users_grpc_experiments_are_kept_for_host_and_plugins() -> None:
    shown = _show(GRPC_EXPERIMENTS="-some_experiment")
    assert shown["ours"] == shown["child"] == "-some_experiment"
    assert shown["set"] is False


def _plugin_sees(tmp_path: Path, env: dict[str, str]) -> object:
    write_plugin_project(tmp_path, "com.example.reporter", REPORTER)
    store = Store.open(tmp_path / "state.db")
    try:
        with Session([tmp_path], store=store, python=sys.executable, env=env) as session:
            return next(r.fields["experiments"] for r in session.logs if r.message == "grpc")
    finally:
        store.close()


def test_an_sdk_plugin_chooses_the_older_grpc_io_itself(tmp_path: Path) -> None:
    assert _plugin_sees(tmp_path, {}) == (OLDER_IO if TRIED else None)


def test_an_sdk_plugin_keeps_the_users_grpc_experiments(tmp_path: Path) -> None:
    assert _plugin_sees(tmp_path, {"GRPC_EXPERIMENTS": "-some_experiment"}) == "-some_experiment"


def test_the_pytest_plugin_turns_grpcs_fork_handlers_off_before_a_test_imports_grpc() -> None:
    """A plugin author's test module may import grpc before anything of the host: the pytest
    plugin (loaded first) has already turned grpc's fork handlers off, so spawning plugins
    from that process does not run them (they abort a child under load)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    code = ("import mmplug.testing, os, grpc; "
            "print(os.environ.get('GRPC_ENABLE_FORK_SUPPORT'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.stdout.strip() == "false", done.stderr
    env["GRPC_ENABLE_FORK_SUPPORT"] = "true"  # the user's choice is kept
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.stdout.strip() == "true", done.stderr
