"""``serve(PluginClass)``: the plugin side of go-plugin's handshake and lifecycle."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import uuid
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from . import _env, _scheduler
from .errors import PluginError

if TYPE_CHECKING:
    from ._async import LoopRunner
    from ._plugin import Plugin

MAX_MESSAGE = 64 * 1024 * 1024
RECEIVE_WINDOW = 2 * 1024 * 1024
PARENT_POLL_SECONDS = 0.25
EXIT_WATCHDOG_SECONDS = 1.5
NOT_A_PLUGIN = (
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Mattermost (or `mmplug dev` / `mmplug fire`) starts it and sets "
    f"{_env.MAGIC_COOKIE_KEY}. To attach a debugger, run it with "
    f"{_env.DEBUG_LISTEN}=127.0.0.1:PORT instead.\n"
)

log = logging.getLogger("mmplug.sdk.serve")


class ServeError(PluginError):
    """The plugin cannot start serving (bad port range, unusable socket dir)."""


@dataclass
class Listener:
    network: str  # "tcp" or "unix"
    address: str
    cleanup: list[str] = field(default_factory=list)

    def handshake(self, app_version: int) -> str:
        return f"{_env.CORE_PROTOCOL_VERSION}|{app_version}|{self.network}|{self.address}|grpc"


def cookie_ok(environ: Mapping[str, str]) -> bool:
    return _env.resolve(_env.MAGIC_COOKIE_KEY, environ=environ) == _env.MAGIC_COOKIE_VALUE


def negotiate_version(environ: Mapping[str, str]) -> int:
    """The highest version we speak that the host offers; else our lowest (the host rejects it)."""
    offered: set[int] = set()
    for part in (_env.resolve(_env.PROTOCOL_VERSIONS, environ=environ) or "").split(","):
        if part.strip().isdigit():
            offered.add(int(part))
    common = [v for v in _env.APP_PROTOCOL_VERSIONS if v in offered]
    return max(common) if common else min(_env.APP_PROTOCOL_VERSIONS)


def bind(server: object, environ: Mapping[str, str], debug_listen: str | None) -> Listener:
    """Add a listening port: the debug address, a unix socket in PLUGIN_UNIX_SOCKET_DIR, or
    127.0.0.1 on the first free port in PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (0 = any)."""
    add = server.add_insecure_port  # type: ignore[attr-defined]
    if debug_listen:
        debug_listen = loopback_default(debug_listen)
        port = _try_add(add, debug_listen)
        if not port:
            raise ServeError(f"cannot listen on {_env.DEBUG_LISTEN}={debug_listen}")
        host = debug_listen.rsplit(":", 1)[0]
        return Listener("tcp", f"{host}:{port}")
    socket_dir = _env.resolve(_env.UNIX_SOCKET_DIR, environ=environ)
    if socket_dir:
        if not os.path.isdir(socket_dir):
            raise ServeError(f"{_env.UNIX_SOCKET_DIR}={socket_dir} is not a directory")
        path = os.path.join(os.path.abspath(socket_dir), f"plugin{uuid.uuid4().hex[:12]}")
        if not _try_add(add, f"unix:{path}"):
            raise ServeError(f"cannot create a unix socket in {socket_dir}")
        try:  # the host's folder is private already; the socket is the plugin's own to close
            os.chmod(path, 0o600)
        except OSError:
            pass
        return Listener("unix", path, [path])
    low = _port(environ, _env.MIN_PORT)
    high = _port(environ, _env.MAX_PORT)
    if low == 0 and high == 0:
        candidates: range = range(0, 1)
    elif low > high or high > 65535:
        raise ServeError(f"bad port range {_env.MIN_PORT}={low} {_env.MAX_PORT}={high}")
    else:
        candidates = range(low, high + 1)
    for candidate in candidates:
        port = _try_add(add, f"127.0.0.1:{candidate}")
        if port:
            return Listener("tcp", f"127.0.0.1:{port}")
    raise ServeError(f"no free port in {low}..{high} ({_env.MIN_PORT}/{_env.MAX_PORT})")


def loopback_default(address: str) -> str:
    """``PORT`` and ``:PORT`` mean ``127.0.0.1:PORT``: the debug listener is for a host on
    this machine, and grpc would read a bare ``:PORT`` as every interface."""
    if address.isdigit():
        return f"127.0.0.1:{address}"
    if address.startswith(":") and address[1:].isdigit():
        return f"127.0.0.1{address}"
    return address


def _port(environ: Mapping[str, str], name: str) -> int:
    text = _env.resolve(name, environ=environ, default="0") or "0"
    try:
        return int(text)
    except ValueError:
        raise ServeError(f"{name}={text!r} is not a port number") from None


def _try_add(add: object, address: str) -> int:
    """Add ``address`` to the server; 0 when it cannot be bound.

    A TCP port is test-bound with a plain socket first: grpc core logs every port it fails to
    add (``add_port.cc ... Address already in use``) straight to stderr, where it would land in
    the host's log as noise for each taken port of the range."""
    if not address.startswith("unix:") and not _bindable(address):
        return 0
    try:
        port: int = add(address)  # type: ignore[operator]
    except RuntimeError:
        return 0
    return port


