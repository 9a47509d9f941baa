"""The pytest plugin (mmplug.testing), driven the way a plugin author uses it: a pytest run
in a plugin project, as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project
from processes import alive

PLUGIN = '''
from mmplug.sdk import Plugin, serve


class Probe(Plugin):
    def on_activate(self):
        self.logger.info("probe up")
        self.api.kv_set("activated", b"yes")

    def message_has_been_posted(self, context, post):
        version = self.api.get_server_version()
        self.api.kv_set("last", post.message.encode())
        self.logger.info("seen", extra={"version": version})


if __name__ == "__main__":
    serve(Probe)
'''

TESTS = '''
import os
from pathlib import Path


def test_fire_stub_kv_and_logs(plugin):
    plugin.stub("GetServerVersion", {"version": "9.9.9"})
    result = plugin.fire("MessageHasBeenPosted", post={"message": "hi"})
    assert result.ok, result.error
    assert [c.method for c in plugin.api_calls] == ["GetServerVersion", "KVSet"]
    assert plugin.kv_get("last") == b"hi"
    assert [r.fields["version"] for r in plugin.logs if r.message == "seen"] == ["9.9.9"]


def test_store_is_reset_but_activation_state_kept(plugin):
    assert plugin.kv_get("last") is None          # written by the previous test
    assert plugin.kv_get("activated") == b"yes"   # written during activation
    assert plugin.api_calls == [] and plugin.logs == []


def test_stubs_do_not_leak(plugin):
    assert plugin.fire("MessageHasBeenPosted", post={"message": "x"}).ok
    assert [r.fields["version"] for r in plugin.logs if r.message == "seen"] == ["10.5.0"]


def test_seed_and_world(plugin):
    plugin.kv_set("counter", {"n": 1})
    assert plugin.kv_get_json("counter") == {"n": 1}
    assert plugin.world.user("alice").username == "alice"
    assert plugin.world.channel("town-square").name == "town-square"
    assert plugin.world.team("acme").name == "acme"
    post = plugin.post_as("alice", "town-square", "hello")
    assert [p.id for p in plugin.posts()] == [post.id]
    carol = plugin.add_user("carol", teams=["acme"], channels=["town-square"], nickname="cc")
    assert plugin.world.user("carol").nickname == "cc"
    assert plugin.post_as("carol", "town-square", "hi").user_id == carol.id
    assert "CreateUser" not in [c.method for c in plugin.api_calls]  # seeding is not the plugin's


def test_fails_on_purpose(plugin):
    Path(os.environ["PROBE_PID_FILE"]).write_text(str(plugin.handle.pid))
    assert False, "this test fails on purpose"
'''


POSTED = "    def message_has_been_posted(self, context, post):\n"


def _write_plugin(root: Path, on_posted: str = "") -> None:
    """The probe plugin in ``root``; ``on_posted``: lines its MessageHasBeenPosted runs first
    (indented for the method's body)."""
    write_plugin_project(root, "com.example.probe", PLUGIN.replace(POSTED, POSTED + on_posted),
                         name="Probe", runtime=True)


def _pytest(cwd: Path, *args: str, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd, capture_output=True, text=True, timeout=110, env=full_env,
    )


def test_fixtures_end_to_end_and_cleanup_after_a_failure(tmp_path: Path) -> None:
    project = tmp_path / "probe"
    _write_plugin(project)
    (project / "tests").mkdir()
    (project / "tests" / "test_probe.py").write_text(TESTS)
    pid_file = tmp_path / "pid"
    done = _pytest(project, env={"PROBE_PID_FILE": str(pid_file)})
    assert "1 failed, 4 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert "this test fails on purpose" in done.stdout
    pid = int(pid_file.read_text())
    assert not alive(pid), "the plugin process outlived the pytest run"


MODULE = """
import os
from pathlib import Path


def test_{name}(plugin):
    with Path(os.environ["PROBE_PID_FILE"]).open("a") as pids:
        pids.write(f"{{plugin.handle.pid}}\\n")
    assert plugin.fire("MessageHasBeenPosted", post={{"message": "{name}"}}).ok
    assert plugin.kv_get("last") == b"{name}"
    assert {name!r} != "b", "this module fails on purpose"
"""


def test_each_module_its_own_plugin_and_nothing_left_after_the_run(
        tmp_path: Path, left_in: Callable[[Path], set[int]]) -> None:
    """Modules follow one another without waiting for the previous plugin's exit, the next
    one's interpreter started ahead; none of those processes outlives the run, also when a
    module fails."""
    project = tmp_path / "probe"
    _write_plugin(project)
    for name in "abc":
        (project / f"test_{name}.py").write_text(MODULE.format(name=name))
    pid_file = tmp_path / "pids"
    done = _pytest(project, env={"PROBE_PID_FILE": str(pid_file)})
    assert "1 failed, 2 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert "this module fails on purpose" in done.stdout
    pids = [int(line) for line in pid_file.read_text().split()]
    assert len(set(pids)) == 3, pids  # a plugin process per module, as before
    assert left_in(project) == set(), "a plugin process or spare outlived the run"


def test_plugin_dir_option_and_fixture_override(tmp_path: Path) -> None:
    _write_plugin(tmp_path / "somewhere" / "probe")
    tests = tmp_path / "suite"
    tests.mkdir()
    (tests / "test_it.py").write_text(
        "def test_id(plugin):\n    assert plugin.id == 'com.example.probe'\n")
    by_option = _pytest(tests, "--mmplug-plugin-dir", str(tmp_path / "somewhere" / "probe"))
    assert "1 passed" in by_option.stdout, by_option.stdout[-2000:]
    (tests / "conftest.py").write_text(textwrap.dedent(f"""
        import pytest
        from pathlib import Path

        @pytest.fixture(scope="session")
        def mmplug_plugin_dir():
            return Path({str(tmp_path / "somewhere" / "probe")!r})
    """))
    by_fixture = _pytest(tests)
    assert "1 passed" in by_fixture.stdout, by_fixture.stdout[-2000:]


def test_missing_plugin_json_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "test_it.py").write_text("def test_it(plugin):\n    pass\n")
    done = _pytest(tmp_path)
    assert done.returncode == 1
    assert "mmplug: no plugin.json in" in done.stdout and "--mmplug-plugin-dir" in done.stdout


