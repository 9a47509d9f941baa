"""Which interpreter runs a plugin, and what the user is told when it cannot import the SDK.

Real interpreters throughout: a ``python -m venv`` without mmplug in it stands for the venv/
a user made but did not install into, or for ``python3`` on PATH when mmplug was started as
``.venv/bin/mmplug`` without activating its virtualenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmplug.errors import PluginLaunchError
from mmplug.host.faults import fault_name
from mmplug.host.session import Session

PARROT = Path(__file__).resolve().parents[1] / "fixtures" / "parrot_plugin"
FALLBACK = "cannot import the mmplug SDK, so mmplug runs the plugin with its own interpreter"


def _bare_venv(where: Path) -> Path:
    """A virtualenv without mmplug (nor grpc): its ``bin`` directory."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True,
                   capture_output=True, timeout=60)
    return where / "bin"


def _plugin(tmp_path: Path) -> Path:
    target = tmp_path / "parrot"
    shutil.copytree(PARROT, target, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    return target


def _env(path_first: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "FORCE_COLOR", "VIRTUAL_ENV")}
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "400"  # one warning per line
    return env


def _mmplug(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``.venv/bin/mmplug ARGS`` as a user runs it: this interpreter, without activating."""
    return subprocess.run([sys.executable, "-m", "mmplug.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=90)


def test_a_venv_without_mmplug_is_named_with_the_rule_and_the_fix(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    _bare_venv(plugin / "venv")
    done = _mmplug(plugin, "fire", "OnActivate", env=_env())
    assert done.returncode == 1, done.stdout + done.stderr
    error = done.stderr
    assert f"{plugin / 'venv' / 'bin' / 'python'} cannot import mmplug" in error
    assert "the plugin directory has venv/bin/python (the server's rule" in error
    assert f"{plugin / 'venv' / 'bin' / 'python'} -m pip install" in error  # the fix ...
    assert f"--python {sys.executable}" in error  # ... or another interpreter for now
    assert "Traceback" in error and error.count("ModuleNotFoundError") == 1  # the plugin's own


def test_the_session_raises_the_no_sdk_fault(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    bare = _bare_venv(tmp_path / "bare")
    with pytest.raises(PluginLaunchError) as caught:
        Session([plugin], store=":memory:", python=str(bare / "python")).start()
    assert fault_name(caught.value) == "no-sdk"
    assert "it was given as the plugin's interpreter (--python)" in caught.value.message
    assert "pass an interpreter that has mmplug" in caught.value.hint


def test_python3_without_the_sdk_gives_way_to_mmplugs_interpreter_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _plugin(tmp_path)
    bare = _bare_venv(tmp_path / "bare")
    monkeypatch.setenv("PATH", f"{bare}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with Session([plugin], store=":memory:") as session:
        handle = session.plugin()
        assert handle.state == "active"
        session.reload(handle.id)  # a dev-loop reload: the same choice, not said again
        assert session.plugin().state == "active"
    notes = [r.message for r in session.logs if FALLBACK in r.message]
    assert len(notes) == 1, notes  # said once, not again on the reload
    from mmplug.host._child_env import choose_python

    chosen = choose_python(plugin)
    assert chosen is not None and chosen.rule == "mmplug"
    assert chosen.instead_of == str(bare / "python3")


def test_fire_says_so_and_succeeds_on_the_cold_path(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    bare = _bare_venv(tmp_path / "bare")
    code = ("import atexit, sys\n"
            "from mmplug.host import _prelaunch\n"
            "early = []\n"
            "original = _prelaunch.Prelaunch.__init__\n"
            "def init(self, *a, **k):\n"
            "    early.append(self)\n"
            "    original(self, *a, **k)\n"
            "_prelaunch.Prelaunch.__init__ = init\n"
            "atexit.register(lambda: print('early', len(early), 'hits',"
            " sum(p.hits for p in early), file=sys.stderr))\n"
            "sys.argv = ['mmplug', 'fire', 'OnActivate']\n"
            "import mmplug.cli.main as m\n"
            "m.run()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=plugin, env=_env(bare),
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "completed" in done.stdout
    shown = " ".join(done.stdout.split())  # the console may wrap long lines
    assert shown.count(FALLBACK) == 1, done.stdout
    assert f"warning: the plugin directory has no venv/ and python3 on PATH ({bare / 'python3'})" \
        in shown
    assert "The server would use python3 from PATH" in shown
    assert "docs/fake-host-semantics.md" in shown
    # the plugin started before the host was ready is the one the launch used: same choice
    assert "early 1 hits 1" in done.stderr


def test_python3_that_has_the_sdk_is_used_as_the_server_would(tmp_path: Path) -> None:
    from mmplug.host._child_env import choose_python, server_python

    plugin = _plugin(tmp_path)
    own_bin = Path(sys.executable).parent
    env_path = f"{own_bin}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from mmplug.host._child_env import choose_python;"
         " c = choose_python(sys.argv[1]); print(c.rule, c.path)", str(plugin)],
        env={**_env(), "PATH": env_path}, capture_output=True, text=True, timeout=60)
    assert done.stdout.split()[0] == "PATH", done.stdout + done.stderr
    assert choose_python(plugin, "/x/python") is not None
    assert server_python(plugin, "/x/python").rule == "--python"  # type: ignore[union-attr]


def test_an_unpacked_bundle_keeps_the_servers_choice(tmp_path: Path) -> None:
    """A bundle carries the SDK itself (mmplug_vendor/): python3 is what the server runs."""
    plugin = _plugin(tmp_path)
    (plugin / "mmplug_vendor").mkdir()
    bare = _bare_venv(tmp_path / "bare")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from mmplug.host._child_env import choose_python;"
         " c = choose_python(sys.argv[1]); print(c.rule, c.path)", str(plugin)],
        env=_env(bare), capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["PATH", str(bare / "python3")], done.stdout + done.stderr


def _counting_python3(tmp_path: Path) -> Path:
    """A ``python3`` on PATH that notes each run (a bare venv's, as through a pyenv shim):
    its folder; each run is a line in ``runs`` beside it."""
    bare = _bare_venv(tmp_path / "bare")
    shims, runs = tmp_path / "shims", tmp_path / "runs"
    shims.mkdir()
    shim = shims / "python3"
    shim.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{bare / "python3"}" "$@"\n')
    shim.chmod(0o755)
    return shims


def _choice(plugin: Path, shims: Path, cache: Path) -> tuple[list[str], int]:
    """What a new mmplug command chooses for ``plugin`` (a process of its own each time), and
    how often ``python3`` has run so far."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from mmplug.host._child_env import choose_python;"
         " c = choose_python(sys.argv[1]); print(c.rule, c.path)", str(plugin)],
        env={**_env(shims), "MMPLUG_CACHE_DIR": str(cache)}, capture_output=True, text=True,
        timeout=60)
    assert done.returncode == 0, done.stderr
    runs = shims.parent / "runs"
    return done.stdout.split(), len(runs.read_text().split()) if runs.exists() else 0


