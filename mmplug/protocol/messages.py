"""The generated message classes, found by name: the one lookup the SDK and the host share.

The hook messages (``hooks_pb2`` and what it imports) are registered on the first lookup; the
PluginAPI's (``api_pb2``, several times larger) only when a name is not among them, so that a
session that makes no API call never imports them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from google.protobuf import message_factory
from google.protobuf.descriptor_pool import Default as default_pool
from google.protobuf.message import Message

from mmplug.protocol.names import PACKAGE


def load_hooks() -> None:
    """Register the PluginHooks service and its messages."""
    from mmplug.protocol import hooks_pb2  # noqa: F401


def load_api() -> None:
    """Register the PluginAPI service and its messages."""
    from mmplug.protocol import api_pb2  # noqa: F401


@functools.cache
def message_class(name: str) -> type[Message]:
    """The generated class of message ``name``: a short name (in the contract's package) or a
    full one. Cached: it is looked up on every hook call and every control-channel message."""
    full = name if "." in name else f"{PACKAGE}.{name}"
    for load in (load_hooks, load_api):
        load()
        try:
            descriptor = default_pool().FindMessageTypeByName(full)
        except KeyError:
            continue
        return message_factory.GetMessageClass(descriptor)
    raise KeyError(f"no protocol message {full!r}")


def message_factory_of(name: str) -> Callable[..., Message]:
    """The class of message ``name`` as a constructor taking its fields as keywords (protobuf's
    type stubs give the base class ``Message`` no fields to take)."""
    return cast("Callable[..., Message]", message_class(name))


def is_map(field: Any) -> bool:
    """Whether ``field`` (a field descriptor) is a map. Read from the map entry's options, which
    only a message that has options gets built: the first ``GetOptions()`` of a message
    imports protobuf's descriptor messages (a few ms), and no message of the contract has
    options but the map entries."""
    sub = field.message_type
    return sub is not None and sub.has_options and bool(sub.GetOptions().map_entry)
