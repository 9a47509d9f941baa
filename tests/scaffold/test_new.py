"""`mmplug new`: ids, targets, templates, answers; every failure writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from scaffold_support import TEMPLATE_NAMES, git, listing


def test_list_shows_every_builtin_template(mmplug):
    result = mmplug("new", "--list")
    assert result.code == 0
    names = [line.split()[0] for line in result.out.splitlines()[:4]]
    assert names == TEMPLATE_NAMES
    assert "(default)" in result.out


def test_creates_the_project_and_records_the_answers(mmplug, tmp_path):
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path),
                    "--set", "author=Jane Doe")
    assert result.code == 0, result.err
    project = tmp_path / "com.example.hello"
    assert "Created" in result.out and "mmplug fire OnActivate" in result.out
    manifest = json.loads((project / "plugin.json").read_text())
    assert manifest["id"] == "com.example.hello"
    assert manifest["server"] == {"executable": "plugin.py", "runtime": "python",
                                  "python_version": ">=3.10"}
    record = json.loads((project / ".mmplug-answers.json").read_text())
    assert record["template"] == "minimal" and record["template_kind"] == "builtin"
    assert record["answers"]["author"] == "Jane Doe"
    assert record["template_hash"].startswith("sha256:")
    assert record["mmplug_version"]
    assert "mmplug" in (project / "requirements.txt").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["com.example.hello"]  # no scratch left


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_manifest_is_valid_for_the_server(mmplug, tmp_path, template):
    from mmplug.manifest import errors_only, load_manifest, validate_manifest

    assert mmplug("new", "com.example.demo", "--no-input", "-o", str(tmp_path),
                  "-t", template).code == 0
    project = tmp_path / "com.example.demo"
    data = json.loads((project / "plugin.json").read_text())
    assert errors_only(validate_manifest(data)) == []
    assert load_manifest(project).executable == "plugin.py"
    for name in ("README.md", ".gitignore", "requirements.txt", "tests/test_plugin.py",
                 "demo/plugin.py", "plugin.py"):
        assert (project / name).is_file(), name
    readme = (project / "README.md").read_text()
    assert all(cmd in readme for cmd in ("mmplug dev", "mmplug fire", "mmplug bundle"))


@pytest.mark.parametrize("bad, why", [
    ("ab", "3 to 190 characters"),
    ("x" * 191, "3 to 190 characters"),
    ("has space", "' '"),
    ("com/example", "'/'"),
    ("plugin!", "'!'"),
])
def test_bad_ids_are_refused_and_nothing_is_written(mmplug, tmp_path, bad, why):
    result = mmplug("new", bad, "--no-input", "-o", str(tmp_path))
    assert result.code == 2
    assert "invalid plugin id" in result.err and why in result.err
    assert "Traceback" not in result.err
    assert listing(tmp_path) == []


def test_upper_case_id_warns(mmplug, tmp_path):
    result = mmplug("new", "com.Example.Hello", "--no-input", "-o", str(tmp_path))
    assert result.code == 0
    assert "lower-cases ids" in result.err and "com.example.hello" in result.err


def test_existing_directory_is_refused_without_force(mmplug, tmp_path):
    target = tmp_path / "com.example.hello"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path))
    assert result.code == 2
    assert "already exists and is not empty" in result.err and "--force" in result.err
    assert listing(tmp_path) == ["com.example.hello", "com.example.hello/mine.txt"]


def test_force_renders_over_it_and_keeps_other_files(mmplug, tmp_path):
    target = tmp_path / "com.example.hello"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    (target / "plugin.json").write_text("{}")
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path), "--force")
    assert result.code == 0, result.err
    assert (target / "mine.txt").read_text() == "keep me"
    assert json.loads((target / "plugin.json").read_text())["id"] == "com.example.hello"


def test_empty_existing_directory_is_fine(mmplug, tmp_path):
    (tmp_path / "com.example.hello").mkdir()
    assert mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path)).code == 0


def test_missing_parent_directories_are_created(mmplug, tmp_path):
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "a" / "b"))
    assert result.code == 0
    assert (tmp_path / "a" / "b" / "com.example.hello" / "plugin.json").is_file()


def test_unknown_template(mmplug, tmp_path):
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "out"),
                    "-t", "nosuch")
    assert result.code == 2
    assert "unknown template 'nosuch'" in result.err
    assert "bot, http, minimal, slash-command" in result.err
    assert not (tmp_path / "out").exists()


def test_unreachable_template_url(mmplug, tmp_path):
    url = (tmp_path / "no" / "such" / "repo.git").as_uri()
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path / "out"),
                    "-t", url)
    assert result.code == 2
    assert f"could not fetch the template from {url}" in result.err
    assert "nothing was written" in result.err
    assert not (tmp_path / "out").exists()


def test_unknown_answer_key(mmplug, tmp_path):
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path),
                    "--set", "colour=blue")
    assert result.code == 2
    assert "has no variable 'colour'" in result.err and "plugin_name" in result.err
    assert listing(tmp_path) == []


def test_a_template_that_fails_to_render_leaves_nothing(mmplug, tmp_path, local_template):
    broken = local_template / "{{cookiecutter.plugin_id}}" / "README.md"
    broken.write_text("{{ cookiecutter.nope.nope }}")
    out = tmp_path / "out"
    out.mkdir()
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(out),
                    "-t", str(local_template))
    assert result.code == 1
    assert "failed to render" in result.err and "nothing was written" in result.err
    assert listing(out) == []


def test_template_from_a_directory_and_from_git(mmplug, tmp_path, local_template):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert mmplug("new", "com.example.one", "--no-input", "-o", str(tmp_path / "out"),
                  "-t", str(local_template)).code == 0
    git(local_template, "init", "-q")
    git(local_template, "add", ".")
    git(local_template, "commit", "-qm", "template")
    commit = git(local_template, "rev-parse", "HEAD")
    result = mmplug("new", "com.example.two", "--no-input", "-o", str(tmp_path / "out"),
                    "-t", local_template.as_uri())
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "out" / "com.example.two" / ".mmplug-answers.json")
                        .read_text())
    assert (record["template_kind"], record["template_commit"]) == ("git", commit)


def test_prompts_on_a_terminal(mmplug, tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("mmplug.cli.new._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(
        "Weather Bot\nbad id!\n\nTells the weather\nJane\nbot\n"))
    result = mmplug("new", "-o", str(tmp_path))
    assert result.code == 0, result.err
    assert "invalid plugin id 'bad id!'" in result.out  # asked again, same default
    project = tmp_path / "com.example.weather-bot"
    record = json.loads((project / ".mmplug-answers.json").read_text())
    assert record["template"] == "bot"
    assert record["answers"]["plugin_name"] == "Weather Bot"
    assert record["answers"]["description"] == "Tells the weather"
    assert record["answers"]["author"] == "Jane"
    assert record["answers"]["package_name"] == "weather_bot"


def test_no_id_without_a_terminal(mmplug, tmp_path):
    result = mmplug("new", "-o", str(tmp_path))
    assert result.code == 2 and "a plugin id is needed" in result.err


def test_package_names_are_python_identifiers():
    from mmplug.scaffold import package_name

    assert package_name("com.example.my-bot") == "my_bot"
    assert package_name("com.example.1st") == "p_1st"
    assert package_name("com.example.plugin") == "plugin_plugin"
    assert package_name("com.example.class") == "class_plugin"
    assert package_name("Com.Example.Hello") == "hello"


def test_templates_are_found_without_the_checkout(tmp_path, monkeypatch):
    """An installed copy (no symlink, files copied as package data) finds its templates."""
    import mmplug.scaffold._find as find

    copy = tmp_path / "site" / "_templates"
    shutil.copytree(find.builtin_root(), copy)
    monkeypatch.setattr(find, "builtin_root", lambda: copy)
    assert [t.name for t in find.list_templates()] == TEMPLATE_NAMES


def test_package_data_covers_the_templates():
    """pyproject ships mmplug/scaffold/_templates (a link to templates/) as package data."""
    import tomllib

    data = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["mmplug.scaffold"]
    assert "_templates/**/*" in patterns and "_templates/**/.*" in patterns
    link = Path(__file__).resolve().parents[2] / "mmplug" / "scaffold" / "_templates"
    assert link.resolve() == (Path(__file__).resolve().parents[2] / "templates")


def test_version_must_be_semantic(mmplug, tmp_path):
    result = mmplug("new", "com.example.hello", "--no-input", "-o", str(tmp_path),
                    "--set", "version=1.0")
    assert result.code == 2 and "invalid version '1.0'" in result.err
    assert listing(tmp_path) == []


def test_templates_are_found_where_the_link_is_a_plain_file(tmp_path, monkeypatch):
    """A checkout without symlink support: _templates is a text file naming the target."""
    import mmplug.scaffold._find as find

    fake = tmp_path / "repo" / "mmplug" / "scaffold"
    fake.mkdir(parents=True)
    (fake / "_templates").write_text("../../templates")
    shutil.copytree(find.builtin_root(), tmp_path / "repo" / "templates")
    monkeypatch.setattr(find, "__file__", str(fake / "_find.py"))
    assert find.builtin_root() == tmp_path / "repo" / "templates"
    assert [t.name for t in find.list_templates()] == TEMPLATE_NAMES


def test_prompts_with_a_foreign_template_keep_only_its_variables(mmplug, tmp_path, monkeypatch,
                                                                  local_template):
    import io

    context = local_template / "cookiecutter.json"
    data = json.loads(context.read_text())
    del data["author"]  # a template without an author variable
    context.write_text(json.dumps(data))
    readme = local_template / "{{cookiecutter.plugin_id}}" / "README.md"
    text = readme.read_text()
    start, end = text.index("{%- if cookiecutter.author"), text.index("{%- endif %}")
    readme.write_text(text[:start] + text[end + len("{%- endif %}"):])
    monkeypatch.setattr("mmplug.cli.new._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("Demo\n\nA demo\nJane\n\n"))
    result = mmplug("new", "-o", str(tmp_path), "-t", str(local_template),
                    "--set", "description=from set")
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "com.example.demo" / ".mmplug-answers.json").read_text())
    assert "author" not in record["answers"]
    assert record["answers"]["description"] == "A demo"  # typed at the prompt: the last word


def test_questions_on_a_real_terminal_ask_again_and_keep_the_answers(tmp_path):
    """Through a pseudo-terminal, as a user types: a bad id and a mistyped template are asked
    again at once, the other answers stay, and the description follows the display name."""
    from pty_terminal import Terminal

    with Terminal("new", "com.example.wx", cwd=tmp_path) as term:
        term.expect(r"Display name \[Wx\]: ")
        term.type("Weather Bot")
        term.expect(r"Plugin id \[com\.example\.wx\]: ")
        term.type("bad id!")
        term.expect(r"invalid plugin id 'bad id!'")
        term.expect(r"Plugin id \[com\.example\.wx\]: ")  # asked again, same default
        term.type("")
        term.expect(r"Description \[Weather Bot: a Mattermost plugin written in Python\.\]: ")
        term.type("")
        term.expect(r"Author \[.*\]: ")
        term.type("Jane")
        term.expect(r"Template \(bot, http, minimal, slash-command.*\) \[minimal\]: ")
        term.type("bott")
        term.expect(r"unknown template 'bott'")
        term.expect(r"Template \(.*\) \[minimal\]: ")  # only the template is asked again
        term.type("bot")
        term.expect(r"Created com\.example\.wx from template 'bot'")
        assert term.wait() == 0
    record = json.loads((tmp_path / "com.example.wx" / ".mmplug-answers.json").read_text())
    assert record["template"] == "bot"
    assert record["answers"]["plugin_name"] == "Weather Bot"
    assert record["answers"]["description"] == "Weather Bot: a Mattermost plugin written in " \
                                               "Python."
    assert record["answers"]["author"] == "Jane"


def test_a_taken_project_directory_is_asked_again_at_the_id(mmplug, tmp_path, monkeypatch):
    import io

    (tmp_path / "com.example.taken").mkdir()
    (tmp_path / "com.example.taken" / "notes.txt").write_text("mine")
    monkeypatch.setattr("mmplug.cli.new._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(
        "Taken\n\ncom.example.free\n\n\n\n"))  # the default id is taken: another one
    result = mmplug("new", "-o", str(tmp_path))
    assert result.code == 0, result.err
    assert "com.example.taken already exists and is not empty" in result.out
    assert (tmp_path / "com.example.free" / "plugin.json").is_file()
    assert (tmp_path / "com.example.taken" / "notes.txt").read_text() == "mine"


def test_answers_are_given_back_when_the_project_cannot_be_made(mmplug, tmp_path, monkeypatch):
    import io

    monkeypatch.setattr("mmplug.cli.new._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(
        "Remote\n\nFrom afar\nJane\nfile:///nowhere/template.git\n"))
    result = mmplug("new", "-o", str(tmp_path))
    assert result.code != 0
    assert "your answers: mmplug new com.example.remote --template " \
           "file:///nowhere/template.git --no-input" in result.err
    assert "--set 'description=From afar'" in result.err
    assert listing(tmp_path) == []
