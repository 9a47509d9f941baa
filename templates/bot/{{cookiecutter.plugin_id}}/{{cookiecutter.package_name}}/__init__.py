"""{{ cookiecutter.plugin_name|replace('\\', '/')|replace('"', "'") }}: {{ cookiecutter.description|replace('\\', '/')|replace('"', "'") }}"""

__version__ = "{{cookiecutter.version}}"
