"""``mmplug dev``: run plugins under the fake host, reload on save, serve their HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mmplug.cli._options import (
    FRESH,
    HOOK_TIMEOUT,
    HOOK_TIMEOUT_S,
    LOG_LEVEL,
    PRIVATE,
    PYTHON,
    START_TIME,
    START_TIMEOUT,
    START_TIMEOUT_S,
    STORE,
    TCP,
    WORLD,
)
from mmplug.protocol.names import ENV_DEBUG_LISTEN, ENV_LOG_LEVEL


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)


def dev(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045 (typer needs Optional on Python 3.10)
        typer.Argument(help="Plugin projects (directories with plugin.json). Default: the "
                       "nearest one from the current directory upward.", show_default=False),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Front door HTTP port.")] = 8065,
    metrics_port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--metrics-port", help="Also serve /plugins/<id>/metrics on this port."),
    ] = None,
    world: Annotated[
        Optional[str],  # noqa: UP045
        WORLD.typer(help="World (seed state) for a new store: a name or a .json file."),
    ] = None,
    fresh: Annotated[bool, FRESH.typer()] = False,
    store: Annotated[Optional[str], STORE.typer()] = None,  # noqa: UP045
    record: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--record", help="Append every hook call to this cassette file."),
    ] = None,
    log_level: Annotated[str, LOG_LEVEL.typer()] = "info",
    attach: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--attach", help=f"Attach to a plugin started with {ENV_DEBUG_LISTEN} "
                     "at this HOST:PORT instead of launching it."),
    ] = None,
    as_user: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--as", help="Front door requests are made as this user (username or id)."),
    ] = None,
    python: Annotated[Optional[str], PYTHON.typer()] = None,  # noqa: UP045
    start_timeout: Annotated[float, START_TIMEOUT.typer()] = START_TIMEOUT_S,
    hook_timeout: Annotated[float, HOOK_TIMEOUT.typer()] = HOOK_TIMEOUT_S,
    tcp: Annotated[bool, TCP.typer()] = False,
    private: Annotated[bool, PRIVATE.typer()] = False,
    start_time: Annotated[Optional[str], START_TIME.typer()] = None,  # noqa: UP045
    nodes: Annotated[
        int, typer.Option("--nodes", help="Run each plugin on this many nodes sharing one "
                          "store, as a high-availability cluster (the front door spreads "
                          "requests over them; X-Mmplug-Node: 2 pins one).")
    ] = 1,
    no_warm: Annotated[
        bool, typer.Option("--no-warm", help="Cold-start every reload (no warm spare).")
    ] = False,
    plain: Annotated[
        bool, typer.Option("--plain", help="Print plain scrolling lines on a terminal too, "
                           "instead of the live status above the newest logs.")
    ] = False,
    no_explorer: Annotated[
        bool, typer.Option("--no-explorer", help="Do not serve the Plugin Explorer (the web "
                           "console of chat, trace and state).")
    ] = False,
    explorer_port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--explorer-port", help="The explorer's port (default 8066, or any free "
                     "port when that one is taken).", show_default=False),
    ] = None,
) -> None:
    """Run plugins, reload them on save, serve /plugins/<id>/... until Ctrl-C.

    On a terminal the live status (plugins, hooks, URLs, last reload) stays on top and the newest
    log lines stream below it; every line also goes to .mmplug/dev.log. The Plugin Explorer
    (chat with the plugin, its trace, its state) is served on loopback at the printed URL.
    """
    from mmplug._plugin_files import project_dir
    from mmplug.cli._options import (
        check_level,
        check_python,
        check_seconds,
        check_time,
        check_transport,
    )
    from mmplug.errors import UsageError

    level = check_level(log_level)
    check_seconds(start_timeout=start_timeout, hook_timeout=hook_timeout)
    transport = check_transport(tcp, private)
    check_time(start_time)
    check_python(python)
    for name, value in (("--port", port), ("--metrics-port", metrics_port),
                        ("--explorer-port", explorer_port)):
        if value is not None and not 0 <= value <= 65535:
            raise UsageError(f"{name} must be a port number (0-65535), not {value}")
    # a mistyped path fails here, before .mmplug/ is made in it
    dirs = [Path(project_dir(folder)) for folder in paths] if paths else [Path(project_dir())]
    if attach is not None and len(dirs) != 1:
        raise UsageError("--attach works with exactly one plugin directory")
    if attach is not None and nodes != 1:
        raise UsageError("--attach runs one process you started; it does not go with --nodes")
    from mmplug.host.cluster import node_names

    node_names(nodes)  # 1 to 16
    if record is not None:
        from mmplug.cassette.format import check_cassette_path

        check_cassette_path(record)
    from mmplug.cli._dev_terminal import run_dev
    from mmplug.devloop._memory import tune_for_streaming
    from mmplug.devloop.loop import DevLoop

    tune_for_streaming()  # before the fake host's threads start

    env = {ENV_LOG_LEVEL: "trace"} if level == "trace" else {}  # the SDK stops at debug
    loop = DevLoop(dirs, port=port, metrics_port=metrics_port, as_user=as_user, attach=attach,
                   warm=not no_warm, store=store, world=world, fresh=fresh, python=python,
                   start_timeout=start_timeout, hook_timeout=hook_timeout, env=env,
                   ignore=(record,) if record is not None else (), transport=transport,
                   private=private, explorer=not no_explorer, explorer_port=explorer_port,
                   start_time=start_time, nodes=nodes)
    run_dev(loop, level, record, plain=plain)
