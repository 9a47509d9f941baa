"""The ``mmplug dev`` terminal: logs scroll, the live status stays pinned, Ctrl-C stops cleanly.

On a terminal the status (plugin state, hooks, front door URL, last reload) is a rich ``Live``
region that stays put while logs scroll; elsewhere (a pipe, CI) status changes are printed as
plain lines. Logs and events go through one printer in the order they happen.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from mmplug.devloop.frontdoor import Exchange
    from mmplug.devloop.loop import DevLoop
    from mmplug.devloop.status import Reload
    from mmplug.host.logs import LogRecord


class Printer:
    """Observer of the loop and its session: prints logs and events, refreshes the status."""

    def __init__(self, console: Console, loop: DevLoop, level: str) -> None:
        self.console = console
        self.loop = loop
        self.level = level
        self.live: Any = None
        self._lock = threading.Lock()

    def _print(self, *items: Any, style: str | None = None) -> None:
        with self._lock:
            self.console.print(*items, style=style)

    def on_log(self, record: LogRecord) -> None:
        from mmplug.host.logs import level_at_least, render_log

        if level_at_least(record.level, self.level):
            self._print(render_log(record))

    def on_reloading(self, plugin_id: str, why: str) -> None:
        self._print(f"↻ {plugin_id}: {why}, reloading", style="yellow")

    def on_reload(self, plugin_id: str, reload: Reload) -> None:
        if reload.ok:
            how = "warm" if reload.warm else "cold"
            self._print(f"✓ {plugin_id} active ({reload.why}: {reload.duration_s * 1000:.0f} ms,"
                        f" {how})", style="green")
        self.on_status()

    def on_problem(self, plugin_id: str, text: str) -> None:
        self._print(f"✗ {plugin_id}: {text}", style="red")
        if plugin_id:
            self._print("  waiting for the next save…", style="dim")

    def on_exchange(self, exchange: Exchange) -> None:
        if self.level in ("trace", "debug") or exchange.status >= 500:
            style = "red" if exchange.status >= 500 else "dim"
            self._print(f"{exchange.method} /plugins/{exchange.plugin_id}… {exchange.path} → "
                        f"{exchange.status} ({exchange.duration_s * 1000:.0f} ms)", style=style)

    def on_status(self) -> None:
        if self.live is not None:
            self.live.update(self.renderable(), refresh=True)

    def renderable(self) -> Any:
        from mmplug.devloop.status import render_status

        door = self.loop.front_door
        return render_status(list(self.loop.status.values()), door.url if door else None,
                             door.metrics_url if door else None)


def run_dev(loop: DevLoop, level: str, record: Path | None) -> None:
    """Start ``loop``, show it until SIGINT/SIGTERM/SIGHUP, then close everything."""
    from rich.console import Console
    from rich.live import Live

    console = Console(highlight=False, soft_wrap=True)
    printer = Printer(console, loop, level)
    loop.add_observer(printer)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    recorder = None
    try:
        if record is not None:
            from mmplug.cassette.recorder import CassetteRecorder

            recorder = CassetteRecorder(record)
            loop.add_observer(_RecorderBinding(recorder))
        console.print("starting…", style="dim")
        loop.start()
        _banner(console, loop)
        if console.is_terminal:
            with Live(printer.renderable(), console=console, auto_refresh=False,
                      transient=True) as live:
                printer.live = live
                while not stop.wait(1.0):
                    printer.on_status()  # keeps "n s ago" fresh
                printer.live = None
        else:
            stop.wait()
        console.print("stopping: deactivating plugins…", style="dim")
    finally:
        loop.close()
        if recorder is not None:
            recorder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopped; nothing left running.", style="dim")


class _RecorderBinding:
    """Attaches the cassette recorder to the session before it starts."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    def on_session(self, session: Any) -> None:
        self.recorder.attach(session)


def _banner(console: Console, loop: DevLoop) -> None:
    for status in loop.status.values():
        hooks = ", ".join(status.implemented) or "none"
        console.print(f"{status.id}: {status.state}; hooks: {hooks}", style="bold")
    if loop.front_door is not None:
        for status in loop.status.values():
            console.print(f"  {loop.front_door.url}/plugins/{status.id}/", style="cyan")
    console.print("watching for saves; Ctrl-C to stop.", style="dim")