def test_a_plugin_that_does_not_activate_is_a_clear_error(tmp_path: Path) -> None:
    _write_plugin(tmp_path)
    (tmp_path / "plugin.py").write_text(PLUGIN.replace(
        'self.logger.info("probe up")', 'raise RuntimeError("no database configured")'))
    (tmp_path / "test_it.py").write_text("def test_it(plugin):\n    pass\n")
    done = _pytest(tmp_path)
    assert done.returncode == 1
    assert "did not start" in done.stdout and "no database configured" in done.stdout
    assert "mmplug/host" not in done.stdout  # our internals stay out of the report


def test_a_custom_world(tmp_path: Path) -> None:
    from mmplug.host.world import available_worlds

    assert "default" in available_worlds()
    import mmplug.host

    default = Path(mmplug.host.__file__).parent / "worlds" / "default.json"
    world = json.loads(default.read_text().replace('"alice"', '"carol"'))
    (tmp_path / "world.json").write_text(json.dumps(world))
    _write_plugin(tmp_path)
    (tmp_path / "test_it.py").write_text(
        "def test_it(plugin):\n    assert plugin.world.user('carol').username == 'carol'\n")
    done = _pytest(tmp_path, "--mmplug-world", str(tmp_path / "world.json"))
    assert "1 passed" in done.stdout, done.stdout[-3000:]


def test_a_crash_in_one_test_does_not_break_the_next(tmp_path: Path) -> None:
    _write_plugin(tmp_path, on_posted="        if post.message == 'die':\n"
                                       "            import os; os._exit(3)\n")
    (tmp_path / "test_it.py").write_text(textwrap.dedent("""
        import pytest
        from mmplug.errors import MmplugError

        def test_crash(plugin):
            with pytest.raises(MmplugError):
                plugin.fire("MessageHasBeenPosted", post={"message": "die"})

        def test_next(plugin):
            assert plugin.fire("MessageHasBeenPosted", post={"message": "ok"}).ok
            assert plugin.kv_get("activated") == b"yes"
    """))
    done = _pytest(tmp_path)
    assert "2 passed" in done.stdout, done.stdout[-3000:]


EARLY_CONFTEST = """
import os
import time
from pathlib import Path


def _children():
    mine = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == mine:
            found.add(int(entry.name))
    return found


def pytest_collection_finish(session):
    # the interpreters this run started while it collected (given a moment to appear)
    deadline = time.monotonic() + 5
    while not _children() and time.monotonic() < deadline:
        time.sleep(0.01)
    Path(os.environ["PROBE_SPARES"]).write_text(" ".join(map(str, _children())))
"""