def _bindable(address: str) -> bool:
    """Whether ``HOST:PORT`` can be bound now, with the options grpc's listener uses
    (SO_REUSEADDR, no SO_REUSEPORT: see ``grpc.so_reuseport`` in :func:`_build_server`)."""
    import socket

    host, _, port_text = address.rpartition(":")
    host = host.strip("[]")
    if not port_text.isdigit() or int(port_text) == 0:
        return True  # any free port: nothing to probe
    try:
        infos = socket.getaddrinfo(host or None, int(port_text), type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError):
        return True  # let grpc say what is wrong with the address
    for family, kind, proto, _name, sockaddr in infos:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(sockaddr)
        except OSError:
            return False
    return True


def serve(plugin_class: type[Plugin], *, environ: Mapping[str, str] | None = None) -> NoReturn:
    """Run ``plugin_class`` as a go-plugin plugin process; never returns."""
    env = os.environ if environ is None else environ
    debug_listen = _env.resolve(_env.DEBUG_LISTEN, environ=env)
    if not debug_listen and not cookie_ok(env):
        sys.stderr.write(NOT_A_PLUGIN)
        sys.stderr.flush()
        raise SystemExit(1)
    if debug_listen and environ is None:
        default_debug_api_target(debug_listen)
    # Under a host, Ctrl-C in the host's terminal is the host's to handle (it stops the plugin
    # in order); started by hand for a debugger, the plugin is the terminal's and Ctrl-C stops
    # it (see _run).
    if not debug_listen:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ._logging import configure

    configure()
    code = _run(plugin_class, env, debug_listen)
    _exit(code)


def default_debug_api_target(debug_listen: str) -> None:
    """Debug mode: unless MATTERMOST_PLUGIN_API_TARGET is set, use the debug port + 1, where
    ``mmplug dev --attach HOST:PORT`` offers the fake host's PluginAPI."""
    if _env.resolve(_env.API_TARGET):
        return
    host, _, port = loopback_default(debug_listen).rpartition(":")
    if port.isdigit():
        os.environ[_env.API_TARGET] = f"{host or '127.0.0.1'}:{int(port) + 1}"


def _run(plugin_class: type[Plugin], env: Mapping[str, str], debug_listen: str | None) -> int:
    from ._async import LoopRunner

    parent = os.getppid()  # before the handshake: the host may exit right after reading it

    stopping = threading.Event()
    try:
        plugin = plugin_class()
    except Exception:
        log.exception("creating %s failed", plugin_class.__name__)
        return 1
    runner = LoopRunner()
    _scheduler.install(runner)
    server, not_serving = _build_server(plugin, runner, stopping)
    try:
        listener = bind(server, env, debug_listen)
    except ServeError as exc:
        log.error("cannot serve: %s", exc)
        return 1
    server.start()
    # before the handshake line: whoever reads it may signal the plugin at once
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if debug_listen:
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
    _announce(listener, env, debug_listen, plugin_class.__name__)
    _wait(stopping, parent)
    not_serving()
    server.stop(grace=0.5).wait(2)
    _scheduler.shutdown()
    runner.close()
    _close_api(plugin)
    for path in listener.cleanup:
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


