"""A built bundle, unpacked into an empty directory, runs under the genuine go-plugin client
with the system python3 and a clean environment, as the server would run it."""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest
from bundle_support import copy_sample, ensure_wheels, wheel_dir

from mmplug.bundle import BundleOptions, BundleResult, build_bundle
from mmplug.bundle.targets import Target, current_platform, current_python, make_targets
from mmplug.errors import UsageError
from mmplug.protocol import hooks_lifecycle_pb2

CONFORMANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance"
SYSTEM_PYTHON = Path("/usr/bin/python3")
IMPLEMENTED = "/mattermost.pluginapi.v1.PluginHooks/Implemented"

pytestmark = pytest.mark.conformance


def _system_python_version() -> str:
    return subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, timeout=30, check=True).stdout.strip()


@pytest.fixture(scope="session")
def system_bundle(request: pytest.FixtureRequest, sample_bundle: BundleResult,
                  tmp_path_factory: pytest.TempPathFactory) -> BundleResult:
    """The sample bundled for the system python3 (the sample bundle itself when they agree)."""
    if not (CONFORMANCE / "run.sh").is_file():
        pytest.skip(f"the go-plugin conformance harness is not here ({CONFORMANCE})")
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"no system interpreter at {SYSTEM_PYTHON}")
    version = _system_python_version()
    if version == current_python():
        return sample_bundle
    target = Target(current_platform(), version)
    try:
        make_targets([target.platform], [version])
    except UsageError:
        pytest.skip(f"system python3 is {version}, older than the SDK supports")
    wheels = wheel_dir(request, f"mmplug-bundle-wheelhouse-{target.tag}")
    error = ensure_wheels(wheels, target)
    if error:
        pytest.skip(f"cannot download wheels for {target.tag}: {error}")
    project = copy_sample(tmp_path_factory.mktemp("system"))
    return build_bundle(BundleOptions(project=project, platforms=[target.platform],
                                      pythons=[version], wheelhouse=wheels))


def _unpack(bundle: Path, dest: Path) -> Path:
    with tarfile.open(bundle) as tar:
        tar.extractall(dest, filter="data")
    (plugin_dir,) = dest.iterdir()
    return plugin_dir


def _run(plugin_dir: Path, home: Path, *plugin_cmd: str) -> subprocess.CompletedProcess[str]:
    cache = os.environ.get("MM_CONFORMANCE_CACHE") or str(Path.home() / ".cache" /
                                                          "mm-conformance")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "MM_CONFORMANCE_CACHE": cache}
    return subprocess.run(
        ["env", "-i", *(f"{k}={v}" for k, v in env.items()),
         str(CONFORMANCE / "run.sh"), "-method", IMPLEMENTED, "-payload-hex", "",
         "--", str(SYSTEM_PYTHON), *plugin_cmd],
        cwd=plugin_dir, capture_output=True, text=True, timeout=100, check=False,
    )


@pytest.fixture
def unpacked(system_bundle: BundleResult, tmp_path: Path) -> Path:
    empty = tmp_path / "server-plugins"
    empty.mkdir()
    return _unpack(system_bundle.path, empty)


def test_unpacked_bundle_passes_the_real_go_plugin_client(unpacked: Path, tmp_path: Path) -> None:
    result = _run(unpacked, tmp_path, "mmplug_entry.py")
    out = result.stdout + result.stderr
    for step in ("handshake", "ping", "dispense", "call", "shutdown"):
        assert re.search(rf"^PASS {step}\b", result.stdout, re.M), out
    assert "RESULT PASS" in result.stdout, out
    response = re.search(r"response=([0-9a-f]+)", result.stdout)
    assert response, out
    raw = bytes.fromhex(response.group(1))
    implemented = hooks_lifecycle_pb2.ImplementedResponse.FromString(raw)
    assert set(implemented.hooks) >= {"OnActivate", "MessageWillBePosted"}


def test_shim_explains_a_missing_target(unpacked: Path) -> None:
    # Pretend the bundle was built for another platform only, as if uploaded to the wrong server.
    shim = unpacked / "mmplug_entry.py"
    text = re.sub(r"^TARGETS = .*$", 'TARGETS = ["plan9-mips-cp27"]', shim.read_text(), flags=re.M)
    shim.write_text(text)
    result = subprocess.run([str(SYSTEM_PYTHON), "mmplug_entry.py"], cwd=unpacked,
                            env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 1
    assert "this bundle has no dependencies for" in result.stderr
    assert "built for: plan9-mips-cp27" in result.stderr
    assert "--python 3." in result.stderr
    assert "Traceback" not in result.stderr
