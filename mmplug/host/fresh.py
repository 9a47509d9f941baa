"""Fresh, deterministic sessions: what ``mmplug fire`` and ``mmplug replay`` run plugins in.

The store lives in memory and is seeded from a world; ids come from the world's seed and time
from a stepping clock starting at the world's epoch. Two sessions made from the same world and
plugin see the same ids and times, which is what lets a replay compare responses exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmplug.host.session import Session
    from mmplug.host.store import Store

DEFAULT_WORLD = "default"


def world_summary(store: Store) -> dict[str, Any] | None:
    """What a cassette header records about the world a store was seeded from."""
    meta = store.get_meta("world")
    if not isinstance(meta, dict):
        return None
    return {k: meta.get(k) for k in ("name", "seed", "epoch_ms") if k in meta}


def open_world_store(world: str | Path | None = None) -> Store:
    """An in-memory store seeded from ``world`` (name or path) with a stepping clock (from the
    seeded-image cache when it holds the world: see :mod:`mmplug.host.world_cache`)."""
    from mmplug.host.world_cache import seeded_memory_store

    return seeded_memory_store(world or DEFAULT_WORLD)


def deterministic_session(
    plugin_dir: str | Path,
    *,
    world: str | Path | None = None,
    python: str | None = None,
    start_timeout: float = 10.0,
    hook_timeout: float = 30.0,
    observers: tuple[object, ...] = (),
    transport: str = "unix",
    private: bool = False,
    **options: Any,
) -> Session:
    """A not-yet-started Session over a fresh world store (``session.store``; the caller
    closes it after the session, so that it outlives a failed start).

    ``observers`` are attached before the start, so they also see OnActivate; ``options`` are
    the session's (a ``spawner``, an ``api_port``).
    """
    from mmplug.host.session import Session

    store = open_world_store(world)
    session = Session([plugin_dir], store=store, python=python, start_timeout=start_timeout,
                      hook_timeout=hook_timeout, transport=transport, private=private,
                      **options)
    for observer in observers:
        session.add_observer(observer)
    return session


def peek_clock(store: Store) -> int | None:
    """The next time a stepping clock will give, without advancing it (None otherwise)."""
    value = getattr(store.clock, "_next", None)
    return int(value) if isinstance(value, int) else None


def id_counter(store: Store) -> int | None:
    meta = store.get_meta("world")
    if not isinstance(meta, dict) or "seed" not in meta:
        return None
    return int(store.get_meta(f"id_counter:{meta['seed']}", 0))


def rewind(store: Store, at_ms: int | None, ids: int | None) -> None:
    """Put the clock and the id sequence where a recorded call found them."""
    if at_ms is not None and peek_clock(store) != at_ms and hasattr(store.clock, "set"):
        store.clock.set(at_ms)
    if ids is None or getattr(getattr(store, "_ids", None), "counter", None) == ids:
        return  # already there (the usual case): no database round trip
    meta = store.get_meta("world")
    if isinstance(meta, dict) and "seed" in meta:
        store.set_meta(f"id_counter:{meta['seed']}", ids)
        store.seed_ids(str(meta["seed"]))
