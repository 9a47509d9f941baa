"""Server parity of property values: GetPropertyValue(s) and value validation."""

from __future__ import annotations

import itertools

import pytest
from google.protobuf import struct_pb2
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem

MAPPING = "server/channels/app: mapPropertyServiceError"


def field(host: Host) -> rem.PropertyField:
    request = rem.RegisterPropertyGroupRequest(name="pv-parity")
    gid = host.api.RegisterPropertyGroup(request).group.id
    made = host.api.CreatePropertyField(
        rem.CreatePropertyFieldRequest(
            field=rem.PropertyField(group_id=gid, name="pv-field", type="text")
        )
    )
    if made.error.id:  # registered by an earlier test of the module
        return host.api.GetPropertyFieldByName(
            rem.GetPropertyFieldByNameRequest(group_id=gid, name="pv-field")
        ).field
    return made.field


@pytest.mark.parity(
    "GetPropertyValue", "server/channels/app/property_value.go: (*App).GetPropertyValue"
)
def test_get_missing_value_is_404_value_not_found(host: Host) -> None:
    """An unknown value id (or one that is not an id) is 404
    `app.property_value.not_found.app_error`."""
    gid = field(host).group_id
    for value_id in ("v" * 26, "nope"):
        err = host.api.GetPropertyValue(
            rem.GetPropertyValueRequest(group_id=gid, value_id=value_id)
        ).error
        assert (err.status_code, err.id) == (404, "app.property_value.not_found.app_error")


@pytest.mark.parity("GetPropertyValues", MAPPING)
def test_get_values_with_a_missing_id_is_404(host: Host) -> None:
    """If any of the ids is missing the call is 404 `app.property.not_found.app_error`."""
    gid = field(host).group_id
    err = host.api.GetPropertyValues(
        rem.GetPropertyValuesRequest(group_id=gid, ids=["v" * 26])
    ).error
    assert (err.status_code, err.id) == (404, "app.property.not_found.app_error")


@pytest.mark.parity("CreatePropertyValue", "server/public/model/property_value.go: IsValid")
def test_create_value_for_a_bad_target_is_invalid(host: Host) -> None:
    """A target id that is not an id is 400 `model.property_value.is_valid.app_error` with
    a message naming ``target_id``."""
    f = field(host)
    err = host.api.CreatePropertyValue(
        rem.CreatePropertyValueRequest(
            value=value_of(f, "me")
        )
    ).error
    assert (err.status_code, err.id) == (400, "model.property_value.is_valid.app_error")
    assert "target_id" in err.message


STORE_VALUE = "server/channels/store/sqlstore/property_value_store.go"
PLAIN = (500, "grpc.internal")  # a plain Go error: an INTERNAL status, no AppError id
_n = itertools.count()


def err(rsp: object) -> tuple[int, str]:
    e = rsp.error  # type: ignore[attr-defined]
    return e.status_code, e.id


def fresh_field(host: Host) -> rem.PropertyField:
    """A field of its own group (so searches and bulk deletes see only this test's values)."""
    gid = host.api.RegisterPropertyGroup(
        rem.RegisterPropertyGroupRequest(name=f"pv-own-{next(_n)}")
    ).group.id
    rsp = host.api.CreatePropertyField(
        rem.CreatePropertyFieldRequest(
            field=rem.PropertyField(group_id=gid, name="level", type="text")
        )
    )
    assert not rsp.error.id, rsp.error
    return rsp.field


def value_of(f: rem.PropertyField, target: str, **more: object) -> rem.PropertyValue:
    """A value of field ``f`` for the user ``target``."""
    return rem.PropertyValue(group_id=f.group_id, field_id=f.id, target_id=target,
                             target_type="user", **more)  # type: ignore[arg-type]


def upsert(host: Host, f: rem.PropertyField, target: str, text: str, **more: object) -> object:
    value = value_of(f, target, value=struct_pb2.Value(string_value=text), **more)
    return host.api.UpsertPropertyValue(rem.UpsertPropertyValueRequest(value=value))


def read(host: Host, group_id: str, value_id: str) -> rem.GetPropertyValueResponse:
    return host.api.GetPropertyValue(
        rem.GetPropertyValueRequest(group_id=group_id, value_id=value_id)
    )


def search(host: Host, group_id: str, **opts: object) -> rem.SearchPropertyValuesResponse:
    return host.api.SearchPropertyValues(
        rem.SearchPropertyValuesRequest(
            group_id=group_id,
            opts=rem.PropertyValueSearchOpts(**opts),  # type: ignore[arg-type]
        )
    )


