"""How a command ends when it is stopped: the one line it says and its exit code.

Every command ends on Ctrl-C with one line on stderr that says it was stopped and what it
left (``stopped by Ctrl-C; no bundle was written.``) and exit code 130, without a traceback;
:func:`mmplug.cli._errors.guard` turns the ``KeyboardInterrupt`` into that line. What a
command leaves is in :data:`LEFT` (by command) until the command says more with
:func:`leaves` (where the state was kept, where a hook went).

One-shot commands (``new``, ``bundle``, ``fire``, ``replay``, ``check``, ...) take SIGTERM
and SIGHUP as Ctrl-C (:func:`begin`): the same clean-up and line, naming the signal, and
the exit code a shell expects of a process that signal ended (143, 129). The processes
the command started in its own process group (pip, a template's hook) are stopped as a
terminal's Ctrl-C stops them, so a signal sent to mmplug alone leaves none of them running.

Commands that run until stopped (``dev``, ``run``, ``explore``) take Ctrl-C, SIGTERM and
SIGHUP with :class:`StopSignals`, each once, shut down in order, then end with
:meth:`StopSignals.end`: the same line and exit 0, since a stop is how they are meant to end
("Ctrl-C to stop"), whichever signal asked for it. The main thread waits in short steps
rather than on the event alone: a signal the kernel hands to another of the process's
threads (gRPC's, the control channel's) does not wake a main thread that sleeps on a lock,
and Python runs its handler only when the main thread wakes.
"""

from __future__ import annotations

import signal
import sys

# `mmplug fire` starts the plugin before it imports more than it needs for that (see
# mmplug.cli._fire_prefetch), and this module is imported before: no typing at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STEP_S = 0.25
SIGNALED = 128  # plus the signal: a stopped command's exit code as a shell has it (130: Ctrl-C)
# The commands that run until stopped: they take every stop signal themselves (StopSignals).
UNTIL_STOPPED = ("dev", "run", "explore")

# What each command leaves when Ctrl-C stops it (its first word; `bundle inspect` by two).
LEFT: dict[str, str] = {
    "new": "no project was made",
    "new --force": "the folder is as it was (a project is written whole or not at all)",
    "dev": "its plugins were stopped and nothing is left running",
    "explore": "the explorer was closed; nothing was written",
    "run": "the plugin was stopped and nothing is left running",
    "fire": "its throw-away session was closed; nothing was kept",
    "replay": "no cassette was changed",
    "check": "the plugin was stopped; nothing was written",
    "bundle": "no bundle was written",
    "bundle inspect": "nothing was written",
    "state": "SQLite rolls back an unfinished change: the state is as it was",
    "clock": "`mmplug dev` may go on with the move (`mmplug clock` shows where it is)",
    "upgrade": "the project is as it was (an upgrade is written whole or not at all)",
}
# What they leave once their files are in place (a stop can come as they finish).
DONE: dict[str, str] = {
    "new": "the project was made whole",
    "upgrade": "the project was upgraded whole (`git diff` shows how)",
}
BEFORE_ANY_COMMAND = "nothing was done"

_left: list[str] = []
_stopped_by: list[int] = []  # the SIGTERM or SIGHUP that stopped a one-shot command


def begin(argv: list[str]) -> None:
    """The command of ``argv`` (the words after ``mmplug``) starts: a stop from now on says
    what :data:`LEFT` holds for it, and a one-shot command takes SIGTERM and SIGHUP as
    Ctrl-C."""
    state = LEFT.get(" ".join(argv[:2])) or LEFT.get(argv[0] if argv else "")
    _left[:] = [state] if state else []
    _stopped_by.clear()
    if (argv[0] if argv else "") not in UNTIL_STOPPED:
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGHUP):
                if signal.getsignal(sig) is not signal.SIG_IGN:  # nohup's SIGHUP stays ignored
                    signal.signal(sig, _stop_one_shot)


