"""The explorer's trace: hook calls, front door requests, reloads, crashes and chat actions.

Capturing must cost a hook round trip next to nothing, so :meth:`TraceStore.add` only appends
the entry (with references to the messages the session already built) to a pending list. A
writer thread encodes pending entries (protobuf bytes, no JSON) and inserts them into a sidecar
SQLite file every :data:`FLUSH_EVERY_S` (at once past :data:`FLUSH_AT` entries): memory holds
at most a flush's worth of calls, whatever the session's length, and the file keeps the newest
:data:`KEEP_ROWS`. Reads flush first, so what the API answers includes the newest call.
JSON is made only when a call is looked at (:meth:`TraceStore.detail`).

The text filter searches the raw bytes of every message of the call (protobuf keeps strings as
UTF-8 as they are), its log lines and its error: any string value matches, field names do not.
"""

from __future__ import annotations

import builtins
import itertools
import json
import marshal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError
from mmplug.host._private import private_database, tighten_database

if TYPE_CHECKING:
    from mmplug.host.events import CallEvent

TRACE_DB = "trace.db"
FLUSH_EVERY_S = 0.5
FLUSH_AT = 256
KEEP_ROWS = 100_000
CHUNK = 32  # entries encoded between two releases of the GIL (the hook path waits for it)
LIST_LIMIT = 200
KINDS = ("hook", "http", "api", "lifecycle", "action")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    name TEXT NOT NULL,
    plugin_id TEXT NOT NULL DEFAULT '',
    node TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL DEFAULT '',
    error TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    nested INTEGER NOT NULL DEFAULT 0,
    api_count INTEGER NOT NULL DEFAULT 0,
    methods TEXT NOT NULL DEFAULT ',',
    search BLOB NOT NULL DEFAULT x''
);
-- apart from the summaries: a filter scans the summaries and the search text, not the bodies
CREATE TABLE IF NOT EXISTS bodies (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS calls_by_name ON calls(name);
CREATE INDEX IF NOT EXISTS calls_by_user ON calls(user_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Clock of the trace: wall time with perf_counter's resolution, so the waterfall lines up.
_OFFSET = time.time() - time.perf_counter()


def now() -> float:
    return time.perf_counter() + _OFFSET


@dataclass
class Entry:
    """One thing that happened, as the capture hands it over (cheap to build)."""

    kind: str  # hook | http | api | lifecycle | action
    name: str  # the hook, "GET /path", "reload", the action's title
    end: float
    duration_s: float = 0.0
    plugin_id: str = ""
    error: str | None = None
    result: CallEvent | None = None  # a hook call: encoded by the writer
    api: list[tuple[Any, float]] = field(default_factory=list)  # (ApiCall, its end)
    nested: bool = False
    user_id: str = ""
    info: dict[str, Any] = field(default_factory=dict)  # JSON-able details (http, reload, ...)
    seq: int = 0
    node: str = ""  # which node (several nodes: node1, node2, ...)


class TraceStore:
    """The trace of one explorer (see the module docstring). ``path`` None: a private temp
    file, deleted on close."""

    def __init__(self, path: str | Path | None, *, fresh: bool = True,
                 keep_rows: int = KEEP_ROWS) -> None:
        import tempfile

        self._tmp: Path | None = None
        if path is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="mmplug-trace-"))
            path = self._tmp / TRACE_DB
        self.path = Path(path)
        self.keep_rows = keep_rows
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        try:
            # the trace holds every request and answer: the developer's alone, as the store
            private_database(self.path)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False,
                                       isolation_level=None)
            self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;" + _SCHEMA)
            last = self._db.execute("SELECT max(seq) FROM calls").fetchone()[0]
            tighten_database(self.path)
        except sqlite3.Error as exc:
            raise MmplugError(f"cannot open the explorer's trace {self.path}: {exc}",
                              hint="delete the file; it only holds the trace of a past "
                              "session") from None
        self._seq = itertools.count((last or 0) + 1)
        self._pending: list[Entry] = []
        self._plock = threading.Lock()  # the pending list (held for an append or a swap)
        self._lock = threading.Lock()  # the connection
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    # -- writing ------------------------------------------------------------------------------
    def add(self, entry: Entry) -> int:
        """Queue ``entry``; returns its sequence number (the order things ended in)."""
        with self._plock:
            entry.seq = next(self._seq)
            self._pending.append(entry)
            full = len(self._pending) >= FLUSH_AT
        if full:
            self._wake.set()
        return entry.seq

    def start(self) -> None:
        self._thread = threading.Thread(target=self._writer, name="mmplug-explorer-trace",
                                        daemon=True)
        self._thread.start()

    def _writer(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_EVERY_S)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a broken entry must not end the trace
                pass

    def flush(self) -> None:
        """Write what is pending (from any thread); listeners get the new summaries."""
        with self._lock:
            with self._plock:
                taken, self._pending = self._pending, []
            if not taken:
                return
            rows: list[tuple[Any, ...]] = []
            for start in range(0, len(taken), CHUNK):
                rows.extend(_row(entry) for entry in taken[start:start + CHUNK])
                time.sleep(0)  # let a hook call that is waiting for the GIL go first
            try:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO calls(seq, kind, start, end, name, plugin_id, "
                    "user_id, error, outcome, nested, api_count, methods, search, node) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [r[:-2] + r[-1:] for r in rows])
                self._db.executemany("INSERT OR REPLACE INTO bodies(seq, body) VALUES(?, ?)",
                                     [(r[0], r[-2]) for r in rows])
                last = rows[-1][0]
                self._db.execute("DELETE FROM calls WHERE seq <= ?", (last - self.keep_rows,))
                self._db.execute("DELETE FROM bodies WHERE seq <= ?", (last - self.keep_rows,))
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                raise
        summaries = [_summary_of_row(r) for r in rows]
        for listener in list(self.listeners):
            try:
                listener(summaries)
            except Exception:
                pass

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        try:
            self.flush()
        except Exception:
            pass
        with self._lock:
            self._db.close()
        if self._tmp is not None:
            import shutil

            shutil.rmtree(self._tmp, ignore_errors=True)

    def set_meta(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)",
                             (key, json.dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    # -- reading ------------------------------------------------------------------------------
    def pending_count(self) -> int:
        return len(self._pending)

    def list(self, *, kind: str | None = None, name: str | None = None,
             method: str | None = None, user_id: str | None = None, errors: bool = False,
             text: str | None = None, plugin_id: str | None = None, before: int | None = None,
             limit: int = LIST_LIMIT) -> dict[str, Any]:
        """Summaries of the newest calls that match every filter given (newest first), with
        how many match (None for a text filter with more matches than ``limit``: counting
        them all would read every call's text) and how many there are."""
        self.flush()
        where: builtins.list[str] = []
        args: builtins.list[object] = []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if name:
            where.append("name = ?")
            args.append(name)
        if method:
            where.append("instr(methods, ?) > 0")
            args.append(f",{method},")
        if user_id:
            where.append("user_id = ?")
            args.append(user_id)
        if errors:
            where.append("error IS NOT NULL")
        if plugin_id:
            where.append("plugin_id = ?")
            args.append(plugin_id)
        if text:
            where.append("instr(search, ?) > 0")
            args.append(text.lower().encode())
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        page = clause + (" AND" if where else " WHERE") + " seq < ?" if before else clause
        limit = max(1, min(int(limit), 1000))
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM calls{page} ORDER BY seq DESC LIMIT ?",
                (*args, before, limit) if before else (*args, limit)).fetchall()
            if text and len(rows) == limit:
                matched = None  # counting every match would scan every call's text
            else:
                matched = self._db.execute(f"SELECT count(*) FROM calls{clause}",
                                           args).fetchone()[0]
            total = self._db.execute("SELECT count(*) FROM calls").fetchone()[0]
        return {"calls": [_summary(r) for r in rows], "matched": matched, "total": total}

    def names(self) -> dict[str, builtins.list[str]]:
        """The hook names, API methods and plugins seen so far (for the filter's choices)."""
        self.flush()
        with self._lock:
            names = [r[0] for r in self._db.execute(
                "SELECT DISTINCT name FROM calls WHERE kind='hook' ORDER BY name")]
            plugins = [r[0] for r in self._db.execute(
                "SELECT DISTINCT plugin_id FROM calls WHERE plugin_id != '' ORDER BY 1")]
            methods: set[str] = set()
            for (value,) in self._db.execute("SELECT DISTINCT methods FROM calls"):
                methods.update(m for m in value.split(",") if m)
        return {"hooks": names, "methods": sorted(methods), "plugins": plugins}

    def _row(self, seq: int) -> sqlite3.Row | None:
        self.flush()
        with self._lock:
            self._db.row_factory = sqlite3.Row
            try:
                row: sqlite3.Row | None = self._db.execute(
                    "SELECT calls.*, bodies.body FROM calls JOIN bodies USING (seq) WHERE seq=?",
                    (seq,)).fetchone()
                return row
            finally:
                self._db.row_factory = None

    def detail(self, seq: int) -> dict[str, Any] | None:
        """One call in full: request, response, API calls and logs decoded to JSON, the
        waterfall's timings, and the calls it caused (hooks run during its API calls)."""
        row = self._row(seq)
        if row is None:
            return None
        body = marshal.loads(row["body"])
        start = row["start"]
        out = _summary(tuple(row[c] for c in _SUMMARY_NAMES))
        out.update(_requests(row["name"] if row["kind"] == "hook" else "", body.get("request")))
        out["request_type"] = (body.get("request") or ("", b""))[0]
        out["response"] = _decode(body.get("response"))
        out["api_calls"] = [
            {"method": m, "request": _decode_api(m, "request", rq),
             "response": _decode_api(m, "response", rs), "error": json.loads(err),
             "duration_s": d, "emulated": emulated,
             "offset_s": max(0.0, end - d - start) if end else None}
            for m, rq, rs, err, d, emulated, end in body.get("api", [])]
        out["logs"] = [{"level": lv, "message": msg, "fields": json.loads(fields), "module": mod,
                        "source": src, "time": when}
                       for lv, msg, fields, mod, src, when in body.get("logs", [])]
        out["info"] = body.get("info") or {}
        with self._lock:
            children = self._db.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM calls WHERE seq != ? AND start >= ? "
                "AND end <= ? AND seq BETWEEN ? AND ? AND kind='hook' "
                + ("" if row["kind"] == "action" else "AND nested=1 ")
                + "ORDER BY start LIMIT 200",
                (seq, start, row["end"], seq - 10_000, seq)).fetchall()
        out["children"] = [dict(_summary(c), offset_s=max(0.0, c[2] - start))
                           for c in children]
        return out

    def hook_result(self, seq: int) -> tuple[CallEvent, dict[str, Any]]:
        """The stored hook call as its event (messages rebuilt from their bytes), and its
        extra facts (``ids``, ``nested``), for a cassette."""
        from mmplug.host.api import ApiCall
        from mmplug.host.events import CallEvent
        from mmplug.host.logs import LogRecord

        row = self._row(seq)
        if row is None or row["kind"] != "hook":
            raise MmplugError(f"call #{seq} is not a recorded hook call",
                              hint="pick calls of the trace that are hook calls")
        body = marshal.loads(row["body"])
        request = _message(*body["request"])
        response = _message(*body["response"]) if body.get("response") else None
        calls = [ApiCall(row["plugin_id"], m, _api_message(m, "request", rq),
                         _api_message(m, "response", rs), json.loads(err), d, emulated)
                 for m, rq, rs, err, d, emulated, _end in body.get("api", [])]
        logs = [LogRecord(level=lv, message=msg, plugin_id=row["plugin_id"],
                          fields=json.loads(fields), module=mod or "", source=src or "")
                for lv, msg, fields, mod, src, _when in body.get("logs", [])]
        result = CallEvent(row["name"], row["plugin_id"], request, response, row["error"],
                           calls, logs, row["end"] - row["start"], node=row["node"])
        return result, {"nested": bool(row["nested"]), **(body.get("info") or {})}


