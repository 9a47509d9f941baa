"""Row <-> protobuf conversions (mmplug.host.api._convert): every field survives a round
trip, empty messages work, and lookup columns follow the entity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from mmplug.host.api import _convert as conv
from mmplug.protocol import (
    api_channel_post_pb2,
    api_remaining_pb2,
    api_user_team_pb2,
    channel_pb2,
    post_pb2,
    team_pb2,
    user_pb2,
)

SCALARS: dict[int, Any] = {
    FieldDescriptor.TYPE_STRING: "text",
    FieldDescriptor.TYPE_BOOL: True,
    FieldDescriptor.TYPE_INT64: 1_767_225_600_123,
    FieldDescriptor.TYPE_INT32: 7,
    FieldDescriptor.TYPE_BYTES: b"\x00\x01",
    FieldDescriptor.TYPE_DOUBLE: 1.5,
}


def filled(cls: type[Message]) -> Message:
    """A message with every scalar, repeated scalar, map and enum field set."""
    msg = cls()
    for field in cls.DESCRIPTOR.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            getattr(msg, field.name)["k"] = "v"
        elif field.type == FieldDescriptor.TYPE_ENUM:
            setattr(msg, field.name, field.enum_type.values[-1].number)
        elif field.type in SCALARS:
            value = SCALARS[field.type]
            if field.is_repeated:
                getattr(msg, field.name).append(value)
            else:
                setattr(msg, field.name, value)
    return msg


CASES: list[tuple[type[Message], Callable[[Any], dict[str, Any]], Callable[[Any], Message]]] = [
    (user_pb2.User, conv.user_to_row, conv.user_from_row),
    (team_pb2.Team, conv.team_to_row, conv.team_from_row),
    (team_pb2.TeamMember, conv.team_member_to_row, conv.team_member_from_row),
    (channel_pb2.Channel, conv.channel_to_row, conv.channel_from_row),
    (api_channel_post_pb2.ChannelMember, conv.channel_member_to_row, conv.channel_member_from_row),
    (post_pb2.Post, conv.post_to_row, conv.post_from_row),
    (api_user_team_pb2.Status, conv.status_to_row, conv.status_from_row),
    (api_remaining_pb2.Preference, conv.preference_to_row, conv.preference_from_row),
]


@pytest.mark.parametrize(
    ("cls", "to_row", "from_row"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_every_field_survives_a_round_trip(cls: Any, to_row: Any, from_row: Any) -> None:
    msg = filled(cls)
    assert from_row(to_row(msg)) == msg


@pytest.mark.parametrize(
    ("cls", "to_row", "from_row"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_empty_message_round_trips(cls: Any, to_row: Any, from_row: Any) -> None:
    assert from_row(to_row(cls())) == cls()


def test_user_row_columns() -> None:
    row = conv.user_to_row(user_pb2.User(id="u", username="ann", email="Ann@X.org", is_bot=True))
    assert (row["email"], row["is_bot"], row["delete_at"]) == ("ann@x.org", 1, 0)


def test_delete_at_column_wins_over_data() -> None:
    row = conv.team_to_row(team_pb2.Team(id="t", name="t"))
    row["delete_at"] = 42
    assert conv.team_from_row(row).delete_at == 42


def test_channel_type_letters() -> None:
    for enum, letter in conv.CHANNEL_TYPE_LETTERS.items():
        assert conv.channel_to_row(channel_pb2.Channel(type=enum))["type"] == letter  # type: ignore[arg-type]
        assert conv.LETTER_CHANNEL_TYPES[letter] == enum


def test_sanitize_user_drops_secrets_only() -> None:
    user = user_pb2.User(id="u", username="ann", password="hash", mfa_secret="s", nickname="A")
    clean = conv.sanitize_user(user)
    assert (clean.password, clean.mfa_secret, clean.nickname) == ("", "", "A")
    assert user.password == "hash"  # the original is untouched


def test_sql_builders() -> None:
    row = {"a": 1, "b": 2, "c": 3}
    assert conv.insert_sql("t", row) == ('INSERT INTO "t" (a, b, c) VALUES (?, ?, ?)', (1, 2, 3))
    sql, _ = conv.upsert_sql("t", row, ["a"])
    assert sql.endswith("ON CONFLICT(a) DO UPDATE SET b=excluded.b, c=excluded.c")
    assert conv.update_sql("t", row, ["a", "b"]) == (
        'UPDATE "t" SET c=? WHERE a=? AND b=?',
        (3, 1, 2),
    )
