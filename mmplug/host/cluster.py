"""Several nodes in one host: what ``Session(..., nodes=N)`` needs beyond one node.

Mattermost runs a plugin once per node of a high-availability cluster: every node starts its
own process of the plugin, the nodes share one database (KV store, posts, configuration) and
nothing else. With ``nodes=N`` the session does the same: N processes of each plugin, each
with its own PluginAPI server (node ``node1`` .. ``nodeN``), over the session's one store.
Where the server sends a hook decides which process gets it:

* lifecycle and configuration hooks (``OnActivate``, ``OnDeactivate``,
  ``OnConfigurationChange``) run on every node;
* a hook an API call causes (CreatePost -> MessageWillBePosted) runs on the node that served
  the call, as the hooks of a user's request run on the node the load balancer sent it to;
* requests from outside (``session.fire``, ``serve_http``, a user acting, ``mmplug dev``'s front
  door) go round robin over the nodes, or to the node asked for (``node=``, or the
  :data:`NODE_HEADER` of an HTTP request, which the plugin does not see);
* ``PublishPluginClusterEvent`` reaches ``OnPluginClusterEvent`` of the same plugin on every
  other node (or on the ``target_id`` node only), asynchronously, as the server sends it
  without waiting (:class:`Bus`);
* the clock ticks every node (their scheduled jobs race for the cluster mutex).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mmplug.errors import UsageError
from mmplug.host.http_codec import NODE_HEADER as _NODE_HEADER

if TYPE_CHECKING:
    from mmplug.host.session import Session

MAX_NODES = 16
# Hooks the server runs on every node of a cluster (each node activates its own instance, and a
# configuration change reaches every node).
EVERY_NODE = frozenset({"OnActivate", "OnDeactivate", "OnConfigurationChange"})
# The header that pins a request from outside to one node (``X-Mmplug-Node: 2`` or ``node2``).
NODE_HEADER = _NODE_HEADER
DELIVERY_TIMEOUT = 30.0


def node_names(count: int) -> list[str]:
    """The names of ``count`` nodes: ``[""]`` for one (nothing is said about nodes then),
    ``node1`` .. ``nodeN`` for several."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_NODES:
        raise UsageError(f"the number of nodes must be 1 to {MAX_NODES}, not {count!r}",
                         hint="a cluster of 2 or 3 nodes shows what several nodes change")
    return [""] if count == 1 else [f"node{k}" for k in range(1, count + 1)]


def parse_node(value: str | int, names: list[str]) -> str:
    """The node ``value`` names (``2``, ``"2"``, ``"node2"``) among ``names``; else a usage
    error listing them."""
    text = str(value).strip().lower()
    name = f"node{text}" if text.isdigit() else text
    if name in names and name:
        return name
    if names == [""]:
        raise UsageError(f"there is no node {value!r}: this host runs one node",
                         hint="start it with --nodes N (Session(..., nodes=N)) for several")
    raise UsageError(f"there is no node {value!r}", hint="nodes: " + ", ".join(names))


def pinned_node(headers: Iterable[tuple[str, str]]) -> tuple[str | None, list[tuple[str, str]]]:
    """The node an HTTP request asks for with :data:`NODE_HEADER`, and its other headers."""
    wanted: str | None = None
    rest = []
    for key, value in headers:
        if key.lower() == NODE_HEADER.lower():
            wanted = value
        else:
            rest.append((key, value))
    return wanted, rest


class RoundRobin:
    """The next node for a request from outside (thread-safe)."""

    def __init__(self, names: list[str]) -> None:
        self._names = names
        self._counter = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return self._names[next(self._counter) % len(self._names)]


class Bus:
    """Carries ``PublishPluginClusterEvent`` to ``OnPluginClusterEvent`` on the other nodes.

    As the server's cluster: the publisher does not wait (``WaitForAllToSend`` is false), each
    node receives the events in the order they were sent to it (one queue and one delivering
    thread per node), the hook gets an empty plugin context and the event's id and data.
    Every event is delivered (the send type never reaches the server). :meth:`settle` waits
    until everything sent has been delivered (tests, the end of a ``fire --nodes`` run)."""

    def __init__(self, session: Session, names: list[str]) -> None:
        self._session = session
        self._names = names
        self._queues: dict[str, list[tuple[str, str, bytes]]] = {n: [] for n in names}
        self._changed = threading.Condition()
        self._pending = 0
        self._threads: dict[str, threading.Thread] = {}
        self._closed = False
        self.delivered = 0

    def publish(self, plugin_id: str, from_node: str, event_id: str, data: bytes,
                send_type: str, target_id: str) -> None:
        from mmplug.host.api._commands import plain_error

        if target_id:
            if target_id not in self._names:  # the server's plain error, not an AppError
                raise plain_error(f"failed to send message to cluster node {target_id!r}: no "
                                  f"such node (nodes: {', '.join(self._names)})",
                                  "PublishPluginClusterEvent")
            targets = [target_id]
        else:
            targets = [name for name in self._names if name != from_node]
        with self._changed:
            if self._closed:
                return
            for name in targets:
                self._queues[name].append((plugin_id, event_id, data))
                self._pending += 1
                if name not in self._threads:
                    thread = threading.Thread(target=self._deliver, args=(name,),
                                              name=f"mmplug-cluster-{name}", daemon=True)
                    self._threads[name] = thread
                    thread.start()
            self._changed.notify_all()

    def _deliver(self, node: str) -> None:
        from mmplug.errors import MmplugError
        from mmplug.host.logs import host_record

        session = self._session
        while True:
            with self._changed:
                while not self._queues[node] and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                plugin_id, event_id, data = self._queues[node].pop(0)
            try:
                handle = session.plugin_on(plugin_id, node)
                if handle.state == "active" and "OnPluginClusterEvent" in handle.implemented \
                        and handle.client is not None:
                    request: Any = handle.client.new_request("OnPluginClusterEvent")
                    request.event.id = event_id
                    request.event.data = data
                    session.invoke(handle, "OnPluginClusterEvent", request)
            except MmplugError as exc:
                record = host_record(plugin_id, "error", f"cluster event {event_id!r} was not "
                                     f"delivered: {exc.message}")
                record.node = node
                session.emit_log(record)
            except Exception as exc:  # the bus must keep delivering whatever one event did
                record = host_record(plugin_id, "error", f"cluster event {event_id!r} was not "
                                     f"delivered: {exc}")
                record.node = node
                session.emit_log(record)
            finally:
                with self._changed:
                    self._pending -= 1
                    self.delivered += 1
                    self._changed.notify_all()

    def settle(self, timeout: float = DELIVERY_TIMEOUT) -> bool:
        """Wait until every event sent so far has reached its nodes; whether they all did."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0 or self._closed, timeout)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            for queue in self._queues.values():
                self._pending -= len(queue)
                queue.clear()
            self._changed.notify_all()
            threads = list(self._threads.values())
            self._threads.clear()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=DELIVERY_TIMEOUT)
