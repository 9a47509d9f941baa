"""Cold `mmplug fire OnActivate` (its own session) vs the genuine go-plugin client.

    python benchmarks/fire_cold.py [RUNS]

Both sides run the same small SDK plugin (written to a temporary directory; its OnActivate
logs one line) with the same interpreter, in alternating runs, each as a fresh process timed
from spawn to exit:

* mmplug: ``mmplug fire OnActivate DIR --format json`` (the console script next to the
  interpreter, else ``python -m mmplug.cli.main``: CLI start, world, plugin launch and
  handshake, OnActivate, OnDeactivate and stop);
* go-plugin v1.0.1 (../shared/conformance gohost): handshake, ping, one OnActivate call,
  Kill().

* the floor of a CLI written in Python: ``python -c pass``, the interpreter start every run of
  such a CLI pays before its first line (go-plugin's client is a compiled binary); go-plugin's
  time plus this one is the best a Python CLI doing the same work in sequence can reach;
* the physical limit of a host written in Python, with nothing of mmplug's host in it: a bare
  grpcio client in a fresh interpreter doing go-plugin's steps (start the plugin first, import
  grpc while it starts, read the handshake, health check, OnActivate, the controller's
  Shutdown, wait for the exit) with go-plugin's environment.

Two more cases time the same fire without ``--python``, as a user runs it from a virtualenv
that is not activated, in a project without a ``venv/``: the host first asks ``python3`` on
PATH (printed; through a pyenv shim that is several processes) whether it can import the SDK,
and runs the plugin with its own interpreter when it cannot. Once with the answer kept in the
cache folder (a temporary one here, as every later command finds it), once asked every time
(the folder of kept answers deleted before each run: the code before answers were kept).

Prints medians and the ratio mmplug / go-plugin (goal <= 1.2), and the floors' ratios.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT / ".." / "shared" / "conformance"
PLUGIN_SOURCE = '''
from mmplug.sdk import Plugin, serve


class Cold(Plugin):
    def on_activate(self):
        self.logger.info("activated")


if __name__ == "__main__":
    serve(Cold)
'''
MANIFEST = {"id": "com.example.cold", "name": "Cold", "version": "0.1.0",
            "server": {"executable": "plugin.py", "runtime": "python"}}


# The bare Python host of the last case: go-plugin's client, by hand, in as few lines as grpcio
# allows (the cookie and variables as go-plugin sets them for Mattermost's plugins).
BARE_HOST = """
import os, subprocess, sys
env = dict(os.environ, MATTERMOST_PLUGIN="Securely message teams, anywhere.",
           PLUGIN_PROTOCOL_VERSIONS="1", PLUGIN_MIN_PORT="10000", PLUGIN_MAX_PORT="25000")
plugin = subprocess.Popen([sys.executable, "plugin.py"], env=env, stdout=subprocess.PIPE)
import grpc
fields = plugin.stdout.readline().decode().strip().split("|")
network, address = fields[2], fields[3]
channel = grpc.insecure_channel(f"unix:{address}" if network == "unix" else address)
assert channel.unary_unary("/grpc.health.v1.Health/Check")(b"\\n\\x06plugin", timeout=10)
channel.unary_unary("/mattermost.pluginapi.v1.PluginHooks/OnActivate")(b"", timeout=30)
channel.unary_unary("/plugin.GRPCController/Shutdown")(b"", timeout=2)
channel.close()
plugin.wait(2)
print("BARE PASS")
"""


def gohost_binary() -> Path | None:
    cache = os.environ.get("MM_CONFORMANCE_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mm-conformance")
    binary = Path(cache) / "gohost"
    if not binary.exists() and (CONFORMANCE / "run.sh").exists():
        subprocess.run([str(CONFORMANCE / "run.sh"), "--setup"], check=True)
    return binary if binary.exists() else None


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    binary = gohost_binary()
    if binary is None:
        raise SystemExit("the go-plugin conformance host is not available (../shared/conformance)")
    # Bytecode is cached as on a user's machine (a shell with PYTHONDONTWRITEBYTECODE=1 would
    # make every run recompile each module edited since the last cache write).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        plugin = Path(tmp)
        (plugin / "plugin.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
        (plugin / "plugin.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
        script = Path(sys.executable).with_name("mmplug")  # the console script users run
        entry = [str(script)] if script.is_file() else [sys.executable, "-m", "mmplug.cli.main"]
        fire = [*entry, "fire", "OnActivate", str(plugin), "--format", "json",
                "--python", sys.executable]
        go = [str(binary), "-method", "/mattermost.pluginapi.v1.PluginHooks/OnActivate",
              "-payload-hex", "", "--", sys.executable, "plugin.py"]
        timed(fire, plugin, env)  # warm both once (bytecode, page cache)
        timed(go, plugin, env)
        assert "BARE PASS" in timed([sys.executable, "-c", BARE_HOST], plugin, env)[1]
        unset = fire[:-2]  # without --python
        cache = plugin / ".bench-cache"
        asking = dict(env, MMPLUG_CACHE_DIR=str(cache))
        timed(unset, plugin, asking)
        ours, theirs, bare, python_host = [], [], [], []
        kept, asked = [], []
        for _ in range(runs):
            kept.append(timed(unset, plugin, asking)[0])
            shutil.rmtree(cache / "interpreters", ignore_errors=True)
            asked.append(timed(unset, plugin, asking)[0])
            bare.append(timed([sys.executable, "-c", "pass"], plugin, env)[0])
            python_host.append(timed([sys.executable, "-c", BARE_HOST], plugin, env)[0])
            elapsed, out = timed(fire, plugin, env)
            assert json.loads(out)["ok"] is True
            ours.append(elapsed)
            elapsed, out = timed(go, plugin, env)
            assert "RESULT PASS" in out
            theirs.append(elapsed)
    a, b, c = statistics.median(ours), statistics.median(theirs), statistics.median(bare)
    d = statistics.median(python_host)
    print(f"median of {runs} runs, spawn to exit; load average {os.getloadavg()[0]:.2f}")
    print(f"go-plugin client: launch, OnActivate, Kill (baseline): {b:7.1f} ms  1.00")
    print(f"mmplug fire OnActivate (own session):                  {a:7.1f} ms  {a / b:.2f}")
    print(f"python -c pass (a Python CLI's interpreter start):     {c:7.1f} ms")
    print(f"floor: go-plugin + python -c pass:                     {b + c:7.1f} ms  "
          f"{(b + c) / b:.2f}")
    print(f"floor: the same steps by a bare grpcio client:         {d:7.1f} ms  {d / b:.2f}"
          f"  (mmplug / it: {a / d:.2f})")
    e, f = statistics.median(kept), statistics.median(asked)
    print(f"without --python (python3 on PATH: {shutil.which('python3')}):")
    print(f"  its answer about the SDK kept:                       {e:7.1f} ms  {e / b:.2f}")
    print(f"  python3 asked every time (before answers were kept): {f:7.1f} ms  {f / b:.2f}")


if __name__ == "__main__":
    main()
