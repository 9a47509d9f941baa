"""Property groups, fields and values over real gRPC."""

from __future__ import annotations

import pytest
from apiworld import World
from google.protobuf import struct_pb2

from mmplug.protocol import api_remaining_pb2 as rem


@pytest.fixture
def group_id(world: World) -> str:
    name = world.unique("props-")
    return str(
        world.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name=name)).group.id
    )


def field(world: World, group_id: str, name: str = "team", **kw: object) -> rem.PropertyField:
    f = rem.PropertyField(group_id=group_id, name=name, type="text", **kw)  # type: ignore[arg-type]
    rsp = world.api.CreatePropertyField(rem.CreatePropertyFieldRequest(field=f))
    assert not rsp.HasField("error"), rsp.error
    return rsp.field


def value(world: World, f: rem.PropertyField, target: str, text: str) -> rem.PropertyValue:
    v = rem.PropertyValue(
        group_id=f.group_id,
        field_id=f.id,
        target_id=target,
        target_type="user",
        value=struct_pb2.Value(string_value=text),
    )
    return world.api.UpsertPropertyValue(rem.UpsertPropertyValueRequest(value=v)).value


def test_groups_register_once(world: World) -> None:
    first = world.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name="cpa-test"))
    again = world.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name="cpa-test"))
    assert first.group.id == again.group.id
    got = world.api.GetPropertyGroup(rem.GetPropertyGroupRequest(name="cpa-test"))
    assert got.group.id == first.group.id
    missing = world.api.GetPropertyGroup(rem.GetPropertyGroupRequest(name="never"))
    assert missing.error.status_code == 404


def test_fields_crud_search_and_count(world: World, group_id: str) -> None:
    made = field(world, group_id)
    assert (
        world.api.GetPropertyField(
            rem.GetPropertyFieldRequest(group_id=group_id, field_id=made.id)
        ).field
        == made
    )
    by_name = world.api.GetPropertyFieldByName(
        rem.GetPropertyFieldByNameRequest(group_id=group_id, name="team")
    )
    assert by_name.field.id == made.id
    made.name = "squad"
    assert (
        world.api.UpdatePropertyField(
            rem.UpdatePropertyFieldRequest(group_id=group_id, field=made)
        ).field.name
        == "squad"
    )
    field(world, group_id, "other")
    count = world.api.CountPropertyFields(rem.CountPropertyFieldsRequest(group_id=group_id))
    assert count.count == 2
    world.api.DeletePropertyField(
        rem.DeletePropertyFieldRequest(group_id=group_id, field_id=made.id)
    )
    live = world.api.SearchPropertyFields(
        rem.SearchPropertyFieldsRequest(
            group_id=group_id, opts=rem.PropertyFieldSearchOpts(per_page=10)
        )
    )
    assert [f.name for f in live.fields] == ["other"]
    everything = world.api.CountPropertyFields(
        rem.CountPropertyFieldsRequest(group_id=group_id, include_deleted=True)
    )
    assert everything.count == 2


def test_field_validation_and_unique_names(world: World, group_id: str) -> None:
    bad = world.api.CreatePropertyField(
        rem.CreatePropertyFieldRequest(
            field=rem.PropertyField(group_id=group_id, name="x", type="colour")
        )
    )
    assert bad.error.id == "model.property_field.is_valid.app_error"
    field(world, group_id, "dupe")
    again = world.api.CreatePropertyField(
        rem.CreatePropertyFieldRequest(
            field=rem.PropertyField(group_id=group_id, name="dupe", type="text")
        )
    )
    assert again.error.status_code == 400
    wrong_group = world.api.GetPropertyField(
        rem.GetPropertyFieldRequest(
            group_id=world.users["alice"], field_id=field(world, group_id, "g").id
        )
    )
    assert wrong_group.error.status_code == 404


def test_values_upsert_once_per_field_and_target(world: World, group_id: str) -> None:
    f = field(world, group_id)
    alice = world.users["alice"]
    first = value(world, f, alice, "red")
    second = value(world, f, alice, "blue")
    assert first.id == second.id and second.value.string_value == "blue"
    found = world.api.SearchPropertyValues(
        rem.SearchPropertyValuesRequest(
            group_id=group_id, opts=rem.PropertyValueSearchOpts(target_id=alice, per_page=10)
        )
    )
    assert [v.value.string_value for v in found.values] == ["blue"]


def test_values_are_deleted_for_target_field_or_one(world: World, group_id: str) -> None:
    f = field(world, group_id)
    a = value(world, f, world.users["alice"], "a")
    value(world, f, world.users["bob"], "b")
    world.api.DeletePropertyValue(rem.DeletePropertyValueRequest(group_id=group_id, value_id=a.id))
    gone = world.api.GetPropertyValue(rem.GetPropertyValueRequest(group_id=group_id, value_id=a.id))
    assert gone.value.delete_at > 0
    world.api.DeletePropertyValuesForTarget(
        rem.DeletePropertyValuesForTargetRequest(
            group_id=group_id, target_type="user", target_id=world.users["bob"]
        )
    )
    left = world.api.SearchPropertyValues(
        rem.SearchPropertyValuesRequest(
            group_id=group_id, opts=rem.PropertyValueSearchOpts(per_page=10)
        )
    )
    assert list(left.values) == []
