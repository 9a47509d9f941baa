"""The server's go-plugin client, emulated: start a Python plugin, handshake, connect, stop.
Across the wire it faces the SDK's server side, ``serve()`` (mmplug/sdk/_server.py).

``launch()`` does what Mattermost's Python supervisor and go-plugin's client do together:

1. pick the interpreter (``venv/bin/python`` ... in the plugin dir, then ``python3``/``python``
   on PATH, unless one is given; where that ``python3`` cannot import the SDK, the interpreter
   running mmplug, said once: :func:`~mmplug.host._child_env.choose_python`), run
   ``<python> <executable>`` in the plugin directory with the host environment plus the magic
   cookie, ``PLUGIN_*`` variables and ``MATTERMOST_PLUGIN_API_TARGET``;
2. read the first stdout line within the start timeout and parse it by go-plugin's rules;
3. dial the announced address and check ``grpc.health.v1.Health`` for service ``"plugin"``.

Every failure is a named fault (:mod:`mmplug.host.faults`) raised only after the child and its
process group are gone. How children are spawned so that they never outlive us is in
:mod:`mmplug.host._process`.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, NamedTuple

from mmplug.errors import MmplugError
from mmplug.host._child_env import APP_PROTOCOL_VERSIONS, Interpreter, choose_python, plugin_env
from mmplug.host._process import LIVE, kill_group, spawn, wait_exit
from mmplug.host.faults import fault
from mmplug.host.logs import (
    TAIL_LINES,
    LinePump,
    LogRecord,
    StderrPump,
    display_lines,
    host_record,
)
from mmplug.manifest import Manifest

CORE_PROTOCOL_VERSION = 1
DEFAULT_START_TIMEOUT = 10.0
KILL_GRACE = 2.0
NOISE_WAIT = 0.5  # how long to look for a real handshake after a bad first line
MAX_MESSAGE = 2**31 - 1
KEPT_STDOUT_LINES = 4
_ATOI = re.compile(r"[+-]?[0-9]+")
# A plugin that dies importing what the SDK needs: the interpreter is the problem, not the code.
_NO_SDK = re.compile(r"ModuleNotFoundError: No module named "
                     r"'((?:mmplug|grpc|grpc_health|google\.protobuf)(?:\.[\w.]+)?|google)'")
_NOTED_FALLBACKS: set[str] = set()  # "using mmplug's interpreter" is said once per process
LOAD_NOTICE = "mmplug.host.load"


@dataclass(frozen=True)
class Handshake:
    """A parsed go-plugin handshake line."""

    line: str
    core: int
    app: int
    network: str
    address: str
    protocol: str

    @property
    def target(self) -> str:
        """The address in grpc's target syntax."""
        return f"unix:{self.address}" if self.network == "unix" else self.address


class HandshakeFault(Exception):
    """A handshake line broke a rule: ``name`` is the fault, ``info`` fills its message."""

    def __init__(self, name: str, **info: object) -> None:
        super().__init__(name)
        self.name = name
        self.info = info


def _int_field(line: str, value: str, name: str) -> int:
    """Go's strconv.Atoi: digits with an optional sign, no spaces (Python's int() allows them)."""
    if not _ATOI.fullmatch(value):
        raise HandshakeFault(name, line=line, value=value)
    return int(value)


def parse_handshake(line: str) -> Handshake:
    """Parse ``CORE|APP|NETWORK|ADDR[|PROTOCOL[|CERT]]`` by go-plugin's rules."""
    line = line.strip()
    parts = line.split("|")
    if len(parts) < 4:
        name = "short-line" if len(parts) > 1 else "not-handshake"
        raise HandshakeFault(name, line=line, count=len(parts))
    if any(part != part.strip() for part in parts):
        raise HandshakeFault("spaces", line=line)
    core = _int_field(line, parts[0], "bad-core")
    if core != CORE_PROTOCOL_VERSION:
        raise HandshakeFault("bad-core", line=line, value=parts[0])
    app = _int_field(line, parts[1], "bad-app")
    if app not in APP_PROTOCOL_VERSIONS:
        raise HandshakeFault("bad-app", line=line, value=parts[1])
    network, address = parts[2], parts[3]
    if network not in ("tcp", "unix"):
        raise HandshakeFault("bad-network", line=line, value=network)
    _check_address(line, network, address)
    protocol = parts[4] if len(parts) > 4 else "netrpc"
    if protocol != "grpc":
        implied = " (no fifth field means netrpc)" if len(parts) == 4 else ""
        raise HandshakeFault("bad-protocol", line=line, value=protocol, implied=implied)
    if len(parts) > 5 and len(parts[5]) > 50:
        raise HandshakeFault("unexpected-cert", line=line)
    return Handshake(line, core, app, network, address, protocol)


