"""Server parity of property fields: CreatePropertyField, GetPropertyField(s),
UpdatePropertyFields (the App layer of the server's property service)."""

from __future__ import annotations

import itertools

import pytest
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem

APP_FIELD = "server/channels/app/property_field.go"
MODEL_FIELD = "server/public/model/property_field.go: (*PropertyField).IsValid"
_n = itertools.count()


def group(host: Host) -> str:
    name = f"parity-props-{next(_n)}"
    return str(host.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name=name)).group.id)


def create(
    host: Host, group_id: str, name: str, kind: str = "text"
) -> rem.CreatePropertyFieldResponse:
    field = rem.PropertyField(group_id=group_id, name=name, type=kind)
    return host.api.CreatePropertyField(rem.CreatePropertyFieldRequest(field=field))


@pytest.mark.parity(
    "CreatePropertyField", f"{APP_FIELD}: (*App).CreatePropertyField; {MODEL_FIELD}"
)
def test_create_field_trims_the_name(host: Host) -> None:
    """The name is trimmed; a name of spaces only is 400 `model.property_field.is_valid.app_error`
    (FieldName ``name``)."""
    gid = group(host)
    assert create(host, gid, "  status  ").field.name == "status"
    err = create(host, gid, "   ").error
    assert (err.status_code, err.id) == (400, "model.property_field.is_valid.app_error")
    assert err.params["FieldName"] == "name"


@pytest.mark.parity("CreatePropertyField", MODEL_FIELD)
def test_create_field_with_an_unknown_type_is_invalid(host: Host) -> None:
    """A type other than text, select, multiselect, date, user, multiuser is 400
    `model.property_field.is_valid.app_error` with FieldName ``type`` and Reason
    ``unknown value``."""
    err = create(host, group(host), "mood", kind="emoji").error
    assert (err.status_code, err.id) == (400, "model.property_field.is_valid.app_error")
    assert (err.params["FieldName"], err.params["Reason"]) == ("type", "unknown value")


@pytest.mark.parity(
    "GetPropertyField", f"{APP_FIELD}: (*App).GetPropertyField; mapPropertyServiceError"
)
def test_get_missing_field_is_404_property_not_found(host: Host) -> None:
    """An unknown field id (or one that is not an id) is 404 `app.property.not_found.app_error`."""
    gid = group(host)
    for field_id in ("f" * 26, "nope"):
        err = host.api.GetPropertyField(
            rem.GetPropertyFieldRequest(group_id=gid, field_id=field_id)
        ).error
        assert (err.status_code, err.id) == (404, "app.property.not_found.app_error")


@pytest.mark.parity(
    "GetPropertyFields", f"{APP_FIELD}: (*App).GetPropertyFields; mapPropertyServiceError"
)
def test_get_fields_with_a_missing_id_is_404_field_not_found(host: Host) -> None:
    """If any of the ids is missing the whole call is 404
    `app.property_field.not_found.app_error`."""
    gid = group(host)
    made = create(host, gid, "present").field
    err = host.api.GetPropertyFields(
        rem.GetPropertyFieldsRequest(group_id=gid, ids=[made.id, "f" * 26])
    ).error
    assert (err.status_code, err.id) == (404, "app.property_field.not_found.app_error")


@pytest.mark.parity("UpdatePropertyFields", f"{APP_FIELD}: (*App).UpdatePropertyFields")
def test_update_fields_needs_at_least_one_field(host: Host) -> None:
    """Updating an empty list of fields is 400 `app.property_field.invalid_input.app_error`."""
    err = host.api.UpdatePropertyFields(
        rem.UpdatePropertyFieldsRequest(group_id=group(host))
    ).error
    assert (err.status_code, err.id) == (400, "app.property_field.invalid_input.app_error")
