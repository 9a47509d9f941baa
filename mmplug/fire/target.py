"""Where ``mmplug fire`` sends a hook: the one interface of its two targets.

A target knows the world (to synthesize payloads), the hooks the plugin implements and the
slash commands it registered, and fires one hook, answering with the call's event
(:class:`~mmplug.host.events.CallEvent`). :class:`~mmplug.fire.local.LocalTarget` runs a short
deterministic session of its own; :class:`~mmplug.fire.dev.DevTarget` forwards to the running
``mmplug dev`` of the project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.events import CallEvent
    from mmplug.host.payloads import Scene
    from mmplug.protocol.catalog import HookSpec


class Target(Protocol):
    plugin_id: str

    def scene(self, as_user: str | None, channel: str | None) -> Scene: ...

    def implemented(self) -> list[str]: ...

    def commands(self) -> list[str]: ...

    def fire(self, spec: HookSpec, request: Message) -> CallEvent: ...

    def fire_http(self, init: Message, body: bytes, hook: str = "ServeHTTP") -> CallEvent:
        """ServeHTTP (or ServeMetrics: ``hook``) with the request ``init`` and ``body``."""

    def describe(self) -> dict[str, str]:
        """Which session the hook goes to: ``kind`` (local, dev) and ``text`` (fire says it)."""

    def close(self) -> None:
        """Let go of the host; safe to call twice (also what leaving the ``with`` does)."""

    def __enter__(self) -> Target: ...

    def __exit__(self, *exc: object) -> None: ...


def while_closing(target: Target, work: Callable[[], object]) -> None:
    """Run ``work`` while ``target.close()`` runs on a thread; then wait for the close and
    raise what it raised, if ``work`` did not raise first."""
    import threading

    failure: list[BaseException] = []

    def close() -> None:
        try:
            target.close()
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    closer = threading.Thread(target=close, name="mmplug-fire-close")
    closer.start()
    try:
        work()
    finally:
        closer.join()
    if failure:
        raise failure[0]
