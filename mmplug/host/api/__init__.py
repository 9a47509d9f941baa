"""The fake host's PluginAPI: a gRPC server whose rpcs are emulated by area modules.

server.py      ApiServer: binds loopback, registers every PluginAPI rpc, reflection, health
_registry.py   @emulates("GoName") registration, ApiContext, ApiFailure (-> AppError)
stubs.py       user-provided fixed responses or callables for rpcs that are not emulated
<area>.py      one module per area (kv, users, teams, channels, posts, ...)
"""

from mmplug.host.api._registry import ApiCall, ApiContext, ApiFailure, emulated, emulates

__all__ = ["ApiCall", "ApiContext", "ApiFailure", "emulated", "emulates"]
