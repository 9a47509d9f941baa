"""Realistic hook payloads, synthesized from the world.

``mmplug fire`` needs a complete request for every hook without the user typing one. A
:class:`Scene` holds the world values a payload is made of (the acting user, a channel, its
team, another user, the time); :func:`scene_from_store` reads them from a seeded store and
:func:`synthesize` turns a scene into the request message of any hook. Entities are filled by
their message type (every ``Post`` field gets a post, every ``User`` field a user, ...), so the
whole catalog is covered without a hand-kept list of hooks.

Synthesis never writes to the store: the ids of new entities (the post being posted, a file,
a websocket connection) come from a private generator seeded by the scene, so the same scene
always gives the same payload.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mmplug.errors import UsageError
from mmplug.host.ids import encode_id
from mmplug.protocol.catalog import HOOKS, HOOKS_BY_GO_NAME, HookSpec

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.store import Store

DEFAULT_CHANNEL = "town-square"
DEFAULT_MESSAGE = "Hello from mmplug fire"
DEFAULT_COMMAND = "/hello"


def hook_key(name: str) -> str:
    """A hook name as names are matched (any case, ``_`` and ``-`` ignored)."""
    return name.replace("_", "").replace("-", "").lower()


_BY_KEY: dict[str, HookSpec] = {hook_key(h.go_name): h for h in HOOKS}


def find_hook(name: str) -> HookSpec | None:
    """The hook called ``name``: Go name, snake_case name, any case (None if there is none)."""
    return HOOKS_BY_GO_NAME.get(name) or _BY_KEY.get(hook_key(name))


def resolve_hook(name: str) -> HookSpec:
    """The hook called ``name`` (Go or snake_case name, any case); a typo lists the closest.
    The one place a hook's name is resolved: the session, ``mmplug fire`` and its picker."""
    spec = find_hook(name)
    if spec is not None:
        return spec
    names = [h.go_name for h in HOOKS if h.go_name != "Implemented"]  # asked, never fired
    import difflib

    close = difflib.get_close_matches(hook_key(name), list(_BY_KEY), n=3, cutoff=0.6)
    suggestions = [_BY_KEY[c].go_name for c in close]
    hint = (
        f"did you mean {' or '.join(suggestions)}?"
        if suggestions
        else f"hooks are: {', '.join(names)}"
    )
    raise UsageError(f"{name!r} is not a Mattermost plugin hook", hint=hint)


@dataclass
class Scene:
    """The world values payloads are made of (entities in protobuf JSON, proto field names)."""

    now_ms: int
    user: dict[str, Any]
    channel: dict[str, Any]
    team: dict[str, Any]
    other_user: dict[str, Any]
    seed: str = "mmplug"
    message: str = DEFAULT_MESSAGE
    command: str = DEFAULT_COMMAND
    preferences: list[dict[str, Any]] = field(default_factory=list)
    _counter: list[int] = field(default_factory=lambda: [0], repr=False)

    def new_id(self) -> str:
        """A fresh id for an entity that does not exist yet (deterministic per scene)."""
        self._counter[0] += 1
        digest = hashlib.sha256(f"{self.seed}:payload:{self._counter[0]}".encode()).digest()
        return encode_id(digest)

    @property
    def user_id(self) -> str:
        return str(self.user.get("id", ""))

    @property
    def channel_id(self) -> str:
        return str(self.channel.get("id", ""))

    @property
    def team_id(self) -> str:
        return str(self.team.get("id", ""))


def _fixed_id(name: str) -> str:
    return encode_id(hashlib.sha256(f"mmplug-scene:{name}".encode()).digest())


def default_scene(now_ms: int = 1767225600000) -> Scene:
    """A scene that needs no store (used when the store holds no world)."""
    team = {"id": _fixed_id("team"), "name": "acme", "display_name": "Acme Inc.",
            "type": "TEAM_TYPE_OPEN", "create_at": now_ms, "update_at": now_ms}
    user = {"id": _fixed_id("alice"), "username": "alice", "email": "alice@example.com",
            "first_name": "Alice", "last_name": "Liddell", "roles": "system_user",
            "locale": "en", "create_at": now_ms, "update_at": now_ms}
    other = {"id": _fixed_id("bob"), "username": "bob", "email": "bob@example.com",
             "first_name": "Bob", "last_name": "Builder", "roles": "system_user",
             "locale": "en", "create_at": now_ms, "update_at": now_ms}
    channel = {"id": _fixed_id("town-square"), "team_id": team["id"], "name": DEFAULT_CHANNEL,
               "display_name": "Town Square", "type": "CHANNEL_TYPE_OPEN",
               "create_at": now_ms, "update_at": now_ms}
    return Scene(now_ms, user, channel, team, other, seed="mmplug-scene")


