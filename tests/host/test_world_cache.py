"""Seeded-world images: a store loaded from the cache is the store seeding would make."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmplug.host import world_cache
from mmplug.host.store import Store
from mmplug.protocol.names import ENV_CACHE_DIR


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV_CACHE_DIR, str(folder))
    return folder


def _contents(store: Store) -> dict[str, list[tuple[object, ...]]]:
    with store.read() as db:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY rowid")]
                for t in tables}


def _state(store: Store) -> tuple[object, ...]:
    """Everything a session would see: rows, then the next time and the next ids."""
    return (_contents(store), store.now_ms(), store.new_id(), store.new_id())


def test_a_cached_world_equals_a_seeded_one(cache: Path) -> None:
    first = world_cache.seeded_memory_store("default")  # seeds, saves the image
    assert len(list(cache.glob("*.img"))) == 1
    second = world_cache.seeded_memory_store("default")  # from the image
    reference = world_cache._seed("default")
    try:
        assert _state(second) == _state(reference) == _state(first)
    finally:
        for store in (first, second, reference):
            store.close()


def test_a_hit_does_not_seed(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world_cache.seeded_memory_store("default").close()

    def no_seeding(world: object) -> Store:
        raise AssertionError("seeded although the image was cached")

    monkeypatch.setattr(world_cache, "_seed", no_seeding)
    store = world_cache.seeded_memory_store("default")
    assert store.get_meta("world")["name"] == "default"
    store.close()


def test_a_damaged_image_is_ignored_and_replaced(cache: Path) -> None:
    world_cache.seeded_memory_store("default").close()
    (image,) = cache.glob("*.img")
    image.write_bytes(b'{"format": 1}\nnot a database')
    store = world_cache.seeded_memory_store("default")
    reference = world_cache._seed("default")
    assert _state(store) == _state(reference)
    assert image.read_bytes().startswith(b'{"format"') and b"SQLite format 3" in image.read_bytes()
    store.close()
    reference.close()


def test_an_unwritable_cache_only_costs_the_seeding(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(ENV_CACHE_DIR, str(blocker / "cache"))
    store = world_cache.seeded_memory_store("default")
    assert store.get_meta("world")["name"] == "default"
    store.close()


def test_another_world_text_is_another_image(cache: Path, tmp_path: Path) -> None:
    import json

    from mmplug.host.world import _read

    _, text = _read("default")
    doc = json.loads(text)
    doc["name"] = "other"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc), encoding="utf-8")
    world_cache.seeded_memory_store("default").close()
    store = world_cache.seeded_memory_store(other)
    assert store.get_meta("world")["name"] == "other"
    store.close()
    assert len(list(cache.glob("*.img"))) == 2


def test_a_code_change_is_another_image(cache: Path) -> None:
    from mmplug.host.world import _read

    _, text = _read("default")
    before = world_cache.cache_key(text)
    store_py = Path(world_cache.__file__).with_name("store.py")
    info = store_py.stat()
    try:
        os.utime(store_py, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
        assert world_cache.cache_key(text) != before
    finally:
        os.utime(store_py, ns=(info.st_atime_ns, info.st_mtime_ns))
