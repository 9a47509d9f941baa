"""Scaffolding: find a template, render it for a plugin id, upgrade a project later.

    from mmplug.scaffold import create_project, list_templates, upgrade_project

    project = create_project("com.example.hello", template="bot", parent="plugins")
    result = upgrade_project(project.path)

Templates are cookiecutter directories (built-in ones under ``templates/``); see
docs/templates.md. Importing this package is cheap: cookiecutter loads on first render.
"""

from mmplug.scaffold._answers import ANSWERS_FILE, BASE_FILE
from mmplug.scaffold._create import DEFAULT_TEMPLATE, NewProject, create_project, default_answers
from mmplug.scaffold._find import Template, builtin_root, find_template, list_templates
from mmplug.scaffold._ids import check_plugin_id, display_name, package_name
from mmplug.scaffold._merge import diff3_merge, merge
from mmplug.scaffold._upgrade import UpgradeResult, upgrade_project

__all__ = [
    "ANSWERS_FILE",
    "BASE_FILE",
    "DEFAULT_TEMPLATE",
    "NewProject",
    "Template",
    "UpgradeResult",
    "builtin_root",
    "check_plugin_id",
    "create_project",
    "default_answers",
    "diff3_merge",
    "display_name",
    "find_template",
    "list_templates",
    "merge",
    "package_name",
    "upgrade_project",
]
