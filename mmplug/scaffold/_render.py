"""Rendering a template with cookiecutter's generator (no prompts, no replay files)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mmplug._json import JSONDepthError, loads
from mmplug._self_install import pip_install_args
from mmplug.errors import MmplugError, UsageError, read_text
from mmplug.scaffold._find import CONTEXT_FILE, Template

TREE_SKIP = frozenset({".mmplug-answers.json", ".mmplug-base.json"})
_SKIP_DIRS = frozenset({".git", "__pycache__", ".pytest_cache", ".mmplug", "venv", ".venv"})


def template_variables(template: Template) -> dict[str, Any]:
    """The variables of ``cookiecutter.json`` in order (private ``_`` ones included)."""
    path = template.path / CONTEXT_FILE
    try:
        data = loads(read_text(path, hint="save the template's cookiecutter.json as UTF-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}",
                         hint="fix the template's cookiecutter.json") from None
    except JSONDepthError as exc:
        raise UsageError(f"{path}: the JSON is {exc}",
                         hint="fix the template's cookiecutter.json") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object of template variables")
    return data


def public_names(template: Template) -> list[str]:
    return [k for k in template_variables(template) if not k.startswith("_")]


VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?\Z")


def check_answers(template: Template, answers: dict[str, Any]) -> None:
    """Answers a template can be rendered with, whether typed (`mmplug new`) or read back
    (`mmplug upgrade`): variables it has, an id the server accepts and a package name that is
    an identifier (both name folders of the project), a semantic version."""
    from mmplug.scaffold._ids import check_package_identifier, check_plugin_id

    names = public_names(template)
    unknown = [k for k in answers if k not in names]
    if unknown:
        raise UsageError(
            f"template {template.name!r} has no variable {unknown[0]!r}",
            hint=f"its variables: {', '.join(names) or '(none)'}",
        )
    if "plugin_id" in answers:
        check_plugin_id(str(answers["plugin_id"]))
    if "package_name" in answers:
        check_package_identifier(str(answers["package_name"]))
    if "version" in answers and not VERSION.match(str(answers["version"])):
        raise UsageError(f"invalid version {answers['version']!r}",
                         hint="plugin versions are semantic versions, e.g. 0.1.0")


def build_context(template: Template, answers: dict[str, Any]) -> dict[str, Any]:
    """Cookiecutter's context with ``answers`` applied and derived defaults rendered."""
    from cookiecutter.exceptions import CookiecutterException  # type: ignore[import-untyped]
    from cookiecutter.generate import generate_context  # type: ignore[import-untyped]
    from cookiecutter.prompt import prompt_for_config  # type: ignore[import-untyped]
    from jinja2 import TemplateError

    check_answers(template, answers)
    try:
        context = generate_context(str(template.path / CONTEXT_FILE), {}, dict(answers))
        context["cookiecutter"] = prompt_for_config(context, no_input=True)
    except (CookiecutterException, TemplateError, ValueError) as exc:
        raise MmplugError(f"template {template.name!r}: cannot work out its variables: {exc}",
                          hint="check the template's cookiecutter.json") from None
    context["cookiecutter"]["_template"] = template.source
    # how the README tells pip to install this mmplug (it may not be on the package index)
    context["cookiecutter"]["_mmplug_install"] = pip_install_args()
    result: dict[str, Any] = context
    return result


def render(template: Template, context: dict[str, Any], out_dir: Path) -> Path:
    """Render into the empty directory ``out_dir``; return the project directory inside."""
    from cookiecutter.exceptions import CookiecutterException
    from jinja2 import TemplateError

    try:
        project = generate_files(template, context, out_dir)
    except (CookiecutterException, TemplateError) as exc:
        raise MmplugError(f"template {template.name!r} failed to render: {_reason(exc)}",
                          hint="fix the template; nothing was written") from None
    except OSError as exc:
        raise MmplugError(f"could not write the rendered project: {exc}") from None
    return Path(project)


def _reason(exc: Exception) -> str:
    """The message of a render error, without the whole context cookiecutter appends."""
    inner = getattr(exc, "error", None)
    outer = getattr(exc, "message", None)
    if outer and inner is not None:
        return f"{outer}: {getattr(inner, 'message', inner)}"
    return str(exc)


def generate_files(template: Template, context: dict[str, Any], out_dir: Path) -> str:
    from cookiecutter.generate import generate_files as cc_generate

    return str(cc_generate(repo_dir=str(template.path), context=context,
                           output_dir=str(out_dir), accept_hooks=True))


def render_tree(template: Template, answers: dict[str, Any]) -> dict[str, bytes]:
    """Render in a scratch directory and return every file as ``{relative path: bytes}``."""
    context = build_context(template, answers)
    scratch = Path(tempfile.mkdtemp(prefix="mmplug-render-"))
    try:
        return read_tree(render(template, context, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (skipping VCS, caches, venvs and mmplug's own files)."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if _SKIP_DIRS.intersection(rel.parts[:-1] if path.is_file() else rel.parts):
            continue
        if path.is_file() and rel.as_posix() not in TREE_SKIP and path.suffix != ".pyc":
            files[rel.as_posix()] = path.read_bytes()
    return files
