"""The committed protocol files are exactly what ``scripts/genproto.py`` generates."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.protocol import catalog


def test_generated_protocol_is_not_stale(repo_root: Path) -> None:
    for module in ("grpc_tools", "mypy_protobuf"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [sys.executable, str(repo_root / "scripts" / "genproto.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_catalog_names_are_consistent() -> None:
    assert len(catalog.HOOKS) == 53
    assert len(catalog.API) == 236
    spec = catalog.HOOKS_BY_GO_NAME["MessageWillBePosted"]
    assert spec.py_name == "message_will_be_posted"
    assert spec.request == "MessageWillBePostedRequest"
    assert catalog.HOOKS_BY_PY_NAME["serve_http"].streaming
    assert catalog.API_BY_GO_NAME["KVSetWithExpiry"].py_name == "kv_set_with_expiry"
    assert catalog.API_BY_PY_NAME["get_ldap_user_attributes"].go_name == "GetLDAPUserAttributes"
    # Added hooks are marked as not in the upstream contract.
    assert not catalog.HOOKS_BY_GO_NAME["ServeMetrics"].upstream
    assert catalog.HOOKS_BY_GO_NAME["OnActivate"].upstream
