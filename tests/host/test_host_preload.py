"""What a host imports ahead, while its plugin's interpreter boots (``mmplug.host.warm``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# In a fresh interpreter: the host as the pytest plugin imports it, then a session of the
# minimal template started, one hook fired, the session closed; prints what that imported.
PROBE = """
import json, sys
from pathlib import Path
from mmplug.testing import _import_host
_import_host()
from mmplug.host.fresh import open_world_store
from mmplug.host.session import Session
store = open_world_store(None)
before = set(sys.modules)
session = Session([Path(sys.argv[1])], store=store)
session.start()
assert session.fire("OnDeactivate").ok
session.close()
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_nothing_is_left_to_import_after_the_plugin_started(tmp_path: Path) -> None:
    """A session of the minimal template imports nothing of grpc, protobuf or the host after
    the host's preload: every import on the way from the plugin's handshake to the answer of
    its first hook was made while the plugin's interpreter started. A new lazy import on that
    way belongs in HOST_PRELOAD (or it costs every first test and every cold fire)."""
    from mmplug.scaffold import create_project

    plugin_dir = create_project("com.example.preload", template="minimal", parent=tmp_path).path
    done = subprocess.run([sys.executable, "-c", PROBE, str(plugin_dir)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.splitlines()[-1])
    late = [name for name in imported if name.startswith(("grpc", "google", "mmplug.host"))]
    assert late == []
