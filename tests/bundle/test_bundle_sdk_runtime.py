"""The SDK runtime slice a bundle ships, and the guard against SDK imports of the tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmplug.bundle import sdk_runtime
from mmplug.errors import BundleError


def test_ships_sdk_and_protocol_sources_only() -> None:
    names = [e.arcname for e in sdk_runtime.sdk_entries("v")]
    assert "v/mmplug/__init__.py" in names
    assert "v/mmplug/sdk/__init__.py" in names and "v/mmplug/protocol/hooks_pb2.py" in names
    assert {n.split("/")[2] for n in names if n.count("/") > 2} == {"sdk", "protocol"}
    assert not [n for n in names if n.endswith((".pyi", ".proto", ".pyc"))]
    init = sdk_runtime.init_source().decode()
    assert "__version__" in init and "import" not in init


@pytest.mark.parametrize("line", [
    "from mmplug.cli import main",
    "import mmplug.host.session",
    "from .. import errors",
    "from ...mmplug import x",
    "from mmplug import bundle",
])
def test_an_sdk_that_imports_the_tool_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    for package in ("sdk", "protocol"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "sdk" / "_bad.py").write_text(f"{line}\n")
    monkeypatch.setattr(sdk_runtime, "_package_root", lambda: tmp_path)
    with pytest.raises(BundleError, match="does not ship"):
        sdk_runtime.sdk_entries("v")


@pytest.mark.parametrize("line", [
    "from mmplug.protocol import hooks_pb2",
    "from . import _server",
    "from ..protocol import catalog",
    "from mmplug import __version__",
    "import grpc",
])
def test_allowed_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str) -> None:
    for package in ("sdk", "protocol"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "sdk" / "_ok.py").write_text(f"{line}\n")
    monkeypatch.setattr(sdk_runtime, "_package_root", lambda: tmp_path)
    assert "v/mmplug/sdk/_ok.py" in [e.arcname for e in sdk_runtime.sdk_entries("v")]
