"""A state database written by an earlier mmplug opens (and restores) with today's columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mmplug.host.api.views import reactions_of
from mmplug.host.store import Store


def _old_database(path: Path) -> Path:
    """A store file whose reactions table predates removed reactions being kept."""
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE reactions DROP COLUMN delete_at")
    conn.commit()
    conn.close()
    return path


def _reactions_readable(store: Store) -> bool:
    """Reading reactions works (it filters on the newer delete_at column)."""
    return reactions_of(store, ["p" * 26]) == []


def test_an_old_store_file_gains_the_new_columns_on_open(tmp_path: Path) -> None:
    store = Store.open(_old_database(tmp_path / "state.db"))
    try:
        assert _reactions_readable(store)
    finally:
        store.close()


def test_restoring_an_old_snapshot_gives_it_the_new_columns(tmp_path: Path) -> None:
    old = _old_database(tmp_path / "old.db")
    store = Store.open(tmp_path / "state.db")
    try:
        store.restore(old)
        assert _reactions_readable(store)
    finally:
        store.close()
