"""mmplug's tool-side exceptions (the SDK has its own, in ``mmplug.sdk.errors``).

    MmplugError                  base: carries a message, a hint and an exit code
    ├── UsageError               bad command-line input (exit 2)
    ├── ManifestError            plugin.json missing or invalid
    ├── PluginLaunchError        the plugin could not be started or handshaken
    ├── PluginCrashError         the plugin died or a hook call broke
    ├── HookTimeoutError         a hook call exceeded its deadline
    ├── StoreError               the state database could not be used
    └── BundleError              a bundle could not be built or is unsafe

The CLI catches ``MmplugError`` in one place and prints ``render()``; nothing the tool
raises on purpose reaches the user as a traceback.
"""

from __future__ import annotations


class MmplugError(Exception):
    """Base of every error mmplug raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "", details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def render(self) -> str:
        parts = [self.message]
        if self.details:
            parts.append(self.details)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UsageError(MmplugError):
    exit_code = 2


class ManifestError(MmplugError):
    pass


class PluginLaunchError(MmplugError):
    pass


class PluginCrashError(MmplugError):
    pass


class HookTimeoutError(MmplugError):
    pass


class StoreError(MmplugError):
    pass


class BundleError(MmplugError):
    pass
