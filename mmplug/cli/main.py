"""The ``mmplug`` command: registers each command module and runs the app.

Each command lives in its own module with a ``register(app)`` function. Modules import only
typer and the standard library at the top; everything heavy (grpc, the fake host, rich
rendering) is imported inside the command body, so ``mmplug --help`` starts fast. The typer app
is built on first use: ``mmplug fire HOOK ...`` usually runs without it (see
:mod:`mmplug.cli._fire_fast`).
"""

from __future__ import annotations

import sys

# Not `from typing import ...`: `mmplug fire` starts the plugin before importing more than it
# needs for that (see mmplug.cli._fire_prefetch); type checkers know this spelling too.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import typer

# Command modules, in the order ``mmplug --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "new", "dev", "explore", "run", "fire", "replay", "check", "bundle", "state", "clock",
    "upgrade",
)


def build_app() -> typer.Typer:
    """The typer app with every command registered."""
    import typer

    app = typer.Typer(
        name="mmplug",
        help=(
            "Develop Mattermost server plugins in Python without a Mattermost server: scaffold "
            "a plugin, run it under the built-in fake host, fire hooks at it, bundle it."
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def version_callback(value: bool) -> None:
        if value:
            from mmplug import __version__

            typer.echo(f"mmplug {__version__}")
            raise typer.Exit()

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", "-V", callback=version_callback, is_eager=True,
            help="Show the version."),
    ) -> None:
        """Develop Mattermost server plugins in Python without a Mattermost server."""

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"mmplug.cli.{name}").register(app)
    return app


def __getattr__(name: str) -> Any:
    """``app``: the typer app, built when first asked for."""
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _exit_now(code: int) -> None:
    """End a finished ``mmplug fire`` at once: flush, run the exit handlers, and skip the
    interpreter's teardown of grpc, protobuf and the catalog, which frees nothing the system
    would not. The command's threads are joined by then; grpc's are daemon threads."""
    import atexit
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach it
            pass
    atexit._run_exitfuncs()
    os._exit(code)


def run() -> None:
    """Console-script entry point: run the app, turning mmplug errors into clean messages.
    Ctrl-C ends every command with the line of :mod:`mmplug.cli._stop`, also while it starts
    or exits outside the command itself."""
    from mmplug.cli import _stop

    argv = sys.argv[1:]
    _stop.begin(argv)
    try:
        _run(argv)
    except KeyboardInterrupt:
        sys.exit(_stop.stopped())


def _run(argv: list[str]) -> None:
    if argv in (["--version"], ["-V"]):  # what bug reports ask for: without typer and rich
        from mmplug import __version__
        from mmplug.cli._errors import guard

        sys.exit(guard(lambda: print(f"mmplug {__version__}", flush=True)))
    if argv[:1] == ["fire"]:
        import gc

        # A fire is short and imports hundreds of modules: the collector's passes over them
        # free nothing that matters before the process ends (docs/benchmarks.md).
        gc.disable()
        from mmplug.cli import _fire_fast

        code = _fire_fast.run(argv[1:])
        if code is not None:
            _exit_now(code)
    from mmplug.cli._errors import run_app

    sys.exit(run_app(build_app(), argv))


if __name__ == "__main__":
    run()
