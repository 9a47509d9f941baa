"""Finding protocol message classes by name: the one lookup of :mod:`mmplug.protocol.messages`,
under the names the SDK's modules use."""

from __future__ import annotations

from mmplug.protocol.messages import load_api as load_api
from mmplug.protocol.messages import load_hooks as load_hooks
from mmplug.protocol.messages import message_class as message_class
from mmplug.protocol.messages import message_factory_of as message_factory
from mmplug.protocol.names import API_SERVICE as API_SERVICE
from mmplug.protocol.names import HOOKS_SERVICE as HOOKS_SERVICE
from mmplug.protocol.names import PACKAGE as PACKAGE

__all__ = ["API_SERVICE", "HOOKS_SERVICE", "PACKAGE", "load_api", "load_hooks", "message_class",
           "message_factory"]
