"""The entry shim, run by a plain interpreter in a hand-made bundle layout (no pip needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mmplug.bundle.shim import SHIM_NAME, shim_source
from mmplug.bundle.targets import current_platform, current_python

TAG = f"{current_platform()}-cp{current_python().replace('.', '')}"
PROBE = """
import json, sys
import vendored_probe, common_probe
print(json.dumps({"name": __name__, "argv0": sys.argv[0], "path": sys.path[:3],
                  "vendored": vendored_probe.WHERE, "common": common_probe.WHERE}))
"""


def _layout(root: Path, executable: str, executables: dict[str, str]) -> Path:
    for rel in {executable, *executables.values()}:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(PROBE)
    target = root / "mmplug_vendor" / TAG
    common = root / "mmplug_vendor" / "common"
    target.mkdir(parents=True)
    common.mkdir(parents=True)
    (target / "vendored_probe.py").write_text("WHERE = 'target'\n")
    (common / "common_probe.py").write_text("WHERE = 'common'\n")
    (common / "vendored_probe.py").write_text("WHERE = 'shadowed'\n")
    (root / SHIM_NAME).write_bytes(shim_source(executable, executables, [TAG]))
    return root


def _run(root: Path) -> dict[str, object]:
    result = subprocess.run([sys.executable, SHIM_NAME], cwd=root, capture_output=True,
                            text=True, timeout=30, check=True)
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_shim_runs_the_executable_as_main_with_vendored_dirs_first(tmp_path: Path) -> None:
    root = _layout(tmp_path, "server/plugin.py", {})
    seen = _run(root)
    assert seen["name"] == "__main__"
    assert seen["argv0"] == str(root / "server" / "plugin.py")
    assert seen["path"] == [str(root / "server"), str(root / "mmplug_vendor" / TAG),
                            str(root / "mmplug_vendor" / "common")]
    assert (seen["vendored"], seen["common"]) == ("target", "common")


def test_shim_prefers_the_per_platform_executable(tmp_path: Path) -> None:
    root = _layout(tmp_path, "plugin.py", {current_platform(): "native/plugin.py"})
    assert _run(root)["argv0"] == str(root / "native" / "plugin.py")


def test_generated_shim_is_stable_and_standalone() -> None:
    one = shim_source("plugin.py", {"linux-arm64": "a.py", "linux-amd64": "b.py"}, ["x", "a"])
    two = shim_source("plugin.py", {"linux-amd64": "b.py", "linux-arm64": "a.py"}, ["a", "x"])
    assert one == two
    compile(one, SHIM_NAME, "exec")
    imports = {line.split()[1] for line in one.decode().splitlines()
               if line.startswith("import ")}
    assert imports == {"os", "platform", "runpy", "sys"}


def test_shim_explains_an_interpreter_that_is_too_old(tmp_path: Path) -> None:
    root = _layout(tmp_path, "plugin.py", {})
    shim = root / SHIM_NAME
    shim.write_text(shim.read_text().replace("MIN_PYTHON = (3, 10)", "MIN_PYTHON = (3, 99)"))
    result = subprocess.run([sys.executable, SHIM_NAME], cwd=root, capture_output=True,
                            text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("mmplug bundle: this plugin needs Python 3.99 or newer")
    assert "Traceback" not in result.stderr