@pytest.mark.parity("UpdatePropertyValue", f"{STORE_VALUE}: (*SqlPropertyValueStore).Update")
def test_update_value_needs_its_create_at(host: Host) -> None:
    """An update validates the value as given: without its `create_at` it is 400
    `model.property_value.is_valid.app_error` (its message names ``create_at``)."""
    f = fresh_field(host)
    value = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    value.create_at = 0
    rsp = host.api.UpdatePropertyValue(
        rem.UpdatePropertyValueRequest(group_id=f.group_id, value=value)
    )
    assert err(rsp) == (400, "model.property_value.is_valid.app_error")
    assert "create_at" in rsp.error.message


@pytest.mark.parity("UpdatePropertyValue", f"{STORE_VALUE}: (*SqlPropertyValueStore).Update")
def test_update_value_writes_value_and_delete_at_as_given(host: Host) -> None:
    """An update takes the value and `delete_at` as given, so a deleted value can be
    updated back to life; a missing value fails without an AppError (a 500)."""
    f = fresh_field(host)
    value = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    host.api.DeletePropertyValue(
        rem.DeletePropertyValueRequest(group_id=f.group_id, value_id=value.id)
    )
    value.value.string_value, value.delete_at = "b", 0
    request = rem.UpdatePropertyValueRequest(group_id=f.group_id, value=value)
    assert not host.api.UpdatePropertyValue(request).error.id
    stored = read(host, f.group_id, value.id).value
    assert (stored.value.string_value, stored.delete_at) == ("b", 0)
    value.id = "q" * 26
    missing = rem.UpdatePropertyValueRequest(group_id=f.group_id, value=value)
    assert err(host.api.UpdatePropertyValue(missing)) == PLAIN


@pytest.mark.parity("UpdatePropertyValues", f"{STORE_VALUE}: (*SqlPropertyValueStore).Update")
def test_update_values_is_all_or_nothing(host: Host) -> None:
    """If one value of the batch is missing, none is changed."""
    f = fresh_field(host)
    value = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    ghost = rem.PropertyValue()
    ghost.CopyFrom(value)
    ghost.id = "q" * 26
    value.value.string_value = "changed"
    rsp = host.api.UpdatePropertyValues(
        rem.UpdatePropertyValuesRequest(group_id=f.group_id, values=[value, ghost])
    )
    assert err(rsp) == PLAIN
    assert read(host, f.group_id, value.id).value.value.string_value == "a"


@pytest.mark.parity("UpsertPropertyValue", f"{STORE_VALUE}: (*SqlPropertyValueStore).Upsert")
def test_upsert_answers_the_stored_value(host: Host) -> None:
    """Upserting for a field and target that have a live value updates it and answers it
    as stored: its first id and `create_at`, whatever id was given."""
    f = fresh_field(host)
    first = upsert(host, f, host.user("bob"), "one").value  # type: ignore[attr-defined]
    again = upsert(host, f, host.user("bob"), "two", id="q" * 26).value  # type: ignore[attr-defined]
    assert (again.id, again.create_at) == (first.id, first.create_at)
    assert again.value.string_value == "two" and again.update_at >= first.update_at


@pytest.mark.parity(
    "UpsertPropertyValue",
    f"{STORE_VALUE}: (*SqlPropertyValueStore).Upsert; "
    "server/public/model/property_value.go: (*PropertyValue).IsValid",
)
def test_upsert_validates_in_the_servers_order(host: Host) -> None:
    """The target id is checked before the group id: a value wrong in both is refused for
    its ``target_id``."""
    f = fresh_field(host)
    value = rem.PropertyValue(group_id="g", field_id=f.id, target_id="t", target_type="user")
    rsp = host.api.UpsertPropertyValue(rem.UpsertPropertyValueRequest(value=value))
    assert err(rsp) == (400, "model.property_value.is_valid.app_error")
    assert "target_id" in rsp.error.message


@pytest.mark.parity("UpsertPropertyValues", f"{STORE_VALUE}: (*SqlPropertyValueStore).Upsert")
def test_upsert_values_is_all_or_nothing(host: Host) -> None:
    """If one value of the batch is invalid, none is written."""
    f = fresh_field(host)
    good = value_of(f, host.user("alice"))
    bad = rem.PropertyValue(group_id=f.group_id, field_id=f.id, target_id=host.user("bob"))
    rsp = host.api.UpsertPropertyValues(rem.UpsertPropertyValuesRequest(values=[good, bad]))
    assert err(rsp) == (400, "model.property_value.is_valid.app_error")
    assert list(search(host, f.group_id, per_page=10).values) == []


