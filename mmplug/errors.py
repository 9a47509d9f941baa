"""mmplug's tool-side exceptions (the SDK has its own, in ``mmplug.sdk.errors``).

    MmplugError                  base: carries a message, a hint and an exit code
    ├── UsageError               bad command-line input (exit 2)
    │   ├── CassetteError        a cassette that cannot be read (mmplug.cassette.format)
    │   ├── WorldError           a world that cannot be loaded (mmplug.host.world)
    │   ├── SeedError            plugin.seed could not run a method (mmplug.testing)
    │   └── WorldLookupError     plugin.world has no such entity (mmplug.testing)
    ├── ManifestError            plugin.json missing or invalid
    ├── PluginLaunchError        the plugin could not be started or handshaken
    ├── PluginCrashError         the plugin died or a hook call broke
    │   └── StreamBroken         a plugin's HTTP answer broke off (the front door drops it)
    ├── HookTimeoutError         a hook call exceeded its deadline
    ├── StoreError               the state database could not be used
    │   └── UniqueConflict       a write a unique constraint refused (the API emulation's)
    ├── BundleError              a bundle could not be built or is unsafe
    ├── PostRejected             a plugin rejected plugin.post_as's post (mmplug.testing)
    ├── ActionRefused            the server refused a user action (session.as_user(...))
    └── the Plugin Explorer's (mmplug.explorer; each carries the HTTP status it answers with)
        ├── ApiError             a request of its JSON API that cannot be served
        ├── ActionError          an action the server refused (a rejected post, ...)
        ├── StateError           a state edit that cannot be made
        ├── KeepError            calls that cannot be kept as a cassette
        └── NotLive              an operation that needs the running dev session

The CLI catches ``MmplugError`` in one place and prints ``render()``; nothing the tool
raises on purpose reaches the user as a traceback. The SDK's exceptions (the plugin's side)
have their own base, ``mmplug.sdk.errors.PluginError``. ``tests/test_errors.py`` keeps every
exception class a user can see under one of the two bases.

A text file the user keeps or gives mmplug (plugin.json, a cassette, a world, a payload,
requirements.txt, .mmplugignore, a template's cookiecutter.json) is read with :func:`read_text`,
the one place where a file that is not UTF-8 becomes an error naming the file and the spot.
"""

from __future__ import annotations

import os
from pathlib import Path


class MmplugError(Exception):
    """Base of every error mmplug raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "", details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        """The message and its details (what a traceback shows, in a user's test run); the
        CLI prints :meth:`render`, the hint as well."""
        return f"{self.message}\n{self.details}" if self.details else self.message

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


def read_text(path: str | os.PathLike[str], *, error: type[MmplugError] = UsageError,
              hint: str = "") -> str:
    """The text of a user's file, decoded as UTF-8 with universal newlines (as
    ``Path.read_text``). A file that is not UTF-8 raises ``error`` naming the file, the line
    and the byte; ``OSError`` passes through (the CLI says what the system refused)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise error(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
                    f"column {column})",
                    hint=hint or f"save {Path(path).name} as UTF-8 (your editor's encoding "
                    "setting)") from None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
