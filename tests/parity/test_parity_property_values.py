"""Server parity of property values: GetPropertyValue(s) and value validation."""

from __future__ import annotations

import pytest
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


@pytest.mark.parity("GetPropertyValue", MAPPING)
def test_get_missing_value_is_404_property_not_found(host: Host) -> None:
    """An unknown value id (or one that is not an id) is 404 `app.property.not_found.app_error`."""
    gid = field(host).group_id
    for value_id in ("v" * 26, "nope"):
        err = host.api.GetPropertyValue(
            rem.GetPropertyValueRequest(group_id=gid, value_id=value_id)
        ).error
        assert (err.status_code, err.id) == (404, "app.property.not_found.app_error")


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
    FieldName ``target_id``."""
    f = field(host)
    err = host.api.CreatePropertyValue(
        rem.CreatePropertyValueRequest(
            value=rem.PropertyValue(
                group_id=f.group_id, field_id=f.id, target_id="me", target_type="user"
            )
        )
    ).error
    assert (err.status_code, err.id) == (400, "model.property_value.is_valid.app_error")
    assert err.params["FieldName"] == "target_id"
