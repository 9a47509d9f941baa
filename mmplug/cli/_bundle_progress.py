"""A rich progress display for vendoring (one bar per target), drawn on stderr."""

from __future__ import annotations

import re
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn

from mmplug.bundle.targets import Target

_INTERESTING = re.compile(r"^\s*(Collecting|Downloading|Using cached|Processing|Installing)\b")


class RichReporter:
    """Shows which target is being vendored and what pip is fetching for it."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.fields[tag]}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} targets"), TextColumn("{task.description}"),
            console=console or Console(stderr=True), transient=False,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> RichReporter:
        return self  # drawn from the first target on: an error before it comes alone

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.task is not None:
            self.progress.stop()

    def target_started(self, target: Target, index: int, total: int) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("starting pip", total=total, tag=target.tag)
        self.progress.update(self.task, completed=index, tag=target.tag,
                             description="starting pip")

    def pip_line(self, target: Target, line: str) -> None:
        if self.task is not None and _INTERESTING.match(line):
            words = line.split()
            if words[0] == "Processing" and len(words) > 1:  # a wheel path: keep its name
                words[1] = words[1].rsplit("/", 1)[-1]
            text = " ".join(words)
            self.progress.update(self.task, description=text[:47] + "…" if len(text) > 48 else text)

    def target_finished(self, target: Target) -> None:
        if self.task is not None:
            self.progress.update(self.task, advance=1, description="done")

    def stage(self, message: str) -> None:
        if self.task is not None:
            self.progress.update(self.task, description=message)
