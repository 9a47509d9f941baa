"""Hook registration: which methods handle which hooks, checked when the class is defined.

Rules (see docs/sdk.md):

* A method named exactly like a hook's Python name (``on_activate``, ``message_will_be_posted``,
  ...) handles that hook. ``@hook("MessageWillBePosted")`` (Go or Python name) marks any
  method instead.
* A public method whose name starts with a hook prefix (``on_``, ``message_``, ``user_``, ...) and
  is close to a hook name (difflib ratio >= 0.8) but not equal to one is a misspelling: error.
  So is a method named like a Go hook (``OnActivate``) without ``@hook``.
  Names starting with ``_`` are never checked; helpers with other names are left alone.
* A handler must accept exactly the hook's parameters positionally (extra parameters need defaults).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from mmplug.protocol.catalog import HOOKS, HOOKS_BY_GO_NAME, HOOKS_BY_PY_NAME, HookSpec

from ._proto import message_class
from .errors import HookRegistrationError

F = TypeVar("F", bound=Callable[..., Any])

HOOK_ATTR = "__mmplug_hook__"
NOT_USER_HOOKS = frozenset({"Implemented"})
USER_HOOKS: tuple[HookSpec, ...] = tuple(h for h in HOOKS if h.go_name not in NOT_USER_HOOKS)
PY_NAMES: tuple[str, ...] = tuple(h.py_name for h in USER_HOOKS)
HOOK_PREFIXES: tuple[str, ...] = tuple(sorted({h.py_name.split("_")[0] + "_" for h in USER_HOOKS}))
CLOSENESS = 0.8


class Handler(NamedTuple):
    """A registered hook handler."""

    spec: HookSpec
    attr: str  # attribute name on the class
    func: Callable[..., Any]


def hook(name: str) -> Callable[[F], F]:
    """Mark a method as the handler of hook ``name`` (Go name ``"MessageWillBePosted"`` or
    Python name ``"message_will_be_posted"``)."""
    spec = _lookup(name)

    def mark(func: F) -> F:
        if spec is None:
            file, line = where(func)
            raise HookRegistrationError(
                f"@hook({name!r}): no such hook{_did_you_mean(name)}",
                file=file,
                line=line,
                suggestion=_closest(name),
            )
        setattr(func, HOOK_ATTR, spec.go_name)
        return func

    return mark


def hook_params(spec: HookSpec) -> tuple[str, ...]:
    """The parameters (after ``self``) a handler of ``spec`` receives, in order."""
    return _hook_params(spec.go_name)


@functools.cache
def _hook_params(go_name: str) -> tuple[str, ...]:
    spec = HOOKS_BY_GO_NAME[go_name]
    if spec.streaming:
        return ("context", "response", "request")
    names = []
    for field in message_class(spec.request).DESCRIPTOR.fields:
        if field.name == "context":
            continue
        names.append("context" if field.name == "plugin_context" else field.name)
    return tuple(names)


def hook_param_types(spec: HookSpec) -> tuple[str, ...]:
    """The types of the parameters (after ``self``) a handler of ``spec`` receives: entity
    names of ``mmplug.sdk.model`` (``"Post"``, ``"list[Post]"``) or Python types."""
    return _hook_param_types(spec.go_name)


_SCALAR_TYPES = {1: "float", 2: "float", 8: "bool", 9: "str", 12: "bytes"}


@functools.cache
def _hook_param_types(go_name: str) -> tuple[str, ...]:
    spec = HOOKS_BY_GO_NAME[go_name]
    if spec.streaming:
        return ("PluginContext", "ResponseWriter", "Request")
    types = []
    for field in message_class(spec.request).DESCRIPTOR.fields:
        if field.name == "context":
            continue
        if field.message_type is not None:
            name = field.message_type.name
        else:
            name = _SCALAR_TYPES.get(field.type, "int")
        types.append(f"list[{name}]" if field.is_repeated else name)
    return tuple(types)


def collect(cls: type, namespace: dict[str, Any]) -> dict[str, Handler]:
    """Validate the methods defined in ``namespace`` (one class body) and return its handlers."""
    found: dict[str, Handler] = {}
    for attr, value in namespace.items():
        func = _unwrap(value)
        if func is None:
            continue
        marked = getattr(func, HOOK_ATTR, None)
        if marked is not None:
            spec = HOOKS_BY_GO_NAME[marked]
        elif attr in HOOKS_BY_PY_NAME and attr not in ("implemented",):
            spec = HOOKS_BY_PY_NAME[attr]
        else:
            _reject_lookalike(cls, attr, func)
            continue
        if spec.go_name in found:
            other = found[spec.go_name].attr
            file, line = where(func)
            raise HookRegistrationError(
                f"{cls.__name__}.{attr} and {cls.__name__}.{other} both handle {spec.go_name}; "
                "keep one",
                file=file,
                line=line,
            )
        _check_signature(cls, attr, func, spec)
        found[spec.go_name] = Handler(spec, attr, func)
    return found


def _unwrap(value: Any) -> Callable[..., Any] | None:
    if isinstance(value, staticmethod | classmethod):
        return None
    if inspect.isfunction(value):
        return value
    return None


def _reject_lookalike(cls: type, attr: str, func: Callable[..., Any]) -> None:
    if attr.startswith("_"):
        return
    file, line = where(func)
    if attr in HOOKS_BY_GO_NAME and attr not in NOT_USER_HOOKS:
        py = HOOKS_BY_GO_NAME[attr].py_name
        raise HookRegistrationError(
            f"{cls.__name__}.{attr} is named like the Go hook {attr}; name the method {py!r} "
            f"or decorate it with @hook({attr!r})",
            file=file,
            line=line,
            suggestion=py,
        )
    if not attr.startswith(HOOK_PREFIXES):
        return
    close = difflib.get_close_matches(attr, PY_NAMES, n=1, cutoff=CLOSENESS)
    if close:
        raise HookRegistrationError(
            f"{cls.__name__}.{attr} looks like a misspelled hook; did you mean {close[0]!r}? "
            "(rename it, or start it with '_' if it is a helper)",
            file=file,
            line=line,
            suggestion=close[0],
        )


def _check_signature(cls: type, attr: str, func: Callable[..., Any], spec: HookSpec) -> None:
    expected = hook_params(spec)
    params = list(inspect.signature(func).parameters.values())[1:]  # drop self
    positional = [
        p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    required = [p for p in positional if p.default is p.empty]
    kw_required = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    ok = (
        len(required) <= len(expected)
        and (has_varargs or len(positional) >= len(expected))
        and not kw_required
    )
    if ok:
        _check_annotations(cls, attr, func, spec, positional)
        return
    file, line = where(func)
    got = ", ".join(["self", *(str(p) for p in params)])
    want = ", ".join(["self", *expected])
    raise HookRegistrationError(
        f"{cls.__name__}.{attr} handles {spec.go_name} but takes ({got}); "
        f"the hook calls it as ({want})",
        file=file,
        line=line,
    )


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_annotations(
    cls: type, attr: str, func: Callable[..., Any], spec: HookSpec, params: list[Any]
) -> None:
    """A parameter annotated with an entity (``post: User``) must get that entity."""
    from ._api_index import ENTITY_NAMES

    for param, name, want in zip(params, hook_params(spec), hook_param_types(spec),
                                 strict=False):
        if param.annotation is param.empty:
            continue
        text = _annotation_text(param.annotation)
        named = set(_IDENTIFIER.findall(text)) & ENTITY_NAMES
        if not named or named & set(_IDENTIFIER.findall(want)):
            continue
        file, line = where(func)
        raise HookRegistrationError(
            f"{cls.__name__}.{attr}: parameter {param.name!r} is annotated {text}, but "
            f"{spec.go_name} passes {want} as {name!r}; annotate it {want}",
            file=file,
            line=line,
        )


def _annotation_text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__qualname__
    return repr(annotation).replace("mmplug.sdk.model.", "")


def _lookup(name: str) -> HookSpec | None:
    spec = HOOKS_BY_GO_NAME.get(name) or HOOKS_BY_PY_NAME.get(name)
    if spec is None or spec.go_name in NOT_USER_HOOKS:
        return None
    return spec


def _closest(name: str) -> str:
    pool = [h.go_name for h in USER_HOOKS] + list(PY_NAMES)
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return close[0] if close else ""


def _did_you_mean(name: str) -> str:
    close = _closest(name)
    return f"; did you mean {close!r}?" if close else ""


def where(func: Callable[..., Any]) -> tuple[str, int]:
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return "", 0
    return code.co_filename, code.co_firstlineno
