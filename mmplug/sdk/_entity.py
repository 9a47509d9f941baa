"""The base of the SDK's entities (``mmplug.sdk.model``): light views over protocol messages.

An entity holds its protobuf message and reads and writes it in place: wrapping a message costs
one object, never a copy, so hooks and API calls pay almost nothing for the Pythonic surface
(docs/benchmarks.md). Field conversions live here, one function per kind of field; the
generated classes in ``model.py`` only say which kind each field is.

Kinds, as an entity shows them:

* scalars as Python values; enums as their number (``channel.type == 1``; setters also take
  the label, its short form or Mattermost's letter: ``"CHANNEL_TYPE_OPEN"``, ``"open"``, ``"O"``);
* ``optional`` scalars and ``Int64Value``-style wrappers as the value or ``None``;
* a nested entity as its entity (a live view) or ``None`` when unset;
* repeated scalars and string maps as the live protobuf containers (``append`` and item
  assignment change the entity);
* repeated entities and maps of entities as read-only snapshots whose items are live views;
  assign a whole new list or dict to change them;
* ``google.protobuf.Struct`` fields (``props``) as a new ``dict`` on each read, with integral
  numbers as ``int``; assign a dict to change them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar, cast

from google.protobuf import struct_pb2
from google.protobuf.message import Message

from mmplug.protocol.messages import is_map

M = TypeVar("M", bound=Message)
E = TypeVar("E", bound="Entity[Any]")

# Mattermost's one-letter type codes, by the end of the protocol's enum labels.
_LETTERS = {"O": "OPEN", "P": "PRIVATE", "D": "DIRECT", "G": "GROUP", "I": "INVITE"}
_EXACT_FLOAT = 2**53


class Entity(Generic[M]):
    """A Mattermost entity: attribute access, ``to_dict()``, equality, a readable repr and
    ``replace(...)``. ``proto`` is the protocol message it reads and writes."""

    __slots__ = ("_pb",)
    _proto_class: ClassVar[type[Message]]
    _pb: M

    @classmethod
    def from_proto(cls: type[E], message: Message) -> E:
        """A view of ``message`` (no copy: changes to either show in both)."""
        if not isinstance(message, cls._proto_class):
            raise TypeError(
                f"{cls.__name__}.from_proto takes a {cls._proto_class.__name__}, "
                f"got {type(message).__name__}"
            )
        entity = object.__new__(cls)
        entity._pb = message
        return entity

    @classmethod
    def from_dict(cls: type[E], data: Mapping[str, Any]) -> E:
        """An entity from a dict of field values (as ``to_dict()`` returns)."""
        entity = object.__new__(cls)
        entity._pb = cls._proto_class()
        entity._update(data)
        return entity

    @property
    def proto(self) -> M:
        """The protocol message this entity reads and writes."""
        return self._pb

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain Python values (entities as dicts, unset ones as None)."""
        return {name: _plain(getattr(self, name)) for name in _field_names(type(self))}

    def _update(self, fields: Mapping[str, Any]) -> None:
        """Set ``fields`` given by a user (a dict): unknown names are an error."""
        names = self._pb.DESCRIPTOR.fields_by_name
        for name in fields:
            if name not in names:
                known = ", ".join(names) or "none"
                raise TypeError(f"{type(self).__name__} has no field {name!r} (fields: {known})")
        self._assign(fields)

    def _assign(self, fields: Mapping[str, Any]) -> None:
        """Set the fields that are not None (the generated constructors' keywords)."""
        for name, value in fields.items():
            if value is None:
                continue
            try:
                setattr(self, name, value)
            except (TypeError, ValueError) as exc:
                field = self._pb.DESCRIPTOR.fields_by_name[name]
                raise type(exc)(
                    f"{type(self).__name__}.{name} takes {_field_type(field)}, got "
                    f"{type(value).__name__} {value!r:.60}: {exc}"
                ) from None

    def _replaced(self: E, changes: Mapping[str, Any]) -> E:
        copy = object.__new__(type(self))
        copy._pb = type(self._pb)()
        copy._pb.CopyFrom(self._pb)
        copy._assign(changes)
        return copy

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self._pb == other._pb)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dict

    def __repr__(self) -> str:
        parts = []
        for field, _ in self._pb.ListFields():
            value = getattr(self, field.name)
            if field.enum_type is not None and not _is_repeated(field):
                label = field.enum_type.values_by_number.get(value)
                parts.append(f"{field.name}={label.name if label else value}")
            else:
                parts.append(f"{field.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __copy__(self: E) -> E:
        return self._replaced({})

    def __deepcopy__(self: E, memo: dict[int, Any]) -> E:
        return self._replaced({})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle, (type(self), self._pb.SerializeToString()))


