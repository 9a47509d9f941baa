"""{{cookiecutter.plugin_name}}: {{cookiecutter.description}}"""

__version__ = "{{cookiecutter.version}}"
