"""The fake host's PluginAPI: a gRPC server whose rpcs are emulated by area modules.

server.py      ApiServer: binds loopback TCP or a private unix socket, registers every PluginAPI
               rpc, reflection, health
_registry.py   @emulates("GoName") registration, ApiContext, ApiFailure (-> AppError)
stubs.py       user-provided fixed responses or callables for rpcs that are not emulated
<area>.py      one module per area (kv, users, teams, channels, posts, ...)
queries.py     the queries the tool's own parts make of the store (names, ids, lists)
views.py       the Plugin Explorer's read-only views of the store
"""

from mmplug.host.api._registry import ApiCall, ApiContext, ApiFailure, emulated, emulates

__all__ = ["ApiCall", "ApiContext", "ApiFailure", "emulated", "emulates"]