@pytest.mark.parity(
    "DeletePropertyValue",
    f"{STORE_VALUE}: (*SqlPropertyValueStore).Delete; "
    "server/channels/app/property_value.go: (*App).DeletePropertyValue",
)
def test_delete_value_twice_is_fine_but_unknown_is_404(host: Host) -> None:
    """Deleting a deleted value is no error (only `delete_at` changes); an unknown value, or
    one of another group, is 404 `app.property_value.not_found.app_error`."""
    f = fresh_field(host)
    value = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    request = rem.DeletePropertyValueRequest(group_id=f.group_id, value_id=value.id)
    assert not host.api.DeletePropertyValue(request).error.id
    assert not host.api.DeletePropertyValue(request).error.id
    stored = read(host, f.group_id, value.id).value
    assert stored.delete_at > 0 and stored.update_at == value.update_at
    other = rem.DeletePropertyValueRequest(group_id=host.user("bob"), value_id=value.id)
    assert err(host.api.DeletePropertyValue(other)) == (
        404,
        "app.property_value.not_found.app_error",
    )


@pytest.mark.parity(
    "DeletePropertyValuesForTarget", f"{STORE_VALUE}: (*SqlPropertyValueStore).DeleteForTarget"
)
def test_delete_values_for_target_removes_them_for_good(host: Host) -> None:
    """A target's values are removed, not soft-deleted (reading one is then a 404); an
    empty target type or id is refused (a 500)."""
    f = fresh_field(host)
    value = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    rsp = host.api.DeletePropertyValuesForTarget(
        rem.DeletePropertyValuesForTargetRequest(
            group_id=f.group_id, target_type="user", target_id=host.user("alice")
        )
    )
    assert not rsp.error.id
    assert err(read(host, f.group_id, value.id)) == (404, "app.property_value.not_found.app_error")
    empty = rem.DeletePropertyValuesForTargetRequest(group_id=f.group_id, target_type="user")
    assert err(host.api.DeletePropertyValuesForTarget(empty)) == PLAIN


@pytest.mark.parity(
    "DeletePropertyValuesForField", f"{STORE_VALUE}: (*SqlPropertyValueStore).DeleteForField"
)
def test_delete_values_for_field_without_a_group_reaches_every_group(host: Host) -> None:
    """The field's values are soft-deleted; an empty group id means any group."""
    f = fresh_field(host)
    value = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    rsp = host.api.DeletePropertyValuesForField(
        rem.DeletePropertyValuesForFieldRequest(group_id="", field_id=f.id)
    )
    assert not rsp.error.id
    assert read(host, f.group_id, value.id).value.delete_at > 0


@pytest.mark.parity(
    "SearchPropertyValues", f"{STORE_VALUE}: (*SqlPropertyValueStore).SearchPropertyValues"
)
def test_search_values_needs_a_page_size(host: Host) -> None:
    """A `per_page` below 1 fails without an AppError (a 500): there is no default size."""
    assert err(search(host, fresh_field(host).group_id)) == PLAIN


@pytest.mark.parity(
    "SearchPropertyValues", f"{STORE_VALUE}: (*SqlPropertyValueStore).SearchPropertyValues"
)
def test_search_values_oldest_first_with_filters(host: Host) -> None:
    """Values come oldest first; target id and field id filter when given; deleted values
    only with `include_deleted`."""
    f = fresh_field(host)
    a = upsert(host, f, host.user("alice"), "a").value  # type: ignore[attr-defined]
    b = upsert(host, f, host.user("bob"), "b").value  # type: ignore[attr-defined]
    host.api.DeletePropertyValue(rem.DeletePropertyValueRequest(group_id=f.group_id, value_id=a.id))
    assert [v.id for v in search(host, f.group_id, per_page=10).values] == [b.id]
    every = search(host, f.group_id, per_page=10, include_deleted=True, field_id=f.id)
    assert [v.id for v in every.values] == [a.id, b.id]
    mine = search(host, f.group_id, per_page=10, include_deleted=True, target_id=host.user("bob"))
    assert [v.id for v in mine.values] == [b.id]


APP_VALUE = "server/channels/app/property_value.go"
SANITIZE = "server/public/model/property_value.go: SanitizePropertyValue"


@pytest.mark.parity(
    ("CreatePropertyValue", "UpsertPropertyValue", "UpdatePropertyValue"),
    f"{APP_VALUE}: (*App).CreatePropertyValue, UpsertPropertyValue, UpdatePropertyValue; "
    f"{SANITIZE}",
)
def test_values_are_trimmed_as_stored(host: Host) -> None:
    """A text value is stored without its surrounding spaces, and a list of texts without
    each element's spaces and without its blank elements; numbers are kept as given."""
    f = fresh_field(host)
    made = upsert(host, f, host.user("alice"), "  high  ").value  # type: ignore[attr-defined]
    assert made.value.string_value == "high"
    assert read(host, f.group_id, made.id).value.value.string_value == "high"
    made.value.list_value.values.extend(
        struct_pb2.Value(string_value=t) for t in (" a", "   ", "b ")
    )
    rsp = host.api.UpdatePropertyValue(
        rem.UpdatePropertyValueRequest(group_id=f.group_id, value=made)
    )
    assert [v.string_value for v in rsp.value.value.list_value.values] == ["a", "b"]
    stored = read(host, f.group_id, made.id).value.value
    assert [v.string_value for v in stored.list_value.values] == ["a", "b"]
    number = value_of(f, host.user("bob"), value=struct_pb2.Value(number_value=7))
    created = host.api.CreatePropertyValue(rem.CreatePropertyValueRequest(value=number))
    assert created.value.value.number_value == 7