def _check_address(line: str, network: str, address: str) -> None:
    if network == "unix":
        ok = address.startswith("/")
    else:
        host, sep, port = address.rpartition(":")
        ok = bool(sep and host and port.isdigit() and 0 < int(port) < 65536)
    if not ok:
        raise HandshakeFault("bad-address", line=line, network=network, value=address)


class StdoutReader:
    """The plugin's stdout: the first lines go on a queue for the handshake; once the handshake
    is accepted, ``forward()`` hands every later line to a sink (the server discards them; we
    show them, so a stray ``print`` is not a mystery). Read by a :class:`LinePump`, so that a
    hook call's stdout lines can be drained into that call, as its stderr lines are."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._sink: Callable[[str], None] | None = None
        self._lock = threading.Lock()
        self._kept = 0
        self.pump = LinePump(stream, f"{name}-stdout", self._line,
                             on_eof=lambda: self.lines.put(None))

    def _line(self, line: str) -> None:
        with self._lock:
            sink = self._sink
            if sink is None:
                if self._kept < KEPT_STDOUT_LINES:
                    self.lines.put(line)
                    self._kept += 1
                return
        sink(line)

    def next_line(self, timeout: float) -> str | None:
        """The next kept line, None at EOF; raises ``queue.Empty`` on timeout."""
        return self.lines.get(timeout=max(timeout, 0.0))

    def forward(self, sink: Callable[[str], None]) -> None:
        """Send the lines after the handshake (those queued already, then new ones) to ``sink``."""
        with self._lock:
            pending = []
            while not self.lines.empty():
                line = self.lines.get_nowait()
                if line is not None:
                    pending.append(line)
            for line in pending:  # under the lock: a new line cannot overtake them
                sink(line)
            self._sink = sink

    def drain(self, timeout: float) -> None:
        self.pump.drain(timeout)

    def close(self) -> None:
        self.pump.close()


class PluginProcess:
    """One running plugin process: the child, its pipes, its gRPC channel."""

    def __init__(
        self, manifest: Manifest, popen: subprocess.Popen[bytes], pump: StderrPump
    ) -> None:
        assert popen.stdout is not None
        self.manifest = manifest
        self.popen = popen
        self.pump = pump
        self.stdout = StdoutReader(popen.stdout, manifest.id)
        self.handshake: Handshake | None = None
        self.interpreter: Interpreter | None = None  # what launch() picked, and why
        self.channel: object | None = None  # grpc.Channel once connected
        self._closed = False

    @property
    def plugin_id(self) -> str:
        return self.manifest.id

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_code(self, wait: float = 0.0) -> int | None:
        """The exit code if the process has ended (waiting up to ``wait`` seconds)."""
        if wait > 0 and self.popen.poll() is None:
            wait_exit(self.popen, wait)
        return self.popen.poll()

    def stderr_tail(self) -> list[str]:
        self.pump.drain(0.5)
        return self.pump.tail()

    def drain_output(self, timeout: float = 0.5) -> None:
        """Wait until what the plugin wrote on stdout and stderr so far has been logged."""
        self.pump.drain(timeout)
        self.stdout.drain(timeout)

    @property
    def python(self) -> str:
        """The interpreter that runs the plugin."""
        return str(self.popen.args[0]) if isinstance(self.popen.args, list) else ""

    def fault(self, name: str, **info: object) -> MmplugError:
        """Fault ``name`` with what the plugin last wrote on stderr (the process is left as
        it is)."""
        self.pump.drain(0.5)
        return fault(name, self.plugin_id, self.pump.tail_lines(),
                     plugin_dir=self.manifest.plugin_dir, python=self.python, **info)

    def fail(self, name: str, **info: object) -> Exception:
        """Kill the process, then build fault ``name`` with its last stderr lines.

        Before the plugin is up its stderr is held back (see :func:`launch`): the fault tells
        it, so that a traceback is shown once; what the plugin wrote before the traceback (or
        before the last lines shown) still goes to the log.
        """
        self.kill()
        held = self.pump.take_held()
        if not held:
            return fault(name, self.plugin_id, self.pump.tail_lines(),
                         plugin_dir=self.manifest.plugin_dir, python=self.python, **info)
        from mmplug.host.tracebacks import find_error

        lines = [record.raw or record.message for record in held]
        error = find_error(lines)
        start = error.span[0] if error is not None else max(0, len(held) - TAIL_LINES)
        self.pump.emit(held[:start])
        shown = [line for record in held[start:] for line in display_lines(record)]
        return fault(name, self.plugin_id, shown, plugin_dir=self.manifest.plugin_dir,
                     python=self.python, **info)

    def kill(self) -> None:
        """SIGKILL the whole process group, reap the child, close pipes and channel."""
        if self._closed:
            return
        self._closed = True
        self._close_channel()
        kill_group(self.popen)
        self.pump.close()
        self.stdout.close()
        LIVE.discard(self)

    def _close_channel(self) -> None:
        close = getattr(self.channel, "close", None)
        if close is not None:
            close()
        self.channel = None

    def shutdown(self, grace: float = KILL_GRACE) -> str | None:
        """The first half of go-plugin's Kill(): the ``GRPCController/Shutdown`` rpc, then the
        connection is closed. The process is left to exit on its own (:meth:`stop` waits for it;
        the dev loop's reaper waits on a thread of its own).

        Returns the fault name ``"no-controller"`` when the plugin has no GRPCController.
        """
        if self._closed or self.channel is None or self.exit_code() is not None:
            return None
        problem = send_shutdown(self.channel, grace)
        if problem is None:
            self._close_channel()  # as go-plugin does: Shutdown, close the conn, then wait
        return problem

    def stop(self, grace: float = KILL_GRACE) -> str | None:
        """go-plugin's Kill(): Shutdown rpc, wait ``grace`` s, then SIGKILL.

        Returns the fault name ``"no-controller"`` when the plugin has no GRPCController
        (it is then killed at once: waiting would only cost time).
        """
        if self._closed:
            return None
        problem = self.shutdown(grace)
        if problem is None:
            self.exit_code(wait=grace)
        self.kill()
        return problem

    def health(self, timeout: float) -> HealthProblem | None:
        """go-plugin's health check of the running plugin: None when it is serving."""
        if self.channel is None:
            return HealthProblem("UNAVAILABLE", "not connected")
        return check_health(self.channel, timeout)


SHUTDOWN_RPC = "/plugin.GRPCController/Shutdown"
HEALTH_SERVICE = "plugin"  # the service name go-plugin's client asks grpc.health.v1 about


class HealthProblem(NamedTuple):
    """Why a health check did not answer SERVING: the gRPC status code's name of a failed
    check (``UNIMPLEMENTED``, ``NOT_FOUND``, ...), or ``"ANSWERED"`` with the serving status
    that was answered instead (``NOT_SERVING``) as ``details``."""

    code: str
    details: str


def send_shutdown(channel: object, timeout: float) -> str | None:
    """go-plugin's ``GRPCController/Shutdown`` on a plugin's channel (the one place it is sent):
    ``"no-controller"`` when the plugin does not serve it, else None (a plugin that dies while
    answering has shut down too)."""
    import grpc  # type: ignore[import-untyped]

    assert isinstance(channel, grpc.Channel)
    shutdown = channel.unary_unary(
        SHUTDOWN_RPC,
        request_serializer=lambda _: b"",
        response_deserializer=lambda data: data,
    )
    try:
        shutdown(None, timeout=timeout)
    except grpc.RpcError as exc:
        if isinstance(exc, grpc.Call) and exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return "no-controller"
    return None


def check_health(channel: object, timeout: float) -> HealthProblem | None:
    """go-plugin's health check (``grpc.health.v1.Health/Check`` for service ``"plugin"``) on a
    plugin's channel, the one place it is made: None when the plugin is serving."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

    check = health_pb2_grpc.HealthStub(channel).Check
    try:
        answer = check(health_pb2.HealthCheckRequest(service=HEALTH_SERVICE), timeout=timeout)
    except grpc.RpcError as exc:
        code = exc.code() if isinstance(exc, grpc.Call) else None
        details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
        return HealthProblem(code.name if code is not None else "ERROR", details or "")
    if answer.status != health_pb2.HealthCheckResponse.SERVING:
        name = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
        return HealthProblem("ANSWERED", str(name))
    return None


def launch(
    manifest: Manifest,
    *,
    python: str | None = None,
    api_target: str | None = None,
    env: Mapping[str, str] | None = None,
    start_timeout: float = DEFAULT_START_TIMEOUT,
    log_sink: Callable[[LogRecord], None] = lambda record: None,
    spawner: Callable[..., subprocess.Popen[bytes]] | None = None,
    socket_dir: str | None = None,
) -> PluginProcess:
    """Start the plugin, read and check its handshake, connect and health-check it.

    ``spawner`` replaces :func:`spawn` (same signature), e.g. the dev loop's warm spares.
    ``socket_dir``: a private folder for the plugin's unix socket (``PLUGIN_UNIX_SOCKET_DIR``);
    None: the plugin serves on loopback TCP, as under the server.
    """
    deadline = time.monotonic() + start_timeout
    interpreter = choose_python(manifest.plugin_dir, python)
    if interpreter is None:
        raise fault("no-python", manifest.id, plugin_dir=manifest.plugin_dir)
    if interpreter.rule == "mmplug" and interpreter.instead_of not in _NOTED_FALLBACKS:
        _NOTED_FALLBACKS.add(interpreter.instead_of)
        log_sink(load_notice(manifest.id, fallback_note(interpreter)))
    command = [interpreter.path, manifest.executable]
    try:
        popen = (spawner or spawn)(
            command, cwd=manifest.plugin_dir, env=plugin_env(api_target, env, socket_dir)
        )
    except OSError as exc:
        raise fault("spawn-failed", manifest.id, command=" ".join(command), error=exc) from None
    assert popen.stderr is not None
    # stderr is held back until the plugin is up: a plugin that fails to start is told by its
    # fault, traceback included, instead of by its stderr lines and then the fault again
    pump = StderrPump(popen.stderr, manifest.id, log_sink, hold=True)
    process = PluginProcess(manifest, popen, pump)
    process.interpreter = interpreter
    LIVE.add(process)
    try:
        process.handshake = _read_handshake(process, deadline, start_timeout)
        process.stdout.forward(_stdout_sink(manifest.id, log_sink))
        _connect(process, deadline)
    except BaseException:
        process.kill()
        pump.release()
        raise
    pump.release()
    return process


def load_notice(plugin_id: str, message: str) -> LogRecord:
    """A warning of the host about loading a plugin (its manifest, its interpreter): ``fire``
    shows these with its result (module :data:`LOAD_NOTICE`), the other commands log them."""
    record = host_record(plugin_id, "warn", message)
    record.module = LOAD_NOTICE
    return record


def fallback_note(interpreter: Interpreter) -> str:
    """What the host says once when it runs a plugin with its own interpreter."""
    return (f"{interpreter.why()}, {interpreter.path}. The server would use python3 from "
            "PATH: give the plugin a venv/ with mmplug in it, or install mmplug for that "
            "python3 (see docs/fake-host-semantics.md)")


def _missing_sdk(process: PluginProcess, error: Exception) -> Exception:
    """``no-sdk`` instead of ``exited-early`` when the plugin died because its interpreter
    cannot import what the SDK needs: name the interpreter, why it was picked, and the fix."""
    from mmplug.host.faults import fault_name

    found = None
    if fault_name(error) == "exited-early":
        found = next((m for m in map(_NO_SDK.search, process.pump.tail()) if m), None)
    interpreter = process.interpreter
    if found is None or interpreter is None:
        return error
    problem = fault("no-sdk", process.plugin_id, process.pump.tail(), python=interpreter.path,
                    module=found.group(1), why=interpreter.why())
    problem.hint = sdk_fix(interpreter)
    return problem


def sdk_fix(interpreter: Interpreter) -> str:
    """How to give the plugin an interpreter that has the SDK, for the rule that picked it."""
    import shlex
    import sys

    from mmplug._self_install import pip_install_args

    install = f"{shlex.quote(interpreter.path)} -m pip install {pip_install_args()}"
    own = shlex.quote(sys.executable) if sys.executable else "/path/to/python"
    if interpreter.rule == "venv":
        return (f"install mmplug into the plugin's {interpreter.source.split('/')[0]}/: "
                f"`{install}` (and the plugin's requirements), or run it with another "
                f"interpreter for now: --python {own}")
    if interpreter.rule == "--python":
        return f"pass an interpreter that has mmplug (e.g. --python {own}), or `{install}`"
    return (f"give the plugin a venv with mmplug (`python3 -m venv venv && venv/bin/pip "
            f"install {pip_install_args()}`), install mmplug for it (`{install}`), or pass "
            f"--python {own}")


def _stdout_sink(plugin_id: str, log_sink: Callable[[LogRecord], None]) -> Callable[[str], None]:
    warned = False

    def sink(line: str) -> None:
        nonlocal warned
        if not warned:
            warned = True
            log_sink(host_record(plugin_id, "warn", "the plugin writes to stdout after its "
                                 "handshake; the server discards stdout, so log to stderr "
                                 "(logging) instead"))
        if line.strip():
            log_sink(LogRecord(level="info", message=line, plugin_id=plugin_id,
                               source="stdout", raw=line))

    return sink


def _read_handshake(process: PluginProcess, deadline: float, timeout: float) -> Handshake:
    try:
        line = process.stdout.next_line(deadline - time.monotonic())
    except queue.Empty:
        raise process.fail("timeout", timeout=timeout) from None
    if line is None:
        code = process.exit_code(wait=1.0)
        early = process.fail("exited-early", code="unknown" if code is None else code)
        raise _missing_sdk(process, early)
    try:
        return parse_handshake(line)
    except HandshakeFault as bad:
        if bad.name in ("not-handshake", "short-line"):
            _check_noise(process, line, deadline)
        raise process.fail(bad.name, **bad.info) from None


def _check_noise(process: PluginProcess, line: str, deadline: float) -> None:
    """A bad first line followed by a valid handshake is stdout noise: say so."""
    try:
        following = process.stdout.next_line(min(NOISE_WAIT, deadline - time.monotonic()))
    except queue.Empty:
        return
    if following is None:
        return
    try:
        parse_handshake(following)
    except HandshakeFault:
        return
    raise process.fail("stdout-noise", line=line, next=following)


def _connect(process: PluginProcess, deadline: float) -> None:
    import grpc

    assert process.handshake is not None
    channel = grpc.insecure_channel(
        process.handshake.target,
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
        ],
    )
    process.channel = channel
    problem = check_health(channel, max(deadline - time.monotonic(), 0.5))
    if problem is not None and problem.code != "ANSWERED":  # go-plugin only needs an answer
        raise _health_fault(process, problem) from None


def _health_fault(process: PluginProcess, problem: HealthProblem) -> Exception:
    code = problem.code
    error = f"{code}: {problem.details}"
    if code == "UNIMPLEMENTED":
        return process.fail("no-health", error=error)
    if code == "NOT_FOUND":
        return process.fail("health-not-serving", error=error)
    if code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
        exited = process.exit_code(wait=0.5)
        if exited is not None:
            return process.fail("exited-after-handshake", code=exited)
        assert process.handshake is not None
        return process.fail("dead-port", address=process.handshake.address, error=error)
    return process.fail("health-failed", error=error)
