"""Gitignore-like rules deciding which project files go into a bundle.

Rules are globs, one a line: ``#`` starts a comment, ``!`` re-includes, a trailing ``/``
matches directories only, a pattern with a ``/`` (other than a trailing one) is anchored at
the project root, ``*`` and ``?`` stay within one path segment and ``**`` spans segments.
The last matching rule wins; a file inside an excluded directory stays excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IGNORE_FILE = ".mmplugignore"

# Never bundled, whatever .mmplugignore says (caches, VCS data, mmplug's own state, output).
ALWAYS_EXCLUDED_DIRS = frozenset({
    "__pycache__", ".git", ".hg", ".svn", ".mmplug", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".tox", ".nox",
})
ALWAYS_EXCLUDED_SUFFIXES = (".pyc", ".pyo")

# Excluded by default; a `!pattern` line in .mmplugignore brings them back.
DEFAULT_RULES = """
/dist/
/build/
.venv/
venv/
node_modules/
tests/
test/
/webapp/*
!/webapp/dist/
.DS_Store
.idea/
.vscode/
/.mmplugignore
/.gitignore
*.egg-info/
/mmplug.stubs.json
/.mmplug-answers.json
"""


@dataclass(frozen=True)
class Rule:
    pattern: str
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool

    def matches(self, relpath: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.match(relpath) is not None


def parse_rules(text: str) -> list[Rule]:
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        line = line.removeprefix("\\")
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _translate(line.lstrip("/"))
        regex = re.compile(("^" if anchored else "^(?:.*/)?") + body + "$")
        rules.append(Rule(raw.strip(), regex, negate, dir_only))
    return rules


def _translate(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and "]" in glob[i + 1:]:
            end = glob.index("]", i + 1)
            inner = glob[i + 1:end].replace("\\", "\\\\")
            out.append("[^" + inner[1:] + "]" if inner.startswith("!") else "[" + inner + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


class IgnoreRules:
    """Default rules followed by the project's own ``.mmplugignore`` rules."""

    def __init__(self, user_text: str = "") -> None:
        self.rules = parse_rules(DEFAULT_RULES) + parse_rules(user_text)

    def ignored(self, relpath: str, is_dir: bool) -> bool:
        name = relpath.rsplit("/", 1)[-1]
        if is_dir and name in ALWAYS_EXCLUDED_DIRS:
            return True
        if not is_dir and name.endswith(ALWAYS_EXCLUDED_SUFFIXES):
            return True
        verdict = False
        for rule in self.rules:
            if rule.matches(relpath, is_dir):
                verdict = not rule.negate
        return verdict
