"""The grpc settings the host chooses for itself: set only when the user did not choose, and
kept out of the plugins' environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SHOW = """
import json, os
import mmplug.host as host
from mmplug.host.launcher import plugin_env
child = plugin_env(None)
print(json.dumps({"ours": os.environ.get("GRPC_EXPERIMENTS"), "set": host.EXPERIMENTS_SET_BY_US,
                  "child": child.get("GRPC_EXPERIMENTS"), "tried": host._grpcio_version()
                  in host.TRIED_GRPCIO}))
"""


def _show(**env: str) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if k != "GRPC_EXPERIMENTS"}
    done = subprocess.run([sys.executable, "-c", SHOW], env={**base, **env}, text=True,
                          capture_output=True, check=True, timeout=60)
    return dict(json.loads(done.stdout))


def test_host_picks_the_older_grpc_client_but_plugins_do_not_inherit_it() -> None:
    shown = _show()
    if not shown["tried"]:  # another grpcio: left at its defaults
        assert shown == {"ours": None, "set": False, "child": None, "tried": False}
        return
    assert shown == {"ours": "-event_engine_client", "set": True, "child": None, "tried": True}


def test_inherited_from_an_mmplug_parent_it_still_stays_out_of_plugins() -> None:
    shown = _show(GRPC_EXPERIMENTS="-event_engine_client")
    assert shown["ours"] == "-event_engine_client" and shown["child"] is None


def test_a_users_grpc_experiments_are_kept_for_host_and_plugins() -> None:
    shown = _show(GRPC_EXPERIMENTS="-some_experiment")
    assert shown["ours"] == shown["child"] == "-some_experiment"
    assert shown["set"] is False