def _build_server(
    plugin: Plugin, runner: LoopRunner, stopping: threading.Event
) -> tuple[Any, Any]:
    """A grpc server with health, controller, stdio and the plugin's hooks."""
    import grpc  # type: ignore[import-untyped]

    from ._hooks import HooksService
    from ._services import add_health, controller_handler, stdio_handler

    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        ("grpc.so_reuseport", 0),  # so a taken port in the range counts as taken
        # a fixed 2 MiB receive window per stream: BDP probing grew it on a loaded machine
        # (slow round trips) and a fast upload parked 10-30 MiB more of itself in the plugin
        ("grpc.http2.bdp_probe", 0),
        ("grpc.http2.lookahead_bytes", RECEIVE_WINDOW),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=options)
    not_serving = add_health(server)
    hooks = HooksService(plugin, runner)
    server.add_generic_rpc_handlers(
        (controller_handler(stopping.set), stdio_handler(stopping), hooks.generic_handler(),
         _scheduler.tick_handler())
    )
    return server, not_serving


def _announce(
    listener: Listener, env: Mapping[str, str], debug_listen: str | None, name: str
) -> None:
    """Print the handshake line; from then on stdout is stderr."""
    if _env.resolve(_env.CLIENT_CERT, environ=env):
        log.warning(
            "the host asked for AutoMTLS (%s); this SDK serves plaintext on loopback, so the "
            "host will refuse the connection. Mattermost does not use AutoMTLS.",
            _env.CLIENT_CERT,
        )
    line = listener.handshake(negotiate_version(env))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    sys.stdout = sys.stderr  # nothing but the handshake ever goes to stdout
    if debug_listen:
        sys.stderr.write(
            f"mmplug: debug mode, {name} is serving on {listener.address}.\n"
            f"Attach a host to it with the handshake line: {line}\n"
        )


def _wait(stopping: threading.Event, parent: int) -> None:
    """Block until asked to stop, or until the host process (our parent) goes away."""
    while not stopping.wait(PARENT_POLL_SECONDS):
        if os.getppid() != parent:
            log.warning("host process went away; stopping")
            return


def _close_api(plugin: object) -> None:
    client = vars(plugin).get("_mmplug_api")
    if client is not None:
        client.close()


def _exit(code: int) -> NoReturn:
    """Exit promptly, even if a plugin thread is stuck, and without the interpreter's teardown.

    SystemExit unwinds the plugin's code as any exit does (a ``finally`` around ``serve()``
    runs); the interpreter then waits for the non-daemon threads (the watchdog ends the process
    if one is stuck) and runs the exit handlers. Its last step, tearing down grpc, protobuf and
    every module, frees nothing the system would not and takes longer than the whole shutdown
    before it (docs/benchmarks.md): the handler registered here runs first, runs the others in
    their order, flushes the files the plugin left open (which the teardown would have done),
    and ends the process.
    """
    _flush()
    timer = threading.Timer(EXIT_WATCHDOG_SECONDS, _abandon, (code,))
    timer.daemon = True
    timer.start()
    atexit.register(_end, code)
    raise SystemExit(code)


def _end(code: int) -> None:
    """The last exit handler to run: the others first, then what the teardown would have
    written (the buffers of files the plugin left open), then the process ends with ``code``."""
    atexit.unregister(_end)
    atexit._run_exitfuncs()
    _flush_open_files()
    _flush()
    os._exit(code)


def _abandon(code: int) -> None:
    """The watchdog: a thread still runs after EXIT_WATCHDOG_SECONDS; end without waiting."""
    _flush_open_files()
    _flush()
    os._exit(code)


def _flush_open_files() -> None:
    import gc
    import io

    for obj in gc.get_objects():
        if isinstance(obj, (io.TextIOWrapper, io.BufferedWriter, io.BufferedRandom)):
            try:
                if not obj.closed:
                    obj.flush()
            except (OSError, ValueError):
                pass


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


__all__ = ["ServeError", "serve"]