def _pick_user(store: Store, as_user: str | None) -> dict[str, Any]:
    from mmplug.host.api import queries

    users = queries.live_users(store)
    if as_user:
        wanted = as_user.lstrip("@").lower()
        for user in users:
            if user.get("username", "").lower() == wanted or user.get("id") == as_user:
                return user
        known = ", ".join(u.get("username", "?") for u in users) or "(none)"
        raise UsageError(f"--as: no user {as_user!r} in the world", hint=f"users: {known}")
    people = [u for u in users if not u.get("is_bot")]
    plain = [u for u in people if "system_admin" not in str(u.get("roles", ""))]
    chosen = plain or people or users
    if not chosen:
        raise UsageError("the world has no users", hint="seed the store from a world first")
    return chosen[0]


def _pick_channel(store: Store, name: str | None) -> dict[str, Any]:
    from mmplug.host.api import queries

    wanted = (name or DEFAULT_CHANNEL).lstrip("~")
    team_name, _, channel_name = wanted.rpartition("/")
    rows = queries.channels_named(store, channel_name, wanted)
    if team_name:
        team_ids = {t.get("id") for t in queries.teams(store, name=team_name)}
        rows = [r for r in rows if r.get("team_id") in team_ids]
    if rows:
        return rows[0]
    if name is None:
        rows = queries.channels_of_type(store, "O")
        if rows:
            return rows[0]
    known = queries.channels_of_type(store, "O", "P")
    listed = ", ".join(c.get("name", "?") for c in known) or "(none)"
    raise UsageError(f"--channel: no channel {wanted!r} in the world", hint=f"channels: {listed}")


# The scene read from each store, with the store's mark when it was read: a test suite fires
# hundreds of hooks at a store nobody wrote to in between, and reading the scene is five
# queries and every user's JSON. Read again whenever the mark moved (any write, any image or
# snapshot loaded: Store.mark).
_SCENES: weakref.WeakKeyDictionary[Store, tuple[object, dict[str, Any], Scene | None]] = (
    weakref.WeakKeyDictionary())


def scene_from_store(
    store: Store, *, as_user: str | None = None, channel: str | None = None
) -> Scene:
    """The scene of a seeded store: ``as_user`` (default: the first plain user) posting in
    ``channel`` (default: town-square). Falls back to :func:`default_scene` for an empty store
    when neither is asked for."""
    key = (store.mark(), as_user, channel)
    kept = _SCENES.get(store)
    if kept is not None and kept[0] == key:
        _, world, scene = kept
    else:
        world = store.get_meta("world") or {}
        scene = _read_scene(store, as_user, channel, world)
        _SCENES[store] = (key, world, scene)
    now = int(world.get("epoch_ms") or store.now_ms())
    if scene is None:
        return default_scene(now)
    return replace(scene, now_ms=now, _counter=[0])  # entities shared: readers copy them


def _read_scene(store: Store, as_user: str | None, channel: str | None,
                world: dict[str, Any]) -> Scene | None:
    """The scene's entities as the store holds them now (None: the store holds no world)."""
    from mmplug.host.api import queries

    if not queries.user_count(store):
        if as_user or channel:
            raise UsageError("the state database holds no world to pick users or channels from")
        return None
    user = _pick_user(store, as_user)
    chan = _pick_channel(store, channel)
    teams = queries.teams(store, team_id=chan.get("team_id", ""))
    if not teams:
        teams = queries.teams(store)
    others = [u for u in queries.live_users(store, humans=True) if u.get("id") != user.get("id")]
    prefs = queries.preferences_of(store, user.get("id", ""))
    return Scene(0, user, chan, teams[0] if teams else {}, others[0] if others else user,
                 seed=str(world.get("seed") or "mmplug"), preferences=prefs)


