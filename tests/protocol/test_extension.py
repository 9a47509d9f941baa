"""mmplug's own protocol extension (the clock) stays apart from the contract: its own file and
package, no message or rpc of it in the contract's services, nothing of the contract in it."""

from __future__ import annotations

from mmplug.protocol import api_pb2, hooks_pb2, mmplug_ext_pb2
from mmplug.protocol.names import HOST_CLOCK_SERVICE, PACKAGE, PLUGIN_CLOCK_SERVICE


def test_the_extension_has_its_own_file_and_package() -> None:
    ext = mmplug_ext_pb2.DESCRIPTOR
    assert ext.name == "mmplug_ext.proto" and ext.package == "mmplug.ext.v1" != PACKAGE
    assert list(ext.dependencies) == []  # it borrows nothing from the contract
    assert sorted(ext.services_by_name) == ["HostClock", "PluginClock"]
    assert {s.full_name for s in ext.services_by_name.values()} == {HOST_CLOCK_SERVICE,
                                                                   PLUGIN_CLOCK_SERVICE}
    rpcs = {f"{s.name}.{m.name}" for s in ext.services_by_name.values() for m in s.methods}
    assert rpcs == {"HostClock.Now", "HostClock.WakeAt", "PluginClock.Tick"}


def test_the_contracts_services_have_none_of_it() -> None:
    names = {m.name for m in mmplug_ext_pb2.DESCRIPTOR.message_types_by_name.values()}
    for module, service in ((api_pb2, "PluginAPI"), (hooks_pb2, "PluginHooks")):
        methods = module.DESCRIPTOR.services_by_name[service].methods
        assert not {m.name for m in methods} & {"Now", "WakeAt", "Tick"}
        assert not {m.input_type.full_name for m in methods} & {f"mmplug.ext.v1.{n}"
                                                               for n in names}
