"""A plugin's Python traceback, read back from its stderr, told the way its author needs it.

When a plugin dies, what matters is its own error: ``SyntaxError: invalid syntax
(pkg/plugin.py:58)``. :func:`find_error` finds the last traceback in the lines a plugin wrote
(plain stderr, or the ``exception`` field of a JSON log line), and :class:`PythonError` says it
first, shows the traceback once with paths relative to the plugin directory and without the
frames of whatever started the plugin (``<string>`` of a warm spare, ``<frozen runpy>``,
``<frozen importlib._bootstrap>``, a bundle's entry shim), and picks a hint that fits the
exception.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

TRACEBACK_START = "Traceback (most recent call last):"
_FRAME = re.compile(r'^  File "(?P<file>.+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_EXCEPTION = re.compile(r"^(?P<kind>[A-Za-z_][\w.]*)(?::(?: (?P<message>.*))?)?$")
_SYNTAX_KINDS = ("SyntaxError", "IndentationError", "TabError")
_CHAINS = ("During handling of the above exception, another exception occurred:",
           "The above exception was the direct cause of the following exception:")
_MODULE = re.compile(r"No module named '([^']+)'")
MAX_FRAMES = 30


@dataclass
class Frame:
    """One ``File "...", line N, in f`` entry and the source lines printed under it."""

    file: str
    line: int
    func: str | None
    source: list[str] = field(default_factory=list)

    @property
    def launcher(self) -> bool:
        """A frame of what started the plugin, not of the plugin: ``<string>`` (a warm spare),
        ``<frozen runpy>``, ``<frozen importlib._bootstrap>``, a bundle's entry shim."""
        from mmplug.bundle.shim import SHIM_NAME

        return self.file.startswith("<") or os.path.basename(self.file) == SHIM_NAME


@dataclass
class PythonError:
    """The exception that ended a plugin, parsed from its traceback text."""

    kind: str
    message: str
    frames: list[Frame]
    syntax: Frame | None = None  # where a SyntaxError points (no "in <function>")
    notes: list[str] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)  # the lines of the input the traceback took

    @property
    def short_kind(self) -> str:
        return self.kind.rsplit(".", 1)[-1]

    def location(self, plugin_dir: str | os.PathLike[str] | None) -> str | None:
        """``pkg/plugin.py:58``: where a syntax error is, else the plugin's frame nearest to
        the error (the innermost frame when none is the plugin's)."""
        if self.syntax is not None:
            return f"{shown_path(self.syntax.file, plugin_dir)}:{self.syntax.line}"
        frames = [f for f in self.frames if not f.launcher]
        own = [f for f in frames if _inside(f.file, plugin_dir)]
        candidates = own or frames
        if not candidates:
            return None
        chosen = candidates[-1]
        return f"{shown_path(chosen.file, plugin_dir)}:{chosen.line}"

    def headline(self, plugin_dir: str | os.PathLike[str] | None) -> str:
        """``SyntaxError: invalid syntax (pkg/plugin.py:58)``."""
        text = f"{self.kind}: {self.message}" if self.message else self.kind
        where = self.location(plugin_dir)
        return f"{text} ({where})" if where else text

    def lines(self, plugin_dir: str | os.PathLike[str] | None) -> list[str]:
        """The traceback as Python prints it, with the plugin's frames only (paths relative to
        the plugin directory) and the exception line last."""
        frames = [f for f in self.frames if not f.launcher]
        out = [TRACEBACK_START] if frames else []
        if len(frames) > MAX_FRAMES:
            out.append(f"  ... {len(frames) - MAX_FRAMES} outer frames left out")
            frames = frames[-MAX_FRAMES:]
        for frame in frames:
            out.append(_frame_line(frame, plugin_dir))
            out.extend(frame.source)
        if self.syntax is not None:
            out.append(_frame_line(self.syntax, plugin_dir))
            out.extend(self.syntax.source)
        out.append(f"{self.kind}: {self.message}" if self.message else self.kind)
        out.extend(self.notes)
        return out

    def hint(self, plugin_dir: str | os.PathLike[str] | None, python: str | None = None) -> str:
        """What to do about this exception."""
        where = self.location(plugin_dir)
        at = f" at {where}" if where else ""
        kind = self.short_kind
        if kind in _SYNTAX_KINDS:
            return f"fix the {kind}{at} (the line the caret points at, or the one before it)"
        if kind in ("ModuleNotFoundError", "ImportError"):
            missing = _MODULE.search(self.message)
            module = missing.group(1).split(".")[0] if missing else None
            runs = f"the plugin runs with {python}" if python else "check the plugin's interpreter"
            if module is not None and kind == "ModuleNotFoundError":
                if module == "mmplug":
                    return (f"{runs}, which cannot import the mmplug SDK: install mmplug into "
                            "it (`<python> -m pip install mmplug`), or pass --python with an "
                            "interpreter that has it")
                install = f"`{python} -m pip install {module}`" if python else "pip install"
                return (f"{runs}, which has no module {module!r}: if it is a package, install "
                        f"it there ({install}) and add it to requirements.txt; if it is a "
                        "module of the plugin, check its name and that its folder is in the "
                        "plugin directory; or pass --python with another interpreter")
            return (f"{runs}: check the name{at} and the installed version of the package it "
                    "imports from")
        return f"fix the {kind}{at}; the traceback above shows the plugin's frames"


