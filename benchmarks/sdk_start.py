"""Plugin start-up: spawn an SDK plugin process until its handshake line, against the floor of
spawning ``python -c "import grpc"``. Prints medians and their ratio.

    python benchmarks/sdk_start.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "fixtures" / "sdk_plugins" / "sample_plugin.py"
COOKIE = {"MATTERMOST_PLUGIN": "Securely message teams, anywhere.", "PLUGIN_PROTOCOL_VERSIONS": "1"}


def env() -> dict[str, str]:
    result = dict(os.environ)
    result.update(COOKIE)
    result["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), result.get("PYTHONPATH")]))
    return result


def time_plugin_start() -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(SAMPLE)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env())
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()
    if not line.startswith(b"1|1|"):
        raise SystemExit(f"bad handshake line {line!r}")
    return elapsed


def time_command(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, env=env(), stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    time_plugin_start()  # warm the page cache and .pyc files
    bare, grpc_only, sdk_import, plugin = [], [], [], []
    for _ in range(runs):
        bare.append(time_command("-c", "pass"))
        grpc_only.append(time_command("-c", "import grpc"))
        sdk_import.append(time_command("-c", "import mmplug.sdk"))
        plugin.append(time_plugin_start())
    base = median_ms(grpc_only)
    print(f"runs={runs} python={sys.version.split()[0]}")
    print(f"python -c pass                 {median_ms(bare):8.1f} ms")
    print(f"python -c 'import grpc' (base) {base:8.1f} ms   ratio 1.00")
    print(f"python -c 'import mmplug.sdk'  {median_ms(sdk_import):8.1f} ms   "
          f"ratio {median_ms(sdk_import) / base:.2f}")
    print(f"SDK plugin spawn -> handshake  {median_ms(plugin):8.1f} ms   "
          f"ratio {median_ms(plugin) / base:.2f}")


if __name__ == "__main__":
    main()
