"""The fake host's real PluginAPI server (SQLite store, default world) for the API client tests."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmplug.host.api._registry import ApiCall
from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import WorldInfo, load_world, seed_store, world_info

PLUGIN_ID = "com.example.sdkapi"
WORLDS = Path(__file__).resolve().parents[2] / "fixtures" / "worlds"


def licensed_world(folder: Path, **features: bool) -> Path:
    """The default world with a license that has ``features`` (``ldap_groups=True``)."""
    doc = json.loads((WORLDS / "default.json").read_text())
    doc["server"]["license"] = {"features": features}
    path = folder / "licensed.json"
    path.write_text(json.dumps(doc))
    return path


@dataclass
class Host:
    server: ApiServer
    store: Store
    info: WorldInfo
    calls: list[ApiCall] = field(default_factory=list)
    emitted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def address(self) -> str:
        return self.server.address

    def user(self, name: str) -> str:
        return self.info.users[name]

    def channel(self, name: str) -> str:
        return self.info.channels[name]

    @property
    def team(self) -> str:
        return self.info.teams["acme"]

    def rpcs(self) -> list[str]:
        return [c.method for c in self.calls]


@contextmanager
def fake_host(port: int = 0, store: Store | None = None,
              world: str | Path = "default") -> Iterator[Host]:
    """A started PluginAPI server over a store seeded with ``world`` (a name or a file)."""
    own = store is None
    if store is None:
        store = Store.open(":memory:")
        seed_store(store, load_world(world), deterministic_clock=True)
    calls: list[ApiCall] = []
    emitted: list[tuple[str, dict[str, Any]]] = []
    server = ApiServer(store, PLUGIN_ID, observer=calls.append, port=port,
                       emit=lambda kind, payload: emitted.append((kind, payload)))
    server.start()
    try:
        yield Host(server, store, world_info(store), calls, emitted)
    finally:
        server.stop(None)
        if own:
            store.close()


def placeholder_arguments(method: Any) -> dict[str, Any]:
    """Arguments of the right types for every required parameter of an API method (empty
    strings, zeros, empty containers, an empty dict for an entity)."""
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(method).parameters.values():
        if param.name == "self" or param.default is not param.empty or param.kind in (
                param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        first = str(param.annotation).split("|")[0].strip()
        if first.startswith(("Iterable", "list", "Sequence")):
            kwargs[param.name] = []
        elif first.startswith("Mapping"):
            kwargs[param.name] = {}
        else:
            kwargs[param.name] = {"str": "", "int": 0, "bool": False, "bytes": b"",
                                  "float": 0.0, "Any": None}.get(first, {})
    return kwargs