_SUMMARY_NAMES = ("seq", "kind", "start", "end", "name", "plugin_id", "user_id", "error",
                  "outcome", "nested", "api_count", "methods", "node")
_SUMMARY_COLUMNS = ", ".join(_SUMMARY_NAMES)


def _summary(row: Iterable[Any]) -> dict[str, Any]:
    (seq, kind, start, end, name, plugin_id, user_id, error, outcome, nested, count, methods,
     node) = row
    return {"seq": seq, "kind": kind, "start": start, "duration_ms": round((end - start) * 1000, 3),
            "name": name, "plugin_id": plugin_id, "user_id": user_id, "error": error,
            "outcome": outcome, "nested": bool(nested), "api_count": count,
            "methods": [m for m in methods.split(",") if m], "node": node}


def _summary_of_row(row: tuple[Any, ...]) -> dict[str, Any]:
    return _summary((*row[:12], row[-1]))  # the node comes last, after the search and body


# -- encoding (writer thread) ----------------------------------------------------------------
def _bytes_of(message: Any) -> tuple[str, bytes] | None:
    if message is None:
        return None
    return message.DESCRIPTOR.full_name, message.SerializeToString()


def _jsonable(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


_USER_FIELDS = ("post", "new_post", "args", "reaction", "member", "channel_member", "user")


def user_of(request: Any) -> str:
    """The user a hook request is about (the poster, the one running a command, ...)."""
    if request is None:
        return ""
    fields = request.DESCRIPTOR.fields_by_name
    for name in _USER_FIELDS:
        if name in fields and request.HasField(name):
            sub = getattr(request, name)
            value = getattr(sub, "user_id", "") or (getattr(sub, "id", "") if name == "user"
                                                     else "")
            if value:
                return str(value)
    if "user_id" in fields:
        return str(getattr(request, "user_id", ""))
    if request.DESCRIPTOR.name == "ServeHTTPRequestInit":
        for header in request.headers:
            if header.key.lower() == "mattermost-user-id" and header.values:
                return str(header.values[0])
    return ""


def _row(entry: Entry) -> tuple[Any, ...]:
    body: dict[str, Any] = {}
    search: list[bytes] = [entry.name.encode()]
    outcome = ""
    result = entry.result
    if result is not None:
        body["request"] = _bytes_of(result.request)
        body["response"] = _bytes_of(result.response)
        search.append(body["request"][1] if body["request"] else b"")
        if body["response"]:
            search.append(body["response"][1])
        reason = getattr(result.response, "rejection_reason", "") if result.response else ""
        outcome = "failed" if result.error else ("rejected: " + reason if reason else "ok")
        if not entry.user_id:
            entry.user_id = user_of(result.request)
        logs = result.logs
    else:
        logs = []
        outcome = entry.info.get("outcome", "") if entry.info else ""
    api = []
    methods = []
    for call, end in entry.api:
        rq, rs = _bytes_of(call.request), _bytes_of(call.response)
        api.append((call.method, rq[1] if rq else b"", rs[1] if rs else None,
                    _jsonable(call.error), call.duration_s, call.emulated, end))
        methods.append(call.method)
        search.append(rq[1] if rq else b"")
        if rs:
            search.append(rs[1])
    body["api"] = api
    body["logs"] = [(r.level, r.message, _jsonable(r.fields), r.module, r.source,
                     r.time.isoformat()) for r in logs]
    search.extend(r.message.encode() for r in logs)
    if entry.info:
        info = _jsonable(entry.info)
        body["info"] = json.loads(info)
        search.append(info.encode())
    if entry.error:
        search.append(entry.error.encode())
    text = b"\n".join(search).lower()  # ASCII only: bytes.lower() is a C loop
    distinct = ",".join(dict.fromkeys(methods))
    return (entry.seq, entry.kind, entry.end - entry.duration_s, entry.end, entry.name,
            entry.plugin_id, entry.user_id, entry.error, outcome, int(entry.nested), len(api),
            f",{distinct}," if distinct else ",", text, marshal.dumps(body), entry.node)


# -- decoding (when a call is looked at) -----------------------------------------------------
def _message(full_name: str, data: bytes) -> Any:
    from mmplug.protocol.messages import message_class

    message = message_class(full_name)()
    message.ParseFromString(data)
    return message


def _decode(pair: tuple[str, bytes] | None) -> Any:
    if pair is None:
        return None
    from google.protobuf import json_format

    return json_format.MessageToDict(_message(*pair), preserving_proto_field_name=True)


def _requests(hook: str, pair: tuple[str, bytes] | None) -> dict[str, Any]:
    """``request``: what the plugin got for a call of ``hook`` (what the server's gRPC hook
    client sends of the request the host made: :func:`mmplug.host.hook_wire.as_sent`), and
    ``request_as_made`` when the host made more of it (a re-fire sends that, as a replay
    does)."""
    if pair is None or not hook:
        return {"request": _decode(pair)}
    from google.protobuf import json_format

    from mmplug.host.hook_wire import as_sent

    made = _message(*pair)
    sent = as_sent(hook, made)
    out = {"request": json_format.MessageToDict(sent, preserving_proto_field_name=True)}
    if sent != made:
        out["request_as_made"] = json_format.MessageToDict(made,
                                                           preserving_proto_field_name=True)
    return out


def _api_message(method: str, part: str, data: bytes | None) -> Any:
    if data is None:
        return None
    from mmplug.protocol.catalog import API_BY_GO_NAME
    from mmplug.protocol.messages import message_class

    spec = API_BY_GO_NAME[method]
    message = message_class(spec.request if part == "request" else spec.response)()
    message.ParseFromString(data)
    return message


def _decode_api(method: str, part: str, data: bytes | None) -> Any:
    message = _api_message(method, part, data)
    if message is None:
        return None
    from google.protobuf import json_format

    return json_format.MessageToDict(message, preserving_proto_field_name=True)
