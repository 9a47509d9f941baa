"""Finding protocol message classes by name (package ``mattermost.pluginapi.v1``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import cast

from google.protobuf import message as _message
from google.protobuf import symbol_database

PACKAGE = "mattermost.pluginapi.v1"
HOOKS_SERVICE = f"{PACKAGE}.PluginHooks"
API_SERVICE = f"{PACKAGE}.PluginAPI"


def load_hooks() -> None:
    """Import the modules that define the PluginHooks service and its messages."""
    from mmplug.protocol import hooks_pb2  # noqa: F401


def load_api() -> None:
    """Import the modules that define the PluginAPI service and its messages."""
    from mmplug.protocol import api_pb2  # noqa: F401


@functools.cache
def message_class(name: str) -> type[_message.Message]:
    """The generated class of message ``name`` (short name, in our package)."""
    load_hooks()
    try:
        cls = symbol_database.Default().GetSymbol(f"{PACKAGE}.{name}")
    except KeyError:
        load_api()
        cls = symbol_database.Default().GetSymbol(f"{PACKAGE}.{name}")
    result: type[_message.Message] = cls
    return result


def message_factory(name: str) -> Callable[..., _message.Message]:
    """The class of message ``name`` as a constructor taking its fields as keywords (protobuf's
    type stubs give the base class ``Message`` no fields to take)."""
    return cast("Callable[..., _message.Message]", message_class(name))