def test_the_first_plugin_starts_while_the_tests_are_collected(tmp_path: Path) -> None:
    """The plugin's interpreter for the first module is started as soon as the first test
    that needs it is collected (a warm spare), not after collection: the first module's
    plugin is that process."""
    project = tmp_path / "probe"
    _write_plugin(project)
    (project / "conftest.py").write_text(EARLY_CONFTEST)
    for name in "ac":  # (MODULE's "b" fails on purpose)
        (project / f"test_{name}.py").write_text(MODULE.format(name=name))
    pid_file, spares = tmp_path / "pids", tmp_path / "spares"
    done = _pytest(project, env={"PROBE_PID_FILE": str(pid_file),
                                 "PROBE_SPARES": str(spares)})
    assert "2 passed" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    first = int(pid_file.read_text().split()[0])
    assert first in {int(pid) for pid in spares.read_text().split()}


ASKED_CONFTEST = EARLY_CONFTEST + """

def pytest_collection(session):
    # whether the plugin's interpreter was asked for before a single test was collected
    from mmplug.testing import _RUN

    asked = session.config.stash[_RUN].asked_ahead
    Path(os.environ["PROBE_ASKED"]).write_text("before collection" if asked else "no")
"""


def test_the_next_run_of_a_command_starts_the_plugin_before_collecting(
        tmp_path: Path, left_in: Callable[[Path], set[int]]) -> None:
    """A run that used the plugin is noted (per project and command line, in mmplug's cache
    folder): the next run of the same command starts the plugin's interpreter as pytest is
    configured, before collecting, and its first module's plugin is that process. A run of
    the same command that used no plugin removes the note: the run after it starts none
    before collecting, and none is left running."""
    project = tmp_path / "probe"
    _write_plugin(project)
    (project / "conftest.py").write_text(ASKED_CONFTEST)
    (project / "test_a.py").write_text(MODULE.format(name="a"))
    pid_file, spares, asked = tmp_path / "pids", tmp_path / "spares", tmp_path / "asked"
    env = {"PROBE_PID_FILE": str(pid_file), "PROBE_SPARES": str(spares),
           "PROBE_ASKED": str(asked), "MMPLUG_CACHE_DIR": str(tmp_path / "cache")}

    def run() -> str:
        done = _pytest(project, "test_a.py", env=env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return asked.read_text()

    assert run() == "no"  # the first run: started when its first test was collected
    pid_file.unlink()
    assert run() == "before collection"
    first = int(pid_file.read_text().split()[0])
    assert first in {int(pid) for pid in spares.read_text().split()}
    other = _pytest(project, "test_a.py", "-k", "a", env=env)  # another command: its own note
    assert other.returncode == 0 and asked.read_text() == "no"
    (project / "test_a.py").write_text("def test_a():\n    pass\n")  # no plugin any more
    assert run() == "before collection"  # started, unused, stopped
    assert run() == "no"
    assert left_in(project) == set()


@pytest.mark.parametrize("how", [["-k", "no_such_test"], ["--collect-only"]])
def test_a_run_that_runs_no_plugin_test_leaves_no_process(
        tmp_path: Path, how: list[str], left_in: Callable[[Path], set[int]]) -> None:
    """Tests that need the plugin, all deselected (their interpreter was started during
    collection), or only collected: nothing is left running after the run."""
    _write_plugin(tmp_path)
    (tmp_path / "test_it.py").write_text("def test_it(plugin):\n    pass\n")
    done = _pytest(tmp_path, *how)
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert left_in(tmp_path) == set(), "a plugin interpreter outlived the run"


def test_ctrl_c_leaves_no_plugin_process(tmp_path: Path,
                                         left_in: Callable[[Path], set[int]]) -> None:
    import signal
    import time

    _write_plugin(tmp_path)
    pid_file = tmp_path / "pid"
    # a module after this one: its interpreter is started ahead, and must go too
    (tmp_path / "test_later.py").write_text("def test_later(plugin):\n    pass\n")
    (tmp_path / "test_it.py").write_text(textwrap.dedent(f"""
        import time
        from pathlib import Path

        def test_waits(plugin):
            Path({str(pid_file)!r}).write_text(str(plugin.handle.pid))
            time.sleep(60)
    """))
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()):  # the test is running
            assert time.monotonic() < deadline and proc.poll() is None, proc.stdout
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "KeyboardInterrupt" in out
    pid, deadline = int(pid_file.read_text()), time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:  # reaping may trail pytest's exit
        time.sleep(0.05)
    assert not alive(pid), "the plugin outlived Ctrl-C"
    assert left_in(tmp_path) == set(), "a plugin process or spare outlived Ctrl-C"