def _stop_one_shot(signum: int, frame: object) -> None:
    """SIGTERM or SIGHUP in a one-shot command: what Ctrl-C does (a KeyboardInterrupt the
    command cleans up after), once. A second one (a closed terminal's SIGHUP comes from the
    kernel and from the shell) lets the clean-up finish."""
    if _stopped_by:
        return
    _stopped_by.append(signum)
    _pass_on(signum)
    raise KeyboardInterrupt


def _pass_on(signum: int) -> None:
    """Stop the processes this one started in its own process group (and theirs): those a
    terminal's Ctrl-C reaches, which a signal sent to mmplug alone would leave running. Each
    gets SIGINT, on which they stop as on Ctrl-C (pip removes its temporary folders); one
    that ignores SIGINT (started in a background job) gets ``signum``. The plugins run in
    sessions of their own: the command stops them in order."""
    import os

    me, group = os.getpid(), os.getpgrp()
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:  # no /proc: nothing we can see to pass it on to
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            parent, its_group = int(fields[1]), int(fields[2])
        except (OSError, IndexError, ValueError):
            continue
        if its_group == group:
            children.setdefault(parent, []).append(int(entry))
    todo = list(children.get(me, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            os.kill(pid, signum if _ignores_ctrl_c(pid) else signal.SIGINT)
        except OSError:
            pass


def _ignores_ctrl_c(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"SigIgn:"):
                    return bool(int(line.split()[1], 16) >> (signal.SIGINT - 1) & 1)
    except (OSError, IndexError, ValueError):
        pass
    return False


def leaves(state: str) -> None:
    """Say what the running command leaves when a stop ends it from now on."""
    _left[:] = [state]


def done(command: str) -> Callable[[], None]:
    """What a command that changes files as one calls once they are in place: a stop from
    then on says what :data:`DONE` holds for it."""
    return lambda: leaves(DONE[command])


def state_kept(store_path: object) -> str:
    """Where a stopped session's state is (its store's path): kept in the file, or gone with
    an in-memory store."""
    text = str(store_path or "")
    if not text or text == ":memory:":
        return "its in-memory state is gone"
    import os

    try:
        shown = os.path.relpath(text)
    except ValueError:  # another drive
        shown = text
    return f"the state stays in {shown if not shown.startswith('..') else text}"


def stopped(signum: int | None = None, state: str | None = None, *,
            until_stopped: bool = False) -> int:
    """Print the line a stopped command ends with on stderr; return its exit code: 0 for a
    command that runs ``until_stopped`` (dev, run, explore), else 128 plus the signal (130
    for Ctrl-C). ``signum`` defaults to the SIGTERM or SIGHUP that stopped a one-shot
    command, else Ctrl-C's."""
    if signum is None:
        signum = _stopped_by[0] if _stopped_by else signal.SIGINT
    by = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    said = state if state is not None else (_left[0] if _left else BEFORE_ANY_COMMAND)
    try:
        sys.stderr.write(f"stopped by {by}; {said}.\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # nobody reads stderr any more
        pass
    return 0 if until_stopped else SIGNALED + signum


class Stopped(Exception):
    """A command that a stop signal ended has shut down in order; :func:`guard
    <mmplug.cli._errors.guard>` ends it with :func:`stopped`."""

    def __init__(self, signum: int, state: str) -> None:
        super().__init__(state)
        self.signum = signum
        self.state = state


class StopSignals:
    """``with StopSignals() as stop: ... stop.wait()`` (or :meth:`install`, then
    :meth:`restore` in a ``finally``): the handlers are ours in between, the previous ones
    again after."""

    def __init__(self) -> None:
        import threading

        self.event = threading.Event()
        self.signum: int = signal.SIGINT
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        self._previous = {sig: signal.signal(sig, self._received) for sig in STOP_SIGNALS}
        return self

    def _received(self, signum: int, frame: object) -> None:
        if not self.event.is_set():
            self.signum = signum
        self.event.set()

    def restore(self) -> None:
        previous, self._previous = self._previous, {}
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def __enter__(self) -> StopSignals:
        return self.install()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()

    def wait(self, each_step: Callable[[], object] | None = None) -> None:
        """Until a stop signal came, running ``each_step`` every step."""
        while not self.event.wait(STEP_S):
            if each_step is not None:
                each_step()

    def end(self, state: str) -> None:
        """End the command that the signal stopped, saying it left ``state``."""
        raise Stopped(self.signum, state)

    def again(self, action: Callable[[], object]) -> Again:
        """``with stop.again(action): <shut down in order>``: a stop signal that comes
        meanwhile (Ctrl-C pressed again) calls ``action`` once, at once, from a thread of its
        own (the main thread may be waiting on a plugin that does not answer)."""
        return Again(action)


class _SignalWatch:
    """A thread that sees each signal Python has a handler for as it comes (through the
    wakeup pipe), also one the kernel handed to another of the process's threads: Python runs
    the handler in the main thread only, and only when that thread wakes. Main thread only."""

    def __init__(self, seen: Callable[[bytes], object]) -> None:
        self.seen = seen

    def start(self) -> None:
        import os
        import threading

        self._wake_r, self._wake_w = os.pipe()
        self._done_r, self._done_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._previous_fd = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        self._helper = threading.Thread(target=self._watch, daemon=True, name="mmplug-signals")
        self._helper.start()

    def _watch(self) -> None:
        import os
        import select

        while True:
            ready = select.select([self._wake_r, self._done_r], [], [])[0]
            if self._done_r in ready:
                return
            self.seen(os.read(self._wake_r, 64))

    def stop(self) -> None:
        import os

        try:
            os.write(self._done_w, b"x")
            self._helper.join()
            signal.set_wakeup_fd(self._previous_fd)
        finally:
            for fd in (self._wake_r, self._wake_w, self._done_r, self._done_w):
                os.close(fd)


class Again:
    """See :meth:`StopSignals.again`."""

    def __init__(self, action: Callable[[], object]) -> None:
        import threading

        self._action: Callable[[], object] | None = action
        self._watch: _SignalWatch | None = None
        self._active = threading.current_thread() is threading.main_thread()

    def _seen(self, data: bytes) -> None:
        action = self._action
        if action is not None and any(sig in data for sig in STOP_SIGNALS):
            self._action = None
            action()

    def __enter__(self) -> Again:
        if self._active:
            self._watch = _SignalWatch(self._seen)
            self._watch.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._watch is not None:
            self._watch.stop()


class CtrlCWakesThePrompt:
    """``with CtrlCWakesThePrompt(): input(...)``: a Ctrl-C ends the prompt at once, also one
    the kernel handed to another of the process's threads (gRPC's, a log reader's). Python runs
    its handler in the main thread only, and readline's wait for a key is not interrupted by a
    signal that landed elsewhere: the wait went on until the next key. Meanwhile the signal
    writes to a wakeup pipe, and a helper thread passes it on to the main thread. A copy that
    reaches the main thread after the first one only raises the same KeyboardInterrupt again
    within the prompt; what is left of it is handled before the prompt is left."""

    def __enter__(self) -> CtrlCWakesThePrompt:
        import threading

        ours = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: _stop_one_shot,
                signal.SIGHUP: _stop_one_shot}  # SIGTERM, SIGHUP: as Ctrl-C (begin)
        passed = [sig for sig, handler in ours.items() if signal.getsignal(sig) is handler]
        self._active = threading.current_thread() is threading.main_thread() and bool(passed)
        if not self._active:  # ignored (a background job), or someone else's handler
            return self
        main = threading.main_thread().ident or 0

        def pass_on(data: bytes) -> None:
            for sig in passed:
                if sig in data:
                    signal.pthread_kill(main, sig)
                    return

        self._watch = _SignalWatch(pass_on)
        self._watch.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._active:
            return
        self._watch.stop()
        signal.pthread_sigmask(signal.SIG_BLOCK, [])  # runs a copy passed on meanwhile
