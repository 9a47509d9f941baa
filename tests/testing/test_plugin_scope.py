"""How long the `plugin` fixture's plugin process lives: a test module (the default), a
package (a directory of test files) or the whole run (``--mmplug-scope``, ``mmplug_scope``),
with the store put back for every test whatever the scope. A pytest run in a plugin project,
as a subprocess, as an author runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

PLUGIN = '''
from mmplug.sdk import Plugin, serve


class Counter(Plugin):
    seen = 0  # in the process's memory: it lives as long as the process

    def message_will_be_posted(self, context, post):
        self.seen += 1
        self.api.kv_set("written", b"by a test")
        return post.replace(message=str(self.seen)), ""


if __name__ == "__main__":
    serve(Counter)
'''

MODULE = '''
import os
from pathlib import Path


def test_{name}(plugin):
    assert plugin.kv_get("written") is None  # whatever a test of another module wrote
    result = plugin.fire("MessageWillBePosted", post={{"message": "hi"}})
    assert result.ok, result.error
    with open(os.environ["SCOPE_REPORT"], "a") as report:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "-")
        report.write(f"{name} {{plugin.handle.pid}} {{result.response.modified_post.message}} "
                     f"{{worker}}\\n")
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plugin project with test modules in two directories: a/ (two) and b/ (one)."""
    root = write_plugin_project(tmp_path_factory.mktemp("scope"), "com.example.counter", PLUGIN,
                                name="Counter", runtime=True)
    for folder, name in (("a", "one"), ("a", "two"), ("b", "three")):
        (root / "tests" / folder).mkdir(parents=True, exist_ok=True)
        (root / "tests" / folder / f"test_{name}.py").write_text(MODULE.format(name=name))
    return root


def run(project: Path, tmp_path: Path, *args: str) -> dict[str, tuple[str, str]]:
    """Run the project's tests; for each test module, the pid of the plugin process it saw
    and how many posts that process had counted."""
    return {name: (pid, seen) for name, (pid, seen, _) in run_on_workers(
        project, tmp_path, *args).items()}


def run_on_workers(project: Path, tmp_path: Path, *args: str,
                   ) -> dict[str, tuple[str, str, str]]:
    """:func:`run`, with the pytest-xdist worker that ran each module ("-" for none)."""
    report = tmp_path / "report.txt"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["SCOPE_REPORT"] = str(report)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", *args], cwd=project, capture_output=True,
                          text=True, timeout=110, env=env)
    assert "3 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    lines = [line.split() for line in report.read_text().splitlines()]
    return {name: (pid, seen, worker) for name, pid, seen, worker in lines}


def test_one_process_per_module_by_default(project: Path, tmp_path: Path) -> None:
    seen = run(project, tmp_path)
    assert len({pid for pid, _ in seen.values()}) == 3
    assert {count for _, count in seen.values()} == {"1"}  # a fresh process each


def test_one_process_for_the_whole_run(project: Path, tmp_path: Path) -> None:
    seen = run(project, tmp_path, "--mmplug-scope", "session")
    assert len({pid for pid, _ in seen.values()}) == 1
    # the plugin's memory carried over from module to module; the store did not
    assert sorted(count for _, count in seen.values()) == ["1", "2", "3"]


def test_one_process_per_package(project: Path, tmp_path: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\nmmplug_scope = package\n")
    try:
        seen = run(project, tmp_path)
    finally:
        (project / "pytest.ini").unlink()
    assert seen["one"][0] == seen["two"][0] != seen["three"][0]
    assert sorted([seen["one"][1], seen["two"][1]]) == ["1", "2"] and seen["three"][1] == "1"


def test_an_unknown_scope_is_a_clear_error(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\nmmplug_scope = suite\n")
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                              cwd=project, capture_output=True, text=True, timeout=110)
    finally:
        (project / "pytest.ini").unlink()
    assert done.returncode == 4  # pytest's usage error
    assert "mmplug_scope = 'suite'" in done.stderr and "module, package, session" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_plugin_that_does_not_start_is_tried_once_for_the_run(tmp_path: Path) -> None:
    write_plugin_project(tmp_path, "com.example.broken", textwrap.dedent("""
        import os, sys
        with open(os.environ["STARTS"], "a") as starts:
            starts.write("start\\n")
        sys.exit("no database configured")
    """), name="Broken", runtime=True)
    for name in ("one", "two"):
        (tmp_path / f"test_{name}.py").write_text("def test_it(plugin):\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["STARTS"] = str(tmp_path / "starts")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--mmplug-scope", "session"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=110, env=env)
    assert "2 errors" in done.stdout, done.stdout[-3000:]
    assert done.stdout.count("did not start") >= 2 and "no database configured" in done.stdout
    assert (tmp_path / "starts").read_text().count("start") == 1


@pytest.mark.parametrize("scope", ["module", "session"])
def test_parallel_workers_each_run_their_own(project: Path, tmp_path: Path, scope: str) -> None:
    """`pytest -n 2` (pytest-xdist): every worker starts its own plugin processes, each with
    its own in-memory store, private socket folder and loopback port; nothing is shared."""
    seen = run_on_workers(project, tmp_path, "-n", "2", "--dist", "loadfile",
                          "--mmplug-scope", scope)
    assert {worker for _, _, worker in seen.values()} <= {"gw0", "gw1"}
    pids = {pid for pid, _, _ in seen.values()}
    if scope == "module":
        assert len(pids) == 3
    else:  # one process per worker, whichever modules it ran
        by_worker = {worker: {pid for pid, _, w in seen.values() if w == worker}
                     for _, _, worker in seen.values()}
        assert all(len(worker_pids) == 1 for worker_pids in by_worker.values())
        assert len(pids) == len(by_worker)