def test_python3s_answer_is_kept_until_what_it_depends_on_changes(tmp_path: Path) -> None:
    """Asking python3 whether it can import the SDK is a process (through a pyenv shim, over
    100 ms of every command): the answer is kept in mmplug's cache folder and asked again when
    the interpreter, its site-packages, a version file or the environment changes."""
    plugin, cache = _plugin(tmp_path), tmp_path / "cache"
    shims = _counting_python3(tmp_path)
    assert _choice(plugin, shims, cache) == (["mmplug", sys.executable], 1)
    assert _choice(plugin, shims, cache) == (["mmplug", sys.executable], 1)  # kept
    # `pyenv local` in the project: the shim may run another interpreter now
    (plugin / ".python-version").write_text("3.11\n")
    assert _choice(plugin, shims, cache)[1] == 2
    assert _choice(plugin, shims, cache)[1] == 2
    # the user installs mmplug for that python3 (here: a .pth naming this environment's
    # folders): it is the server's choice again, from the next command on
    site = next((tmp_path / "bare" / "lib").glob("python3*/site-packages"))
    own = [entry for entry in sys.path if entry.endswith("site-packages")]
    (site / "mmplug-test.pth").write_text("\n".join([str(Path(__file__).parents[2]), *own]))
    assert _choice(plugin, shims, cache) == (["PATH", str(shims / "python3")], 3)
    assert _choice(plugin, shims, cache) == (["PATH", str(shims / "python3")], 3)


def test_a_damaged_or_unwritable_cache_only_costs_the_question(tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    shims = _counting_python3(tmp_path)
    cache = tmp_path / "cache"
    assert _choice(plugin, shims, cache)[1] == 1
    for kept in (cache / "interpreters").iterdir():
        kept.write_text("mmplug-interpreter-probe 1\n('x'\n")
    assert _choice(plugin, shims, cache) == (["mmplug", sys.executable], 2)
    blocker = tmp_path / "blocker"
    blocker.write_text("")  # a file where the cache folder would be
    assert _choice(plugin, shims, blocker / "cache") == (["mmplug", sys.executable], 3)
    assert _choice(plugin, shims, blocker / "cache") == (["mmplug", sys.executable], 4)
