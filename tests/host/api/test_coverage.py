"""docs/api-coverage.md and docs/parity.md are generated from the catalog, the emulation
registry and the parity tests; a stale document fails here (regenerate with
`python scripts/gen_api_docs.py`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mmplug.host.api import emulated
from mmplug.protocol.catalog import API

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "gen_api_docs.py"


def test_coverage_doc_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_parity_doc_lists_every_parity_test_with_its_source() -> None:
    """Every test of tests/parity/ appears in docs/parity.md with the Go function it cites."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from gen_api_docs import parity_behaviours
    finally:
        sys.path.remove(str(SCRIPT.parent))
    text = (ROOT / "docs" / "parity.md").read_text(encoding="utf-8")
    behaviours = parity_behaviours()
    assert len(behaviours) >= 10
    for item in behaviours:
        assert f"*{item.source}* (`{item.test}`)" in text
    assert f"**{len(behaviours)} behaviours of " in text


def test_coverage_doc_counts_every_rpc() -> None:
    text = (ROOT / "docs" / "api-coverage.md").read_text(encoding="utf-8")
    done = sum(spec.go_name in emulated() for spec in API)
    assert f"**{done} of {len(API)} rpcs emulated**" in text
    for spec in API:
        assert f"| `{spec.go_name}` |" in text


def test_every_emulation_is_a_catalog_rpc() -> None:
    names = {spec.go_name for spec in API}
    assert set(emulated()) <= names


def test_at_least_120_rpcs_are_emulated() -> None:
    assert len(emulated()) >= 120


def test_area_modules_load_when_their_first_rpc_is_called() -> None:
    """A fresh host imports no area module until an rpc of it is called (a cold fire of a hook
    that calls no API skips them all); the first call then answers as usual."""
    code = (
        "import sys, grpc\n"
        "from mmplug.host.api.server import ApiServer\n"
        "from mmplug.host.store import Store\n"
        "from mmplug.protocol import api_kv_config_pb2 as pb, api_pb2_grpc\n"
        "server = ApiServer(Store.open(), 'com.example.lazy')\n"
        "server.start()\n"
        "areas = lambda: sorted(m for m in sys.modules if m.startswith('mmplug.host.api.')\n"
        "                       and not m.rsplit('.', 1)[1].startswith('_')\n"
        "                       and m.rsplit('.', 1)[1] not in ('server', 'stubs'))\n"
        "print('before', areas(), server.is_emulated('KVSet'))\n"
        "api = api_pb2_grpc.PluginAPIStub(grpc.insecure_channel(server.address))\n"
        "api.KVSet(pb.KVSetRequest(key='k', value=b'v'))\n"
        "print('after', areas(), api.KVGet(pb.KVGetRequest(key='k')).value)\n"
        "server.stop(None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "before [] True" in done.stdout
    assert "after ['mmplug.host.api.kv'] b'v'" in done.stdout
