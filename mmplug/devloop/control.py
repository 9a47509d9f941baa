"""The control channel: other terminals act on a running ``mmplug dev`` session.

``mmplug dev`` listens on a unix socket (``<project>/.mmplug/dev.sock``, mode 0600, peers must
have our uid) and writes ``<project>/.mmplug/dev.json`` (mode 0600: pid, socket, front door,
plugin ids) into every plugin directory it runs. The protocol is one JSON object per line
each way: ``{"op": "fire" | "status" | "reload" | "ping" | "clock", ...}`` answered by
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {type, message, hint}}``.

The same objects may also travel as binary frames: a zero byte, the payload's length (4 bytes,
big-endian) and the object pickled (plain data only: unpickling refuses every class), answered
in kind. Messages then travel as their serialized bytes (``{"type", "bytes"}``) instead of
base64; JSON costs several times more per call. A session that reads frames says so in its
pointer (``"frames": ["binary"]``), which is how clients know they may use them.

Clients use :func:`connect`::

    client = connect(project_dir)          # None when no dev session runs there
    if client is not None:
        with client:
            result = client.fire("MessageWillBePosted", post={"message": "hi"})

``fire`` returns the call's :class:`~mmplug.host.events.CallEvent`, as a local Session does; it
travels as the event's one serialization (:meth:`~mmplug.host.events.CallEvent.to_dict`, a
cassette line) with the messages as their serialized bytes (base64 in JSON lines).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import socket
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, UsageError
from mmplug.host import STATE_DIR

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.events import CallEvent

SOCKET_NAME = "dev.sock"
POINTER_NAME = "dev.json"
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS
MAX_LINE = 256 * 1024 * 1024
FRAME = b"\0"  # starts a binary frame; a JSON line never starts with it
FRAME_HEAD = struct.Struct(">I")

Handler = Callable[[dict[str, Any]], Any]


def pointer_path(project_dir: str | Path) -> Path:
    return Path(project_dir).resolve() / STATE_DIR / POINTER_NAME


class ControlServer:
    """Serves the control protocol; ``handlers[op](request) -> result`` (JSON-able)."""

    def __init__(self, project_dirs: list[Path], handlers: dict[str, Handler],
                 info: dict[str, Any]) -> None:
        self.project_dirs = [Path(d).resolve() for d in project_dirs]
        self.handlers = handlers
        self.info = info
        self.path: Path | None = None
        self._tmpdir: Path | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def start(self) -> Path:
        from mmplug.host._private import private_dir

        state = private_dir(self.project_dirs[0] / STATE_DIR)
        path = state / SOCKET_NAME
        if len(str(path)) > MAX_SOCKET_PATH:
            self._tmpdir = Path(tempfile.mkdtemp(prefix="mmplug-dev-"))
            path = self._tmpdir / SOCKET_NAME
        self._take_over(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(path))
        finally:
            os.umask(old)
        os.chmod(path, 0o600)
        sock.listen(16)
        self._sock, self.path = sock, path
        self._write_pointers()
        self._thread = threading.Thread(target=self._accept, name="mmplug-control", daemon=True)
        self._thread.start()
        return path

    def _take_over(self, path: Path) -> None:
        """Refuse a live session of any of the projects; remove a stale socket."""
        refuse_running(self.project_dirs)
        if not path.exists():
            return
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink(missing_ok=True)
            return
        finally:
            probe.close()
        raise _running(self.project_dirs[0])

    def _write_pointers(self) -> None:
        data = dict(self.info, pid=os.getpid(), socket=str(self.path), frames=["binary"])
        for directory in self.project_dirs:
            from mmplug._atomic import write_file
            from mmplug.host._private import private_dir

            target = private_dir(directory / STATE_DIR) / POINTER_NAME
            write_file(target, json.dumps(data), mode=0o600)

    def close(self) -> None:
        self._closed.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(2.0)
        for directory in self.project_dirs:
            pointer = directory / STATE_DIR / POINTER_NAME
            with contextlib.suppress(OSError, ValueError):
                if json.loads(pointer.read_text()).get("pid") == os.getpid():
                    pointer.unlink()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        if self._tmpdir is not None:
            with contextlib.suppress(OSError):
                self._tmpdir.rmdir()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if not _same_user(conn):
                conn.close()
                continue
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True,
                             name="mmplug-control-conn").start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rb") as reader:
                while True:
                    first = reader.read(1)
                    if not first:
                        return
                    if first == FRAME:
                        payload = read_frame(reader)
                        if payload is None:
                            return
                        answer = self._answer(payload, binary=True)
                        conn.sendall(_encoded(frame, answer))
                    else:
                        answer = self._answer(first + reader.readline())
                        conn.sendall(_encoded(_json_line, answer))
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)

    def _answer(self, data: bytes, binary: bool = False) -> dict[str, Any]:
        try:
            request = plain_loads(data) if binary else json.loads(data)
            if not isinstance(request, dict):
                raise UsageError("a control request is an object with an 'op'")
            request["binary"] = binary  # how the answer carries messages
            handler = self.handlers.get(str(request.get("op")))
            if handler is None:
                raise UsageError(f"unknown control operation {request.get('op')!r}")
            return {"ok": True, "result": handler(request)}
        except MmplugError as exc:
            return {"ok": False, "error": error_to_json(exc)}
        except Exception as exc:  # report, never kill the session
            return {"ok": False, "error": {"type": "MmplugError",
                                           "message": f"{type(exc).__name__}: {exc}"}}


def _json_line(value: Any) -> bytes:
    return json.dumps(value).encode() + b"\n"


def _encoded(encode: Callable[[Any], bytes], answer: dict[str, Any]) -> bytes:
    """``answer`` encoded; an answer that cannot be is reported as an error (a bug in an op)."""
    try:
        return encode(answer)
    except (TypeError, ValueError, pickle.PicklingError) as exc:
        return encode({"ok": False, "error": {"type": "MmplugError",
                                              "message": f"unencodable answer: {exc}"}})


def _same_user(conn: socket.socket) -> bool:
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True  # not Linux: the socket's 0600 mode is the guard
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    except OSError:
        return False
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def frame(value: Any) -> bytes:
    """``value`` (plain data) as one binary frame."""
    payload = pickle.dumps(value, protocol=5)
    return FRAME + FRAME_HEAD.pack(len(payload)) + payload


def read_frame(reader: io.BufferedReader) -> bytes | None:
    """The payload of the frame whose zero byte was just read; None at end of stream."""
    head = reader.read(FRAME_HEAD.size)
    if len(head) < FRAME_HEAD.size:
        return None
    (size,) = FRAME_HEAD.unpack(head)
    if size > MAX_LINE:
        raise OSError(f"control frame of {size} bytes is too large")
    payload = reader.read(size)
    return payload if len(payload) == size else None


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"control frames carry plain data only, not {module}.{name}")


def plain_loads(payload: bytes) -> Any:
    """Unpickle plain data (dicts, lists, strings, bytes, numbers); any class is refused."""
    try:
        return _PlainUnpickler(io.BytesIO(payload)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise UsageError(f"unreadable control frame: {exc}") from None


class ControlClient:
    """A connection to a running dev session (see the module docstring)."""

    def __init__(self, sock: socket.socket, info: dict[str, Any]) -> None:
        self.info = info
        self._sock = sock
        self._reader = sock.makefile("rb")
        self._lock = threading.Lock()
        self.binary = "binary" in (info.get("frames") or ())  # else JSON lines (older sessions)

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._reader.close()
        self._sock.close()

    def request(self, op: str, **fields: Any) -> Any:
        fields["op"] = op
        with self._lock:
            try:
                if self.binary:
                    self._sock.sendall(frame(fields))
                    first = self._reader.read(1)
                    data = read_frame(self._reader) if first == FRAME else None
                else:
                    self._sock.sendall(json.dumps(fields).encode() + b"\n")
                    data = self._reader.readline(MAX_LINE) or None
            except OSError as exc:
                raise MmplugError(f"lost the connection to the dev session: {exc}") from None
        if data is None:
            raise MmplugError("the dev session closed the control connection",
                              hint="it was probably stopped; run `mmplug dev` again")
        answer = plain_loads(data) if self.binary else json.loads(data)
        if not answer.get("ok"):
            raise error_from_json(answer.get("error") or {})
        return answer.get("result")

    def fire(self, hook: str, request: Message | None = None, plugin_id: str | None = None,
             hook_timeout: float | None = None, **fields: Any) -> CallEvent:
        """Fire ``hook`` in the live session; same arguments and result as ``Session.fire``
        (``hook_timeout``: the caller's deadline; the session's own holds too)."""
        from mmplug.host.events import CallEvent, encode_message

        data = self.request("fire", hook=hook,
                            request=encode_message(request, "bytes" if self.binary else "b64"),
                            plugin_id=plugin_id, fields=fields, hook_timeout=hook_timeout)
        return CallEvent.from_dict(data)

    def status(self) -> dict[str, Any]:
        return dict(self.request("status"))

    def reload(self, plugin_id: str | None = None) -> dict[str, Any]:
        return dict(self.request("reload", plugin_id=plugin_id))

    def clock(self, *, advance: str | None = None, to: str | None = None,
              data_retention: bool = False) -> dict[str, Any]:
        """Move the session's clock (or only read it): see ``Timekeeper.command``."""
        return dict(self.request("clock", advance=advance, to=to,
                                 data_retention=data_retention))


