"""The ``plugin`` fixture's object: fire hooks, read what the plugin did, seed the store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from multidict import CIMultiDictProxy

    from mmplug.host.actions import Actor
    from mmplug.host.races import Finding
    from mmplug.host.session import HookResult, PluginHandle, Session
    from mmplug.host.store import Store
    from mmplug.host.timekeeper import Timekeeper


class Recorder:
    """Session observer keeping the API calls, log records and hook calls in order.

    A test reads what came after its mark (:meth:`mark`, :meth:`since`); what earlier tests
    recorded is dropped when the next test starts (:meth:`forget_before`), so that a session
    kept for a whole suite does not hold every call it ever made."""

    KINDS = ("api_calls", "logs", "hook_calls")

    def __init__(self) -> None:
        self.api_calls: list[Any] = []
        self.logs: list[Any] = []
        self.hook_calls: list[Any] = []
        self._dropped = [0, 0, 0]  # records dropped from the front of each list

    def mark(self) -> tuple[int, int, int]:
        """How many records of each kind there have been (dropped ones included)."""
        dropped = self._dropped
        return (dropped[0] + len(self.api_calls), dropped[1] + len(self.logs),
                dropped[2] + len(self.hook_calls))

    def since(self, kind: int, mark: int) -> list[Any]:
        """The records of ``KINDS[kind]`` after ``mark`` (a :meth:`mark` entry) that are kept."""
        records: list[Any] = getattr(self, self.KINDS[kind])
        return records[max(0, mark - self._dropped[kind]):]

    def forget_before(self, marks: tuple[int, int, int]) -> None:
        """Drop the records before ``marks`` (a :meth:`mark`)."""
        for index, kind in enumerate(self.KINDS):
            records: list[Any] = getattr(self, kind)
            count = min(len(records), marks[index] - self._dropped[index])
            if count > 0:
                del records[:count]
                self._dropped[index] += count

    def on_api_call(self, call: Any) -> None:
        self.api_calls.append(call)

    def on_log(self, record: Any) -> None:
        self.logs.append(record)

    def on_hook_call(self, result: Any) -> None:
        self.hook_calls.append(result)


class Activated:
    """The store as activation left it, put back before every test.

    Kept as an image in memory (a file on Python 3.10, whose sqlite3 cannot make images) and
    put back only when the store changed since it was last put back: a test that wrote
    nothing costs nothing to undo."""

    def __init__(self, store: Store, folder: Callable[[], Path]) -> None:
        self._folder = folder
        self._image: bytes | None = None
        self._file: Path | None = None
        self.capture(store)

    def capture(self, store: Store) -> None:
        """Keep the store as it is now."""
        if store.can_image():
            self._image = store.image()
        else:
            self._file = store.snapshot(self._folder() / "activated.db")
        self._clean = store.mark()

    def restore(self, store: Store) -> bool:
        """Put the kept store back unless nothing was written since; whether it did."""
        if store.mark() == self._clean:
            return False
        if self._image is not None:
            store.load_image(self._image)
        elif self._file is not None:
            store.restore(self._file)
        self._clean = store.mark()
        return True


class SessionState:
    """What the pytest plugin keeps with a session: the recorder of everything the plugin did
    and the activated store."""

    def __init__(self, recorder: Recorder, activated: Activated) -> None:
        self.recorder = recorder
        self.activated = activated
        self.reconfigured = False  # a test changed the settings: the next one re-reads them


class PluginHarness:
    """What a test sees of the plugin under test. See the module docstring."""

    def __init__(self, session: Session, plugin_id: str | None = None) -> None:
        self.session = session
        self.id = session.plugin(plugin_id).id
        self._state: SessionState = session.__dict__["_mmplug_testing"]
        self._recorder = self._state.recorder
        self._marks: tuple[int, int, int] = (0, 0, 0)
        self._stubbed: list[str] = []

    # -- per-test state ------------------------------------------------------------------------
    def reset(self) -> None:
        """Restore the store to its state after activation; start recording afresh.

        A plugin that crashed in an earlier test is started again; one whose settings an
        earlier test changed with :meth:`configure` gets ``OnConfigurationChange`` so its
        in-memory settings match the restored store again."""
        store = self.session.store
        if self._state.activated.restore(store):
            seed = getattr(getattr(store, "_ids", None), "seed", None)
            if seed:
                store.seed_ids(seed)
        self._put_clock_back()
        if self.session.cluster is not None:
            self.session.cluster.settle()  # an earlier test's cluster events are delivered
        if self.session.races is not None:
            self.session.races.reset()
        for killer in self.session.__dict__.pop("_mmplug_killers", []):
            self.session.remove_observer(killer)
        if any(h.state != "active" for h in self.session.nodes_of(self.handle)):
            self.reload()
        elif self._state.reconfigured:
            self._state.reconfigured = False
            if "OnConfigurationChange" in self.handle.implemented:
                self.session.fire("OnConfigurationChange", plugin_id=self.id)
        self._marks = self._recorder.mark()

    def _begin_test(self) -> None:
        """:meth:`reset`, and what earlier tests recorded is dropped (the fixtures' start of a
        test: a harness of an earlier test reads nothing of theirs any more)."""
        self.reset()
        self._recorder.forget_before(self._marks)

    def reload(self) -> PluginHandle:
        """Stop the plugin process, start it again and activate it (fresh in-process state),
        on the store as it was after the first activation."""
        activated = self._state.activated
        activated.restore(self.session.store)
        handle = self.session.reload(self.id)
        activated.capture(self.session.store)
        return handle

    def _put_clock_back(self) -> None:
        """A test that moved the clock leaves it moved: put it back where it was after
        activation, and have the plugin's scheduled jobs re-read their (restored) metadata."""
        clock = self.session.store.clock
        baseline = self.session.__dict__.get("_mmplug_clock_offset")
        offset = getattr(clock, "offset_ms", None)
        if baseline is None or offset is None or offset == baseline:
            return
        clock.offset_ms = baseline  # type: ignore[attr-defined]
        self.session.clock.rewind(self.session.clock.now_ms())

    @property
    def handle(self) -> PluginHandle:
        return self.session.plugin(self.id)

    @property
    def clock(self) -> Timekeeper:
        """The host's clock: ``plugin.clock.advance(days=30)`` makes 30 days pass, running
        the plugin's scheduled jobs (``mmplug.sdk.cluster.schedule``) as they fall due, and
        expiring KV entries; ``plugin.clock.now()``; ``plugin.clock.set("2026-03-01")``.
        Each test starts with the clock where it was after activation (see
        :mod:`mmplug.host.timekeeper`)."""
        return self.session.clock

    @property
    def implemented(self) -> list[str]:
        """Go names of the hooks the plugin implements."""
        return list(self.handle.implemented)

    # -- several nodes (the ``cluster`` fixture) -------------------------------------------------
    @property
    def nodes(self) -> list[str]:
        """The nodes the plugin runs on: ``["node1", "node2", "node3"]`` in the ``cluster``
        fixture, ``[""]`` with one node."""
        return list(self.session.node_names)

    def pid(self, node: str | int | None = None) -> int:
        """The process id of the plugin on ``node`` (default: node1)."""
        return self._on(node).pid

    def _on(self, node: str | int | None) -> PluginHandle:
        if node is None:
            return self.handle
        return self.session.plugin_on(self.id, self.session.node(node))

    def settle(self) -> None:
        """Wait until every cluster event published so far has reached its nodes
        (``OnPluginClusterEvent`` runs asynchronously, as on a server)."""
        if self.session.cluster is not None and not self.session.cluster.settle():
            raise AssertionError("cluster events were still being delivered after 30 s")

    def races(self) -> list[Finding]:
        """What the race detector found in this test so far: the lost-update pattern in the
        plugin's KV access across nodes (see :mod:`mmplug.host.races`)."""
        if self.session.races is None:
            raise UsageError("the race detector watches several nodes",
                             hint="use the `cluster` fixture (or Session(..., nodes=N))")
        self.settle()
        return [f for f in self.session.races.findings() if f.plugin_id == self.id]

    def assert_no_races(self) -> None:
        """Fail the test with the detector's report when it found a lost-update pattern."""
        found = self.races()
        if found:
            raise AssertionError("the race detector found:\n\n"
                                 + "\n\n".join(f.describe() for f in found))

    def compare(self, hook: str | None = None, request: Any = None, *,
                http: tuple[str, str] | None = None, headers: dict[str, str] | None = None,
                body: bytes = b"", **fields: Any) -> Finding | None:
        """Send one request to every node from the same shared state and compare the answers
        (ids and times normalised): a finding when they differ (state kept in memory)."""
        from mmplug.host.races import compare_answers

        if hook is not None and request is None:
            request = self.payload(hook, **fields)
        return compare_answers(self.session, hook, request, plugin_id=self.id, http=http,
                               headers=list((headers or {}).items()), body=body)

    def assert_consistent(self, hook: str | None = None, request: Any = None, *,
                          http: tuple[str, str] | None = None, **kwargs: Any) -> None:
        """Fail the test when the nodes answer the same request differently (see
        :meth:`compare`)."""
        found = self.compare(hook, request, http=http, **kwargs)
        if found is not None:
            raise AssertionError(found.describe())

    def kill(self, node: str | int | None = None, *, on_call: str | None = None,
             matching: Callable[[Any], bool] | None = None) -> None:
        """Kill the plugin process of ``node`` (SIGKILL, as a node that dies): now, or, with
        ``on_call="LogInfo"``, when that node (any node, without ``node``) makes that API call
        and ``matching(call)`` says yes: a deterministic point, such as the middle of a
        scheduled job, whichever node runs it. Once only; the killed node stays dead until
        the next test, which restarts the plugin."""
        if on_call is None:
            if node is None:
                raise UsageError("kill() needs the node to kill, or on_call=... to kill the "
                                 "node that makes that call")
            self._kill(self._on(node))
            return
        wanted = None if node is None else self._on(node).node
        session, plugin_id = self.session, self.id

        class Killer:
            done = False

            def on_api_call(self, call: Any) -> None:
                if self.done or call.method != on_call or call.plugin_id != plugin_id:
                    return
                if wanted is not None and call.node != wanted:
                    return
                if matching is not None and not matching(call):
                    return
                self.done = True
                PluginHarness._kill(session.plugin_on(call.plugin_id, call.node))

        killer = Killer()
        self.session.__dict__.setdefault("_mmplug_killers", []).append(killer)
        self.session.add_observer(killer)

    @staticmethod
    def _kill(handle: PluginHandle) -> None:
        client = handle.client
        if client is not None:
            client.process.kill()

    # -- hooks ---------------------------------------------------------------------------------
    def fire(self, hook: str, request: Any = None, *, as_user: str | None = None,
             channel_name: str | None = None, node: str | int | None = None,
             **fields: Any) -> HookResult:
        """Fire ``hook`` (Go or snake_case name) as the server would call it.

        The request is the complete, realistic one ``mmplug fire`` sends (a post by a user of
        the world in town-square, with its id, times and channel; ``as_user`` and
        ``channel_name`` pick others), with ``fields`` merged in: ``post={"message": "hi"}``
        changes only the message. A ``request`` message is sent as given. The host does
        around the call what the server does (the post of MessageHasBeenPosted is saved
        first; an allowed MessageWillBePosted is saved and MessageHasBeenPosted follows):
        ``result.host`` says what it did (see :mod:`mmplug.host.hookpath`). With several
        nodes it goes to ``node`` (``2``, ``"node2"``), else to the next one round robin
        (lifecycle hooks to every node)."""
        if request is None:
            request = self.payload(hook, as_user=as_user, channel_name=channel_name, **fields)
        elif fields:
            raise UsageError(f"plugin.fire({hook!r}, ...) got a request and fields "
                             f"({', '.join(fields)})",
                             hint="give the request as a message or as fields, not both")
        return self.session.fire(hook, request, plugin_id=self.id, node=node)

    def payload(self, hook: str, *, as_user: str | None = None,
                channel_name: str | None = None, **fields: Any) -> Any:
        """The request :meth:`fire` sends for ``hook`` (without firing it)."""
        from mmplug.host.payloads import build_payload, resolve_hook, scene_from_store

        spec = resolve_hook(hook)
        scene = scene_from_store(self.session.store, as_user=as_user, channel=channel_name)
        document = {name: _jsonable(value) for name, value in fields.items()}
        return build_payload(spec, scene, document=document if fields else None,
                             source="fields")

    def http(self, method: str, path: str, body: bytes | str | Iterable[bytes] = b"", *,
             headers: dict[str, str] | None = None, user_id: str | None = None,
             node: str | int | None = None) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """Send one request to ServeHTTP (``path`` after ``/plugins/<id>``) as a client sends
        it, made as ``user_id`` (or the user a ``Mattermost-User-Id`` header names); the plugin
        gets it as the server passes it on (header keys canonical, the length of the body).
        ``body`` may be an iterable of chunks, streamed as they come (sent chunked, unless a
        ``Content-Length`` header is given). Returns (status, headers, body): the headers
        read-only and looked up in any case, every value of a repeated one kept
        (``headers["Content-Type"]`` is the first value, ``headers.getall("Set-Cookie")``
        all of them). With several nodes: to ``node``, else the next one round robin."""
        from multidict import CIMultiDict, CIMultiDictProxy

        from mmplug.host.http_codec import USER_ID_HEADER, client_headers

        pairs = [(k, v) for k, v in (headers or {}).items()
                 if user_id is None or k.lower() != USER_ID_HEADER.lower()]
        if user_id is not None:
            pairs.append((USER_ID_HEADER, user_id))
        if isinstance(body, str):
            body = body.encode()
        if isinstance(body, bytes):
            pairs = client_headers(pairs, len(body))
            chunks: Iterable[bytes] = [body] if body else []
        else:
            pairs = client_headers(pairs, None)
            chunks = body
        response = self.session.serve_http(self.id, method, path, pairs, iter(chunks),
                                           node=node)
        status, raw_headers, answer = response.as_client(method)
        return status, CIMultiDictProxy(CIMultiDict(raw_headers)), answer

    @property
    def api_calls(self) -> list[Any]:
        """Every PluginAPI call the plugin made during this test, in order."""
        return list(self._recorder.since(0, self._marks[0]))

    def calls(self, method: str) -> list[Any]:
        """The API calls of one method (Go name), e.g. ``plugin.calls("CreatePost")``."""
        return [c for c in self.api_calls if c.method == method]

    @property
    def logs(self) -> list[Any]:
        """Every log record (plugin stderr and Log* API calls) during this test."""
        return [r for r in self._recorder.since(1, self._marks[1])
                if getattr(r, "plugin_id", self.id) in (self.id, "")]

    @property
    def hook_calls(self) -> list[Any]:
        return list(self._recorder.since(2, self._marks[2]))

    # -- stubs ---------------------------------------------------------------------------------
    def stub(self, method: str, value: Any) -> None:
        """Answer the API method ``method`` with ``value`` (response dict/message, or a
        callable(request) -> either) for the rest of this test."""
        stubs = getattr(self.session, "stubs", None) or self.handle.api.stubs
        stubs.add(method, value)
        self._stubbed.append(method)

    def remove_stubs(self) -> None:
        if not self._stubbed:
            return
        stubs = getattr(self.session, "stubs", None) or self.handle.api.stubs
        for method in self._stubbed:
            stubs.remove(method)
        self._stubbed.clear()

    # -- the store -----------------------------------------------------------------------------
    def kv_get(self, key: str) -> bytes | None:
        """The plugin's KV value under ``key`` (None when missing)."""
        from mmplug.host.api.queries import kv_value

        # an expired entry is gone, as for the plugin
        return kv_value(self.session.store, self.id, key, now=self.session.clock.now_ms())

    def kv_get_json(self, key: str, default: Any = None) -> Any:
        raw = self.kv_get(key)
        return default if raw is None else json.loads(raw)

    def kv_set(self, key: str, value: bytes | str | Any) -> None:
        """Seed the plugin's KV store (str/bytes as is, anything else as JSON)."""
        from mmplug.host.api.queries import kv_set

        data = value if isinstance(value, bytes) else (
            value.encode() if isinstance(value, str) else json.dumps(value).encode())
        kv_set(self.session.store, self.id, key, data)

    def kv_keys(self) -> list[str]:
        from mmplug.host.api.queries import kv_keys

        return kv_keys(self.session.store, self.id, now=self.session.clock.now_ms())

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Save plugin settings (as an admin would in the System Console); returns them all.

        Fire ``OnConfigurationChange`` afterwards to let the plugin read them."""
        from mmplug.host.api.queries import update_plugin_settings

        current = update_plugin_settings(self.session.store, self.id, settings)
        self._state.reconfigured = True
        return current

    def as_user(self, username: str, node: str | int | None = None) -> Actor:
        """A user of the world acting as through the web app: ``post``, ``reply``,
        ``command``, ``react``, ``unreact``, ``edit``, ``delete``, with the hooks the server
        runs (see :mod:`mmplug.host.actions`)::

            alice = plugin.as_user("alice")
            outcome = alice.command("/weather Paris")
            assert outcome.post.message == "Sunny"

        With several nodes, ``node`` pins the user's actions to one (else each action goes to
        the next node, as a load balancer spreads requests)."""
        return self.session.as_user(username, node)

    def post_as(self, username: str, channel: str, message: str, *, root_id: str = "",
                **fields: Any) -> Any:
        """A world user posts in a channel (by name), as through the web app: the plugins'
        MessageWillBePosted and MessageHasBeenPosted run. Returns the saved Post; raises
        :class:`PostRejected` when the server refuses it (a plugin rejects it)."""
        from mmplug.host.actions import ActionRefused

        try:
            return self.as_user(username).post(channel, message, root_id=root_id, **fields)
        except ActionRefused as exc:
            raise PostRejected(exc.message.removeprefix("the server refuses this: ")) from None

    def seed(self, method: str, request: Any = None, **fields: Any) -> Any:
        """Run a PluginAPI method on the fake host directly (not as a call of the plugin, so
        it is not in ``api_calls``) to set up state; returns the response message. Fields
        are the request's, messages as dicts: ``plugin.seed("CreateTeam", team={...})``."""
        from google.protobuf import json_format

        from mmplug.host.api._registry import ApiFailure, emulated
        from mmplug.protocol.catalog import API_BY_GO_NAME
        from mmplug.protocol.messages import message_class

        spec = API_BY_GO_NAME.get(method)
        handler = emulated().get(method)
        if spec is None or handler is None:
            raise SeedError(f"{method!r} is not an emulated PluginAPI method",
                            hint="see docs/api-coverage.md for the emulated methods")
        message = request if request is not None else json_format.ParseDict(
            fields, message_class(spec.request)())
        try:
            response = handler(self.handle.api.ctx, message)
        except ApiFailure as exc:
            raise SeedError(f"{method} failed: {exc.message} ({exc.error_id})") from None
        return response

    def add_user(self, username: str, *, teams: Iterable[str] = (),
                 channels: Iterable[str] = (), **fields: Any) -> Any:
        """Create a user (as the server does, UserHasBeenCreated included) and add it to
        teams and channels of the world by name; returns the User."""
        user = {"username": username, "email": f"{username}@example.com",
                "password": "passw0rd-for-tests", **fields}
        created = self.seed("CreateUser", user=user).user
        world = self.world
        for team in teams:
            self.seed("CreateTeamMember", team_id=world.team(team).id, user_id=created.id)
        for channel in channels:
            self.seed("AddChannelMember", channel_id=world.channel(channel).id,
                      user_id=created.id)
        return created

    def posts(self, channel_id: str | None = None) -> list[Any]:
        """Stored posts (Post messages), oldest first; ephemeral ones are in ``ephemeral``."""
        return self._posts(channel_id, ephemeral=False)

    def ephemeral_posts(self, channel_id: str | None = None) -> list[Any]:
        return self._posts(channel_id, ephemeral=True)

    def _posts(self, channel_id: str | None, ephemeral: bool) -> list[Any]:
        from mmplug.host.api.queries import stored_posts

        return stored_posts(self.session.store, channel_id, ephemeral=ephemeral)

    @property
    def world(self) -> WorldView:
        """Look up the seeded world: ``plugin.world.user("alice").id``."""
        return WorldView(self.session)


