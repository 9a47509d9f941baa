"""A plugin written with the SDK passes ``mypy --strict``: the four templates as generated, a
typed example that uses more than twenty API methods (which also runs, under the fake host)
and an AsyncPlugin that awaits the async client."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.session import Session
from mmplug.host.store import Store
from mmplug.host.world import load_world, seed_store, world_info
from mmplug.sdk._api_index import METHOD_RPCS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "fixtures" / "sdk_plugins" / "typed_plugin.py"
ASYNC_EXAMPLE = REPO / "tests" / "fixtures" / "sdk_plugins" / "async_plugin.py"
TEMPLATES = ("minimal", "http", "slash-command", "bot")


def api_methods_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in METHOD_RPCS}


@pytest.mark.slow
def test_the_templates_and_a_typed_example_pass_mypy_strict(tmp_path: Path) -> None:
    from mmplug.scaffold import create_project

    targets = []
    for name in TEMPLATES:
        package = "typed_" + name.replace("-", "_")
        project = create_project(f"com.example.{package.replace('_', '')}", template=name,
                                 parent=tmp_path, answers={"package_name": package}).path
        targets.append(str(project / package))
    assert len(api_methods_used(EXAMPLE)) >= 20
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(tmp_path / ".mypy_cache"), *targets, str(EXAMPLE),
         str(ASYNC_EXAMPLE)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_the_typed_example_tours_the_api_under_the_fake_host(tmp_path: Path) -> None:
    plugin_dir = write_plugin_project(tmp_path / "tour", "com.example.tour", EXAMPLE,
                                      name="Tour", version="1.0.0")
    store = Store.open(":memory:")
    seed_store(store, load_world("default"), deterministic_clock=True)
    world = world_info(store)
    with Session([plugin_dir], store=store, python=sys.executable) as session:
        args = {"command": "/tour", "user_id": world.users["alice"],
                "team_id": world.teams["acme"], "channel_id": world.channels["town-square"]}
        result = session.fire("ExecuteCommand", args=args)
        assert result.ok, result.error
        text = str(result.response.response.text)  # type: ignore[union-attr]
        upper = session.fire("MessageWillBePosted", post={"message": "!loud"})
        refused = session.fire("MessageWillBePosted", post={"message": "my password is"})
    store.close()
    assert text.startswith("user=alice team=acme channel=town-square"), text
    assert "reactions=['tada'] edited=Welcome, everyone!" in text
    assert "thread=['thanks', 'Welcome, everyone!']" in text  # the server's order
    assert "keys=['mmi_botid', 'recent', 'visits']" in text  # EnsureBotUser keeps its id
    assert "can post=True file=notes.txt 10" in text
    assert "seen=['true']" in text and "found=['alice']" in text
    assert len(result.api_calls) >= 25
    assert upper.response.modified_post.message == "LOUD"  # type: ignore[union-attr]
    assert refused.response.rejection_reason == "do not post passwords"  # type: ignore[union-attr]
