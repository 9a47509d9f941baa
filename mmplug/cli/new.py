"""``mmplug new``: scaffold a plugin project from a template."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

_HERE = Path(".")


def _parse_sets(values: list[str]) -> dict[str, str]:
    from mmplug._json import clean_text
    from mmplug.errors import UsageError

    answers: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: expected key=value",
                             hint="e.g. --set author='Jane Doe' --set description='Moderates'")
        if clean_text(item) != item:  # bytes that are not UTF-8, kept by Python as surrogates
            raise UsageError(f"--set {clean_text(item)!r}: not UTF-8 text (the project's files "
                             "are UTF-8)", hint="type the answer in a UTF-8 terminal (check "
                             "`locale`), or pass it in plain ASCII")
        answers[key.strip()] = value
    return answers


def _print_list() -> None:
    from mmplug.scaffold import DEFAULT_TEMPLATE, list_templates

    templates = list_templates()
    width = max((len(t.name) for t in templates), default=0)
    for template in templates:
        mark = " (default)" if template.name == DEFAULT_TEMPLATE else ""
        typer.echo(f"{template.name.ljust(width)}  {template.description}{mark}")
    typer.echo("\nAlso accepted by --template: a template directory or a git URL.")


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _prompt(plugin_id: str | None, template: str | None, answers: dict[str, Any],
            parent: Path, force: bool) -> tuple[str, str, dict[str, Any]]:
    """Ask for display name, id, description, author and template, with defaults. A bad id or
    template is asked again at once (click's prompt re-asks when the check refuses), so no
    answer given before it is lost."""
    from mmplug.scaffold import DEFAULT_TEMPLATE, default_answers, list_templates
    from mmplug.scaffold._ids import display_name

    name_default = answers.get("plugin_name") or (display_name(plugin_id) if plugin_id
                                                  else "My Plugin")
    name = typer.prompt("Display name", default=name_default)
    slug = "-".join(name.lower().split()) or "myplugin"
    plugin_id = typer.prompt("Plugin id", default=plugin_id or f"com.example.{slug}",
                             value_proc=lambda text: _check_id(text, parent, force))
    defaults = default_answers(plugin_id)
    answers["plugin_name"] = name
    answers["description"] = typer.prompt(
        "Description", default=answers.get("description")
        or _described(defaults["description"], display_name(plugin_id), name))
    answers["author"] = typer.prompt("Author", default=answers.get("author")
                                     or defaults["author"] or "", show_default=True)
    names = ", ".join(t.name for t in list_templates())
    template = typer.prompt(f"Template ({names}, a directory or a git URL)",
                            default=template or DEFAULT_TEMPLATE, value_proc=_check_template)
    return plugin_id, template, answers


def _described(sentence: str, generated_name: str, name: str) -> str:
    """The default description for the display name the user typed: the one mmplug makes
    for the id's own name, with that name replaced."""
    if sentence.startswith(generated_name):
        return name + sentence[len(generated_name):]
    return sentence


def _check_id(text: str, parent: Path, force: bool) -> str:
    """``text`` as a plugin id, or ``typer.BadParameter`` (the prompt asks again)."""
    from mmplug.errors import UsageError
    from mmplug.scaffold import check_plugin_id
    from mmplug.scaffold._create import check_target

    plugin_id = text.strip()
    try:
        warnings = check_plugin_id(plugin_id)
        check_target(parent.expanduser().resolve() / plugin_id, force)
    except UsageError as exc:
        raise typer.BadParameter(exc.render()) from None
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    return plugin_id


def _check_template(text: str) -> str:
    """``text`` if it names a template (built-in name, template directory, git URL: cloned
    only later); else ``typer.BadParameter`` (the prompt asks again)."""
    from mmplug.errors import UsageError
    from mmplug.scaffold._find import find_template, is_git_url

    spec = text.strip()
    if is_git_url(spec):
        return spec
    try:
        find_template(spec, Path("."))  # a name or a directory: nothing is written
    except UsageError as exc:
        raise typer.BadParameter(exc.render()) from None
    return spec


def _as_command(plugin_id: str, template: str, answers: dict[str, Any], parent: Path,
                checkout: str | None) -> str:
    """The ``mmplug new`` command line that gives these answers without prompts."""
    import shlex

    words = ["mmplug", "new", plugin_id, "--template", template, "--no-input"]
    if checkout is not None:
        words += ["--checkout", checkout]
    if parent != _HERE:
        words += ["-o", str(parent)]
    for key, value in answers.items():
        words += ["--set", f"{key}={value}"]
    return shlex.join(words)


def register(app: typer.Typer) -> None:
    @app.command("new")
    def new(
        plugin_id: Annotated[str | None, typer.Argument(
            help="Plugin id, e.g. com.example.hello.", show_default=False)] = None,
        template: Annotated[str | None, typer.Option(
            "--template", "-t", show_default=False,
            help="Built-in template name, template directory or git URL. [default: minimal]",
        )] = None,
        no_input: Annotated[bool, typer.Option(
            "--no-input", help="Never prompt; use the defaults.")] = False,
        output: Annotated[Path, typer.Option(
            "--output", "-o", help="Parent directory of the new project.")] = _HERE,
        sets: Annotated[list[str] | None, typer.Option(
            "--set", help="Template answer key=value (repeatable).")] = None,
        force: Annotated[bool, typer.Option(
            "--force", help="Render over an existing non-empty directory.")] = False,
        checkout: Annotated[str | None, typer.Option(
            "--checkout", help="Git ref (tag, branch, commit) of a template URL.")] = None,
        list_: Annotated[bool, typer.Option(
            "--list", help="List the built-in templates and exit.")] = False,
    ) -> None:
        """Scaffold a plugin project from a template."""
        from mmplug.errors import MmplugError, UsageError
        from mmplug.scaffold import DEFAULT_TEMPLATE, create_project

        if list_:
            _print_list()
            return
        answers: dict[str, Any] = _parse_sets(sets or [])
        suggested: dict[str, Any] = {}
        prompted = not no_input and _interactive()
        if prompted:
            plugin_id, template, suggested = _prompt(plugin_id, template, dict(answers),
                                                     output, force)
        if not plugin_id:
            raise UsageError("a plugin id is needed", hint="mmplug new com.example.hello")
        from mmplug.cli._stop import LEFT, done, leaves

        target = output.expanduser() / plugin_id
        if force and target.is_dir() and any(target.iterdir()):
            leaves(LEFT["new --force"])
        try:
            project = create_project(plugin_id, template=template or DEFAULT_TEMPLATE,
                                     parent=output, answers=answers, force=force,
                                     ref=checkout, suggested=suggested, written=done("new"))
        except MmplugError as exc:
            if prompted:  # the answers are not lost: the same, without the prompts
                command = _as_command(plugin_id, template or DEFAULT_TEMPLATE,
                                      {**answers, **suggested}, output, checkout)
                exc.hint = (exc.hint + "\n" if exc.hint else "") + f"your answers: {command}"
            raise
        for warning in project.warnings:
            typer.echo(f"warning: {warning}", err=True)
        _report(project)


def _report(project: Any) -> None:
    import os

    where = os.path.relpath(project.path)
    where = where if not where.startswith("..") else str(project.path)
    typer.echo(f"Created {where} from template {project.template.name!r} "
               f"({len(project.files)} files).")
    typer.echo("\nNext steps:")
    typer.echo(f"  cd {where}")
    typer.echo("  python -m pytest              # the plugin's tests, under the fake host")
    typer.echo("  mmplug fire OnActivate        # fire a hook and see what the plugin did")
    typer.echo("  mmplug dev                    # run it, reload on every save")
    typer.echo("  mmplug bundle                 # a tarball the server installs")
