"""Overriding fields of a hook request: ``--json``/``--file`` documents and ``--set`` paths.

Both are checked against the request's descriptor before anything is applied, so a bad field
is reported with its full path (``post.mesage``) and the closest field names, and a value of the
wrong type says which type the field wants. Nothing here raises anything but ``UsageError``.

Paths use the protobuf field names (``post.message``) or their JSON names (``post.channelId``);
list items are addressed by index (``posts.0.message`` or ``posts[0].message``); keys of maps and
of ``Struct`` fields are plain segments (``post.props.from_bot``).
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any, cast

from mmplug.errors import UsageError
from mmplug.protocol.messages import is_map

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
    from google.protobuf.message import Message

_INT_TYPES = {3, 4, 5, 6, 7, 13, 15, 16, 17, 18}  # int64, uint64, int32, fixed..., sint...
_FLOAT_TYPES = {1, 2}
_BOOL, _STRING, _BYTES, _ENUM, _MESSAGE = 8, 9, 12, 14, 11
_FREE_FORM = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}
_WRAPPERS = {"google.protobuf.Int64Value", "google.protobuf.Int32Value",
             "google.protobuf.UInt64Value", "google.protobuf.UInt32Value",
             "google.protobuf.StringValue", "google.protobuf.BoolValue",
             "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
             "google.protobuf.BytesValue"}
_INDEX = re.compile(r"\[(\d+)\]")


def _msg(fd: FieldDescriptor) -> Descriptor:
    """The message type of a message field."""
    assert fd.message_type is not None
    return fd.message_type


def _enum(fd: FieldDescriptor) -> EnumDescriptor:
    assert fd.enum_type is not None
    return fd.enum_type


def descriptor_of(message: Message) -> Descriptor:
    return cast("Descriptor", message.DESCRIPTOR)


def _field(descriptor: Descriptor, name: str, path: str) -> FieldDescriptor:
    fd = descriptor.fields_by_name.get(name)
    if fd is None:
        fd = next((f for f in descriptor.fields if f.json_name == name), None)
    if fd is not None:
        return fd
    names = [f.name for f in descriptor.fields]
    import difflib

    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}?" if close else ""
    hint = (hint + " " if hint else "") + f"{descriptor.name} has: {', '.join(names)}"
    raise UsageError(f"{descriptor.name} has no field {path!r}", hint=hint)


def _type_name(fd: FieldDescriptor) -> str:
    if fd.type == _MESSAGE:
        return _msg(fd).name
    if fd.type == _ENUM:
        return "one of " + ", ".join(v.name for v in _enum(fd).values)
    if fd.type in _INT_TYPES:
        return "an integer"
    if fd.type in _FLOAT_TYPES:
        return "a number"
    return {_BOOL: "true or false", _STRING: "a string", _BYTES: "base64 bytes"}[fd.type]


def _wrong(path: str, fd: FieldDescriptor, value: Any) -> UsageError:
    shown = json.dumps(value) if not isinstance(value, (bytes, bytearray)) else repr(value)
    return UsageError(f"field {path!r} wants {_type_name(fd)}, got {shown[:80]}")


def _check_scalar(fd: FieldDescriptor, value: Any, path: str) -> None:
    if fd.type in _INT_TYPES:
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()) is not None)
    elif fd.type in _FLOAT_TYPES:
        ok = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    elif fd.type == _BOOL:
        ok = isinstance(value, bool)
    elif fd.type == _ENUM:
        ok = (isinstance(value, str) and value in _enum(fd).values_by_name) or (
            isinstance(value, int) and not isinstance(value, bool))
    else:
        ok = isinstance(value, str)
    if not ok:
        raise _wrong(path, fd, value)


def check_value(fd: FieldDescriptor, value: Any, path: str) -> None:
    """Raise a UsageError naming ``path`` when ``value`` does not fit field ``fd``."""
    if fd.is_repeated and not is_map(fd):
        if not isinstance(value, list):
            raise UsageError(f"field {path!r} is a list; give a JSON array")
        for i, item in enumerate(value):
            _check_single(fd, item, f"{path}[{i}]")
        return
    _check_single(fd, value, path)


def _check_single(fd: FieldDescriptor, value: Any, path: str) -> None:
    if fd.type != _MESSAGE:
        _check_scalar(fd, value, path)
        return
    full = _msg(fd).full_name
    if full in _FREE_FORM or full in _WRAPPERS or full.startswith("google.protobuf."):
        return
    if is_map(fd):
        if not isinstance(value, dict):
            raise UsageError(f"field {path!r} is a map; give a JSON object")
        value_fd = _msg(fd).fields_by_name["value"]
        for key, item in value.items():
            _check_single(value_fd, item, f"{path}.{key}")
        return
    if not isinstance(value, dict):
        raise _wrong(path, fd, value)
    check_document(_msg(fd), value, path)


def check_document(descriptor: Descriptor, data: dict[str, Any], prefix: str = "") -> None:
    """Check a protobuf JSON document against ``descriptor``, naming the first bad path."""
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        fd = _field(descriptor, str(key), path)
        if value is None:
            continue
        check_value(fd, value, path)


def apply_json(message: Message, data: Any, source: str = "--json") -> None:
    """Merge a protobuf JSON document into ``message`` (given lists replace, objects merge)."""
    from google.protobuf import json_format

    if not isinstance(data, dict):
        raise UsageError(f"{source}: the payload must be a JSON object, "
                         f"got {type(data).__name__}",
                         hint=f"give the fields of {message.DESCRIPTOR.name} as an object")
    try:
        check_document(descriptor_of(message), data)
    except UsageError as exc:
        raise UsageError(f"{source}: {exc.message}", hint=exc.hint) from None
    try:
        json_format.ParseDict(data, message)
    except json_format.ParseError as exc:
        raise UsageError(f"{source}: {exc}") from None


def parse_json_text(text: str, source: str) -> Any:
    from mmplug._json import JSONDepthError, loads

    try:
        return loads(text, constants=False)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg})", hint="quote the whole document for the shell") from None
    except JSONDepthError as exc:
        raise UsageError(f"{source}: the document is {exc}",
                         hint="a hook payload nests a few levels; give the fields you change"
                         ) from None


def _segments(path: str) -> list[str]:
    parts = [p for p in _INDEX.sub(r".\1", path).split(".")]
    if not path or any(p == "" for p in parts):
        raise UsageError(f"--set: {path!r} is not a field path",
                         hint="write it like post.message=hi or posts.0.message=hi")
    return parts


def _coerce(fd: FieldDescriptor, text: str, path: str) -> Any:
    """The protobuf JSON value of ``text`` for field ``fd`` (the ``--set`` value syntax)."""
    structured = fd.is_repeated or fd.type == _MESSAGE
    if structured:
        if fd.type == _MESSAGE and _msg(fd).full_name == "google.protobuf.Value":
            return _loose(text, path)
        value = parse_json_text(text, f"--set {path}")
    elif fd.type == _BOOL:
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no"):
            raise _wrong(path, fd, text)
        value = lowered in ("true", "1", "yes")
    elif fd.type == _BYTES:
        value = base64.b64encode(text.encode()).decode()
    elif fd.type == _ENUM and text.strip().lstrip("-").isdigit():
        value = int(text)
    else:
        value = text
    check_value(fd, value, path)
    return value


def _loose(text: str, path: str) -> Any:
    """A free-form value: ``text`` as JSON where it is JSON, else the string itself."""
    from mmplug._json import JSONDepthError, loads

    try:
        return loads(text, constants=False)
    except json.JSONDecodeError:
        return text
    except JSONDepthError as exc:
        raise UsageError(f"--set {path}: the value is {exc}",
                         hint="a hook payload nests a few levels; give the fields you change"
                         ) from None


def set_field(message: Message, expr: str) -> None:
    """Apply one ``--set field.path=value`` to ``message``."""
    from mmplug._json import clean_text

    path, sep, text = clean_text(expr).partition("=")
    if not sep:
        raise UsageError(f"--set {expr!r}: missing '='", hint="write --set post.message=hello")
    document: dict[str, Any] = {}
    try:
        _build(descriptor_of(message), _segments(path.strip()), text, document, message, "")
    except UsageError as exc:
        if exc.message.startswith("--set"):
            raise
        raise UsageError(f"--set {path.strip()}: {exc.message}", hint=exc.hint) from None
    apply_json(message, document, f"--set {path.strip()}")


def _build(descriptor: Descriptor, parts: list[str], text: str, out: dict[str, Any],
           current: Any, prefix: str) -> None:
    """Build the nested JSON document that sets the value, copying lists it reaches into."""
    from google.protobuf import json_format

    name, rest = parts[0], parts[1:]
    path = f"{prefix}.{name}" if prefix else name
    fd = _field(descriptor, name, path)
    if not rest:
        out[fd.name] = _coerce(fd, text, path)
        return
    sub = getattr(current, fd.name) if current is not None else None
    a_map = is_map(fd)
    if fd.type == _MESSAGE and _msg(fd).full_name in _FREE_FORM:
        existing = json_format.MessageToDict(sub) if sub is not None else {}
        _set_nested(existing, rest, _loose(text, path))
        out[fd.name] = existing
    elif fd.is_repeated and not a_map:
        out[fd.name] = _build_list(fd, rest, text, sub, path)
    elif a_map:
        key = rest[0]
        value_fd = _msg(fd).fields_by_name["value"]
        if len(rest) > 1:
            raise UsageError(f"--set: {path}.{key} is a map value and has no fields")
        out[fd.name] = {key: _coerce(value_fd, text, f"{path}.{key}")}
    elif fd.type == _MESSAGE:
        child: dict[str, Any] = {}
        out[fd.name] = child
        _build(_msg(fd), rest, text, child, sub, path)
    else:
        raise UsageError(f"--set: {path} is {_type_name(fd)} and has no fields")


def _build_list(fd: FieldDescriptor, rest: list[str], text: str, current: Any,
                path: str) -> list[Any]:
    from google.protobuf import json_format

    if not rest[0].isdigit():
        raise UsageError(f"--set: {path} is a list; address an item by index like "
                         f"{path}.0.{rest[0]}")
    index = int(rest[0])
    items = list(current) if current is not None else []
    if index > len(items):
        raise UsageError(f"--set: {path} has {len(items)} items; index {index} is out of range",
                         hint=f"use an index from 0 to {len(items)}")
    if fd.type == _MESSAGE:
        values = [json_format.MessageToDict(m, preserving_proto_field_name=True) for m in items]
        if index == len(values):
            values.append({})
        if len(rest) == 1:
            values[index] = _coerce_item(fd, text, f"{path}[{index}]")
        else:
            child = values[index]
            existing = items[index] if index < len(items) else None
            _build(_msg(fd), rest[1:], text, child, existing, f"{path}[{index}]")
        return values
    if len(rest) > 1:
        raise UsageError(f"--set: {path}[{index}] is {_type_name(fd)} and has no fields")
    scalars = [base64.b64encode(v).decode() if isinstance(v, bytes) else v for v in items]
    value = _coerce_item(fd, text, f"{path}[{index}]")
    if index == len(scalars):
        scalars.append(value)
    else:
        scalars[index] = value
    return scalars


def _coerce_item(fd: FieldDescriptor, text: str, path: str) -> Any:
    if fd.type == _MESSAGE:
        value = parse_json_text(text, f"--set {path}")
        _check_single(fd, value, path)
        return value
    if fd.type == _BOOL:
        return text.strip().lower() in ("true", "1", "yes")
    if fd.type == _BYTES:
        return base64.b64encode(text.encode()).decode()
    _check_scalar(fd, text if fd.type != _ENUM or not text.isdigit() else int(text), path)
    return text


def _set_nested(target: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = {}
            target[key] = child
        target = child
    target[keys[-1]] = value


def field_values(message: Message, prefix: str = "") -> list[tuple[str, str]]:
    """Every field set in ``message`` as ``(path, value)``: the path as ``--set`` takes it, the
    value as text (strings quoted as JSON, bytes as text when they are UTF-8, free-form
    ``Struct`` values as compact JSON)."""
    rows: list[tuple[str, str]] = []
    for fd, value in message.ListFields():
        path = f"{prefix}.{fd.name}" if prefix else fd.name
        if is_map(fd):
            value_fd = _msg(fd).fields_by_name["value"]
            for key in sorted(value):
                _field_rows(value_fd, value[key], f"{path}.{key}", rows)
        elif fd.is_repeated:
            if fd.type == _MESSAGE and _msg(fd).full_name not in _FREE_FORM:
                for i, item in enumerate(value):
                    rows.extend(field_values(item, f"{path}[{i}]"))
            else:
                rows.append((path, "[" + ", ".join(_value_text(fd, v) for v in value) + "]"))
        else:
            _field_rows(fd, value, path, rows)
    return rows


def _field_rows(fd: FieldDescriptor, value: Any, path: str, rows: list[tuple[str, str]]
                ) -> None:
    if fd.type == _MESSAGE and _msg(fd).full_name not in _FREE_FORM | _WRAPPERS:
        inner = field_values(value, path)
        rows.extend(inner if inner else [(path, "{}")])
    else:
        rows.append((path, _value_text(fd, value)))


def _value_text(fd: FieldDescriptor, value: Any) -> str:
    if fd.type == _MESSAGE:
        from google.protobuf import json_format

        return json.dumps(json_format.MessageToDict(value), ensure_ascii=False,
                          separators=(", ", ": "))
    if fd.type == _ENUM:
        number = _enum(fd).values_by_number.get(value)
        return number.name if number is not None else str(value)
    if fd.type == _BOOL:
        return "true" if value else "false"
    if fd.type == _BYTES:
        try:
            return json.dumps(bytes(value).decode("utf-8"), ensure_ascii=False)
        except UnicodeDecodeError:
            return f"({len(value)} bytes)"
    if fd.type == _STRING:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def field_paths(descriptor: Descriptor, prefix: str = "", depth: int = 3) -> list[str]:
    """The paths ``--set`` can reach in a message of type ``descriptor``, ``depth`` levels
    deep (lists and maps stop there: their items are addressed by index or key)."""
    paths: list[str] = []
    for fd in descriptor.fields:
        path = f"{prefix}.{fd.name}" if prefix else fd.name
        paths.append(path)
        if (depth > 1 and fd.type == _MESSAGE and not fd.is_repeated
                and _msg(fd).full_name not in _FREE_FORM | _WRAPPERS):
            paths.extend(field_paths(_msg(fd), path, depth - 1))
    return paths