def connect(project_dir: str | Path = ".", timeout: float = 5.0) -> ControlClient | None:
    """A client for the dev session running ``project_dir``; None if there is none."""
    pointer = pointer_path(project_dir)
    try:
        info = json.loads(pointer.read_text())
        path = str(info["socket"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    sock.settimeout(None)
    return ControlClient(sock, info)


def refuse_running(project_dirs: list[Path]) -> None:
    """Raise when a ``mmplug dev`` already runs one of these projects (found by its pointer,
    wherever its socket lives): two sessions would share the state and each other's pointer."""
    for project in project_dirs:
        client = connect(project, timeout=2.0)
        if client is not None:
            client.close()
            raise _running(Path(project).resolve())


def _running(project: Path) -> UsageError:
    return UsageError(f"another `mmplug dev` is already running for {project}",
                      hint="stop it (Ctrl-C in its terminal) or use `mmplug fire` against it")


def error_to_json(error: MmplugError) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": error.message, "hint": error.hint,
            "details": getattr(error, "details", "")}


def error_from_json(data: dict[str, Any]) -> MmplugError:
    from mmplug import errors

    cls = getattr(errors, str(data.get("type", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.MmplugError)):
        cls = errors.MmplugError
    message = str(data.get("message") or "error")
    hint, details = str(data.get("hint") or ""), str(data.get("details") or "")
    try:
        return cls(message, hint=hint, details=details)
    except TypeError:
        return errors.MmplugError(message, hint=hint, details=details)
