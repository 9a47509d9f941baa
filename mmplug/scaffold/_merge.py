"""Three-way merge of one text file: ``git merge-file`` when git is there, else difflib.

Both produce the same shape: the merged text and the number of conflicts, conflicts marked
the way git marks them::

    <<<<<<< project
    your lines
    ||||||| template 0.1.0
    the lines the old template had
    =======
    the lines of the new template
    >>>>>>> template 0.2.0
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
import tempfile
from pathlib import Path

Labels = tuple[str, str, str]  # ours, base, theirs
DEFAULT_LABELS: Labels = ("project", "old template", "new template")


def merge(ours: str, base: str, theirs: str, labels: Labels = DEFAULT_LABELS,
          use_git: bool = True) -> tuple[str, int]:
    """Merge ``theirs``' changes since ``base`` into ``ours``; return (text, conflicts)."""
    if ours == theirs or base == theirs:
        return ours, 0
    if ours == base:
        return theirs, 0
    git = shutil.which("git") if use_git else None
    if git is not None:
        result = _git_merge(git, ours, base, theirs, labels)
        if result is not None:
            return result
    return diff3_merge(ours, base, theirs, labels)


def _git_merge(git: str, ours: str, base: str, theirs: str,
               labels: Labels) -> tuple[str, int] | None:
    with tempfile.TemporaryDirectory(prefix="mmplug-merge-") as tmp:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8", newline="")
            paths.append(str(path))
        args = [git, "merge-file", "-p", "--diff3"]
        for label in labels:
            args += ["-L", label]
        try:
            done = subprocess.run(args + paths, capture_output=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return None
    if done.returncode < 0 or done.returncode > 127:
        return None
    return done.stdout.decode("utf-8"), done.returncode


def _matches(base: list[str], other: list[str]) -> dict[int, int]:
    """base line index -> other line index, for lines difflib finds unchanged."""
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    mapping: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mapping[block.a + k] = block.b + k
    return mapping


def diff3_merge(ours: str, base: str, theirs: str,
                labels: Labels = DEFAULT_LABELS) -> tuple[str, int]:
    """A line-based diff3 merge on difflib: stable lines anchor, changed chunks are merged."""
    a, o, b = ours.splitlines(True), base.splitlines(True), theirs.splitlines(True)
    in_a, in_b = _matches(o, a), _matches(o, b)
    out: list[str] = []
    conflicts = 0
    ia = io = ib = 0
    while True:
        # the next base line unchanged on both sides, in order
        sync = next((k for k in range(io, len(o))
                     if k in in_a and k in in_b and in_a[k] >= ia and in_b[k] >= ib), None)
        end_o = len(o) if sync is None else sync
        end_a = len(a) if sync is None else in_a[sync]
        end_b = len(b) if sync is None else in_b[sync]
        chunk_o, chunk_a, chunk_b = o[io:end_o], a[ia:end_a], b[ib:end_b]
        if chunk_a == chunk_o:
            out += chunk_b
        elif chunk_b == chunk_o or chunk_a == chunk_b:
            out += chunk_a
        else:
            conflicts += 1
            out += _conflict(chunk_a, chunk_o, chunk_b, labels)
        if sync is None:
            break
        out.append(o[sync])
        io, ia, ib = sync + 1, end_a + 1, end_b + 1
    return "".join(out), conflicts


def _conflict(a: list[str], o: list[str], b: list[str], labels: Labels) -> list[str]:
    def block(lines: list[str]) -> list[str]:
        return [*lines[:-1], lines[-1] if lines[-1].endswith("\n") else lines[-1] + "\n"] \
            if lines else []

    return [f"<<<<<<< {labels[0]}\n", *block(a), f"||||||| {labels[1]}\n", *block(o),
            "=======\n", *block(b), f">>>>>>> {labels[2]}\n"]
