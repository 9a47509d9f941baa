"""The ``mmplug dev`` terminal: the live status on top, the plugin logs streaming below it.

On a terminal, :class:`~mmplug.cli._dev_screen.LiveScreen` fills the screen: the status (plugin
state, hooks, front door URL, last reload, where the log file is) on top and the newest log lines
below it. Elsewhere (a pipe, CI) or with ``--plain``, logs, events and status changes are printed
as plain lines. Either way every line also goes to ``.mmplug/dev.log``. Logs and events go
through one printer in the order they happen; Ctrl-C leaves the final status and the last log
lines on the terminal.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from mmplug.cli._dev_screen import DevLog, LiveScreen
    from mmplug.devloop.loop import DevLoop
    from mmplug.devloop.status import Reload
    from mmplug.host.events import CallEvent
    from mmplug.host.logs import LogRecord

LOG_NAME = "dev.log"
FINAL_RESERVE = 4  # lines left free under the final frame for the "stopping" lines


class Printer:
    """Observer of the loop and its session: shows logs and events, refreshes the status.

    With a ``screen`` (a terminal) lines go to its log area; without, they are printed. With a
    ``log`` every line is also appended to it.
    """

    def __init__(self, console: Console, loop: DevLoop, level: str,
                 log: DevLog | None = None, log_shown: str | None = None) -> None:
        self.console = console
        self.loop = loop
        self.level = level
        self.log = log
        self.log_shown = log_shown  # how the status names the log file
        self.screen: LiveScreen | None = None
        self._lock = threading.Lock()

    def emit(self, item: str | Text, style: str | None = None, stamp: bool = True) -> None:
        """Show one event or log entry (any number of lines) and append it to the log."""
        from rich.text import Text

        text = Text(item, style=style or "") if isinstance(item, str) else item
        with self._lock:  # the file and the screen see the same order
            if self.log is not None:
                self.log.write(text.plain, stamp=stamp)
            if self.screen is not None:
                self.screen.append(text)
            else:
                self.console.print(text)

    def on_log(self, record: LogRecord) -> None:
        from mmplug.cli._render import render_log
        from mmplug.host.logs import level_at_least

        if level_at_least(record.level, self.level):
            self.emit(render_log(record), stamp=False)  # it starts with its own time

    def on_reloading(self, plugin_id: str, why: str) -> None:
        self.emit(f"↻ {plugin_id}: {why}, reloading", style="yellow")

    def on_reload(self, plugin_id: str, reload: Reload) -> None:
        if reload.ok:
            how = "warm" if reload.warm else "cold"
            self.emit(f"✓ {plugin_id} active ({reload.why}: {reload.duration_s * 1000:.0f} ms,"
                      f" {how})", style="green")
        self.on_status()

    def on_problem(self, plugin_id: str, text: str) -> None:
        """The first line after the plugin's id, the rest (the cause, the traceback, the
        stderr tail, the hint, what happens next) indented under it."""
        first, *rest = text.splitlines() or [""]
        lines = [f"✗ {plugin_id}: {first}" if plugin_id else f"✗ {first}"]
        lines += [f"  {line}" for line in rest]
        self.emit("\n".join(lines), style="red")
        status = self.loop.status.get(plugin_id) if plugin_id else None
        if status is not None and status.state in ("failed", "given-up"):
            self.emit("  waiting for the next save…", style="dim")

    def on_exchange(self, event: CallEvent) -> None:
        """One line per front door request: method, path, user, the status the client got,
        duration (and what went wrong, if anything)."""
        from mmplug.host.logs import level_at_least

        failed = event.status >= 500 or event.status == 499
        if not level_at_least("warn" if failed else "info", self.level):
            return
        init = event.request.init  # type: ignore[attr-defined]
        user = event.user or "anonymous"
        text = (f"⇄ {init.method} {init.request_uri} as {user} → {event.status} "
                f"({event.duration_s * 1000:.0f} ms)")
        if event.error:
            text += f": {event.error}"
        style = "red" if failed else ("yellow" if event.status >= 400 else "cyan")
        self.emit(text, style=style)

    def on_hook_call(self, result: CallEvent) -> None:
        """One line per hook call: hook, plugin, outcome, duration, API calls made."""
        from mmplug.host.events import FRONT_DOOR
        from mmplug.host.logs import level_at_least

        if result.origin == FRONT_DOOR:
            return  # its request line says it
        failed = result.error is not None
        if not level_at_least("warn" if failed else "info", self.level):
            return
        outcome = "ok"
        if failed:
            outcome = "failed: " + (str(result.error).splitlines() or [""])[0]
        elif result.response is not None:
            reason = getattr(result.response, "rejection_reason", "")
            if reason:
                outcome = f"rejected: {reason}"
        calls = len(result.api_calls)
        made = f", {calls} API call{'s' if calls != 1 else ''}" if calls else ""
        self.emit(f"⚡ {result.hook} → {result.plugin_id}: {outcome} "
                  f"({result.duration_s * 1000:.1f} ms{made})",
                  style="red" if failed else "cyan")

    def on_status(self) -> None:
        if self.screen is not None:
            self.screen.changed()

    def renderable(self) -> RenderableType:
        """The status panel drawn on top of the screen."""
        from rich.panel import Panel
        from rich.text import Text

        from mmplug.cli._dev_screen import render_status

        door = self.loop.front_door
        plugins = list(self.loop.status.values())
        body: RenderableType = Text("starting…", style="dim")
        if plugins:
            body = render_status(plugins, door.url if door else None,
                                 door.metrics_url if door else None, log_path=self.log_shown,
                                 problem_lines=3,
                                 acting=self.loop.acting_user(None)[1] if door else None,
                                 explorer=_explorer_url(self.loop))
        return Panel(body, title="[bold]mmplug dev[/]", title_align="left",
                     subtitle="watching for saves · Ctrl-C to stop", subtitle_align="right",
                     border_style="dim")


def run_dev(loop: DevLoop, level: str, record: Path | None, plain: bool = False) -> None:
    """Start ``loop``, show it until SIGINT/SIGTERM/SIGHUP, then close everything.

    ``plain`` prints lines even on a terminal (as in a pipe) instead of the live screen.
    """
    from rich.console import Console

    from mmplug.cli._dev_screen import LiveScreen
    from mmplug.errors import MmplugError

    console = Console(highlight=False, soft_wrap=True)
    live = console.is_terminal and not console.is_dumb_terminal and not plain
    log, log_problem = _open_log(loop)
    printer = Printer(console, loop, level, log, _shown(log.path) if log else log_problem)
    loop.add_observer(printer)
    from mmplug.cli._stop import StopSignals

    stop = StopSignals().install()
    previous: dict[int, Any] = {}
    recorder = None
    screen: LiveScreen | None = None
    try:
        with _quiet_input(live):
            if record is not None:
                from mmplug.cassette.recorder import CassetteRecorder

                recorder = CassetteRecorder(record)
                loop.add_observer(_RecorderBinding(recorder))
            if live:
                screen = LiveScreen(console, printer.renderable)
                previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH,
                                                          lambda *_: printer.on_status())
                printer.screen = screen
                screen.start()
            else:
                printer.emit("starting…", style="dim")
            try:
                loop.start()
            except MmplugError as exc:
                if log is not None:
                    log.write(exc.render(), stamp=True)
                raise
            if screen is None:
                _banner(printer, loop)
            from mmplug.cli._stop import LEFT, state_kept

            store = loop.session.store if loop.session is not None else None
            left = f"{LEFT['dev']}; {state_kept(getattr(store, 'path', None))}"
            from mmplug.devloop.exposure import exposure_note

            printer.emit(exposure_note(loop), style="dim")
            stop.wait()
            if screen is not None:
                printer.screen = None
                screen.stop(FINAL_RESERVE)
                screen = None
            printer.emit("stopping: deactivating plugins… (Ctrl-C again to kill them)",
                         style="dim")
    finally:
        if screen is not None:  # start failed or an error: leave the terminal readable
            printer.screen = None
            screen.stop(FINAL_RESERVE)
        findings = loop.ha_findings()  # before the session goes: what several nodes showed

        def kill() -> None:
            from mmplug.host._process import kill_now

            printer.emit("stopping: killing the plugins", style="yellow")
            kill_now()

        with stop.again(kill):
            loop.close()
        for text in findings:
            head, _, rest = text.partition("\n")
            console.print(head, style="bold red", markup=False)
            console.print(rest, markup=False)
            if log is not None:
                log.write(text, stamp=True)
        if recorder is not None:
            recorder.close()
        stop.restore()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if log is not None:
            log.write("stopped", stamp=True)
            log.close()
    if loop.session is not None:
        loop.session.raise_stop_faults()  # the last stop: the command ends with it
    stop.end(left)


def _open_log(loop: DevLoop) -> tuple[DevLog | None, str | None]:
    """The session's log file in the first project's ``.mmplug/``, or why there is none."""
    from mmplug.cli._dev_screen import DevLog
    from mmplug.host import STATE_DIR

    path = loop.plugin_dirs[0] / STATE_DIR / LOG_NAME
    try:
        log = DevLog(path)
    except OSError as exc:
        return None, f"not written: {exc.strerror or exc}"
    log.write(f"mmplug dev: {', '.join(str(d) for d in loop.plugin_dirs)}", stamp=True)
    return log, None


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it (shorter)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def _quiet_input(live: bool) -> Iterator[None]:
    """While the live screen runs, keys typed (and the ``^C`` of Ctrl-C) are not echoed into
    it; the terminal's settings are restored afterwards."""
    fd = sys.stdin.fileno() if live and sys.stdin is not None and sys.stdin.isatty() else -1
    saved = None
    if fd >= 0:
        import termios

        try:
            saved = termios.tcgetattr(fd)
            quiet = termios.tcgetattr(fd)
            quiet[3] &= ~(termios.ECHO | termios.ECHOCTL)
            termios.tcsetattr(fd, termios.TCSANOW, quiet)
        except (termios.error, OSError):
            saved = None
    try:
        yield
    finally:
        if saved is not None:
            import termios

            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(fd, termios.TCSANOW, saved)


