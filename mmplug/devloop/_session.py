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
from mmplug.errors import MmplugError, UsageError
from mmplug.host.session import PluginHandle, Session


class DevSession(Session):
    """A Session whose start() keeps going past plugins that fail to start."""

    def __init__(self, plugin_dirs: Iterable[str | Path], *, attach: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(plugin_dirs, **kwargs)
        self.attach = attach
        self.start_errors: dict[str, MmplugError] = {}
        self.reaper: Reaper | None = None  # set: old processes exit in the background

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
        if client is not None and self.reaper is not None:
            client.process.stop = functools.partial(self.reaper.stop, client.process)
        super()._stop_plugin(handle)

    def close(self) -> None:
        self.reaper = None  # the last stop waits for the exit, as go-plugin does
        super().close()

    def stop_plugin(self, handle: PluginHandle) -> None:
        """Deactivate (if it still runs) and stop one plugin; it stays in the session."""
        self._stop_plugin(handle)
