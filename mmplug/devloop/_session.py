"""The Session as the dev loop needs it: it starts even when a plugin is broken.

``mmplug dev`` must come up with a plugin that has a syntax error (and show it), so a plugin
that fails to start is recorded in ``start_errors`` and left stopped instead of failing the
whole session; the next save reloads it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mmplug.devloop._reaper import Reaper
from mmplug.devloop.attach import AttachSpawner
from mmplug.errors import MmplugError, PluginLaunchError, UsageError
from mmplug.host.logs import host_record
from mmplug.host.session import PluginHandle, Session

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class DevSession(Session):
    """A Session whose start() keeps going past plugins that fail to start."""

    def __init__(self, plugin_dirs: Iterable[str | Path], *, attach: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(plugin_dirs, **kwargs)
        if attach is not None and self.private:
            raise UsageError("--private cannot be used with --attach: a plugin started by hand "
                             "(MMPLUG_DEBUG_LISTEN) serves on TCP and finds the PluginAPI on "
                             "TCP", hint="drop --private while you debug (docs/security.md)")
        self.attach = attach
        self.start_errors: dict[str, MmplugError] = {}
        self.reaper: Reaper | None = None  # set: old processes exit in the background
        self.attach_spawner: AttachSpawner | None = None
        self._attach_api: Any = None  # one PluginAPI server for the whole run when attached
        if attach is not None:
            self.attach_spawner = AttachSpawner(attach)
            self.spawner = self.attach_spawner

    def start(self) -> None:
        from mmplug.manifest import load_manifest

        if self._started:
            return
        self._started = True
        try:
            manifests = [load_manifest(d) for d in self.plugin_dirs]
            self._open_store()
            for manifest in manifests:
                if manifest.id in self.plugins:
                    raise UsageError(f"plugin {manifest.id} is given twice")
                self.plugins[manifest.id] = PluginHandle(manifest.id, manifest)
        except BaseException:
            self.close()
            raise
        for handle in self.plugins.values():
            if self.attach_spawner is not None and not self.attach_spawner.reachable():
                self._start_api(handle)  # its address goes into the command to start the plugin
                self.start_errors[handle.id] = PluginLaunchError(
                    f"nothing listens on {self.attach_spawner.address} yet")
                continue
            try:
                self._start_plugin(handle)
            except MmplugError as exc:
                self._stop_plugin(handle)
                self.start_errors[handle.id] = exc
            except BaseException:
                self.close()
                raise

    def _stop_plugin(self, handle: PluginHandle) -> None:
        client = handle.client
        if client is not None and self.attach_spawner is not None:
            setattr(client.process, "stop",  # noqa: B010 (replacing a bound method)
                    functools.partial(self.attach_spawner.stop, client.process))
        elif client is not None and self.reaper is not None:
            setattr(client.process, "stop",  # noqa: B010
                    functools.partial(self.reaper.stop, client.process))
        super()._stop_plugin(handle)

    def _start_api(self, handle: PluginHandle) -> Any:
        if self.attach is None:
            return super()._start_api(handle)
        if self._attach_api is None:  # the attached plugin keeps its API address across restarts
            self._attach_api = _Lasting(super()._start_api(handle))
            self._forward_api()
        return self._attach_api

    def _forward_api(self) -> None:
        """Also offer the PluginAPI on the debug port + 1, the same address every run."""
        from mmplug.devloop._forward import Forwarder

        spawner, api = self.attach_spawner, self._attach_api
        if spawner is None or api is None or spawner.host not in LOOPBACK:
            return
        host, _, port = api.address.rpartition(":")
        forwarder = Forwarder((spawner.host, spawner.port + 1), (host, int(port)))
        try:
            forwarder.start()
        except MmplugError as exc:
            self._emit_log(host_record("", "warn", exc.message, hint=exc.hint))
            return
        api.forwarder = forwarder

    @property
    def api_target(self) -> str | None:
        """The PluginAPI address of the attached plugin (stable for the whole run; the debug
        port + 1 when that port was free, stable across runs too)."""
        api = self._attach_api
        if api is None:
            return None
        if api.forwarder is not None:
            host, port = api.forwarder.listen
            return f"{host}:{port}"
        return str(api.address)

    def close(self) -> None:
        self.reaper = None  # the last stop waits for the exit, as go-plugin does
        super().close()
        if self._attach_api is not None:
            if self._attach_api.forwarder is not None:
                self._attach_api.forwarder.stop()
            self._attach_api.server.stop()
            self._attach_api = None

    def reload(self, plugin_id: str) -> PluginHandle:
        """As Session.reload; a plugin.json whose id changed is refused (it has this slot)."""
        from mmplug.manifest import load_manifest

        handle = self.plugin(plugin_id)
        manifest = load_manifest(handle.manifest.plugin_dir)
        if manifest.id != handle.id:
            raise UsageError(f"plugin.json now says id {manifest.id!r}; this session runs it as "
                             f"{handle.id!r}", hint="change the id back, or restart `mmplug dev`")
        return super().reload(plugin_id)

    def find_user(self, who: str, given: str = "--as") -> str:
        """The id of the user ``who`` (username, @username or id) in the store."""
        return self.user_named(who, given)[0]

    def user_named(self, who: str, given: str = "--as") -> tuple[str, str]:
        """(id, username) of the user ``who`` (username, @username or id); ``given`` names
        where ``who`` came from, for the error."""
        name = who.strip().lstrip("@")
        with self.store.read() as db:
            row = db.execute("SELECT id, username FROM users WHERE id = ? OR username = ?",
                             (name, name)).fetchone()
            known = [r[0] for r in
                     db.execute("SELECT username FROM users ORDER BY username LIMIT 8")]
        if row is None:
            raise UsageError(f"{given} {who}: no such user in the fake host's store",
                             hint="users: " + (", ".join(known) or "none") + " (or give a user id)")
        return str(row[0]), str(row[1])

    def notify_http(self, exchange: Any) -> None:
        """Tell the observers about a front door request, as ``serve_http`` does for its own."""
        from mmplug.host.session import HookResult

        self._notify("on_hook_call", HookResult(exchange.rpc, exchange.plugin_id,
                                                exchange.request, None, exchange.error,
                                                duration_s=exchange.duration_s))

    def stop_plugin(self, handle: PluginHandle) -> None:
        """Deactivate (if it still runs) and stop one plugin; it stays in the session."""
        self._stop_plugin(handle)


class _Lasting:
    """An API server that outlives the plugin processes: stop() is left to the session."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.forwarder: Any = None

    @property
    def address(self) -> str:
        return str(self.server.address)

    def stop(self, grace: float | None = 0.5) -> None:
        """Not now: the next process of the attached plugin uses the same server."""