class PostRejected(MmplugError):
    """A plugin rejected a post in MessageWillBePosted (``reason`` is its message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SeedError(UsageError, ValueError):
    """``plugin.seed`` could not run the method (not emulated, or it failed)."""


class WorldLookupError(UsageError, KeyError):
    """``plugin.world`` has no entity of that name (the hint lists those it has)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class WorldView:
    """Users, teams and channels of the session's world, by name."""

    def __init__(self, session: Session) -> None:
        from mmplug.host.world import world_info

        self._session = session
        self.info = world_info(session.store)

    def _lookup(self, kind: str, table: dict[str, str], name: str) -> str:
        try:
            return table[name]
        except KeyError:
            raise WorldLookupError(f"the world has no {kind} {name!r}; it has: "
                                   f"{', '.join(sorted(table))}") from None

    def user(self, username: str) -> Any:
        from mmplug.host.api._entities import get_user

        user_id = self._lookup("user", self.info.users, username)
        with self._session.store.read() as db:
            return get_user(db, user_id)

    def team(self, name: str) -> Any:
        from mmplug.host.api._entities import get_team

        team_id = self._lookup("team", self.info.teams, name)
        with self._session.store.read() as db:
            return get_team(db, team_id)

    def channel(self, name: str) -> Any:
        """A channel by name (``"town-square"`` or ``"acme/town-square"``; DMs ``"alice__bob"``)."""
        from mmplug.host.api._entities import get_channel

        channel_id = self._lookup("channel", self.info.channels, name)
        with self._session.store.read() as db:
            return get_channel(db, channel_id)


def _jsonable(value: Any) -> Any:
    """A keyword of :meth:`PluginHarness.fire` as protobuf JSON: messages as dicts, bytes as
    base64, lists and dicts element by element."""
    import base64

    if hasattr(value, "DESCRIPTOR") and hasattr(value, "ListFields"):
        from google.protobuf import json_format

        return json_format.MessageToDict(value, preserving_proto_field_name=True)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
