"""How long `mmplug bundle` takes, and what the entry shim costs at start-up.

Usage: python benchmarks/bundle_build.py [RUNS]

Build: the baseline is what a careful hand-made release does for one target, `pip install
--target --no-compile` from the same wheelhouse followed by `tar czf` of the result; it is
measured in the same run. mmplug bundle adds validation, file collection, normalisation and the
deterministic tar on top.

Start-up: time from spawning the unpacked bundle to its go-plugin handshake line, through
the shim (`python3 mmplug_entry.py`) versus the plugin started directly with the vendored
directories on PYTHONPATH (the baseline).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mmplug.bundle import BundleOptions, build_bundle
from mmplug.bundle.requirements import plugin_requirements, sdk_requirements
from mmplug.bundle.targets import Target, current_platform, current_python

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "bundle_sample"
COOKIE = {"MATTERMOST_PLUGIN": "Securely message teams, anywhere.",
          "PLUGIN_MIN_PORT": "10000", "PLUGIN_MAX_PORT": "25000",
          "PLUGIN_PROTOCOL_VERSIONS": "1"}


def _interleaved_ms(fns: list[Callable[[], object]], runs: int) -> list[float]:
    """Median wall time of each function, alternating them so load hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def _wheelhouse(tmp: Path, target: Target) -> Path:
    dest = tmp / "wheels"
    reqs = [*sdk_requirements(), *plugin_requirements(SAMPLE).lines]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "-d", str(dest),
                    *target.pip_args(), *reqs], check=True)
    return dest


def _by_hand(tmp: Path, target: Target, wheels: Path) -> None:
    work = tmp / "hand"
    shutil.rmtree(work, ignore_errors=True)
    reqs = [*sdk_requirements(), *plugin_requirements(SAMPLE).lines]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(work / "lib"),
                    *target.pip_args(), "--no-compile", "--disable-pip-version-check", "--no-index",
                    "--find-links", str(wheels), *reqs],
                   check=True)
    shutil.copytree(SAMPLE, work / "plugin", ignore=shutil.ignore_patterns("tests"))
    subprocess.run(["tar", "czf", str(tmp / "hand.tar.gz"), "-C", str(work), "."], check=True)


def _handshake(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.terminate()
    proc.wait()
    proc.stdout.close()
    assert line.startswith("1|"), line


def _server_python(target: Target) -> str:
    """The system python3 when it matches the bundled target, else this interpreter."""
    system = Path("/usr/bin/python3")
    if system.is_file():
        version = subprocess.run([str(system), "-c", "import sys; print(sys.version_info[1])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        if f"3.{version}" == target.python:
            return str(system)
    return sys.executable


def main(runs: int) -> None:
    target = Target(current_platform(), current_python())
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        wheels = _wheelhouse(tmp, target)
        options = BundleOptions(project=SAMPLE, out_dir=tmp / "dist", platforms=[target.platform],
                                pythons=[target.python], wheelhouse=wheels)
        hand, ours = _interleaved_ms(
            [lambda: _by_hand(tmp, target, wheels), lambda: build_bundle(options)], runs)
        result = build_bundle(options)
        print(f"build, 1 target ({target.tag}), median of {runs}")
        print(f"  pip install --target + tar czf (baseline) {hand:8.0f} ms  1.00")
        print(f"  mmplug bundle                             {ours:8.0f} ms  {ours / hand:.2f}")
        print(f"  bundle size {result.size / 1048576:.1f} MiB "
              f"(by hand {(tmp / 'hand.tar.gz').stat().st_size / 1048576:.1f} MiB)")
        with tarfile.open(result.path) as tar:
            tar.extractall(tmp / "unpacked", filter="data")
        plugin = tmp / "unpacked" / result.plugin_id
        vendor = plugin / "mmplug_vendor"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **COOKIE}
        direct_env = {**env, "PYTHONPATH": f"{vendor / target.tag}:{vendor / 'common'}"}
        python = _server_python(target)
        direct, shim = _interleaved_ms(
            [lambda: _handshake([python, "plugin.py"], plugin, direct_env),
             lambda: _handshake([python, "mmplug_entry.py"], plugin, env)], runs * 4)
        print(f"start-up to handshake with {python}, median of {runs * 4}")
        print(f"  python3 plugin.py + PYTHONPATH (baseline) {direct:8.1f} ms  1.00")
        print(f"  python3 mmplug_entry.py (shim)            {shim:8.1f} ms  {shim / direct:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
