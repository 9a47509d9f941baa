"""Seeded world stores, cached as SQLite images so that a fresh session starts without seeding.

``mmplug fire`` and ``mmplug replay`` start every run from a fresh in-memory store seeded from a
world; validating and seeding the default world is a large part of a cold fire (the figures are
in docs/benchmarks.md). The result is the same every time for the same world text and the same
mmplug code, so the first run saves the seeded database (``sqlite3.Connection.serialize``) with
the stepping clock's position, and later runs load that image instead. The cache key covers the
world's text, the mmplug version and the size and modification time of every file of
``mmplug.host`` and ``mmplug.protocol`` (an edited checkout never reads an image its old code
wrote).

Best effort throughout: no cache folder, a damaged file or a Python without ``serialize`` means
seeding as before. The folder is ``$MMPLUG_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmplug/worlds``,
else ``~/.cache/mmplug/worlds``; it keeps the newest few images only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import StoreError

if TYPE_CHECKING:
    from mmplug.host.store import Store

KEEP = 8  # images kept in the folder
_FORMAT = 2  # raised when seeding makes a different store (the configuration's defaults)


def cache_dir() -> Path:
    from mmplug.host import cache_root

    return Path(cache_root())


def _code_fingerprint(digest: Any) -> None:
    import mmplug

    package = Path(mmplug.__file__).parent
    digest.update(getattr(mmplug, "__version__", "").encode())
    for part in ("host", "protocol"):
        for folder, dirs, files in os.walk(package / part):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                with contextlib.suppress(OSError):
                    info = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns};".encode())


def cache_key(world_text: str) -> str:
    digest = hashlib.sha256(f"mmplug-world-image/{_FORMAT}\0".encode())
    digest.update(world_text.encode("utf-8"))
    _code_fingerprint(digest)
    return digest.hexdigest()[:32]


def seeded_memory_store(world: str | Path) -> Store:
    """A fresh in-memory store seeded from ``world`` (name or path) with a stepping clock, from
    the image cache when it holds this world, else seeded (and the image saved)."""
    from mmplug.host.world import _read

    _, text = _read(world)
    from mmplug.host.store import Store

    can_cache = Store.can_image()
    key = cache_key(text) if can_cache else ""
    if can_cache:
        store = _load(cache_dir() / f"{key}.img")
        if store is not None:
            return store
    store = _seed(world)
    if can_cache:
        _save(store, cache_dir(), key)
    return store


def _seed(world: str | Path) -> Store:
    from mmplug.host.store import MEMORY, Store
    from mmplug.host.world import load_world, seed_store

    store = Store.open(MEMORY)
    try:
        seed_store(store, load_world(world), deterministic_clock=True)
    except BaseException:
        store.close()
        raise
    return store


def _load(path: Path) -> Store | None:
    from mmplug.host.clock import SteppingClock
    from mmplug.host.store import Store

    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        head, _, image = raw.partition(b"\n")
        header = json.loads(head)
        store = Store.open_image(image)
    except (ValueError, StoreError, KeyError, TypeError):
        return None
    try:
        store.seed_ids(str(header["seed"]))
        store.clock = SteppingClock(int(header["clock_next"]))
    except (KeyError, TypeError, ValueError):
        store.close()
        return None
    return store


def _save(store: Store, folder: Path, key: str) -> None:
    clock_next = getattr(store.clock, "_next", None)
    seed = getattr(store._ids, "seed", None)
    if not isinstance(clock_next, int) or seed is None:
        return
    header = json.dumps({"format": _FORMAT, "seed": seed, "clock_next": clock_next})
    from mmplug._atomic import replacing

    try:
        with replacing(folder / f"{key}.img") as out:
            out.write(header.encode() + b"\n" + store.image())
        _prune(folder)
    except (OSError, StoreError):
        return  # a read-only or full disk only costs the next run its seeding


def _prune(folder: Path) -> None:
    images = sorted(folder.glob("*.img"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in images[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
