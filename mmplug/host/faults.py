"""The named catalogue of ways a plugin can fail to start or stop, with what to do about each.

Every launch fault has a name, a one-line cause and a hint. :func:`fault` turns one into the
exception the tool raises: a single paragraph naming the plugin and the cause, the last lines
the plugin wrote on stderr, and what to fix. Tests refer to faults by name (``err.fault``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence

from mmplug.errors import HookTimeoutError, MmplugError, PluginCrashError, PluginLaunchError
from mmplug.protocol.names import HOOKS_SERVICE

_HANDSHAKE = "1|1|tcp|127.0.0.1:PORT|grpc"
_SERVE_HINT = (
    f"the plugin must start its gRPC server, then print exactly `{_HANDSHAKE}` as the first line "
    "on stdout and flush it (the mmplug SDK's serve() does this for you)"
)

# name -> (cause template, hint). Templates are filled with str.format(**info).
FAULTS: dict[str, tuple[str, str]] = {
    "no-python": (
        "no Python interpreter found (checked venv/, .venv/ in {plugin_dir} and python3/python "
        "on PATH)",
        "create a virtualenv in the plugin directory (`python3 -m venv venv`) or pass --python",
    ),
    "no-sdk": (
        "{python} cannot import {module}, which the mmplug SDK needs, so the plugin stopped "
        "before its handshake. That interpreter was picked because {why}",
        "install mmplug into that interpreter, or pass --python with one that has it",
    ),
    "spawn-failed": (
        "could not start `{command}`: {error}",
        "check that the interpreter exists and is executable",
    ),
    "exited-early": (
        "the plugin {exit} before printing its handshake",
        "fix what the plugin's stderr above says; if it says nothing, " + _SERVE_HINT,
    ),
    "timeout": (
        "the plugin printed no handshake within {timeout:g} s",
        _SERVE_HINT + "; if it is just slow to import, raise --start-timeout",
    ),
    "stdout-noise": (
        "the plugin printed {line!r} on stdout before its handshake {next!r}; the host reads only "
        "the first stdout line, so the handshake was lost",
        "write logs and banners to stderr (logging, print(..., file=sys.stderr)); stdout belongs "
        "to the handshake",
    ),
    "not-handshake": (
        "the first line the plugin printed on stdout is not a go-plugin handshake: {line!r}",
        _SERVE_HINT,
    ),
    "short-line": (
        "the handshake {line!r} has {count} fields; at least 4 are needed "
        "(CORE|APP|NETWORK|ADDRESS|PROTOCOL)",
        _SERVE_HINT,
    ),
    "spaces": (
        "the handshake {line!r} has spaces around its fields; go-plugin does not trim them, so "
        "the server rejects it",
        "print the fields joined by a bare '|', e.g. " + f"`{_HANDSHAKE}`",
    ),
    "bad-core": (
        "the handshake {line!r} has core protocol version {value!r}; the host speaks core "
        "version 1",
        "print 1 as the first handshake field (go-plugin's core protocol)",
    ),
    "bad-app": (
        "the handshake {line!r} has app protocol version {value!r}; Mattermost accepts [1] "
        "(PLUGIN_PROTOCOL_VERSIONS=1)",
        "print 1 as the second handshake field",
    ),
    "bad-network": (
        "the handshake {line!r} names network {value!r}; only tcp and unix are supported",
        "serve on 127.0.0.1:PORT and print tcp, or on a unix socket and print unix",
    ),
    "bad-address": (
        "the handshake {line!r} has an unusable {network} address {value!r}",
        "print 127.0.0.1:PORT for tcp, or an absolute socket path for unix",
    ),
    "bad-protocol": (
        "the handshake {line!r} asks for the {value!r} protocol{implied}; Mattermost runs Python "
        "plugins over grpc only",
        "end the handshake with |grpc",
    ),
    "unexpected-cert": (
        "the handshake {line!r} carries a TLS certificate, but the host did not ask for AutoMTLS "
        "(PLUGIN_CLIENT_CERT is not set)",
        "serve plaintext and leave the sixth field empty when PLUGIN_CLIENT_CERT is unset",
    ),
    "dead-port": (
        "the plugin announced {address} in its handshake, but nothing answers there ({error})",
        "start the gRPC server and bind the port before printing the handshake, and print the "
        "port it actually bound",
    ),
    "exited-after-handshake": (
        "the plugin {exit} right after its handshake, before the host could "
        "connect",
        "keep serving after printing the handshake (block in server.wait_for_termination())",
    ),
    "no-health": (
        "the plugin does not serve the gRPC health service (grpc.health.v1.Health/Check "
        "answered {error})",
        "register grpc_health's HealthServicer and set service \"plugin\" to SERVING; the server "
        "pings it and restarts plugins that fail",
    ),
    "health-not-serving": (
        "the plugin's health service does not know service \"plugin\" ({error})",
        "call health.set(\"plugin\", SERVING) before printing the handshake",
    ),
    "health-failed": (
        "the health check of the plugin failed: {error}",
        "make grpc.health.v1.Health/Check answer for service \"plugin\"",
    ),
    "implemented-failed": (
        "the plugin's Implemented hook failed: {error}",
        f"serve {HOOKS_SERVICE} and answer Implemented with the hook names",
    ),
    "activate-failed": (
        "OnActivate failed, so the server would not activate the plugin: {error}",
        "fix the error OnActivate returned (see the plugin's logs above)",
    ),
    "no-controller": (
        "the plugin does not serve plugin.GRPCController/Shutdown; the server would wait 2 s "
        "and then kill it (\"plugin failed to exit gracefully\")",
        "serve plugin.GRPCController with a Shutdown that stops the server and exits "
        "(the mmplug SDK does this)",
    ),
    "crashed": (
        "the plugin process {exit} during {hook}",
        "look at the traceback in the plugin's stderr above",
    ),
    "exited": (
        "the plugin process {exit} while the host was running it",
        "look at the plugin's stderr above; a plugin must keep serving until Shutdown",
    ),
    "hook-timeout": (
        "{hook} did not answer within {timeout:g} s (the server's deadline per hook call)",
        "make the hook return sooner (move slow work to a thread), or raise --hook-timeout",
    ),
    "unhealthy": (
        "the plugin stopped answering its health check ({error}), so the host killed it",
        "something blocks the plugin's gRPC server (a hook that never returns, a stuck "
        "thread); look at the plugin's stderr above",
    ),
}

_CLASSES: dict[str, type[MmplugError]] = {
    "crashed": PluginCrashError,
    "exited": PluginCrashError,
    "unhealthy": PluginCrashError,
    "no-controller": PluginCrashError,
    "hook-timeout": HookTimeoutError,
}

# Faults where the plugin's own Python error, when its stderr holds one, is the headline: the
# process died of it (or OnActivate raised it), and that is what the author has to fix.
PYTHON_ERROR_FAULTS = frozenset({
    "exited-early", "exited-after-handshake", "crashed", "exited", "activate-failed",
})
# The fault whose traceback the plugin logged itself (the SDK logs a hook's exception): a screen
# that shows the plugin's log as it happens has shown the traceback already.
LOGGED_TRACEBACK = "activate-failed"


def fault(
    name: str, plugin_id: str, stderr_tail: Sequence[str] = (), **info: object
) -> MmplugError:
    """The exception for fault ``name`` of plugin ``plugin_id``: cause, stderr tail, hint.

    When the fault is one a plugin dies of and ``stderr_tail`` holds a Python traceback, the
    plugin's error leads (``SyntaxError: invalid syntax (pkg/plugin.py:2)``), the fault's cause
    follows, then the traceback once, with the plugin's frames only, and a hint that fits the
    exception. ``info`` may name the ``plugin_dir`` (paths are shown relative to it) and the
    ``python`` that ran the plugin (for import errors).
    """
    cause, hint = FAULTS[name]
    if "code" in info:
        info["exit"] = describe_exit(info["code"])
    text = cause.format(**info)
    from mmplug.host.tracebacks import find_error

    error = find_error(stderr_tail) if name in PYTHON_ERROR_FAULTS else None
    if error is not None:
        plugin_dir = info.get("plugin_dir")
        where = plugin_dir if isinstance(plugin_dir, (str, os.PathLike)) else None
        python = info.get("python")
        lines = [text, *indented(error.lines(where))]
        if name == LOGGED_TRACEBACK:
            # the SDK logged the exception with its traceback: the AppError's id is enough
            text = cause.format(**{**info, "error": str(info.get("error")).split(":", 1)[0]})
            lines = [text, *indented(error.lines(where))]
        else:
            start, end = error.span
            other = [*stderr_tail[:start], *stderr_tail[end:]]
            if other:
                lines += ["other lines the plugin wrote on stderr:", *indented(other, "| ")]
        made = _CLASSES.get(name, PluginLaunchError)(
            f"plugin {plugin_id}: {error.headline(where)}",
            hint=error.hint(where, python if isinstance(python, str) else None),
            details="\n".join(lines))
        made.fault = name  # type: ignore[attr-defined]
        made.cause = text  # type: ignore[attr-defined]
        made.logged = name == LOGGED_TRACEBACK  # type: ignore[attr-defined]
        return made
    message = f"plugin {plugin_id}: {text}"
    details = ""
    if stderr_tail:
        details = "last lines of the plugin's stderr:\n" + "\n".join(indented(stderr_tail, "| "))
    made = _CLASSES.get(name, PluginLaunchError)(message, hint=hint, details=details)
    made.fault = name  # type: ignore[attr-defined]
    made.cause = text  # type: ignore[attr-defined]
    return made


def report(error: MmplugError, plugin_id: str) -> str:
    """``error`` as a screen that names the plugin and shows its log as it happens (``mmplug
    dev``) shows it: without the leading ``plugin <id>: ``, and without a traceback the plugin
    logged itself (it is on the screen already, just above)."""
    if getattr(error, "logged", False):
        cause = getattr(error, "cause", "")
        parts = [error.message, f"{cause} (the traceback is in the plugin's log above)"]
        if error.hint:
            parts.append(f"hint: {error.hint}")
        text = "\n".join(parts)
    else:
        text = error.render()
    return text.removeprefix(f"plugin {plugin_id}: ")


def indented(lines: Sequence[str], mark: str = "") -> list[str]:
    """``lines`` on their own indented lines (under the line that introduces them)."""
    return [f"  {mark}{line}" for line in lines]


def describe_exit(code: object) -> str:
    """``exited with code 3``, or ``was killed by SIGKILL`` for a negative return code."""
    if isinstance(code, int) and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def fault_name(error: BaseException) -> str | None:
    """The catalogue name of an error raised through :func:`fault`, if any."""
    name = getattr(error, "fault", None)
    return name if isinstance(name, str) else None
