"""Replaying a folder of cassettes, several at once, each in a process of its own.

    for outcome in replay_folder(Path("fixtures/cassettes"), plugin_dir=".", jobs=2):
        print(outcome.cassette, outcome.report.ok if outcome.report else outcome.error)

A replay is a strict chain of round trips between the host and the plugin, so one replay
keeps one CPU busy at most; cassettes of a folder replay side by side in ``jobs`` worker
processes (default: one per CPU this process may use). With ``one_cpu`` (what ``mmplug
replay`` does) each worker and everything it starts (the plugin, its warm spare) stays on a
CPU of its own, taken in turn, so the workers' round trips do not wake each other's CPUs (see
:mod:`mmplug.host.affinity`). Outcomes come back in the cassettes' order; a cassette that
cannot be replayed (malformed, another plugin's, a plugin that does not start) is an outcome
with its error, and the others still replay.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.cassette.format import CassetteError
from mmplug.errors import MmplugError

if TYPE_CHECKING:
    import multiprocessing.queues

    from mmplug.cassette.replay import ReplayReport
    from mmplug.host.warm import WarmPool

SUFFIX = ".jsonl"


@dataclass
class Outcome:
    """One cassette of a folder: its report, or why it could not be replayed."""

    cassette: Path
    report: ReplayReport | None = None
    error: MmplugError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and self.report.ok


def cassettes_in(folder: Path) -> list[Path]:
    """The cassettes (``*.jsonl``) in ``folder`` and its subfolders, in name order."""
    found = sorted(p for p in folder.rglob(f"*{SUFFIX}") if p.is_file())
    if not found:
        raise CassetteError(f"no cassettes ({SUFFIX} files) in {folder}",
                            hint="record one with `mmplug fire HOOK --record FILE` or "
                                 "`mmplug dev --record FILE`")
    return found


def default_jobs() -> int:
    """One worker per CPU this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def replay_folder(folder: Path, plugin_dir: str | Path | None = None, *, jobs: int = 0,
                  one_cpu: bool = True, **options: Any) -> Iterator[Outcome]:
    """Replay every cassette of ``folder`` (``options``: those of
    :func:`~mmplug.cassette.replay.replay_cassette`), ``jobs`` at a time (0: one per CPU)."""
    cassettes = cassettes_in(folder)
    options.update(one_cpu=one_cpu)
    workers = min(jobs or default_jobs(), len(cassettes))
    if workers <= 1:
        try:
            for cassette in cassettes:
                yield _outcome(_replay_one(str(cassette), plugin_dir, options))
        finally:
            _close_spares()
        return
    yield from _in_workers(cassettes, plugin_dir, workers, one_cpu, options)


def _in_workers(cassettes: list[Path], plugin_dir: str | Path | None, workers: int,
                one_cpu: bool, options: dict[str, Any]) -> Iterator[Outcome]:
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    # A fork costs a few milliseconds and inherits what is imported, where a fresh interpreter
    # costs its start and imports; but grpc does not survive a fork: a process that has it
    # (a test calling this) spawns.
    method = "fork" if "grpc" not in sys.modules and hasattr(os, "fork") else "spawn"
    context = multiprocessing.get_context(method)
    cpus: multiprocessing.queues.Queue[int] = context.Queue()
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    for index in range(workers):
        cpus.put(allowed[index % len(allowed)] if one_cpu and len(allowed) > 1 else -1)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_take_cpu,
                             initargs=(cpus,)) as pool:
        futures = [pool.submit(_replay_one, str(c), plugin_dir, options) for c in cassettes]
        try:
            for future in futures:
                yield _outcome(future.result())
        finally:  # an interrupted run replays nothing more
            for future in futures:
                future.cancel()


def _take_cpu(cpus: multiprocessing.queues.Queue[int]) -> None:
    """A worker's start: keep to the CPU it is given (-1: anywhere), with what it starts; its
    warm spares are killed when it exits."""
    from multiprocessing.util import Finalize

    cpu = cpus.get()
    if cpu >= 0:
        os.sched_setaffinity(0, {cpu})
    Finalize(None, _close_spares, exitpriority=10)


# The plugin interpreters kept warm across the cassettes this process replays: each replay
# leaves a spare (grpc and the SDK imported) for the next one's first session.
_SPARES: list[WarmPool] = []


def _spares() -> WarmPool:
    if not _SPARES:
        from mmplug.host.warm import LEAN_PRELOAD, WarmPool

        _SPARES.append(WarmPool(LEAN_PRELOAD, fork=True))
    return _SPARES[0]


def _close_spares() -> None:
    while _SPARES:
        _SPARES.pop().close()


def _replay_one(cassette: str, plugin_dir: str | Path | None,
                options: dict[str, Any]) -> tuple[str, Any, Any]:
    """Replay one cassette; (its path, the report, the error as plain data)."""
    from mmplug.cassette.replay import replay_cassette

    try:
        report = replay_cassette(cassette, plugin_dir, spares=_spares(), **options)
    except MmplugError as exc:
        return cassette, None, (exc.message, exc.hint, exc.details, exc.exit_code)
    report.entries = []  # written already when updating; not needed by the caller
    report.stop_faults = [_plain(f) for f in report.stop_faults]
    return cassette, report, None


def _plain(error: MmplugError) -> MmplugError:
    """An error that crosses a process boundary whatever its class's constructor."""
    plain = MmplugError(error.message, hint=error.hint, details=error.details)
    plain.exit_code = error.exit_code
    return plain


def _outcome(result: tuple[str, Any, Any]) -> Outcome:
    cassette, report, error = result
    if error is None:
        return Outcome(Path(cassette), report)
    message, hint, details, code = error
    problem = MmplugError(message, hint=hint, details=details)
    problem.exit_code = code
    return Outcome(Path(cassette), error=problem)
