"""`mmplug upgrade`: three-way merge of a newer template into a project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from scaffold_support import git

README = "{{cookiecutter.plugin_id}}/README.md"
PLUGIN = "{{cookiecutter.plugin_id}}/{{cookiecutter.package_name}}/plugin.py"


@pytest.fixture
def made(mmplug, tmp_path, local_template) -> Path:
    """A project generated from a local template the test can change afterwards."""
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "p"),
                    "-t", str(local_template))
    assert result.code == 0, result.err
    return tmp_path / "p" / "com.example.hello"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_nothing_to_do(mmplug, made):
    result = mmplug("upgrade", str(made))
    assert result.code == 0
    assert "up to date" in result.out


def test_template_and_project_changes_merge(mmplug, made, local_template):
    edit(made / "hello" / "plugin.py", "def greet(self, name: str) -> str:",
         "def greet(self, name: str) -> str:  # ours")
    edit(local_template / PLUGIN, '    def on_deactivate(self) -> None:\n',
         '    def on_deactivate(self) -> None:\n        # theirs\n')
    (local_template / "{{cookiecutter.plugin_id}}" / "CHANGELOG.md").write_text(
        "# {{cookiecutter.plugin_name}}\n")
    result = mmplug("upgrade", str(made))
    assert result.code == 0, result.out + result.err
    text = (made / "hello" / "plugin.py").read_text()
    assert "# ours" in text and "# theirs" in text
    assert (made / "CHANGELOG.md").read_text() == "# Hello\n"
    assert "M hello/plugin.py" in result.out and "A CHANGELOG.md" in result.out
    record = json.loads((made / ".mmplug-answers.json").read_text())
    assert record["template_hash"] != ""
    assert "up to date" in mmplug("upgrade", str(made)).out  # the base moved forward


def test_conflicts_are_marked_listed_and_exit_1(mmplug, made, local_template):
    edit(made / "README.md", "What it shows:", "What OUR plugin shows:")
    edit(local_template / README, "What it shows:", "What THEIR template shows:")
    edit(local_template / PLUGIN, '"""The plugin: activation', '"""The plugin (v2): activation')
    result = mmplug("upgrade", str(made))
    assert result.code == 1
    assert "1 file(s) with conflicts" in result.err and "  README.md" in result.err
    text = (made / "README.md").read_text()
    assert "<<<<<<< project" in text and ">>>>>>> template" in text
    assert "What OUR plugin shows:" in text and "What THEIR template shows:" in text
    assert "(v2)" in (made / "hello" / "plugin.py").read_text()  # the clean part still applied


def test_unchanged_file_dropped_by_the_template_is_deleted(mmplug, made, local_template):
    (local_template / "{{cookiecutter.plugin_id}}" / "pyproject.toml").unlink()
    edit(local_template / "{{cookiecutter.plugin_id}}" / ".gitignore", "dist/\n", "")
    (made / ".gitignore").write_text((made / ".gitignore").read_text() + "local/\n")
    result = mmplug("upgrade", str(made))
    assert result.code == 0, result.err
    assert not (made / "pyproject.toml").exists()
    gitignore = (made / ".gitignore").read_text()
    assert "local/" in gitignore and "dist/" not in gitignore


def test_dry_run_writes_nothing(mmplug, made, local_template):
    edit(local_template / README, "What it shows:", "What it really shows:")
    before = (made / "README.md").read_text()
    result = mmplug("upgrade", str(made), "--dry-run")
    assert result.code == 0 and "U README.md" in result.out and "dry run" in result.out
    assert (made / "README.md").read_text() == before


def test_answers_edited_in_the_record_are_applied(mmplug, made):
    path = made / ".mmplug-answers.json"
    record = json.loads(path.read_text())
    record["answers"]["plugin_name"] = "Hello Renamed"
    path.write_text(json.dumps(record))
    assert mmplug("upgrade", str(made)).code == 0
    assert json.loads((made / "plugin.json").read_text())["name"] == "Hello Renamed"


@pytest.mark.parametrize(("key", "value", "says"), [
    ("package_name", "../../escaped", "invalid package_name '../../escaped'"),
    ("plugin_id", "com.example/../../escaped", "invalid plugin id"),
    ("version", "v1", "invalid version 'v1'"),
])
@pytest.mark.parametrize("dry_run", [True, False])
def test_an_answer_edited_into_something_invalid_is_refused_naming_the_file(
    mmplug, made, tmp_path, monkeypatch, key, value, says, dry_run,
):
    """An answer edited in .mmplug-answers.json is checked as `mmplug new` checks it: a bad
    one is named with the file, and nothing is written, in the project or outside it."""
    import tempfile

    scratch = tmp_path / "tmp"  # where the template is rendered before the merge
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = made / ".mmplug-answers.json"
    record = json.loads(path.read_text())
    record["answers"][key] = value
    path.write_text(json.dumps(record))
    before = {p: p.read_bytes() for p in made.rglob("*") if p.is_file()}
    result = mmplug("upgrade", str(made), *(["--dry-run"] if dry_run else []))
    assert result.code == 2
    assert result.err.startswith(f"error: {path}: {says}"), result.err
    assert "hint: fix it in .mmplug-answers.json: " in result.err
    assert {p: p.read_bytes() for p in made.rglob("*") if p.is_file()} == before
    assert list(scratch.iterdir()) == []


def test_not_a_generated_project(mmplug, tmp_path):
    (tmp_path / "plugin.json").write_text('{"id": "com.example.by-hand"}')  # a plugin, not new's
    result = mmplug("upgrade", str(tmp_path))
    assert result.code == 2 and ".mmplug-answers.json" in result.err
    nothing = mmplug("upgrade", str(tmp_path / "elsewhere"))
    assert nothing.code == 1 and "there is no directory" in nothing.err


def test_builtin_templates_have_no_versions(mmplug, tmp_path):
    assert mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path)).code == 0
    result = mmplug("upgrade", str(tmp_path / "com.example.hello"), "--template-version", "v2")
    assert result.code == 2 and "drop --template-version" in result.err


def test_git_template_upgrades_to_a_tag(mmplug, tmp_path, local_template):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(local_template, "init", "-q")
    git(local_template, "add", ".")
    git(local_template, "commit", "-qm", "v1")
    git(local_template, "tag", "v1")
    edit(local_template / README, "What it shows:", "What v2 shows:")
    git(local_template, "commit", "-qam", "v2")
    git(local_template, "tag", "v2")
    url = local_template.as_uri()
    assert mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "p"),
                  "-t", url, "--checkout", "v1").code == 0
    project = tmp_path / "p" / "com.example.hello"
    assert "What it shows:" in (project / "README.md").read_text()
    result = mmplug("upgrade", str(project), "--template-version", "v2")
    assert result.code == 0, result.err
    assert "What v2 shows:" in (project / "README.md").read_text()
    assert json.loads((project / ".mmplug-answers.json").read_text())["template_ref"] == "v2"


@pytest.mark.parametrize("use_git", [True, False])
def test_merge_engines_agree(use_git):
    from mmplug.scaffold import merge

    base = "a\nb\nc\nd\ne\n"
    ours = "a\nB\nc\nd\ne\n"
    theirs = "a\nb\nc\nd\nE\n"
    assert merge(ours, base, theirs, use_git=use_git) == ("a\nB\nc\nd\nE\n", 0)
    text, conflicts = merge("a\nX\nc\n", "a\nb\nc\n", "a\nY\nc\n", use_git=use_git)
    assert conflicts == 1
    assert text == ("a\n<<<<<<< project\nX\n||||||| old template\nb\n=======\nY\n"
                    ">>>>>>> new template\nc\n")


def test_difflib_merge_handles_insertions_and_deletions():
    from mmplug.scaffold import diff3_merge

    base = "1\n2\n3\n4\n5\n6\n"
    ours = "0\n1\n2\n3\n5\n6\n"          # inserted 0, deleted 4
    theirs = "1\n2\n3\n4\n5\n6\n7\n"     # appended 7
    assert diff3_merge(ours, base, theirs) == ("0\n1\n2\n3\n5\n6\n7\n", 0)
    assert diff3_merge("", "", "new\n") == ("new\n", 0)


def test_a_version_of_a_local_git_template(mmplug, tmp_path, local_template):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(local_template, "init", "-q")
    git(local_template, "add", ".")
    git(local_template, "commit", "-qm", "v1")
    git(local_template, "tag", "v1")
    assert mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "p"),
                  "-t", str(local_template)).code == 0
    edit(local_template / README, "What it shows:", "What v2 shows:")
    git(local_template, "commit", "-qam", "v2")
    project = tmp_path / "p" / "com.example.hello"
    assert "up to date" in mmplug("upgrade", str(project), "--template-version", "v1").out
    result = mmplug("upgrade", str(project), "--template-version", "HEAD")
    assert result.code == 0, result.err
    assert "What v2 shows:" in (project / "README.md").read_text()


def test_a_version_of_a_plain_directory_is_refused(mmplug, made, local_template):
    result = mmplug("upgrade", str(made), "--template-version", "v2")
    assert result.code == 2 and "is not a git repository" in result.err


def test_uncommitted_changes_in_git_are_protected(mmplug, made, local_template):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(made, "init", "-q")
    git(made, "add", ".")
    git(made, "commit", "-qm", "generated")
    edit(local_template / README, "What it shows:", "What it really shows:")
    (made / "hello" / "plugin.py").write_text("# work in progress\n")
    result = mmplug("upgrade", str(made))
    assert result.code == 2
    assert "uncommitted changes (hello/plugin.py)" in result.err and "--allow-dirty" in result.err
    assert "What it shows:" in (made / "README.md").read_text()
    assert mmplug("upgrade", str(made), "--allow-dirty").code == 0
    assert "What it really shows:" in (made / "README.md").read_text()
