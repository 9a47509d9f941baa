"""Installing a plugin's dependencies into per-target directories, from wheels only.

For every target pip runs once with ``--target``, ``--platform``, ``--python-version`` and
``--only-binary=:all:``, so nothing is compiled and nothing depends on the machine that
builds the bundle. Offline builds use ``--no-index --find-links <wheelhouse>``; online ones
go through pip's own download cache. The installed trees are then normalised (no bytecode,
no scripts, no install-specific metadata) so that two builds give the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Protocol

from mmplug.bundle.targets import Target
from mmplug.errors import BundleError

_MISSING = (
    re.compile(r"No matching distribution found for ([^\s;]+)"),
    re.compile(r"Could not find a version that satisfies the requirement ([^\s;]+)"),
)
_DROP_FILES = frozenset({"direct_url.json"})
# A pip that still runs when the bundle stops early: how long it has to end on the Ctrl-C it
# got too, then to end once interrupted, before it is killed (seconds).
PIP_GRACE_S = 2.0
PIP_STOP_S = 10.0


class Reporter(Protocol):
    """Receives progress while dependencies are vendored (the CLI renders it)."""

    def target_started(self, target: Target, index: int, total: int) -> None: ...

    def pip_line(self, target: Target, line: str) -> None: ...

    def target_finished(self, target: Target) -> None: ...

    def stage(self, message: str) -> None: ...


def pip_command(target: Target, dest: Path, requirement_file: Path,
                extra: list[str], wheelhouse: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "install", "--target", str(dest), *target.pip_args(),
           "--no-compile", "--no-warn-script-location", "--disable-pip-version-check",
           "--no-input", "--progress-bar", "off"]
    if wheelhouse is not None:
        cmd += ["--no-index", "--find-links", str(wheelhouse)]
    return [*cmd, "-r", str(requirement_file), *extra]


def install_target(
    target: Target, dest: Path, requirement_file: Path, extra: list[str],
    wheelhouse: Path | None, reporter: Reporter | None,
) -> None:
    """Run pip for one target; on failure raise a BundleError naming the missing package."""
    cmd = pip_command(target, dest, requirement_file, extra, wheelhouse)
    env = {**os.environ, "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    tail: deque[str] = deque(maxlen=40)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, env=env)
    except OSError as exc:
        raise BundleError(f"cannot run pip: {exc.strerror}") from None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip())
            if reporter is not None:
                reporter.pip_line(target, line.rstrip())
        code = proc.wait()
    finally:
        if proc.poll() is None:  # leaving early: Ctrl-C, or an error of ours
            _stop_pip(proc)
        if proc.stdout is not None:
            proc.stdout.close()
    if code != 0:
        raise _pip_error(target, list(tail), wheelhouse)
    normalize_tree(dest)


def _stop_pip(proc: subprocess.Popen[str]) -> None:
    """End a pip that still runs so that it removes its temporary folders (a killed pip
    leaves them in the temp directory, a partial install included): a terminal's Ctrl-C
    reached it as well; otherwise it is interrupted. Killed only if it does not end."""
    import signal

    try:
        for sig, grace in ((None, PIP_GRACE_S), (signal.SIGINT, PIP_STOP_S)):
            if sig is not None:
                proc.send_signal(sig)
            try:
                proc.communicate(timeout=grace)  # drained: it may still print as it ends
                return
            except subprocess.TimeoutExpired:
                continue
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _pip_error(target: Target, tail: list[str], wheelhouse: Path | None) -> BundleError:
    text = "\n".join(tail)
    where = f"{target.platform} / Python {target.python}"
    for pattern in _MISSING:
        match = pattern.search(text)
        if match:
            source = f"the wheelhouse {wheelhouse}" if wheelhouse else "the package index"
            return BundleError(
                f"no wheel of {match.group(1)} for {where} in {source}",
                details=_errors_of(tail),
                hint="the server never runs pip, so every dependency must come as a wheel: "
                "pick a version that publishes wheels for this platform, drop the platform "
                "with --platform, or build the wheel yourself and add it to --wheelhouse",
            )
    return BundleError(
        f"pip could not install the dependencies for {where}",
        details=_errors_of(tail),
        hint="fix the requirements (see pip's message above) and run mmplug bundle again",
    )


def _errors_of(tail: list[str]) -> str:
    errors = [line for line in tail if line.startswith("ERROR")]
    return "\n".join(errors or tail[-10:])


def normalize_tree(root: Path) -> None:
    """Remove what differs between two installs of the same wheels, or is useless at run time."""
    shutil.rmtree(root / "bin", ignore_errors=True)
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_symlink():
            path.unlink()
        elif path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path)
        elif path.is_file() and (path.suffix in (".pyc", ".pyo") or path.name in _DROP_FILES):
            path.unlink()
        elif path.is_file() and path.name == "RECORD" and path.parent.name.endswith(".dist-info"):
            _clean_record(path)


def _clean_record(path: Path) -> None:
    kept = [
        line for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith(("..", "bin/"))
        and "__pycache__" not in line and "direct_url.json" not in line
    ]
    path.write_text("".join(f"{line}\n" for line in sorted(kept)), encoding="utf-8")
