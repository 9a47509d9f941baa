"""The race detector: the lost-update pattern in KV access, and nodes that answer differently.

**Lost updates.** With several nodes (``Session(..., nodes=N)``) every hook call carries a tag
that mmplug's SDK echoes on the API calls it makes (:mod:`mmplug.sdk._calltag`), so each KV
call is known by its node, its hook call and the plugin's line that made it.
:class:`RaceDetector` watches them and reports the *pattern* of a lost update: a call reads a
key, then writes it blind (``KVSet``, ``KVSetWithExpiry``, ``KVDelete``, a non-atomic
``KVSetWithOptions``) without a compare-and-set in between, while another call (on another
node, or the same node at the same time) writes that key too. Whether the other write happened
to come in between in this run does not matter: it could have (the finding says when it did,
and the update was lost). A read and write done while holding a lock that every other writer
of the key holds as well (a successful atomic insert of a key, released by deleting it: the
SDK's ``Mutex``, the Go plugin API's mutex) are not reported; compare-and-set writes never are.

**Answers that differ.** :func:`compare_answers` sends one request to every node, each time
from the same shared state (the store is put back between them), and reports when the answers
differ once ids and times are normalised: the plugin keeps state in its process's memory,
which the other nodes do not see.

Each finding names the key, both calls (node, hook, the KV calls in order with the plugin's
lines) and the fix; :meth:`Finding.describe` is its text.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.api import ApiCall
    from mmplug.host.events import CallEvent
    from mmplug.host.session import Session

READ, WRITE, ATOMIC = "read", "write", "atomic"
FIX_LOST_UPDATE = (
    "write it with compare-and-set against the value you read, again while it answers False "
    "(self.api.kv_compare_and_set(key, old, new), or kv_set_with_options(key, new, "
    "atomic=True, old_value=old)); for a counter, mmplug.sdk.cluster.Counter(self.api, key)"
    ".add(1); or hold one mmplug.sdk.cluster.Mutex(self.api, name) around the read and the "
    "write wherever the key is written")
FIX_MEMORY = (
    "keep what the answer depends on in the KV store (or another shared place), not in the "
    "plugin's memory: every node runs its own process; or tell the other nodes with "
    "PublishPluginClusterEvent when it changes")


@dataclass
class Access:
    """One KV call, as the detector sees it."""

    seq: int
    node: str
    tag: str
    plugin_id: str
    method: str
    key: str
    kind: str  # READ, WRITE or ATOMIC
    ok: bool = True  # an atomic call that did what it asked
    acquire: bool = False  # a successful atomic insert (a lock taken)
    release: bool = False  # the key deleted
    value: str = ""  # what was read or written, short
    site: str = ""
    started: float = 0.0
    finished: float = 0.0
    guards: frozenset[str] = frozenset()  # the locks its call held meanwhile

    def line(self) -> str:
        verb = {READ: "read", WRITE: "wrote", ATOMIC: "compare-and-set"}[self.kind]
        if self.release:
            verb = "deleted" if self.kind == WRITE else "compare-and-deleted"
        outcome = "" if self.ok else " (did not match)"
        value = f" {self.value}" if self.value and not self.release else ""
        where = f"   at {self.site}" if self.site else ""
        return f"{self.method} {self.key!r}: {verb}{value}{outcome}{where}"


@dataclass
class Trace:
    """One side of a finding: which call, and what it did."""

    node: str
    call: str  # "MessageHasBeenPosted (call 12)", "clock tick (call 40)", ...
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node, "call": self.call, "steps": list(self.steps)}


@dataclass
class Finding:
    """One thing the detector found (see the module docstring)."""

    kind: str  # "lost-update" | "divergent-answers"
    plugin_id: str
    title: str
    traces: list[Trace]
    fix: str
    key: str = ""
    observed: bool = False  # a lost update did happen in this run
    count: int = 1  # how many times the pattern was seen
    other: str = ""  # who else writes the key: "another node", "another call on the same node"

    def describe(self) -> str:
        """The finding as text (the CLI prints it; the pytest fixture fails with it)."""
        lines = [self.title + (f" [seen {self.count} times]" if self.count > 1 else "")]
        for n, trace in enumerate(self.traces, start=1):
            where = f" on {trace.node}" if trace.node else ""
            lines.append(f"  call {n}{where}: {trace.call}")
            lines += [f"    {step}" for step in trace.steps]
        lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "plugin_id": self.plugin_id, "key": self.key,
                "title": self.title, "observed": self.observed, "count": self.count,
                "traces": [t.as_dict() for t in self.traces], "fix": self.fix}


def classify(call: ApiCall) -> tuple[str, str, bool, bool, bool, str] | None:
    """``(key, kind, ok, acquire, release, value)`` of a KV call; None for other calls (and
    for calls that failed, which changed nothing)."""
    method = call.method
    request: Any = call.request
    response: Any = call.response
    if call.error or response is None:
        return None
    if method == "KVGet":
        return request.key, READ, True, False, False, _short(response.value)
    if method in ("KVSet", "KVSetWithExpiry"):
        value = bytes(request.value)
        return request.key, WRITE, True, False, not value, _short(value)
    if method == "KVDelete":
        return request.key, WRITE, True, False, True, ""
    if method == "KVSetWithOptions":
        value = bytes(request.value)
        if not request.options.atomic:
            return request.key, WRITE, True, False, not value, _short(value)
        ok = bool(response.success)
        acquire = ok and bool(value) and not request.options.old_value
        return request.key, ATOMIC, ok, acquire, ok and not value, _short(value)
    if method == "KVCompareAndSet":
        ok = bool(response.success)
        new = bytes(request.new_value)
        acquire = ok and bool(new) and not request.old_value
        return request.key, ATOMIC, ok, acquire, ok and not new, _short(new)
    if method == "KVCompareAndDelete":
        ok = bool(response.success)
        return request.key, ATOMIC, ok, False, ok, ""
    return None


def _short(value: bytes) -> str:
    if not value:
        return "(nothing)"
    text = value[:40].decode("utf-8", "replace")
    return repr(text + ("..." if len(value) > 40 else ""))


PENDING_MAX = 4096  # API calls held before they are classified on the call path


class RaceDetector:
    """A session observer that keeps the KV calls of every node and finds the lost-update
    pattern in them (:meth:`findings`). ``describe_tag(tag)`` names the call of a tag that no
    hook event names (a clock tick)."""

    def __init__(self, describe_tag: Callable[[str], str | None] | None = None) -> None:
        self._lock = threading.Lock()
        self._accesses: list[Access] = []
        # the API calls seen and not yet looked at: noting one is a list append (atomic under
        # the GIL) on the plugin's call path; classifying it waits until accesses are asked
        # for, or until PENDING_MAX of them are held
        self._pending: list[ApiCall] = []
        self._calls: dict[str, str] = {}  # tag -> "Hook (call N)"
        self._describe_tag = describe_tag or (lambda tag: None)
        self._seq = 0

    # -- observing -------------------------------------------------------------------------
    def on_api_call(self, call: ApiCall) -> None:
        if call.method.startswith("KV"):
            self._pending.append(call)
            if len(self._pending) >= PENDING_MAX:
                self._drain()

    def _drain(self) -> None:
        """Classify the calls noted since the last time, in the order they were noted."""
        with self._lock:
            pending = self._pending  # appended to without the lock: take what is there now
            count = len(pending)
            batch = pending[:count]
            del pending[:count]  # calls appended meanwhile stay for the next time
            for call in batch:
                found = classify(call)
                if found is None:
                    continue
                key, kind, ok, acquire, release, value = found
                self._seq += 1
                self._accesses.append(Access(
                    self._seq, call.node, call.tag or f"untagged@{call.node}", call.plugin_id,
                    call.method, key, kind, ok, acquire, release, value, call.site,
                    call.started, call.started + call.duration_s))

    def on_hook_call(self, event: CallEvent) -> None:
        if event.tag:
            with self._lock:
                self._calls[event.tag] = f"{event.hook} (call {event.tag})"

    def reset(self) -> None:
        """Forget what was seen (a test starting afresh)."""
        with self._lock:
            del self._pending[:]
            self._accesses.clear()
            self._calls.clear()

    @property
    def accesses(self) -> list[Access]:
        self._drain()
        with self._lock:
            return list(self._accesses)

    # -- finding -----------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """The lost-update patterns seen so far, one per key and pair of code lines."""
        accesses = self.accesses
        by_tag: dict[str, list[Access]] = {}
        for access in accesses:
            by_tag.setdefault(access.tag, []).append(access)
        for calls in by_tag.values():
            _guard(calls)
        writers: dict[tuple[str, str], list[Access]] = {}
        for access in accesses:
            if access.kind == WRITE or (access.kind == ATOMIC and access.ok):
                writers.setdefault((access.plugin_id, access.key), []).append(access)
        found: dict[tuple[str, str, str, str], tuple[int, Finding]] = {}
        for tag, calls in by_tag.items():
            for read, write in _read_then_blind_write(calls):
                others = [w for w in writers.get((write.plugin_id, write.key), [])
                          if w.tag != tag and not (read.guards & write.guards & w.guards)]
                if not others:
                    continue
                rank, other, _ = _best(others, read, write)
                between = any(w.finished >= read.started and w.started <= write.finished
                              for w in others)
                signature = (write.plugin_id, write.key, read.site, write.site)
                seen = found.get(signature)
                count = 1 if seen is None else seen[1].count + 1
                if seen is not None and seen[0] >= rank:
                    seen[1].count = count
                    seen[1].observed = seen[1].observed or between
                    continue
                observed = between or (seen is not None and seen[1].observed)
                found[signature] = (rank, self._finding(read, write, other, by_tag, observed,
                                                        count))
        for _, finding in found.values():  # a later pair may have seen the loss happen
            finding.title = _title(finding)
        return sorted((f for _, f in found.values()), key=lambda f: (f.plugin_id, f.key))

    def _finding(self, read: Access, write: Access, other: Access,
                 by_tag: dict[str, list[Access]], observed: bool, count: int) -> Finding:
        mine = [a for a in by_tag[read.tag] if a.key == read.key
                and read.seq <= a.seq <= write.seq]
        theirs = _around(by_tag[other.tag], other)
        where = "another node" if other.node != write.node else "another call on the same node"
        return Finding(
            "lost-update", write.plugin_id, "",
            [Trace(write.node, self._name(read.tag), [a.line() for a in mine]),
             Trace(other.node, self._name(other.tag), [a.line() for a in theirs])],
            FIX_LOST_UPDATE, key=write.key, observed=observed, count=count, other=where)

    def _name(self, tag: str) -> str:
        if tag.startswith("untagged@"):
            return "a call of a plugin not built with mmplug's SDK (no call tag)"
        return self._calls.get(tag) or self._describe_tag(tag) or f"call {tag}"


def _best(others: list[Access], read: Access, write: Access) -> tuple[int, Access, bool]:
    """The other write to show, its rank and whether it came between the read and the write:
    a write of another node first, then one that came in between."""
    best: tuple[int, Access, bool] | None = None
    for other in others:
        between = other.finished >= read.started and other.started <= write.finished
        rank = 2 * (other.node != write.node) + between
        if best is None or rank > best[0]:
            best = (rank, other, between)
    assert best is not None
    return best


def _title(finding: Finding) -> str:
    key, plugin = finding.key, finding.plugin_id
    if finding.observed:
        return (f"lost update of KV key {key!r} ({plugin}): a call read it, {finding.other} "
                "wrote it, then the call wrote it back over that write without a "
                "compare-and-set")
    return (f"possible lost update of KV key {key!r} ({plugin}): a call reads it and writes it "
            f"back without a compare-and-set, while {finding.other} writes it too (in this run "
            "no write came in between; with other timing one update is lost)")


def _guard(calls: list[Access]) -> None:
    """Set each access's ``guards``: the locks its call held (taken by a successful atomic
    insert, given back by deleting the key)."""
    held: set[str] = set()
    for access in calls:
        if access.acquire:
            held.add(access.key)
        access.guards = frozenset(held - {access.key})
        if access.release:
            held.discard(access.key)


def _read_then_blind_write(calls: list[Access]) -> Iterable[tuple[Access, Access]]:
    """The (read, blind write) pairs of one call's accesses: a write whose key the call read
    before, with no atomic call on that key in between."""
    last_read: dict[str, Access] = {}
    for access in calls:
        if access.kind == READ:
            last_read[access.key] = access
        elif access.kind == ATOMIC:
            last_read.pop(access.key, None)
        elif access.key in last_read:
            yield last_read.pop(access.key), access


def _pick_other(writes: list[Access], node: str) -> Access:
    """The other write to show: one of another node when there is one."""
    for write in writes:
        if write.node != node:
            return write
    return writes[0]


def _around(calls: list[Access], write: Access) -> list[Access]:
    """The other call's accesses to the key up to its write (its own read, when it had one)."""
    same = [a for a in calls if a.key == write.key and a.seq <= write.seq]
    return same[-3:]


