"""The fake host's state: one SQLite database (WAL), the only owner of state.

Tables are declared in ``mmplug/host/schema/*.sql`` (one file per area, applied in name
order, every statement ``CREATE ... IF NOT EXISTS``). All access goes through
:meth:`Store.tx` (a serialised ``BEGIN IMMEDIATE`` transaction) or :meth:`Store.read`; those
are the one boundary where ``sqlite3.Error`` becomes :class:`~mmplug.errors.StoreError`.

Snapshots are whole-database copies made with SQLite's online backup API.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmplug.errors import StoreError
from mmplug.host._private import private_database, tighten_database
from mmplug.host.clock import Clock, SystemClock
from mmplug.host.ids import IdGenerator

SCHEMA_VERSION = 1
MEMORY = ":memory:"
_SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")


def _schema_sql() -> list[str]:
    # a plain path beside this module (importlib.resources imports tempfile and shutil)
    folder = Path(__file__).parent / "schema"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [f.read_text(encoding="utf-8") for f in files]


# Columns added to a table after its first release: a database written before gets them on
# open (or on restoring such a snapshot), as ``CREATE TABLE IF NOT EXISTS`` leaves it alone.
_ADDED_COLUMNS = (("reactions", "delete_at", "INTEGER NOT NULL DEFAULT 0"),)


def _add_columns(conn: sqlite3.Connection) -> None:
    for table, column, decl in _ADDED_COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if have and column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def _connect(target: str, image: bytes | None = None) -> sqlite3.Connection:
    """A connection to ``target`` (holding ``image`` when given, see :meth:`Store.image`) with
    the settings every store uses: rows by name, foreign keys, waiting for locks."""
    conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=30.0)
    try:
        if image is not None:  # Python 3.11 and later (see Store.can_image)
            getattr(conn, "deserialize")(image)  # noqa: B009
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
    except BaseException:
        conn.close()
        raise
    return conn


def _unreadable_hint(target: str) -> str:
    """What to do about a state database that cannot be read: a project's own state can be
    started over; another file was given with --store."""
    from mmplug.host import STATE_DB, STATE_DIR

    where = Path(target)
    if (where.parent.name, where.name) == (STATE_DIR, STATE_DB):
        return ("delete it to start over (the next run seeds it from the world), or start "
                "`mmplug dev` or `mmplug run` with --fresh")
    return ("if it is a damaged state database, delete it to start over; else pass --store with "
            "the path of a state database (a new file is made), or :memory:")


class Store:
    """A SQLite database with the fake host's schema.

    Use ``Store.open(path)``; ``path`` is a file (created with its parent directories) or
    ``":memory:"``. Safe to share between threads: writes are serialised by a lock.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        self.clock: Clock = SystemClock()
        self._ids = IdGenerator("mmplug")
        self._replaced = 0  # whole-database loads (images, snapshots): see mark()

    # -- opening and closing -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path = MEMORY) -> Store:
        target = str(path)
        if target != MEMORY and Path(target).is_dir():
            raise StoreError(f"cannot open the state database {target}: it is a directory",
                             hint=f"pass --store with a file path ({Path(target) / 'state.db'}"
                             ", made if missing), or :memory:")
        try:
            if target != MEMORY:
                private_database(Path(target))
        except OSError as exc:
            raise StoreError(f"cannot create the state database {target}: "
                             f"{exc.strerror or exc}",
                             hint="check the folder's permissions, or pass --store with a "
                             "path you can write to") from None
        try:
            conn = _connect(target)
            if target != MEMORY:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, target)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the state database {target}: {exc}",
                             hint=_unreadable_hint(target)) from None
        if target != MEMORY:
            tighten_database(target)
        return store

    @classmethod
    def open_image(cls, image: bytes) -> Store:
        """An in-memory store holding a copy of :meth:`image` (sqlite3 serialize format).

        Raises :class:`~mmplug.errors.StoreError` when ``image`` is not such a database of this
        schema.
        """
        try:
            conn = _connect(MEMORY, image)
        except sqlite3.Error as exc:
            raise StoreError(f"not a state database image: {exc}") from None
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None or int(row[0]) != SCHEMA_VERSION:
                raise StoreError("a state database image of another schema version")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"not a state database image: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return cls(conn, MEMORY)

    @staticmethod
    def can_image() -> bool:
        """Whether this Python's sqlite3 can make and load images (3.11 and later)."""
        return hasattr(sqlite3.Connection, "serialize")

    def image(self) -> bytes:
        """The whole database as bytes (sqlite3 serialize format), see :meth:`open_image`."""
        with self._lock:
            try:
                return bytes(getattr(self._conn, "serialize")())  # noqa: B009 (3.11+)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot copy the state database: {exc}") from None

    def load_image(self, image: bytes) -> None:
        """Replace the whole database with ``image`` (from :meth:`image`): a copy in memory,
        much cheaper than :meth:`restore` from a file (Python 3.11 and later)."""
        with self._lock:
            try:
                getattr(self._conn, "deserialize")(image)  # noqa: B009 (3.11+)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot restore the state database: {exc}") from None
            self._replaced += 1

    def mark(self) -> tuple[int, int, int]:
        """A mark of what was written through this store: equal marks at two moments mean no
        row and no table changed in between (SQLite's ``total_changes``, the schema cookie
        and a count of whole-database loads: :meth:`load_image`, :meth:`restore`)."""
        with self._lock:
            schema = self._conn.execute("PRAGMA schema_version").fetchone()[0]
            return self._replaced, self._conn.total_changes, int(schema)

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self._lock:
            for script in _schema_sql():
                self._conn.executescript(script)
            _add_columns(self._conn)
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self._conn.execute(
                    "INSERT INTO meta(key, value) VALUES('schema_version', ?)", (SCHEMA_VERSION,)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer mmplug (schema {row[0]})",
                    hint="upgrade mmplug, or start over with `--fresh`",
                )

    # -- ids and time ------------------------------------------------------------------------
    def seed_ids(self, seed: str) -> None:
        """Use the deterministic id sequence of ``seed``, continuing from the stored counter."""
        with self._lock:
            self._ids = IdGenerator(seed, int(self.get_meta(f"id_counter:{seed}", 0)))

    def new_id(self) -> str:
        """The next 26-character id; the counter is saved with the current transaction."""
        with self._lock:
            value = self._ids.new_id()
            self._conn.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (f"id_counter:{self._ids.seed}", str(self._ids.counter)),
            )
        return value

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def peek_ms(self) -> int:
        """The time now, without advancing a stepping clock: for the host's bookkeeping,
        which must not move the times a replayed call sees."""
        peek = getattr(self.clock, "peek_ms", None)
        return int(peek()) if peek is not None else self.clock.now_ms()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; commits on success, rolls back on any exception.

        Never call into a plugin (fire a hook) while holding a transaction: the plugin may
        call the API back, which needs the store.
        """
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"state database busy or unusable: {exc}") from None
            try:
                yield self._conn
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise StoreError(f"could not change the state database: {exc}") from None
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._conn.execute("ROLLBACK")
                    raise StoreError(f"could not save state: {exc}") from None

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Read access (serialised with writers; SQLite reads are cheap)."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read the state database {self.path}: {exc}") from None

    # -- meta values -------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        with self.read() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any, db: sqlite3.Connection | None = None) -> None:
        sql = (
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value"
        )
        if db is not None:
            db.execute(sql, (key, json.dumps(value)))
            return
        with self.tx() as conn:
            conn.execute(sql, (key, json.dumps(value)))

    # -- reset and snapshots -------------------------------------------------------------
    def tables(self) -> list[str]:
        with self.read() as db:
            rows = db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        return sorted(r[0] for r in rows)

    def reset(self) -> None:
        """Empty every table (``--fresh``); the schema stays."""
        with self.tx() as db:
            db.execute("PRAGMA defer_foreign_keys = ON")
            for name in self.tables():
                db.execute(f'DELETE FROM "{name}"')
            db.execute(
                "INSERT INTO meta(key, value) VALUES('schema_version', ?)", (SCHEMA_VERSION,)
            )

    def snapshot(self, dest: str | Path) -> Path:
        """Copy the whole database to ``dest`` (online backup; consistent; 0600 like the
        store)."""
        dest = Path(dest)
        tmp = dest.with_suffix(dest.suffix + ".tmp")
        private_database(tmp)
        try:
            with self._lock:
                target = sqlite3.connect(tmp)
                try:
                    self._conn.backup(target)  # SQLite flushes it to the disk
                finally:
                    target.close()
            tmp.replace(dest)  # a stop leaves the old snapshot or the new one, whole
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return dest

    def restore(self, src: str | Path) -> None:
        """Replace the whole database with a snapshot made by :meth:`snapshot`."""
        src = Path(src)
        if not src.is_file():
            raise StoreError(
                f"no snapshot at {src}", hint="list snapshots with `mmplug run --help`"
            )
        with self._lock:
            source = sqlite3.connect(src)
            try:
                source.backup(self._conn)
                _add_columns(self._conn)
            finally:
                source.close()
                self._replaced += 1

    @staticmethod
    def check_snapshot_name(name: str) -> str:
        if not _SNAPSHOT_NAME.match(name):
            raise StoreError(
                f"invalid snapshot name {name!r}",
                hint="use letters, digits, '-', '_' and '.' (at most 64 characters)",
            )
        return name


class UniqueConflict(StoreError):
    """A write that a unique constraint refused (the API emulation answers with the server's
    AppError for it)."""


def execute_unique(db: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> None:
    """Run a write inside :meth:`Store.tx`; a unique constraint that refuses it raises
    :class:`UniqueConflict` (the transaction goes on)."""
    try:
        db.execute(sql, args)
    except sqlite3.IntegrityError as exc:
        raise UniqueConflict(str(exc)) from None
