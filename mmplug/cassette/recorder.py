"""CassetteRecorder: a session observer that appends every hook call to a cassette.

    recorder = CassetteRecorder("session.jsonl")
    recorder.attach(session)            # before session.start() to catch OnActivate too
    ...
    recorder.close()

Each call is written and flushed as it completes, so a cassette survives a crash of the tool
with every finished call in it. Calls of other plugins are skipped when ``plugin_id`` is given.
A hook the host ran because of another call (a CreatePost of a hook in flight that runs
MessageWillBePosted; the MessageHasBeenPosted that follows a fired MessageWillBePosted; the
hooks after the first one of a user action) is written with ``"nested": true``: a replay does
not fire it again, it happens again as a consequence of its parent.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mmplug.cassette.format import dump_line, header_dict, open_for_append

# The times a call recorded on the real clock (``mmplug dev``) stamped: a replay runs on the
# world's stepping clock and cannot give them back, so such a cassette's header ignores them.
REAL_CLOCK_FIELDS = ("create_at", "update_at", "edit_at", "last_post_at", "last_root_post_at",
                     "last_reply_at")

if TYPE_CHECKING:
    from mmplug.host.events import CallEvent
    from mmplug.host.session import Session
    from mmplug.host.store import Store


class CassetteRecorder:
    """Appends one JSON line per hook call to ``path`` (see ``docs/cassettes.md``)."""

    def __init__(
        self,
        path: str | Path,
        *,
        plugin_id: str | None = None,
        store: Store | None = None,
        world: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.plugin_id = plugin_id
        self.store = store
        self.world = world
        self.count = 0
        self._file: IO[str] | None = None
        self._seq = 0
        self._lock = threading.Lock()
        self._pending: tuple[int | None, int | None] = (None, None)
        self.session: Session | None = None
        self._recent: deque[CallEvent] = deque(maxlen=32)

    def attach(self, session: Session, *, observe: bool = True) -> CassetteRecorder:
        """Bind to ``session`` (its store, its in-flight calls) and, with ``observe``, add the
        recorder as its observer. Call before or after the session starts."""
        self.session = session
        if observe:
            session.add_observer(self)
        store = session.opened_store
        if store is not None:
            self.bind(store)
        return self

    def bind(self, store: Store) -> None:
        """Read the clock and id sequence from ``store`` (a session's store)."""
        from mmplug.host.fresh import id_counter, peek_clock, world_summary

        self.store = store
        if self.world is None:
            self.world = world_summary(store)
        self._pending = (peek_clock(store), id_counter(store))

    # -- observer interface --------------------------------------------------------------
    def on_hook_start(self, plugin_id: str, hook: str) -> None:
        """A call that is no consequence of another starts: its line records the clock and
        ids from here (whatever ran since the last line, a user action's own steps included)."""
        if self.plugin_id is None or plugin_id == self.plugin_id:
            self.mark()

    def on_hook_call(self, event: CallEvent) -> None:
        self.record(event)

    def record(self, event: CallEvent) -> None:
        """Write ``event`` as the next line (its JSON form, with the recording's sequence
        number, clock and id counter)."""
        if self.plugin_id is not None and event.plugin_id != self.plugin_id:
            return
        with self._lock:  # the same call delivered twice (two observer paths): once
            if any(seen is event for seen in self._recent):
                return
            self._recent.append(event)
        session = self.session
        if self.store is None and session is not None and session.opened_store is not None:
            self.bind(session.opened_store)
            self._pending = (None, None)  # bound during this call: its start is unknown
        # a consequence of another call (the session says so), or a hook the host ran inside
        # another hook call of the plugin (its collector is open)
        nested = event.nested or (session is not None and session.in_flight(event.plugin_id))
        with self._lock:
            out = self._open(event.plugin_id)
            self._seq += 1
            at_ms, ids = self._pending if not nested else (None, None)
            entry = event.to_dict(seq=self._seq, at_ms=at_ms, ids=ids,
                                  session_start=True if self.count == 0 else None)
            if nested:
                entry["nested"] = True
            out.write(dump_line(entry))
            out.flush()
            self.count += 1
            if not nested:
                self._mark()

    def mark(self) -> None:
        """Note the clock and id sequence now: the next call recorded starts from here."""
        with self._lock:
            self._mark()

    def _mark(self) -> None:
        if self.store is not None:
            from mmplug.host.fresh import id_counter, peek_clock

            self._pending = (peek_clock(self.store), id_counter(self.store))

    def _open(self, plugin_id: str) -> IO[str]:
        if self._file is None:
            ignore: tuple[str, ...] = ()
            if self.store is not None:
                from mmplug.host.fresh import peek_clock

                if peek_clock(self.store) is None:  # the real clock (a dev session)
                    ignore = REAL_CLOCK_FIELDS
            header = header_dict(self.plugin_id or plugin_id, self.world, ignore)
            self._file, self._seq = open_for_append(self.path, header)
        return self._file

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> CassetteRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