SERVICE_VALUE = "server/channels/app/properties/property_value.go"


@pytest.mark.parity(
    ("CreatePropertyValue", "UpsertPropertyValue"),
    f"{SERVICE_VALUE}: (*PropertyService).rejectTemplateValues; "
    f"{STORE_VALUE}: (*SqlPropertyValueStore).Create, Upsert",
)
def test_a_deleted_field_still_takes_values(host: Host) -> None:
    """A value may be created or upserted for a deleted field (nothing refuses it), and for a
    field of another group than the value's."""
    f = fresh_field(host)
    host.api.DeletePropertyField(rem.DeletePropertyFieldRequest(group_id=f.group_id, field_id=f.id))
    rsp = upsert(host, f, host.user("alice"), "kept")
    assert not rsp.error.id, rsp.error  # type: ignore[attr-defined]
    other = fresh_field(host).group_id
    value = rem.PropertyValue(
        group_id=other, field_id=f.id, target_id=host.user("bob"), target_type="user"
    )
    created = host.api.CreatePropertyValue(rem.CreatePropertyValueRequest(value=value))
    assert not created.error.id and created.value.group_id == other


@pytest.mark.parity(
    ("CreatePropertyValue", "UpsertPropertyValues", "UpdatePropertyValue"),
    f"{SERVICE_VALUE}: (*PropertyService).rejectTemplateValues; {MAPPING}",
)
def test_a_value_of_an_unknown_field_is_404_before_validation(host: Host) -> None:
    """A value whose field does not exist is 404 `app.property.not_found.app_error`, even when
    the value is invalid too (the field is looked up first)."""
    f = fresh_field(host)
    ghost = rem.PropertyValue(group_id=f.group_id, field_id="f" * 26, target_id="not an id")
    created = host.api.CreatePropertyValue(rem.CreatePropertyValueRequest(value=ghost))
    assert err(created) == (404, "app.property.not_found.app_error")
    good = value_of(f, host.user("alice"))
    batch = host.api.UpsertPropertyValues(rem.UpsertPropertyValuesRequest(values=[good, ghost]))
    assert err(batch) == (404, "app.property.not_found.app_error")
    assert list(search(host, f.group_id, per_page=10).values) == []
    value = upsert(host, f, host.user("bob"), "b").value  # type: ignore[attr-defined]
    value.field_id = "f" * 26
    updated = host.api.UpdatePropertyValue(
        rem.UpdatePropertyValueRequest(group_id=f.group_id, value=value)
    )
    assert err(updated) == (404, "app.property.not_found.app_error")


@pytest.mark.parity(
    ("UpdatePropertyValues", "UpsertPropertyValues"),
    f"{APP_VALUE}: (*App).UpdatePropertyValues, UpsertPropertyValues; "
    f"{SERVICE_VALUE}: (*PropertyService).UpdatePropertyValues, UpsertPropertyValues",
)
def test_value_batches_need_values_of_one_group(host: Host) -> None:
    """An empty batch is 400 `app.property_value.invalid_input.app_error`; a batch with values
    of two groups is refused whole, 500 `app.property_value.upsert_many.app_error` (or
    `update_many`)."""
    empty = host.api.UpsertPropertyValues(rem.UpsertPropertyValuesRequest())
    assert err(empty) == (400, "app.property_value.invalid_input.app_error")
    f = fresh_field(host)
    none = host.api.UpdatePropertyValues(rem.UpdatePropertyValuesRequest(group_id=f.group_id))
    assert err(none) == (400, "app.property_value.invalid_input.app_error")
    g = fresh_field(host)
    mine = value_of(f, host.user("alice"))
    theirs = value_of(g, host.user("alice"))
    mixed = host.api.UpsertPropertyValues(rem.UpsertPropertyValuesRequest(values=[mine, theirs]))
    assert err(mixed) == (500, "app.property_value.upsert_many.app_error")
    assert list(search(host, f.group_id, per_page=10).values) == []
    one = upsert(host, f, host.user("bob"), "b").value  # type: ignore[attr-defined]
    two = upsert(host, g, host.user("bob"), "b").value  # type: ignore[attr-defined]
    both = host.api.UpdatePropertyValues(rem.UpdatePropertyValuesRequest(values=[one, two]))
    assert err(both) == (500, "app.property_value.update_many.app_error")
