"""The ASGI lifespan protocol for a mounted app: startup with OnActivate, shutdown with
OnDeactivate (the plugin calls ``http.startup()`` / ``http.shutdown()``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger("mmplug.sdk.asgi")
SHUTDOWN_SECONDS = 10.0


class Lifespan:
    """One lifespan session of an ASGI app, run as a task on the event loop."""

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.supported = True

    async def startup(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                 "state": self.state}
        self.task = asyncio.get_running_loop().create_task(self._run(scope))
        await self.inbox.put({"type": "lifespan.startup"})
        reply = await self.outbox.get()
        if reply["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"ASGI lifespan startup failed: {reply.get('message', '')}")

    async def shutdown(self) -> None:
        if self.task is None or not self.supported:
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        try:
            reply = await asyncio.wait_for(self.outbox.get(), SHUTDOWN_SECONDS)
        except asyncio.TimeoutError:
            log.warning("ASGI lifespan shutdown did not finish in %ss", SHUTDOWN_SECONDS)
            self.task.cancel()
            return
        if reply["type"] == "lifespan.shutdown.failed":
            log.error("ASGI lifespan shutdown failed: %s", reply.get("message", ""))
        await asyncio.wait({self.task}, timeout=SHUTDOWN_SECONDS)

    async def _run(self, scope: dict[str, Any]) -> None:
        started = False

        async def send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"].startswith("lifespan.startup")
            await self.outbox.put(message)

        try:
            await self.app(scope, self.inbox.get, send)
        except BaseException as exc:
            if started:
                log.error("ASGI lifespan raised %r", exc)
                await self.outbox.put({"type": "lifespan.shutdown.failed", "message": str(exc)})
            else:  # the app does not speak lifespan: nothing to run
                log.debug("ASGI app does not support lifespan (%r)", exc)
                self.supported = False
                await self.outbox.put({"type": "lifespan.startup.complete"})
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if not started:  # returned without a word: no lifespan support either
            self.supported = False
            await self.outbox.put({"type": "lifespan.startup.complete"})
