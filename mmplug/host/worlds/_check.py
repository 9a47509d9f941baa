"""Validation of a world document: every problem names the file and the JSON path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from google.protobuf import json_format
from google.protobuf.message import Message

from mmplug.errors import UsageError
from mmplug.protocol import channel_pb2, team_pb2, user_pb2

USER_EXTRAS = {"status", "bot_owner"}
TEAM_EXTRAS = {"members"}
CHANNEL_EXTRAS = {"team", "members", "creator", "type"}
CHANNEL_TYPES = {"O", "P", "D", "G"}
# the default world, where mmplug is installed (a pip install has no fixtures/ folder)
DEFAULT = Path(__file__).with_name("default.json")


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str, hint: str = "") -> NoReturn:
        raise UsageError(
            f"{self.source}: {path}: {problem}",
            hint=hint or f"fix the world file (the default world shows the format: {DEFAULT})",
        )

    def typed(self, value: Any, kind: type, path: str) -> Any:
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.fail(path, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def entity(self, item: dict[str, Any], cls: type[Message], extras: set[str], path: str) -> None:
        fields = {k: v for k, v in item.items() if k not in extras}
        for forbidden in ("id", "team_id", "user_id"):
            if forbidden in fields:
                self.fail(
                    f"{path}.{forbidden}",
                    "ids are not written in a world file",
                    hint="refer to users by username, teams and channels by name; "
                    "ids come from the seed",
                )
        try:
            json_format.ParseDict(fields, cls())
        except json_format.ParseError as exc:
            self.fail(path, f"not a valid {cls.DESCRIPTOR.name}: {exc}")

    def members(self, item: dict[str, Any], path: str, users: set[str]) -> list[str]:
        names: list[str] = []
        for j, member in enumerate(self.typed(item.get("members", []), list, f"{path}.members")):
            mpath = f"{path}.members[{j}]"
            name = member.get("username") if isinstance(member, dict) else member
            if not isinstance(name, str):
                self.fail(mpath, 'expected a username or {"username": ..., "admin": true}')
            if name not in users:
                self.fail(mpath, f"unknown user {name!r}", hint="add the user to `users` first")
            names.append(name)
        return names


def check_document(
    doc: dict[str, Any], source: str, required: dict[str, type], optional: dict[str, type]
) -> None:
    """Raise UsageError on the first problem in ``doc``."""
    c = _Checker(source)
    for key, kind in required.items():
        if key not in doc:
            c.fail(key, "missing", hint=f"a world needs: {', '.join(required)}")
        c.typed(doc[key], kind, key)
    for key in doc:
        if key not in required and key not in optional:
            c.fail(key, "unknown key", hint=f"known keys: {', '.join([*required, *optional])}")
        if key in optional:
            c.typed(doc[key], optional[key], key)
    for name, perms in doc["roles"].items():
        c.typed(perms, list, f"roles.{name}")
        for j, perm in enumerate(perms):
            c.typed(perm, str, f"roles.{name}[{j}]")
    users = _check_users(c, doc["users"])
    teams = _check_teams(c, doc["teams"], users)
    _check_channels(c, doc["channels"], users, teams)
    _check_config(c, doc["config"])
    for i, pref in enumerate(doc.get("preferences") or []):
        path = f"preferences[{i}]"
        c.typed(pref, dict, path)
        for key in ("username", "category", "name", "value"):
            c.typed(pref.get(key), str, f"{path}.{key}")
        if pref["username"] not in users:
            c.fail(f"{path}.username", f"unknown user {pref['username']!r}")


def _check_users(c: _Checker, items: list[Any]) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = f"users[{i}]"
        c.typed(item, dict, path)
        for key in ("username", "email"):
            c.typed(item.get(key), str, f"{path}.{key}")
        if item["username"] in seen:
            c.fail(f"{path}.username", f"duplicate username {item['username']!r}")
        seen.add(item["username"])
        c.entity(item, user_pb2.User, USER_EXTRAS, path)
    for i, item in enumerate(items):
        owner = item.get("bot_owner")
        if owner is not None and owner not in seen:
            c.fail(f"users[{i}].bot_owner", f"unknown user {owner!r}")
    return seen


def _check_teams(c: _Checker, items: list[Any], users: set[str]) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        path = f"teams[{i}]"
        c.typed(item, dict, path)
        c.typed(item.get("name"), str, f"{path}.name")
        if item["name"] in seen:
            c.fail(f"{path}.name", f"duplicate team name {item['name']!r}")
        seen.add(item["name"])
        c.members(item, path, users)
        c.entity(item, team_pb2.Team, TEAM_EXTRAS, path)
    return seen


def _check_channels(c: _Checker, items: list[Any], users: set[str], teams: set[str]) -> None:
    for i, item in enumerate(items):
        path = f"channels[{i}]"
        c.typed(item, dict, path)
        kind = item.get("type")
        if kind not in CHANNEL_TYPES:
            c.fail(f"{path}.type", f"expected one of O, P, D, G, got {kind!r}")
        members = c.members(item, path, users)
        if kind in ("O", "P"):
            c.typed(item.get("name"), str, f"{path}.name")
            if item.get("team") not in teams:
                c.fail(f"{path}.team", f"unknown team {item.get('team')!r}")
        elif kind == "D" and len(set(members)) != 2:
            c.fail(f"{path}.members", "a direct channel has exactly two members")
        elif kind == "G" and not 3 <= len(set(members)) <= 8:
            c.fail(f"{path}.members", "a group channel has 3 to 8 members")
        creator = item.get("creator")
        if creator is not None and creator not in users:
            c.fail(f"{path}.creator", f"unknown user {creator!r}")
        c.entity(item, channel_pb2.Channel, CHANNEL_EXTRAS, path)


def _check_config(c: _Checker, config: dict[str, Any]) -> None:
    """The server refuses to start with a configuration it cannot read or that
    ``Config.IsValid`` refuses: so does a world."""
    from mmplug.host.api._config_model import refusal

    refused = refusal(config)
    if refused is None:
        return
    problem, error_id = refused
    why = f" ({error_id})" if error_id else ""
    c.fail("config", f"the server would refuse to start with this configuration: {problem}{why}",
           hint="fix that setting under `config` in the world file, or leave it out for the "
                "server's default")
