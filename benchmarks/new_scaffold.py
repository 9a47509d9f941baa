"""`mmplug new --no-input` wall time and the generated test suites' run time.

    python benchmarks/new_scaffold.py [RUNS]

Baselines measured in the same run: plain cookiecutter rendering the same template (what
mmplug adds on top: id checks, answers record, atomic move), and pytest running one empty test
(what the generated suites add on top: the plugin process under the fake host).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = ["minimal", "slash-command", "http", "bot"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - started


def median_of(runs: int, make_args, cwd: Path) -> float:
    samples = []
    for i in range(runs):
        samples.append(timed(make_args(i), cwd))
    return statistics.median(samples)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    mmplug = str(Path(sys.executable).with_name("mmplug"))
    work = Path(tempfile.mkdtemp(prefix="mmplug-bench-"))
    try:
        rows = []
        base_new = median_of(runs, lambda i: [
            sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(work / f"cc{i}"),
            str(REPO / "templates" / "minimal"), "plugin_id=com.example.cc"], work)
        rows.append(("cookiecutter --no-input (minimal) (baseline)", base_new, 1.0))
        for name in TEMPLATES:
            value = median_of(runs, lambda i, n=name: [
                mmplug, "new", f"com.example.b{i}", "--no-input", "-t", n,
                "-o", str(work / f"new-{n}")], work)
            rows.append((f"mmplug new --no-input -t {name}", value, value / base_new))
        (work / "empty").mkdir()
        (work / "empty" / "test_empty.py").write_text("def test_nothing():\n    pass\n")
        pytest_args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        base_suite = median_of(runs, lambda i: pytest_args, work / "empty")
        rows.append(("pytest, one empty test (baseline)", base_suite, 1.0))
        for name in TEMPLATES:
            project = work / f"new-{name}" / "com.example.b0"
            value = median_of(runs, lambda i: pytest_args, project)
            rows.append((f"generated suite of {name}", value, value / base_suite))
        print(f"{'what':<48} {'median':>10} {'ratio':>7}")
        for what, value, ratio in rows:
            print(f"{what:<48} {value * 1000:>8.0f}ms {ratio:>7.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
