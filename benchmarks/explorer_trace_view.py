"""The explorer's trace view with 10,000 recorded calls against the same view with 10, in headless
Chromium (the system's), measured with the page's Performance API.

    python benchmarks/explorer_trace_view.py [CALLS]

Records CALLS (default 10,000) and 10 real MessageWillBePosted calls of the parrot sample plugin
into two projects' traces (the explorer's capture, as `mmplug dev` runs it), opens each with
`mmplug explore`'s explorer and measures, taking turns:

* first paint: from navigation to the trace's rows drawn (``#trace``, the page's own marks);
* a filter: typing a text filter until the matching rows are drawn (the ``trace-render``
  measure: the request and the drawing).

Prints the medians and the ratios (goals: <= 1.5x; under 300 ms and 100 ms).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROUNDS = 7


def record(project: Path, calls: int) -> None:
    """``calls`` real hook calls captured into ``project``'s trace, state in its state.db."""
    from mmplug.explorer.capture import TraceCapture
    from mmplug.explorer.trace import TRACE_DB, TraceStore
    from mmplug.host.session import Session

    trace = TraceStore(project / ".mmplug" / TRACE_DB)
    capture = TraceCapture(trace)
    trace.start()
    with Session([project], python=sys.executable) as session:
        capture.on_session(session)
        session.add_observer(capture)
        alice = "3xou8nkp3cnkr9jgnsq78tmzac"
        for i in range(calls):
            session.fire("MessageWillBePosted",
                         post={"message": f"hello {i}", "channel_id": "c" * 26, "user_id": alice})
    trace.close()


def measure(page: object, url: str) -> tuple[float, float]:
    page.goto("about:blank")  # type: ignore[attr-defined]
    page.goto(url + "/#trace")  # type: ignore[attr-defined]
    page.wait_for_selector("body[data-trace-loaded='1']", state="attached")  # type: ignore[attr-defined]
    paint = page.evaluate(  # type: ignore[attr-defined]
        "performance.getEntriesByName('trace-1-end')[0].startTime")
    page.fill("#f-text", "hello 7")  # type: ignore[attr-defined]
    page.wait_for_selector("body[data-trace-loaded='2']", state="attached")  # type: ignore[attr-defined]
    filtered = page.evaluate(  # type: ignore[attr-defined]
        "performance.getEntriesByName('trace-render').slice(-1)[0].duration")
    return float(paint), float(filtered)


def main(calls: int) -> None:
    from playwright.sync_api import sync_playwright

    from mmplug.explorer.server import open_offline

    work = Path(tempfile.mkdtemp(prefix="mmplug-trace-view-"))
    explorers = {}
    try:
        for name, count in (("10 calls", 10), (f"{calls} calls", calls)):
            project = Path(shutil.copytree(PARROT, work / name.replace(" ", "-"),
                                           ignore=shutil.ignore_patterns(".mmplug")))
            started = time.perf_counter()
            record(project, count)
            print(f"recorded {count} calls in {time.perf_counter() - started:.1f} s")
            explorer = open_offline(project, port=0)
            explorer.start()
            explorers[name] = explorer
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in explorers}
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(work / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS)
            page = context.new_page()
            for explorer in explorers.values():
                page.goto(explorer.login_url)
                page.wait_for_selector("body[data-ready='1']")
                measure(page, explorer.url)  # warm the caches
            for _ in range(ROUNDS):
                for name, explorer in explorers.items():
                    samples[name].append(measure(page, explorer.url))
            context.close()
        small, big = samples
        print(f"{ROUNDS} rounds each, taking turns (headless Chromium)")
        result = {}
        for name, values in samples.items():
            paint = statistics.median(v[0] for v in values)
            filtered = statistics.median(v[1] for v in values)
            result[name] = (paint, filtered)
            print(f"  {name:<14} first paint {paint:7.1f} ms   filter {filtered:6.1f} ms")
        print(f"  ratio first paint {result[big][0] / result[small][0]:.2f}x, "
              f"filter {result[big][1] / result[small][1]:.2f}x (goal <= 1.5x)")
    finally:
        for explorer in explorers.values():
            explorer.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