class _RecorderBinding:
    """Attaches the cassette recorder to the session before it starts."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder

    def on_session(self, session: Any) -> None:
        self.recorder.attach(session)


def _banner(printer: Printer, loop: DevLoop) -> None:
    for status in loop.status.values():
        hooks = ", ".join(status.implemented) or "none"
        printer.emit(f"{status.id}: {status.state}; hooks: {hooks}", style="bold")
    if loop.front_door is not None:
        for status in loop.status.values():
            printer.emit(f"  {loop.front_door.url}/plugins/{status.id}/", style="cyan")
        who = loop.acting_user(None)[1]
        printer.emit(f"front door: {loop.front_door.url}/ lists the routes; requests are made "
                     + ("anonymously" if who == "anonymous" else f"as {who}")
                     + " (X-Mmplug-User: NAME picks a user per request)", style="dim")
    explorer = _explorer_url(loop)
    if explorer:
        printer.emit(f"explorer: {explorer}  (chat with the plugin, see its trace and state)",
                     style="bold")
    if printer.log_shown:
        printer.emit(f"log: {printer.log_shown}", style="dim")
    printer.emit("watching for saves; Ctrl-C to stop.", style="dim")


def _explorer_url(loop: DevLoop) -> str | None:
    """The Plugin Explorer's URL with its token, once it serves."""
    explorer = getattr(loop, "explorer", None)
    if explorer is None or explorer.loop is None:
        return None
    return str(explorer.login_url)