def _frame_line(frame: Frame, plugin_dir: str | os.PathLike[str] | None) -> str:
    text = f'  File "{shown_path(frame.file, plugin_dir)}", line {frame.line}'
    return text + (f", in {frame.func}" if frame.func else "")


def _inside(path: str, plugin_dir: str | os.PathLike[str] | None) -> bool:
    if plugin_dir is None or path.startswith("<"):
        return False
    root = os.path.abspath(os.fspath(plugin_dir))
    full = os.path.abspath(os.path.join(root, path))
    return full == root or full.startswith(root + os.sep)


def shown_path(path: str, plugin_dir: str | os.PathLike[str] | None) -> str:
    """``path`` relative to the plugin directory when it is inside it, else as it is."""
    if not _inside(path, plugin_dir):
        return path
    assert plugin_dir is not None
    root = os.path.abspath(os.fspath(plugin_dir))
    return os.path.relpath(os.path.abspath(os.path.join(root, path)), root)


def find_error(lines: Sequence[str]) -> PythonError | None:
    """The last Python traceback in ``lines`` (a plugin's stderr), or None.

    A traceback starts at ``Traceback (most recent call last):`` (or, for a syntax error in
    the script Python was asked to run, at its ``File`` line) and ends at the exception line;
    with chained exceptions the last one is the one that ended the plugin.
    """
    starts = [i for i, line in enumerate(lines) if line.startswith(TRACEBACK_START)]
    for start in reversed(starts):
        error = _parse(lines, start + 1, start)
        if error is not None:
            return error
    return _bare_syntax_error(lines)


def _parse(lines: Sequence[str], index: int, start: int) -> PythonError | None:
    frames: list[Frame] = []
    current: Frame | None = None
    while index < len(lines):
        line = lines[index]
        match = _FRAME.match(line)
        if match is not None:
            current = Frame(match["file"], int(match["line"]), match["func"])
            frames.append(current)
        elif line.startswith("  ") and current is not None:
            current.source.append(line)
        elif line.startswith("    ") or line.strip().startswith("..."):
            pass  # "[Previous line repeated N more times]" and the like
        else:
            break
        index += 1
    if index >= len(lines):
        return None
    match = _EXCEPTION.match(lines[index])
    if match is None:
        return None
    syntax = None
    if frames and frames[-1].func is None:
        syntax = frames.pop()
    end = index + 1
    notes = []
    while end < len(lines) and lines[end].strip() and not lines[end].startswith(
            (TRACEBACK_START, *_CHAINS)) and _is_note(lines[end]):
        notes.append(lines[end])
        end += 1
    return PythonError(match["kind"], match["message"] or "", frames, syntax, notes,
                       (start, end))


def _is_note(line: str) -> bool:
    """A line printed after the exception line that belongs to it (``add_note()``, a
    ``Did you mean`` suggestion is on the exception line itself): indented, or a plain note."""
    return line.startswith(" ") and not line.startswith("  File ")


def _bare_syntax_error(lines: Sequence[str]) -> PythonError | None:
    """A syntax error in the started script itself: Python prints no "Traceback" line."""
    for index in range(len(lines) - 1, -1, -1):
        match = _EXCEPTION.match(lines[index])
        if match is None or match["kind"] not in _SYNTAX_KINDS:
            continue
        first = index
        while first > 0 and not _FRAME.match(lines[first]):
            first -= 1
        if _FRAME.match(lines[first]) is None:
            return None
        return _parse(lines, first, first)
    return None