# -- answers that differ ---------------------------------------------------------------------
_ID = re.compile(r"\b[a-z0-9]{26}\b")
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
_MILLIS = re.compile(r"\b1[5-9]\d{11}\b")


def normalise(text: str) -> str:
    """``text`` with Mattermost ids, ISO times and epoch milliseconds replaced by placeholders,
    so that answers made at other times, with other ids, compare equal."""
    text = _ISO.sub("<time>", text)
    text = _MILLIS.sub("<time>", text)
    return _ID.sub("<id>", text)


def answer_text(event: CallEvent) -> str:
    """What a call answered, as comparable text: the response (or the error), and of an HTTP
    call its status and body."""
    if event.http is not None:
        body = event.http.get("body") or ""
        if isinstance(body, (bytes, bytearray)):
            body = body.decode("utf-8", "replace")
        return f"HTTP {event.http.get('status')}\n{body}"
    if event.error:
        return f"error: {event.error}"
    if event.response is None:
        return "(no answer)"
    from google.protobuf import json_format

    data = json_format.MessageToDict(event.response, preserving_proto_field_name=True)
    return json.dumps(data, sort_keys=True)


def divergence(plugin_id: str, what: str, answers: list[tuple[str, str]]) -> Finding | None:
    """A finding when the nodes' ``(node, answer text)`` differ once normalised, else None."""
    normalised = [(node, normalise(text)) for node, text in answers]
    distinct = {text for _, text in normalised}
    if len(distinct) < 2:
        return None
    first = normalised[0][1]
    other_node, other = next((node, text) for node, text in normalised if text != first)
    title = (f"nodes answer differently ({plugin_id}): {what} from the same shared state gets "
             f"{len(distinct)} different answers from {len(answers)} nodes: the plugin keeps "
             "state in its process's memory")
    traces = [Trace(node, what, [f"answered: {_clip(text)}"]) for node, text in
              (normalised[0], (other_node, other))]
    return Finding("divergent-answers", plugin_id, title, traces, FIX_MEMORY)


