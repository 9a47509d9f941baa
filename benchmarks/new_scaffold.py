"""`mmplug new --no-input` wall time and the generated test suites' run time.

    python benchmarks/new_scaffold.py [RUNS]

Baselines measured in the same run, interleaved round by round with what they are compared
to (so machine load hits both alike): plain cookiecutter rendering the same template (what
mmplug adds on top: id checks, answers and base records, the atomic move, CLI start-up), and
pytest running one empty test (what the generated suites add: the plugin process under the
fake host, the cassette replay).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = ["minimal", "slash-command", "http", "bot"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
# Only mmplug's pytest plugin in the suites and their baseline (as in a plugin project's own
# environment): this venv also holds the plugins of mmplug's own test suite, and hypothesis
# alone adds ~0.7 s to every pytest start, a heavier baseline that flattered the ratios.
PYTEST_ENV = dict(ENV, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
Case = tuple[str, Callable[[int], list[str]], Path]


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    env = PYTEST_ENV if "pytest" in args else ENV
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def measure(cases: list[Case], runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for i in range(runs):
        for name, make_args, cwd in cases:
            samples[name].append(timed(make_args(i), cwd))
    return samples


def table(title: str, samples: dict[str, list[float]], baseline: str) -> None:
    base = statistics.median(samples[baseline])
    print(f"\n{title}\n{'what':<46} {'median':>9} {'min':>9} {'ratio':>6}")
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"{name:<46} {med * 1000:>7.0f}ms {min(values) * 1000:>7.0f}ms {med / base:>6.2f}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    mmplug = str(Path(sys.executable).with_name("mmplug"))
    work = Path(tempfile.mkdtemp(prefix="mmplug-bench-"))
    try:
        baseline = "cookiecutter --no-input -t minimal (baseline)"
        # the template as plain cookiecutter can render it: mmplug fills in the install line
        # of the generated README itself (_mmplug_install), so the copy carries one
        plain = work / "minimal-template"
        shutil.copytree(REPO / "templates" / "minimal", plain)
        context = json.loads((plain / "cookiecutter.json").read_text())
        context["_mmplug_install"] = "pip install mmplug"
        (plain / "cookiecutter.json").write_text(json.dumps(context, indent=2))
        cases: list[Case] = [(baseline, lambda i: [
            sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(work / f"cc{i}"),
            str(plain), "plugin_id=com.example.cc"], work)]
        for name in TEMPLATES:
            cases.append((f"mmplug new --no-input -t {name}", lambda i, n=name: [
                mmplug, "new", f"com.example.b{i}", "--no-input", "-t", n,
                "-o", str(work / f"new-{n}")], work))
        table("mmplug new", measure(cases, runs), baseline)

        (work / "empty").mkdir()
        (work / "empty" / "test_empty.py").write_text("def test_nothing():\n    pass\n")
        pytest_args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                       "-p", "mmplug.testing"]
        baseline = "pytest, one empty test (baseline)"
        suites: list[Case] = [(baseline, lambda i: pytest_args, work / "empty")]
        for name in TEMPLATES:
            suites.append((f"generated suite of {name}", lambda i: pytest_args,
                           work / f"new-{name}" / "com.example.b0"))
        table("generated test suites", measure(suites, runs), baseline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
