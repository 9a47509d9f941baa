"""The compiled protocol is wire-identical with Mattermost's Python-plugin contract.

Every message, field (name, number, type, label, map key/value) and enum of the contract,
and every rpc of PluginHooks and PluginAPI (request/response types, streaming flags) is
compared with the descriptors our generated modules register. Our additions may only be
new rpcs and new messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import FieldDescriptor

from mmplug.protocol import api_pb2, hooks_pb2  # noqa: F401  (registers every file)

PACKAGE = "mattermost.pluginapi.v1"
_SCALARS = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_INT32: "int32",
    FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_DOUBLE: "double",
    FieldDescriptor.TYPE_FLOAT: "float",
    FieldDescriptor.TYPE_SINT32: "sint32",
    FieldDescriptor.TYPE_SINT64: "sint64",
    FieldDescriptor.TYPE_FIXED32: "fixed32",
    FieldDescriptor.TYPE_FIXED64: "fixed64",
}


def _type_name(fd: FieldDescriptor) -> str:
    if fd.type in _SCALARS:
        return _SCALARS[fd.type]
    target = fd.message_type or fd.enum_type
    full = target.full_name
    return full[len(PACKAGE) + 1 :] if full.startswith(PACKAGE + ".") else full


def _describe(fd: FieldDescriptor) -> dict[str, Any]:
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        key, value = fd.message_type.fields_by_name["key"], fd.message_type.fields_by_name["value"]
        return {
            "label": "map",
            "map_key_type": _type_name(key),
            "map_value_type": _type_name(value),
        }
    if fd.is_repeated:
        label = "repeated"
    elif (
        fd.has_presence
        and fd.containing_oneof is not None
        and fd.containing_oneof.name.startswith("_")
    ):
        label = "optional"
    else:
        label = "singular"
    return {"label": label, "type": _type_name(fd)}


def _contract_files(contract: dict[str, Any]) -> dict[str, Any]:
    excluded = set(contract["summary"]["excluded_from_compile_set"])
    return {name: spec for name, spec in contract["files"].items() if name not in excluded}


@pytest.fixture(scope="module")
def contract(contract_path: Path) -> dict[str, Any]:
    return json.loads(contract_path.read_text())


def test_every_contract_message_and_field_is_identical(contract: dict[str, Any]) -> None:
    pool = descriptor_pool.Default()
    messages = fields = 0
    problems: list[str] = []
    for spec in _contract_files(contract).values():
        for msg in spec["messages"]:
            messages += 1
            desc = pool.FindMessageTypeByName(f"{PACKAGE}.{msg['name']}")
            ours = {f.name: f for f in desc.fields}
            if len(ours) != len(msg["fields"]):
                problems.append(
                    f"{msg['name']}: {len(ours)} fields, contract has {len(msg['fields'])}"
                )
            for field in msg["fields"]:
                fields += 1
                fd = ours.get(field["name"])
                if fd is None:
                    problems.append(f"{msg['name']}.{field['name']}: missing")
                    continue
                got = _describe(fd)
                want = {"label": field["label"]}
                if field["label"] == "map":
                    want |= {
                        "map_key_type": field["map_key_type"],
                        "map_value_type": field["map_value_type"],
                    }
                else:
                    want["type"] = field["type"]
                if fd.number != field["number"]:
                    problems.append(
                        f"{msg['name']}.{field['name']}: number {fd.number} != {field['number']}"
                    )
                if got != want:
                    problems.append(f"{msg['name']}.{field['name']}: {got} != {want}")
    assert problems == []
    assert (messages, fields) == (
        contract["summary"]["messages_top_level"],
        contract["summary"]["fields"],
    )
    assert (messages, fields) == (648, 1614)


def test_every_contract_enum_is_identical(contract: dict[str, Any]) -> None:
    pool = descriptor_pool.Default()
    count = 0
    for spec in _contract_files(contract).values():
        for enum in spec["enums"]:
            count += 1
            desc = pool.FindEnumTypeByName(f"{PACKAGE}.{enum['name']}")
            assert [(v.name, v.number) for v in desc.values] == [
                (v["name"], v["number"]) for v in enum["values"]
            ]
    assert count == contract["summary"]["enums"]


def test_every_contract_rpc_is_identical(contract: dict[str, Any]) -> None:
    pool = descriptor_pool.Default()
    rpcs = 0
    for spec in _contract_files(contract).values():
        for svc in spec["services"]:
            desc = pool.FindServiceByName(f"{PACKAGE}.{svc['name']}")
            for rpc in svc["rpcs"]:
                rpcs += 1
                method = desc.methods_by_name[rpc["name"]]
                assert method.input_type.full_name == f"{PACKAGE}.{rpc['request_type']}"
                assert method.output_type.full_name == f"{PACKAGE}.{rpc['response_type']}"
                assert method.client_streaming == rpc["client_streaming"]
                assert method.server_streaming == rpc["server_streaming"]
    assert rpcs == contract["verification"]["rpcs_checked"] == 278


def test_additions_are_new_rpcs_and_messages_only(contract: dict[str, Any]) -> None:
    pool = descriptor_pool.Default()
    hooks = pool.FindServiceByName(f"{PACKAGE}.PluginHooks")
    contract_hooks = contract["summary"]["hook_rpc_names"]
    # The contract's rpcs come first, in order; ours follow.
    assert [m.name for m in hooks.methods][: len(contract_hooks)] == contract_hooks
    added = [m for m in hooks.methods][len(contract_hooks) :]
    contract_messages = {m["name"] for s in contract["files"].values() for m in s["messages"]}
    for method in added:
        for msg in (method.input_type, method.output_type):
            if msg.file.name == "hooks_extra.proto":
                assert msg.name not in contract_messages
    assert len(hooks.methods) == 53  # every hook of Mattermost's Go plugin interface


def test_all_53_hooks_of_the_go_interface_exist() -> None:
    reference = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
    if not (reference / "mattermost-hooks.json").is_file():
        pytest.skip("../shared/reference/mattermost-hooks.json is not here")
    names = {h["name"] for h in json.loads((reference / "mattermost-hooks.json").read_text())}
    service = descriptor_pool.Default().FindServiceByName(f"{PACKAGE}.PluginHooks")
    assert names == {m.name for m in service.methods}
