"""`mmplug fire --nodes N [--count K --concurrency C]`: a run on a cluster in one host, its
summary, the race detector's findings and the comparison of the nodes' answers; exit 1 when
something was found."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
CLUSTER = Path(__file__).resolve().parent.parent / "fixtures" / "cluster_plugin"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    target = tmp_path / "cluster"
    shutil.copytree(CLUSTER, target, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    return target


def test_a_naive_counter_under_load_is_reported_and_fails_the_run(cli: Cli,
                                                                   project: Path) -> None:
    result = cli("fire", "--nodes", "3", "--concurrency", "8", "MessageHasBeenPosted",
                 "-m", "naive total", "--count", "60", cwd=project)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "60 call(s) on 3 nodes, 8 at once" in out and "60 ok, 0 failed" in out
    assert "lost update of KV key 'total'" in out
    assert out.count("KVGet 'total': read") == 2 and out.count("KVSet 'total': wrote") == 2
    assert "call 1 on node" in out and "call 2 on node" in out
    assert "fix: write it with compare-and-set" in out


def test_a_counter_is_not_reported(cli: Cli, project: Path) -> None:
    result = cli("fire", "--nodes", "3", "--concurrency", "8", "MessageHasBeenPosted",
                 "-m", "counter total", "--count", "60", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    run = json.loads(result.stdout)
    assert run["ok"] and run["findings"] == [] and run["failed"] == 0
    assert run["by_node"] == {"node1": 20, "node2": 20, "node3": 20}


def test_nodes_that_answer_differently_are_reported(cli: Cli, project: Path) -> None:
    result = cli("fire", "--nodes", "3", "ServeHTTP", "GET", "/memory", "--format", "json",
                 cwd=project)
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["kind"] == "divergent-answers"
    assert [t["node"] for t in finding["traces"]] == ["node1", "node2"]


def test_one_node_of_several_and_the_usage_errors(cli: Cli, project: Path) -> None:
    one = cli("fire", "--nodes", "2", "--node", "2", "MessageHasBeenPosted", "--format",
              "json", cwd=project)
    assert one.returncode == 0 and json.loads(one.stdout)["by_node"] == {"node2": 1}
    for args, says in ((["--nodes", "0"], "--nodes must be 1 or more"),
                       (["--concurrency", "4"], "--concurrency goes with --count"),
                       (["--nodes", "2", "--node", "7"], "there is no node '7'")):
        bad = cli("fire", *args, "MessageHasBeenPosted", cwd=project)
        assert bad.returncode == 2, bad.stdout + bad.stderr
        assert says in bad.stderr and "Traceback" not in bad.stderr
