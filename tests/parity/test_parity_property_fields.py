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
    (its message names ``name``)."""
    gid = group(host)
    assert create(host, gid, "  status  ").field.name == "status"
    err = create(host, gid, "   ").error
    assert (err.status_code, err.id) == (400, "model.property_field.is_valid.app_error")
    assert "name" in err.message


@pytest.mark.parity("CreatePropertyField", MODEL_FIELD)
def test_create_field_with_an_unknown_type_is_invalid(host: Host) -> None:
    """A type other than text, select, multiselect, date, user, multiuser is 400
    `model.property_field.is_valid.app_error` whose message says
    ``type unknown value``."""
    err = create(host, group(host), "mood", kind="emoji").error
    assert (err.status_code, err.id) == (400, "model.property_field.is_valid.app_error")
    assert "type unknown value" in err.message


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


STORE_FIELD = "server/channels/store/sqlstore/property_field_store.go"
SERVICE_FIELD = "server/channels/app/properties/property_field.go"
PLAIN = (500, "grpc.internal")  # a plain Go error: an INTERNAL status, no AppError id


def err(rsp: object) -> tuple[int, str]:
    e = rsp.error  # type: ignore[attr-defined]
    return e.status_code, e.id


def made(host: Host, group_id: str, name: str = "", **fields: object) -> rem.PropertyField:
    field = rem.PropertyField(
        group_id=group_id,
        name=name or f"f{next(_n)}",
        type="text",
        **fields,  # type: ignore[arg-type]
    )
    rsp = host.api.CreatePropertyField(rem.CreatePropertyFieldRequest(field=field))
    assert not rsp.error.id, rsp.error
    return rsp.field


def update(host: Host, group_id: str, field: rem.PropertyField) -> rem.UpdatePropertyFieldResponse:
    return host.api.UpdatePropertyField(
        rem.UpdatePropertyFieldRequest(group_id=group_id, field=field)
    )


def fetch(host: Host, field: rem.PropertyField) -> rem.PropertyField:
    rsp = host.api.GetPropertyField(
        rem.GetPropertyFieldRequest(group_id=field.group_id, field_id=field.id)
    )
    assert not rsp.error.id, rsp.error
    return rsp.field


def search(host: Host, group_id: str, **opts: object) -> rem.SearchPropertyFieldsResponse:
    return host.api.SearchPropertyFields(
        rem.SearchPropertyFieldsRequest(
            group_id=group_id,
            opts=rem.PropertyFieldSearchOpts(**opts),  # type: ignore[arg-type]
        )
    )


@pytest.mark.parity("CreatePropertyField", f"{STORE_FIELD}: (*SqlPropertyFieldStore).Create")
def test_create_field_with_an_id_is_refused(host: Host) -> None:
    """A new field that already has an id is refused (the store's invalid input, a 500)."""
    field = rem.PropertyField(id="f" * 26, group_id=group(host), name="x", type="text")
    rsp = host.api.CreatePropertyField(rem.CreatePropertyFieldRequest(field=field))
    assert err(rsp) == PLAIN


@pytest.mark.parity(
    "UpdatePropertyField", f"{STORE_FIELD}: (*SqlPropertyFieldStore).Update; {MODEL_FIELD}"
)
def test_update_field_needs_its_create_at(host: Host) -> None:
    """An update validates the field as given: without its `create_at` it is 400
    `model.property_field.is_valid.app_error` (its message names ``create_at``)."""
    gid = group(host)
    field = made(host, gid)
    field.create_at = 0
    rsp = update(host, gid, field)
    assert err(rsp) == (400, "model.property_field.is_valid.app_error")
    assert "create_at value cannot be zero" in rsp.error.message


@pytest.mark.parity("UpdatePropertyField", f"{STORE_FIELD}: (*SqlPropertyFieldStore).Update")
def test_update_field_answers_the_field_as_given(host: Host) -> None:
    """The answer is the field as given (with a new `update_at`); the stored field keeps its
    group and `create_at`."""
    gid = group(host)
    field = made(host, gid)
    first = field.create_at
    field.create_at, field.name = first + 5, "renamed"
    rsp = update(host, gid, field)
    assert rsp.field.create_at == first + 5 and rsp.field.update_at >= first
    stored = fetch(host, field)
    assert stored.create_at == first and stored.name == "renamed"


@pytest.mark.parity("UpdatePropertyField", f"{STORE_FIELD}: (*SqlPropertyFieldStore).Update")
def test_update_can_bring_a_deleted_field_back(host: Host) -> None:
    """A deleted field may be updated, and `delete_at` is taken as given: 0 makes it live
    again."""
    gid = group(host)
    field = made(host, gid)
    host.api.DeletePropertyField(rem.DeletePropertyFieldRequest(group_id=gid, field_id=field.id))
    field.delete_at = 0
    assert not update(host, gid, field).error.id
    assert fetch(host, field).delete_at == 0


@pytest.mark.parity(
    ("UpdatePropertyField", "UpdatePropertyFields"),
    f"{APP_FIELD}: (*App).UpdatePropertyFields; "
    f"{SERVICE_FIELD}: (*PropertyService).getPropertyFields",
)
def test_update_of_a_missing_field_is_404_field_not_found(host: Host) -> None:
    """Updating a field that does not exist (or is another group's) is 404
    `app.property_field.not_found.app_error`, checked before the field itself; in a batch,
    nothing is changed."""
    gid, other = group(host), group(host)
    field = made(host, gid)
    ghost = rem.PropertyField()
    ghost.CopyFrom(field)
    ghost.id, ghost.type = "f" * 26, "colour"
    not_found = (404, "app.property_field.not_found.app_error")
    assert err(update(host, gid, ghost)) == not_found
    assert err(update(host, other, field)) == not_found
    field.name = "changed"
    rsp = host.api.UpdatePropertyFields(
        rem.UpdatePropertyFieldsRequest(group_id=gid, fields=[field, ghost])
    )
    assert err(rsp) == not_found
    assert fetch(host, field).name != "changed"


@pytest.mark.parity("UpdatePropertyFields", f"{STORE_FIELD}: (*SqlPropertyFieldStore).Update")
def test_update_fields_is_all_or_nothing(host: Host) -> None:
    """If one field of the batch is invalid, none is changed."""
    gid = group(host)
    good, bad = made(host, gid), made(host, gid)
    good.name, bad.type = "changed", "colour"
    rsp = host.api.UpdatePropertyFields(
        rem.UpdatePropertyFieldsRequest(group_id=gid, fields=[good, bad])
    )
    assert err(rsp) == (400, "model.property_field.is_valid.app_error")
    assert fetch(host, good).name != "changed"


@pytest.mark.parity(("UpdatePropertyField", "CreatePropertyField"), MODEL_FIELD)
def test_field_texts_are_limited_to_255_runes(host: Host) -> None:
    """A name, target type or target id over 255 characters is 400 whose message says ``value
    exceeds maximum length``; 255 multi-byte characters are fine."""
    gid = group(host)
    assert create(host, gid, "é" * 255).field.name == "é" * 255
    field = made(host, gid)
    field.target_type = "t" * 256
    rsp = update(host, gid, field)
    assert err(rsp) == (400, "model.property_field.is_valid.app_error")
    assert "target_type value exceeds maximum length" in rsp.error.message


@pytest.mark.parity(
    "DeletePropertyField",
    f"{SERVICE_FIELD}: (*PropertyService).DeletePropertyField; "
    f"{STORE_FIELD}: (*SqlPropertyFieldStore).Delete",
)
def test_delete_field_takes_its_values_and_may_repeat(host: Host) -> None:
    """Deleting a field soft-deletes its values; deleting it again is no error, but an
    unknown field is 404 `app.property.not_found.app_error`."""
    gid = group(host)
    field = made(host, gid)
    value = host.api.CreatePropertyValue(
        rem.CreatePropertyValueRequest(
            value=rem.PropertyValue(
                group_id=gid, field_id=field.id, target_id=host.user("bob"), target_type="user"
            )
        )
    ).value
    request = rem.DeletePropertyFieldRequest(group_id=gid, field_id=field.id)
    assert not host.api.DeletePropertyField(request).error.id
    assert not host.api.DeletePropertyField(request).error.id
    got = host.api.GetPropertyValue(rem.GetPropertyValueRequest(group_id=gid, value_id=value.id))
    assert got.value.delete_at > 0
    unknown = rem.DeletePropertyFieldRequest(group_id=gid, field_id="f" * 26)
    assert err(host.api.DeletePropertyField(unknown)) == (404, "app.property.not_found.app_error")


@pytest.mark.parity("DeletePropertyField", f"{STORE_FIELD}: (*SqlPropertyFieldStore).Delete")
def test_delete_field_keeps_its_update_at(host: Host) -> None:
    """Deleting a field sets only its `delete_at`; `update_at` stays."""
    gid = group(host)
    field = made(host, gid)
    host.api.DeletePropertyField(rem.DeletePropertyFieldRequest(group_id=gid, field_id=field.id))
    stored = fetch(host, field)
    assert stored.delete_at > 0 and stored.update_at == field.update_at


@pytest.mark.parity(
    "SearchPropertyFields", f"{STORE_FIELD}: (*SqlPropertyFieldStore).SearchPropertyFields"
)
def test_search_fields_needs_a_page_size(host: Host) -> None:
    """A `per_page` below 1 fails without an AppError (a 500): there is no default size."""
    assert err(search(host, group(host))) == PLAIN
    assert err(search(host, group(host), per_page=-1)) == PLAIN


@pytest.mark.parity(
    "SearchPropertyFields", f"{STORE_FIELD}: (*SqlPropertyFieldStore).SearchPropertyFields"
)
def test_search_fields_oldest_first_and_filters(host: Host) -> None:
    """Fields come oldest first; target type and target id filter when given; deleted ones
    only with `include_deleted`."""
    gid = group(host)
    a = made(host, gid, target_type="channel", target_id="c1")
    b = made(host, gid, target_type="channel", target_id="c2")
    c = made(host, gid, target_type="user")
    host.api.DeletePropertyField(rem.DeletePropertyFieldRequest(group_id=gid, field_id=c.id))
    assert [f.id for f in search(host, gid, per_page=10).fields] == [a.id, b.id]
    assert [f.id for f in search(host, gid, per_page=10, target_id="c2").fields] == [b.id]
    typed = search(host, gid, per_page=10, target_type="user", include_deleted=True)
    assert [f.id for f in typed.fields] == [c.id]
    assert [f.id for f in search(host, gid, per_page=1, page=1).fields] == [b.id]


@pytest.mark.parity(
    "SearchPropertyFields", f"{SERVICE_FIELD}: (*PropertyService).SearchPropertyFields"
)
def test_search_fields_without_a_group_searches_every_group(host: Host) -> None:
    """An empty group id is no filter: fields of every group match."""
    one, two = group(host), group(host)
    tag = f"t{next(_n)}"
    a, b = made(host, one, target_id=tag), made(host, two, target_id=tag)
    assert [f.id for f in search(host, "", per_page=10, target_id=tag).fields] == [a.id, b.id]


@pytest.mark.parity(
    ("CountPropertyFields", "CountPropertyFieldsForTarget"),
    f"{STORE_FIELD}: (*SqlPropertyFieldStore).CountForGroup, CountForTarget",
)
def test_counts_of_live_and_all_fields(host: Host) -> None:
    """Counts are of the group's live fields, or of all with `include_deleted`."""
    gid = group(host)
    made(host, gid, target_type="user", target_id="u1")
    gone = made(host, gid, target_type="user", target_id="u1")
    host.api.DeletePropertyField(rem.DeletePropertyFieldRequest(group_id=gid, field_id=gone.id))
    live = host.api.CountPropertyFields(rem.CountPropertyFieldsRequest(group_id=gid))
    every = host.api.CountPropertyFields(
        rem.CountPropertyFieldsRequest(group_id=gid, include_deleted=True)
    )
    target = host.api.CountPropertyFieldsForTarget(
        rem.CountPropertyFieldsForTargetRequest(
            group_id=gid, target_type="user", target_id="u1", include_deleted=True
        )
    )
    assert (live.count, every.count, target.count) == (1, 2, 2)


@pytest.mark.parity(
    "CountPropertyFieldsForTarget", f"{STORE_FIELD}: (*SqlPropertyFieldStore).CountForTarget"
)
def test_count_for_target_matches_type_and_id_exactly(host: Host) -> None:
    """The target type and id must match exactly: empty ones count only the fields of no
    target, not all fields."""
    gid = group(host)
    made(host, gid)
    made(host, gid, target_type="user", target_id="u1")
    rsp = host.api.CountPropertyFieldsForTarget(
        rem.CountPropertyFieldsForTargetRequest(group_id=gid)
    )
    assert rsp.count == 1


@pytest.mark.parity(
    "GetPropertyFieldByName", f"{STORE_FIELD}: (*SqlPropertyFieldStore).GetFieldByName"
)
def test_field_by_name_is_exact_and_live(host: Host) -> None:
    """The name (any case, no trimming) and the target id must match exactly, and deleted
    fields are not found: 404 `app.property.not_found.app_error`."""
    gid = group(host)
    field = made(host, gid, name="Mood", target_id="x1")

    def by_name(name: str, target: str = "x1") -> rem.GetPropertyFieldByNameResponse:
        return host.api.GetPropertyFieldByName(
            rem.GetPropertyFieldByNameRequest(group_id=gid, target_id=target, name=name)
        )

    assert by_name("Mood").field.id == field.id
    for name, target in (("mood", "x1"), (" Mood", "x1"), ("Mood", "")):
        assert err(by_name(name, target)) == (404, "app.property.not_found.app_error")
    host.api.DeletePropertyField(rem.DeletePropertyFieldRequest(group_id=gid, field_id=field.id))
    assert err(by_name("Mood")) == (404, "app.property.not_found.app_error")


@pytest.mark.parity(
    "RegisterPropertyGroup",
    "server/channels/store/sqlstore/property_group_store.go: (*SqlPropertyGroupStore).Register",
)
def test_register_group_is_idempotent_and_needs_a_name(host: Host) -> None:
    """Registering a name again answers the same group; an empty name is refused (the
    store's invalid input, a 500)."""
    name = f"reg-{next(_n)}"
    first = host.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name=name))
    again = host.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest(name=name))
    assert first.group.id == again.group.id and len(first.group.id) == 26
    assert err(host.api.RegisterPropertyGroup(rem.RegisterPropertyGroupRequest())) == PLAIN


@pytest.mark.parity(
    "GetPropertyGroup",
    "server/channels/store/sqlstore/property_group_store.go: (*SqlPropertyGroupStore).Get; "
    "server/channels/app: mapPropertyServiceError",
)
def test_get_unknown_group_is_404_property_not_found(host: Host) -> None:
    """A group name never registered is 404 `app.property.not_found.app_error`."""
    rsp = host.api.GetPropertyGroup(rem.GetPropertyGroupRequest(name=f"never-{next(_n)}"))
    assert err(rsp) == (404, "app.property.not_found.app_error")