@pytest.mark.parametrize("collector", ["on", "off"])
def test_the_host_is_imported_without_garbage_collections(collector: str) -> None:
    """The host's imports (grpc, every message) create tens of thousands of objects and no
    garbage: the collector's passes among them (the run's first full one with them, walking
    the test process's whole heap) are skipped, and the collector is left as it was."""
    code = textwrap.dedent(f"""
        import gc, sys
        from mmplug.testing import _import_host
        passes = []
        gc.callbacks.append(lambda phase, info: passes.append(info["generation"])
                            if phase == "start" else None)
        {"gc.disable()" if collector == "off" else ""}
        _import_host()
        during = list(passes)  # (one young pass may follow: the resumed collector's first)
        print(len(during) <= 1 and 2 not in during, gc.isenabled(),
              "mmplug.host.hooks_client" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.split() == ["True", str(collector == "on"), "True"], done.stderr


def test_mmplug_itself_is_not_rewritten_by_pytest(tmp_path: Path) -> None:
    """pytest rewrites the asserts of a plugin distribution's modules; mmplug's own hold none,
    and rewriting them while the host parses a plugin's code on a thread crashed Python 3.11."""
    _write_plugin(tmp_path)
    (tmp_path / "test_it.py").write_text(textwrap.dedent("""
        import sys

        def test_it(plugin):
            assert plugin.fire("MessageHasBeenPosted", post={"message": "hi"}).ok
            loaders = {type(sys.modules[name].__loader__).__name__
                       for name in ("mmplug.host.session", "mmplug.check")}
            assert loaders == {"SourceFileLoader"}, loaders
    """))
    done = _pytest(tmp_path)
    assert "1 passed" in done.stdout, done.stdout[-3000:]


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = ("import sys, mmplug.testing; "
            "print([m for m in sys.modules if m.startswith(('grpc', 'google', 'mmplug.host'))])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("name", ["plugin", "mmplug_session", "mmplug_plugin_dir",
                                  "mmplug_world", "mmplug_python"])
def test_fixtures_are_registered(name: str, request: pytest.FixtureRequest) -> None:
    assert request.session._fixturemanager.getfixturedefs(name, request.node)


def test_timeouts_and_transport_as_the_commands_take_them(tmp_path: Path) -> None:
    """--mmplug-hook-timeout holds for plugin.fire; --mmplug-transport tcp puts the hooks on
    loopback TCP as the server does (the handshake line says so), private puts the PluginAPI
    on a unix socket too; bad values are usage errors before any test runs."""
    _write_plugin(tmp_path, on_posted="        if post.message == 'slow':\n"
                                       "            import time; time.sleep(5)\n")
    (tmp_path / "test_it.py").write_text(textwrap.dedent("""
        import os
        import pytest
        from mmplug.errors import HookTimeoutError

        def test_slow(plugin):
            with pytest.raises(HookTimeoutError, match="within 1 s"):
                plugin.fire("MessageHasBeenPosted", post={"message": "slow"})

        def test_where(plugin):
            handle = plugin.session.plugin()
            print("HOOKS", handle.client.process.handshake.target)
            print("API", handle.api_target)
    """))
    done = _pytest(tmp_path, "-s", "--mmplug-hook-timeout", "1", "--mmplug-transport", "tcp")
    assert "2 passed" in done.stdout, done.stdout[-3000:]
    assert "HOOKS 127.0.0.1:" in done.stdout and "API 127.0.0.1:" in done.stdout
    private = _pytest(tmp_path, "-s", "-k", "where", "--mmplug-transport", "private")
    assert "1 passed" in private.stdout, private.stdout[-3000:]
    assert "API unix:" in private.stdout
    bad = _pytest(tmp_path, "-o", "mmplug_hook_timeout=soon")
    assert bad.returncode == 4 and "is not a positive number of seconds" in bad.stderr