def _clip(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def compare_answers(session: Session, hook: str | None = None, request: Message | None = None,
                    *, plugin_id: str | None = None, http: tuple[str, str] | None = None,
                    headers: Iterable[tuple[str, str]] = (), body: bytes = b"",
                    **fields: Any) -> Finding | None:
    """Send one request to every node of ``session``, each from the same shared state (the
    store is put back before each, and after the last), and report whether the answers differ
    once ids and times are normalised: a hook (``hook``, with ``request`` or ``fields``), or an
    HTTP request (``http=("GET", "/path")``)."""
    import copy
    import tempfile
    from pathlib import Path

    from mmplug.errors import UsageError

    if (hook is None) == (http is None):
        raise UsageError("compare the answers to a hook or to an HTTP request, one of them")
    names = [n for n in session.node_names if n]
    if len(names) < 2:
        raise UsageError("comparing the nodes' answers needs several nodes",
                         hint="start the session with nodes=2 or more (--nodes N)")
    handle = session.plugin(plugin_id)
    store = session.store
    answers: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="mmplug-compare-") as folder:
        before = store.snapshot(Path(folder) / "before.db")
        try:
            for node in names:
                store.restore(before)
                if http is not None:
                    from mmplug.host.http_codec import request_init

                    init = request_init(http[0].upper(), http[1], list(headers))
                    event = session.call_http(init, body, handle.id, node=node)
                    what = f"{http[0]} {http[1]}"
                else:
                    assert hook is not None
                    event = session.fire(hook, copy.deepcopy(request), handle.id, node=node,
                                         **fields)
                    what = event.hook
                answers.append((node, answer_text(event)))
        finally:
            store.restore(before)
    return divergence(handle.id, what, answers)
