"""A server setting changed for the length of a test (the parity tests' hosts are shared by a
module, so each change is undone)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from worldhost import Host

from mmplug.host.api.config import load_server_config, save_server_config


@contextlib.contextmanager
def server_setting(host: Host, section: str, key: str, value: Any) -> Iterator[None]:
    with host.store.tx() as db:
        saved = load_server_config(db)
        changed = load_server_config(db)
        changed.setdefault(section, {})[key] = value
        save_server_config(db, changed)
    try:
        yield
    finally:
        with host.store.tx() as db:
            save_server_config(db, saved)
