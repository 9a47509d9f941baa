#!/usr/bin/env python3
"""Entry point the Mattermost server runs (`server.executable` in plugin.json)."""

from {{cookiecutter.package_name}}.plugin import {{cookiecutter.__class_name}}

from mmplug.sdk import serve

if __name__ == "__main__":
    serve({{cookiecutter.__class_name}})
