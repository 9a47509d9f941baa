"""The one place where the CLI turns exceptions into messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def run_app(app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the typer app on ``argv`` (default: the process's arguments) after rewriting old
    option spellings (:func:`mmplug.cli._options.modernize`); mmplug errors become a clean
    message, never a traceback.

    Usage errors and ``--help`` are handled by typer itself (standalone mode) and leave
    through ``SystemExit`` with their own code.
    """
    from mmplug.cli._options import modernize

    words = modernize(sys.argv[1:] if argv is None else list(argv))
    return guard(lambda: app(args=words, prog_name="mmplug"))


def guard(command: Callable[[], object]) -> int:
    """Run ``command``; its exit code, or a clean message and the code for an mmplug error
    or a stop (:mod:`mmplug.cli._stop`)."""
    from mmplug.cli._stop import Stopped, stopped
    from mmplug.errors import MmplugError

    try:
        result = command()
    except Stopped as exc:
        return stopped(exc.signum, exc.state, until_stopped=True)
    except SystemExit as exc:
        if _from_ctrl_c(exc):  # typer ends a command Ctrl-C stopped with a bare exit 130
            return stopped()
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except MmplugError as exc:
        print_error(exc.render())
        return exc.exit_code
    except KeyboardInterrupt:
        return stopped()
    except BrokenPipeError:
        return _stdout_gone()
    except OSError as exc:  # the system refused something (permissions, disk full, ...)
        where = f": {exc.filename}" if exc.filename else ""
        print_error(f"{exc.strerror or exc}{where}\nhint: check that path, its permissions "
                    "and the free space, then run the command again")
        return 1
    return result if isinstance(result, int) else 0


def _from_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while handling a KeyboardInterrupt (typer turns one into
    an exit with code 130, raised from it)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


# The exit code of a process that a closed pipe ended (128 + SIGPIPE), as for `yes | head -1`.
PIPE_CLOSED = 141


def _stdout_gone() -> int:
    """Whoever read our output stopped reading (``mmplug fire ... | head -1``): end quietly,
    with the rest of the output going nowhere instead of failing again at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return PIPE_CLOSED


def print_error(message: str) -> None:
    """Print an error message on stderr, in red where the terminal allows."""
    try:
        from rich.console import Console
        from rich.text import Text

        Console(stderr=True, highlight=False, soft_wrap=True).print(
            Text.assemble(("error: ", "bold red"), message)
        )
    except Exception:  # pragma: no cover - rendering must never hide the message
        print(f"error: {message}", file=sys.stderr)
