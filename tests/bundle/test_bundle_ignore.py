"""The gitignore-like rules of .mmplugignore, on top of the default exclusions."""

from __future__ import annotations

import pytest

from mmplug.bundle.ignore import IgnoreRules


@pytest.mark.parametrize(("rules", "path", "is_dir", "ignored"), [
    ("", "plugin.py", False, False),
    ("", "__pycache__", True, True),
    ("", "pkg/mod.pyc", False, True),
    ("", ".git", True, True),
    ("", "dist", True, True),
    ("", "pkg/dist", True, False),  # only the top-level dist/ is build output
    ("", "tests", True, True),
    ("", "pkg/tests", True, True),
    ("", ".venv", True, True),
    ("", "webapp/src", True, True),
    ("", "webapp/dist", True, False),
    ("!tests/", "tests", True, False),  # defaults can be undone
    ("", "mmplug.stubs.json", False, True),  # what only mmplug reads
    ("", ".mmplug-answers.json", False, True),
    ("", "pkg/mmplug.stubs.json", False, False),  # only next to plugin.json
    ("*.md", "docs/guide.md", False, True),
    ("/NOTES.md", "docs/NOTES.md", False, False),
    ("/NOTES.md", "NOTES.md", False, True),
    ("data/", "data", False, False),  # a trailing slash matches directories only
    ("data/", "data", True, True),
    ("docs/**/*.png", "docs/a/b/c.png", False, True),
    ("docs/**/*.png", "img/c.png", False, False),
    ("*.log\n!keep.log", "keep.log", False, False),
    ("# comment\n\n  ", "plugin.py", False, False),
    ("f?o.txt", "foo.txt", False, True),
    ("[abc].txt", "b.txt", False, True),
    ("[!abc].txt", "b.txt", False, False),
])
def test_rules(rules: str, path: str, is_dir: bool, ignored: bool) -> None:
    assert IgnoreRules(rules).ignored(path, is_dir) is ignored
