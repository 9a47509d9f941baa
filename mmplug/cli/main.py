"""The ``mmplug`` command: registers each command module and runs the app.

Each command lives in its own module with a ``register(app)`` function. Modules import only
typer and the standard library at the top; everything heavy (grpc, the fake host, rich
rendering) is imported inside the command body, so ``mmplug --help`` starts fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

# Command modules, in the order ``mmplug --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "new", "dev", "run", "fire", "replay", "bundle", "state", "upgrade",
)

app = typer.Typer(
    name="mmplug",
    help=(
        "Develop Mattermost server plugins in Python without a Mattermost server: scaffold a "
        "plugin, run it under the built-in fake host, fire hooks at it, bundle it."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        from mmplug import __version__

        typer.echo(f"mmplug {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Develop Mattermost server plugins in Python without a Mattermost server."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"mmplug.cli.{name}").register(app)


_register_all()


def run() -> None:
    """Console-script entry point: run the app, turning mmplug errors into clean messages."""
    from mmplug.cli._errors import run_app

    sys.exit(run_app(app))


if __name__ == "__main__":
    run()