_SCALAR_NAMES = {1: "float", 2: "float", 8: "bool", 9: "str", 12: "bytes", 14: "an enum"}


def _field_type(field: Any) -> str:
    """A field's type as a user would write it (for error messages)."""
    if field.message_type is not None:
        name = field.message_type.name
        if is_map(field):
            return "a dict"
        return f"a list of {name}" if field.is_repeated else f"a {name} or a dict"
    name = _SCALAR_NAMES.get(field.type, "int")
    return f"a list of {name}" if field.is_repeated else name


def _unpickle(cls: type[E], data: bytes) -> E:
    return cls.from_proto(cls._proto_class.FromString(data))


def _is_repeated(field: Any) -> bool:
    return bool(field.is_repeated)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, bool, float, bytes, type(None))


def _field_names(cls: type[Entity[Any]]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in cls._proto_class.DESCRIPTOR.fields)
    return names


def _plain(value: Any) -> Any:
    """``value`` (as an entity attribute reads) in plain Python types: dicts, lists, scalars."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Entity):
        return value.to_dict()
    if isinstance(value, dict | MappingProxyType) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    return [_plain(v) for v in value]  # lists, tuples, repeated containers


# -- conversions into messages (arguments, setters) ---------------------------------------------
def to_message(value: Any, cls: type[M]) -> M:
    """A message of ``cls`` from an entity, a message or a dict (a new message for dicts, the
    entity's own message otherwise)."""
    if isinstance(value, Entity):
        value = value._pb
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        if not _ENTITY_CLASSES:
            from . import model  # noqa: F401  (registers the entity classes)
        entity_cls = entity_class(cls)
        if entity_cls is None:
            from google.protobuf import json_format

            message = cls()
            json_format.ParseDict(dict(value), message)
            return message
        result: M = entity_cls.from_dict(value)._pb
        return result
    raise TypeError(
        f"expected a {cls.__name__} (an entity, a message or a dict), got {type(value).__name__}"
    )


def to_proto(value: Any, cls: type[Entity[M]]) -> M:
    """The message of entity class ``cls`` from an entity, a message or a dict."""
    return cast("M", to_message(value, cls._proto_class))


def to_protos(values: Iterable[Any], cls: type[Entity[M]]) -> list[M]:
    return [to_proto(v, cls) for v in values]


_ENTITY_CLASSES: dict[str, type[Entity[Any]]] = {}


def register(cls: type[E]) -> type[E]:
    """Class decorator of the generated entities: find them by their message's name."""
    _ENTITY_CLASSES[cls._proto_class.DESCRIPTOR.full_name] = cls
    return cls


def entity_class(message_cls: type[Message]) -> type[Entity[Any]] | None:
    """The entity class of a message class, if there is one."""
    return _ENTITY_CLASSES.get(message_cls.DESCRIPTOR.full_name)


def wrap(message: Message) -> Any:
    """The entity view of a message, or the message itself when it has no entity class."""
    if not _ENTITY_CLASSES:
        from . import model  # noqa: F401  (registers the entity classes)
    cls = _ENTITY_CLASSES.get(message.DESCRIPTOR.full_name)
    return message if cls is None else cls.from_proto(message)


def to_bytes(value: bytes | bytearray | memoryview | str) -> bytes:
    """Bytes as they are, text as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"expected bytes or str, got {type(value).__name__}")


# -- field accessors used by the generated entities ----------------------------------------------
def get_message(pb: Message, name: str, cls: type[E]) -> E | None:
    if not pb.HasField(name):
        return None
    return cls.from_proto(getattr(pb, name))


def set_message(pb: Message, name: str, value: Any) -> None:
    if value is None:
        pb.ClearField(name)
        return
    target = getattr(pb, name)
    target.CopyFrom(to_message(value, type(target)))


def get_entities(container: Iterable[Message], cls: type[E]) -> tuple[E, ...]:
    return tuple(cls.from_proto(m) for m in container)


def set_entities(pb: Message, name: str, values: Iterable[Any]) -> None:
    container = getattr(pb, name)
    items = list(values)
    del container[:]
    for item in items:
        entry = container.add()
        entry.CopyFrom(to_message(item, type(entry)))


def get_entity_map(container: Mapping[str, Message], cls: type[E]) -> Mapping[str, E]:
    return MappingProxyType({k: cls.from_proto(v) for k, v in container.items()})


def set_map(pb: Message, name: str, values: Mapping[Any, Any]) -> None:
    container = getattr(pb, name)
    items = dict(values)
    container.clear()
    entry: Any = pb.DESCRIPTOR.fields_by_name[name].message_type
    value_type = entry.fields_by_name["value"].message_type
    for key, item in items.items():
        if value_type is None:
            container[key] = item
        else:
            container[key].CopyFrom(to_message(item, type(container[key])))


def set_scalars(pb: Message, name: str, values: Iterable[Any]) -> None:
    container = getattr(pb, name)
    items = list(values)
    del container[:]
    container.extend(items)


def set_bytes(pb: Message, name: str, value: bytes | bytearray | memoryview | str) -> None:
    setattr(pb, name, to_bytes(value))


def set_optional(pb: Message, name: str, value: Any) -> None:
    if value is None:
        pb.ClearField(name)
    else:
        setattr(pb, name, value)


def set_wrapper(pb: Message, name: str, value: Any) -> None:
    """``google.protobuf.Int64Value``-style fields: None clears them."""
    if value is None:
        pb.ClearField(name)
    else:
        getattr(pb, name).value = value


def enum_number(pb: Message | type[Message], name: str, value: int | str) -> int:
    """The number of an enum value given as number, label, short label or Mattermost letter."""
    enum: Any = pb.DESCRIPTOR.fields_by_name[name].enum_type
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in enum.values_by_name:
            return int(enum.values_by_name[value].number)
        suffix = "_" + _LETTERS.get(value, value).upper()
        found = [v for v in enum.values if v.name.endswith(suffix)]
        if len(found) == 1:
            return int(found[0].number)
    labels = ", ".join(v.name for v in enum.values)
    raise ValueError(f"{name}: {value!r} is not a {enum.name} ({labels})")


def enum_numbers(pb: Message | type[Message], name: str, values: Iterable[int | str]) -> list[int]:
    return [enum_number(pb, name, v) for v in values]


def set_enum(pb: Message, name: str, value: int | str) -> None:
    setattr(pb, name, enum_number(pb, name, value))


def set_optional_enum(pb: Message, name: str, value: int | str | None) -> None:
    if value is None:
        pb.ClearField(name)
    else:
        set_enum(pb, name, value)


def set_enums(pb: Message, name: str, values: Iterable[int | str]) -> None:
    set_scalars(pb, name, enum_numbers(pb, name, values))


def get_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return {key: _from_value(value) for key, value in struct.fields.items()}


def set_struct(pb: Message, name: str, value: Mapping[str, Any] | None) -> None:
    """A dict; an empty one (or None) unsets the field, as ``to_dict()`` shows unset ones."""
    if not value:
        pb.ClearField(name)
        return
    struct = getattr(pb, name)
    struct.Clear()
    struct.update(dict(value))


def to_struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if value:
        struct.update(dict(value))
    return struct


def to_value(value: Any) -> struct_pb2.Value:
    holder = struct_pb2.Struct()
    holder.update({"v": value})
    return holder.fields["v"]


def to_values(values: Iterable[Any]) -> list[struct_pb2.Value]:
    return [to_value(v) for v in values]


def to_list_value(values: Iterable[Any]) -> struct_pb2.ListValue:
    result = struct_pb2.ListValue()
    result.extend(list(values))
    return result


def get_values(values: Iterable[struct_pb2.Value]) -> list[Any]:
    return [_from_value(v) for v in values]


def set_values(pb: Message, name: str, values: Iterable[Any]) -> None:
    container = getattr(pb, name)
    items = to_values(values)
    del container[:]
    for item in items:
        container.add().CopyFrom(item)


def get_value(value: struct_pb2.Value) -> Any:
    return _from_value(value)


def set_value(pb: Message, name: str, value: Any) -> None:
    getattr(pb, name).CopyFrom(to_value(value))


def get_list_value(value: struct_pb2.ListValue) -> list[Any]:
    return [_from_value(v) for v in value.values]


def set_list_value(pb: Message, name: str, values: Iterable[Any]) -> None:
    target = getattr(pb, name)
    target.Clear()
    target.extend(list(values))


def _from_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and abs(number) < _EXACT_FLOAT and math.isfinite(number):
            return int(number)
        return number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return get_struct(value.struct_value)
    if kind == "list_value":
        return get_list_value(value.list_value)
    return None