def synthesize(
    spec: HookSpec | str,
    scene: Scene,
    *,
    message: str | None = None,
    command: str | None = None,
) -> Message:
    """A complete, realistic request for hook ``spec`` built from ``scene``."""
    from mmplug.host import _payload_entities as entities
    from mmplug.protocol.messages import message_class

    hook = spec if isinstance(spec, HookSpec) else resolve_hook(spec)
    scene = replace(scene, message=message if message is not None else scene.message,
                    command=command if command is not None else scene.command,
                    _counter=[0])
    from mmplug.host.payload_fields import descriptor_of

    request = message_class(hook.request)()
    data = entities.request_dict(hook.go_name, descriptor_of(request), scene)
    if data:  # OnActivate and friends have no fields: spare the json_format import
        from google.protobuf import json_format

        json_format.ParseDict(data, request)
    return request


def takes_message(spec: HookSpec) -> bool:
    """Whether the request of ``spec`` carries a message text (a post, a draft, a
    notification) that ``message=`` of :func:`synthesize` fills."""
    from mmplug.host._payload_entities import WITH_MESSAGE
    from mmplug.protocol.messages import message_class

    return any(fd.message_type is not None and fd.message_type.name in WITH_MESSAGE
               for fd in message_class(spec.request).DESCRIPTOR.fields)


_PARTS: dict[str, frozenset[str]] = {}


def scene_parts(spec: HookSpec) -> frozenset[str]:
    """What the request of ``spec`` takes from the scene: ``"user"`` (the acting user that
    ``mmplug fire --as`` picks) and ``"channel"`` (``--channel``). Found by making the
    request again with another user, and with another channel: what changes is carried."""
    known = _PARTS.get(spec.go_name)
    if known is not None:
        return known
    scene = default_scene()

    def sent(changed: Scene) -> bytes:
        return synthesize(spec, changed).SerializeToString(deterministic=True)

    base = sent(scene)
    someone = {**scene.user, "id": _fixed_id("someone"), "username": "someone",
               "email": "someone@example.com", "first_name": "Some", "last_name": "One"}
    elsewhere = {**scene.channel, "id": _fixed_id("elsewhere"), "name": "elsewhere",
                 "display_name": "Elsewhere"}
    parts = frozenset(part for part, changed in (("user", replace(scene, user=someone)),
                                                 ("channel", replace(scene, channel=elsewhere)))
                      if sent(changed) != base)
    _PARTS[spec.go_name] = parts
    return parts


def build_payload(
    spec: HookSpec,
    scene: Scene,
    *,
    message: str | None = None,
    command: str | None = None,
    document: Any = None,
    source: str = "--json",
    sets: tuple[str, ...] | list[str] = (),
) -> Message:
    """The request ``mmplug fire`` sends: synthesized, then ``document`` merged, then ``sets``."""
    from mmplug.host.payload_fields import apply_json, set_field

    request = synthesize(spec, scene, message=message, command=command)
    if document is not None:
        apply_json(request, document, source)
    for expr in sets:
        set_field(request, expr)
    return request


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def http_payload(
    scene: Scene, method: str = "GET", path: str = "/",
    headers: list[tuple[str, str]] | tuple[()] = (), *, chosen: bool = False,
) -> Message:
    """A ServeHTTPRequestInit for ``method path`` as the scene's user, logged in: unless
    the user was not ``chosen`` and ``headers`` (or the path's query) carry a session token,
    which then decides who the request is made as, as on the server."""
    from google.protobuf import json_format

    from mmplug.host import _payload_entities as entities
    from mmplug.host.http_codec import USER_ID_HEADER, token_decides
    from mmplug.protocol.messages import message_class

    verb = method.upper()
    if verb not in HTTP_METHODS:
        raise UsageError(f"{method!r} is not an HTTP method", hint=f"use {', '.join(HTTP_METHODS)}")
    if not path.startswith("/"):
        path = "/" + path
    data = entities.http_init(replace(scene, _counter=[0]), "init")
    data.update(method=verb, url=path, request_uri=path)
    names = {k.lower() for k, _ in headers}
    if not chosen and token_decides(headers, path):
        names.add(USER_ID_HEADER.lower())
    data["headers"] = [h for h in data["headers"] if h["key"].lower() not in names]
    grouped: dict[str, list[str]] = {}
    for key, value in headers:
        grouped.setdefault(key, []).append(value)
    data["headers"] += [{"key": k, "values": v} for k, v in grouped.items()]
    init = message_class("ServeHTTPRequestInit")()
    json_format.ParseDict(data, init)
    return init
