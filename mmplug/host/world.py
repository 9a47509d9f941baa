"""Worlds: the seed state of a fake host (a team, users, a bot, channels, config, roles).

A world is a JSON file (``mmplug/host/worlds/<name>.json``; ``fixtures/worlds/`` links to the
same files). Entities use the protobuf field names of the contract; ids are never written in
the file: they come from the world's ``seed``, and entities refer to each other by username,
team name and channel name. Every time in the seeded state is the world's ``epoch_ms``, so two
stores seeded from the same world are identical.

    world = load_world("default")            # or a path to a .json file
    seed_store(store, world)                 # only if the store holds no world yet
    info = world_info(store)                 # ids by username / team / channel name
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug._json import JSONDepthError, loads
from mmplug.errors import UsageError, read_text

if TYPE_CHECKING:
    from mmplug.host.store import Store

WORLD_META = "world"
# The built-in worlds, beside this module (a plain path: importlib.resources would import
# tempfile, shutil and the compression modules on every cold fire).
WORLDS_DIR = Path(__file__).parent / "worlds"
_REQUIRED: dict[str, type] = {
    "seed": str,
    "epoch_ms": int,
    "users": list,
    "teams": list,
    "channels": list,
    "roles": dict,
    "config": dict,
}
_OPTIONAL: dict[str, type] = {
    "name": str,
    "description": str,
    "server": dict,
    "preferences": list,
}


@dataclass
class World:
    """A parsed world file (``raw`` is the JSON document)."""

    name: str
    source: str
    seed: str
    epoch_ms: int
    server: dict[str, Any]
    config: dict[str, Any]
    roles: dict[str, list[str]]
    users: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    preferences: list[dict[str, Any]]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def server_version(self) -> str:
        return str(self.server.get("version", "10.5.0"))


@dataclass
class WorldInfo:
    """Ids of a seeded store: ``users[username]``, ``teams[name]``, ``channels[name]``.

    Direct and group channels are keyed by their members' usernames, sorted and joined by
    ``__`` (``"alice__bob"``); public and private channels by name (and ``"team/name"``).
    """

    name: str
    seed: str
    epoch_ms: int
    users: dict[str, str]
    teams: dict[str, str]
    channels: dict[str, str]


class WorldError(UsageError):
    """A world file that cannot be used (raised as a UsageError: the user's input is bad)."""


def available_worlds() -> list[str]:
    return sorted(f.name[: -len(".json")] for f in WORLDS_DIR.iterdir() if f.name.endswith(".json"))


def _read(name_or_path: str | Path) -> tuple[str, str]:
    candidate = Path(name_or_path)
    text_name = str(name_or_path)
    if candidate.suffix == ".json" or candidate.is_file() or "/" in text_name:
        if not candidate.is_file():
            raise WorldError(
                f"world file {candidate} does not exist",
                hint="give a path to a world .json file or one of: "
                + ", ".join(available_worlds()),
            )
        try:
            return str(candidate), read_text(candidate, error=WorldError)
        except OSError as exc:
            raise WorldError(f"cannot read world file {candidate}: {exc}") from None
    if text_name not in available_worlds():
        raise WorldError(
            f"no world named {text_name!r}",
            hint=f"built-in worlds: {', '.join(available_worlds())}; "
            "or give a path to a .json file",
        )
    return (f"mmplug/host/worlds/{text_name}.json",
            (WORLDS_DIR / f"{text_name}.json").read_text(encoding="utf-8"))


def load_world(name_or_path: str | Path = "default") -> World:
    """Load and validate a world by built-in name or path; a bad file raises WorldError."""
    source, text = _read(name_or_path)
    try:
        doc = loads(text)
    except json.JSONDecodeError as exc:
        raise WorldError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            hint="fix the JSON syntax (a trailing comma or a missing quote is typical)",
        ) from None
    except JSONDepthError as exc:
        raise WorldError(f"{source}: the JSON is {exc}",
                         hint="a world is a few levels deep: teams, channels, users") from None
    if not isinstance(doc, dict):
        raise WorldError(f"{source}: a world is a JSON object, got {type(doc).__name__}")
    from mmplug.host.worlds import _check

    _check.check_document(doc, source, _REQUIRED, _OPTIONAL)
    return World(
        name=str(doc.get("name") or Path(source).stem),
        source=source,
        seed=doc["seed"],
        epoch_ms=doc["epoch_ms"],
        server=dict(doc.get("server") or {}),
        config=doc["config"],
        roles=doc["roles"],
        users=doc["users"],
        teams=doc["teams"],
        channels=doc["channels"],
        preferences=list(doc.get("preferences") or []),
        raw=doc,
    )


def seed_store(store: Store, world: World, *, deterministic_clock: bool = False) -> bool:
    """Fill an empty store from ``world``; returns False (and changes nothing) if the store
    already holds a world. Always switches the store to the world's id sequence, and with
    ``deterministic_clock`` to a SteppingClock starting at the world's ``epoch_ms``."""
    from mmplug.host.api import seed as _seed
    from mmplug.host.clock import SteppingClock

    store.seed_ids(world.seed)
    if deterministic_clock:
        store.clock = SteppingClock(world.epoch_ms)
    if store.get_meta(WORLD_META) is not None:
        return False
    _seed.seed(store, world)
    return True


def world_info(store: Store) -> WorldInfo:
    """The ids of the seeded world's entities, read from the store."""
    meta = store.get_meta(WORLD_META)
    if meta is None:
        raise WorldError(
            f"the state database {store.path} holds no world",
            hint="seed it first: seed_store(store, load_world('default'))",
        )
    from mmplug.host.api.queries import world_ids

    users, teams, rows = world_ids(store)
    team_names = {v: k for k, v in teams.items()}
    channels: dict[str, str] = {}
    for channel_id, team_id, name in rows:
        channels.setdefault(name, channel_id)
        channels[f"{team_names.get(team_id, team_id)}/{name}"] = channel_id
    channels.update(meta.get("labels", {}))
    return WorldInfo(meta["name"], meta["seed"], int(meta["epoch_ms"]), users, teams, channels)
