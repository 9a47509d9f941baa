"""Stubs: fixed responses or Python callables standing in for PluginAPI rpcs.

A stub wins over the emulation, so tests can force any answer (an error included). Stubs
come from Python (``session.stub("GetLicense", {...})``) or from the project file
``mmplug.stubs.json`` next to ``plugin.json``::

    {
      "GetLicense": {"license": {"id": "dev", "features": {}}},
      "GetTelemetryId": {"error": {"id": "api.x", "message": "no", "status_code": 503}}
    }

Values are the response message in protobuf's JSON mapping.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmplug._json import JSONDepthError, loads
from mmplug.errors import UsageError
from mmplug.protocol.catalog import API_BY_GO_NAME

STUBS_FILE = "mmplug.stubs.json"
StubValue = Any  # dict (JSON mapping), a response Message, or a callable(request) -> either


class Stubs:
    """The stubs of one session, by Go rpc name."""

    def __init__(self) -> None:
        self._stubs: dict[str, StubValue] = {}
        self._from_file: dict[str, StubValue] = {}  # what remove() goes back to

    def add(self, go_name: str, value: StubValue) -> None:
        if go_name not in API_BY_GO_NAME:
            import difflib

            close = difflib.get_close_matches(go_name, list(API_BY_GO_NAME), n=3)
            raise UsageError(
                f"cannot stub {go_name!r}: not a PluginAPI method",
                hint=f"did you mean {', '.join(close)}?" if close else "see docs/api-coverage.md",
            )
        self._stubs[go_name] = value

    def remove(self, go_name: str) -> None:
        """Drop the stub of ``go_name``; the project file's, if it has one, answers again."""
        if go_name in self._from_file:
            self._stubs[go_name] = self._from_file[go_name]
        else:
            self._stubs.pop(go_name, None)

    def get(self, go_name: str) -> StubValue | None:
        return self._stubs.get(go_name)

    def __contains__(self, go_name: str) -> bool:
        return go_name in self._stubs

    def names(self) -> list[str]:
        return sorted(self._stubs)

    def load_file(self, plugin_dir: Path) -> None:
        path = plugin_dir / STUBS_FILE
        if not path.is_file():
            return
        try:
            data = loads(path.read_text(encoding="utf-8"))
        except JSONDepthError as exc:
            raise UsageError(f"{path}: the JSON is {exc}", hint="fix the file or remove it"
                             ) from None
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                hint="fix the file or remove it",
            ) from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: expected an object mapping rpc names to responses",
                             hint='e.g. {"GetLicense": {"license": {"id": "dev"}}}')
        for name, value in data.items():
            try:
                self.add(name, value)
            except UsageError as exc:
                raise UsageError(f"{path}: {exc.message}", hint=exc.hint) from None
            _check_response(path, name, value)
            self._from_file[name] = value


def _check_response(path: Path, go_name: str, value: StubValue) -> None:
    """Refuse, naming the file, a stub response that is not the rpc's response message."""
    from google.protobuf import json_format

    from mmplug.protocol.messages import message_class

    response = API_BY_GO_NAME[go_name].response
    try:
        if value is not None:
            json_format.ParseDict(value, message_class(response)(),
                                  ignore_unknown_fields=False)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: {go_name}: not a {response} in protobuf's JSON mapping: "
                         f"{str(exc).rstrip('.')}",
                         hint="fix the value or remove the entry") from None


def resolve(value: StubValue, request: Any, response_cls: type) -> Any:
    """Turn a stub value into a response message of ``response_cls``."""
    from google.protobuf import json_format
    from google.protobuf.message import Message

    if isinstance(value, Callable):  # type: ignore[arg-type]
        value = value(request)
    if isinstance(value, Message):
        return value
    if value is None:
        return response_cls()
    return json_format.ParseDict(value, response_cls(), ignore_unknown_fields=False)
