"""The API clients' methods for scripts/gen_sdk.py: generated ones from the request and
response messages, hand-written ones read from ``mmplug/sdk/_api_*.py``, the ``iter_*`` forms
of methods that page, and the two client modules that carry them."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _sdk_fields import (
    GENERATED,
    WIDTH,
    WRAPPERS,
    call_lines,
    def_lines,
    docstring_lines,
    fill,
    is_optional,
    kind_of,
    module_of,
)

SDK = Path(__file__).resolve().parent.parent / "mmplug" / "sdk"
HANDWRITTEN_MODULES = ("_api_kv", "_api_users", "_api_channels", "_api_files", "_api_misc")
ITER_NAMES = {"kv_list": "iter_kv_keys", "get_emoji_list": "iter_emojis"}
DEFAULTS = {"page": "0", "per_page": "100"}
TYPING_NAMES = {"Any": "typing"}
ABC_NAMES = {"Mapping", "Iterable", "Sequence", "MutableMapping", "MutableSequence",
             "Iterator", "AsyncIterator", "Callable"}
BUILTINS = {"str", "int", "bool", "bytes", "float", "list", "dict", "tuple", "None", "bytearray",
            "object", "type"}

# -- methods ----------------------------------------------------------------------------------
@dataclass
class Param:
    name: str
    annotation: str
    default: str | None = None
    kind: str = "pos"  # pos, kwonly, varkw, varpos, posonly

    def text(self) -> str:
        star = {"varkw": "**", "varpos": "*"}.get(self.kind, "")
        default = f" = {self.default}" if self.default is not None else ""
        return f"{star}{self.name}: {self.annotation}{default}"

    def passed(self) -> str:
        if self.kind == "varkw":
            return f"**{self.name}"
        if self.kind == "varpos":
            return f"*{self.name}"
        if self.kind == "posonly":
            return self.name
        return f"{self.name}={self.name}"


def signature(params: list[Param]) -> str:
    return ", ".join(signature_parts(params))


def signature_parts(params: list[Param]) -> list[str]:
    parts = ["self"]
    star_done = False
    for p in params:
        if p.kind == "kwonly" and not star_done:
            parts.append("*")
            star_done = True
        if p.kind == "varpos":
            star_done = True
        parts.append(p.text())
        if p.kind == "posonly" and (params.index(p) + 1 == len(params)
                                    or params[params.index(p) + 1].kind != "posonly"):
            parts.append("/")
    return parts


@dataclass
class Method:
    name: str
    rpc: str
    params: list[Param]
    returns: str
    doc: str
    body_sync: list[str]
    body_async: list[str]
    names: set[str] = field(default_factory=set)  # annotation names to import
    handwritten_module: str = ""
    is_iter: bool = False
    base: str = ""


@dataclass
class Handwritten:
    name: str
    rpc: str
    module: str
    params: list[Param]
    returns: str
    doc: str
    names: set[str]
    local_names: set[str]


def read_handwritten() -> dict[str, Handwritten]:
    """The ``@handwritten("Rpc")`` functions of the SDK's ``_api_*.py`` modules (read, not run)."""
    found: dict[str, Handwritten] = {}
    for module in HANDWRITTEN_MODULES:
        tree = ast.parse((SDK / f"{module}.py").read_text(encoding="utf-8"))
        top = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
               if isinstance(t, ast.Name)}
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            rpc = next((d.args[0].value for d in node.decorator_list
                        if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "handwritten"
                        and isinstance(d.args[0], ast.Constant)), None)
            if rpc is None:
                continue
            assert node.name not in found, f"{node.name} is hand-written twice"
            returns = node.returns
            assert isinstance(returns, ast.Subscript), f"{node.name}: return Call[...]"
            used = {n.id for n in ast.walk(node.args) if isinstance(n, ast.Name)}
            used |= {n.id for n in ast.walk(returns.slice) if isinstance(n, ast.Name)}
            found[node.name] = Handwritten(
                node.name, str(rpc), module, _params(node.args), ast.unparse(returns.slice),
                ast.get_docstring(node) or "", used, top & used)
    return found


def _params(args: ast.arguments) -> list[Param]:
    out: list[Param] = []

    def annotation(arg: ast.arg) -> str:
        assert arg.annotation is not None, f"parameter {arg.arg} needs a type"
        return ast.unparse(arg.annotation)

    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    for i, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = "posonly" if i < len(args.posonlyargs) else "pos"
        out.append(Param(arg.arg, annotation(arg),
                         None if default is None else ast.unparse(default), kind))
    if args.vararg is not None:
        out.append(Param(args.vararg.arg, annotation(args.vararg), None, "varpos"))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(Param(arg.arg, annotation(arg),
                         None if kw_default is None else ast.unparse(kw_default), "kwonly"))
    if args.kwarg is not None:
        out.append(Param(args.kwarg.arg, annotation(args.kwarg), None, "varkw"))
    return out


def generated_method(spec: Any, request: Any, response: Any, entities: set[str]) -> Method:
    params: list[Param] = []
    conversions: list[str] = []
    names: set[str] = set()
    req = f"{module_of(request)}.{request.name}"
    for fd in request.fields:
        kind = kind_of(fd, entities)
        names |= kind.entity_imports
        annotation = kind.set_type
        if annotation.endswith("| None") and not is_optional(fd) and fd.message_type is not None \
                and fd.message_type.full_name not in WRAPPERS:
            annotation = annotation.removesuffix(" | None")
        default = "None" if annotation.endswith("| None") else DEFAULTS.get(fd.name)
        params.append(Param(fd.name, annotation, default))
        argument = fill(kind.argument, fd.name, value=fd.name, req=req)
        conversions.append(f"{fd.name}={argument}")
    _trim_defaults(params)
    assert "error" in response.fields_by_name, f"{spec.go_name}: no error field"
    outputs = [fd for fd in response.fields if fd.name != "error"]
    results = []
    types = []
    for fd in outputs:
        kind = kind_of(fd, entities)
        names |= kind.entity_imports
        results.append(fill(kind.result, fd.name))
        types.append(kind.result_type)
    if not outputs:
        returns, final = "None", None
    elif len(outputs) == 1:
        returns, final = types[0], results[0]
    else:
        returns, final = f"tuple[{', '.join(types)}]", f"({', '.join(results)})"
    for reserved in ("r", "request", "self"):
        assert reserved not in request.fields_by_name, (spec.go_name, reserved)

    def body(awaited: bool) -> list[str]:
        wait = "await " if awaited else ""
        assign = "" if final is None else f"r: {module_of(response)}.{response.name} = "
        one = f'{assign}{wait}self._invoke("{spec.go_name}", {req}({", ".join(conversions)}))'
        if 8 + len(one) <= WIDTH:
            lines = [one]
        else:
            lines = call_lines(f"request = {req}", conversions)
            lines += call_lines(f"{assign}{wait}self._invoke", [f'"{spec.go_name}"', "request"])
        return lines if final is None else [*lines, f"return {final}"]

    return Method(spec.py_name, spec.go_name, params, returns, "", body(False), body(True),
                  names)


def _trim_defaults(params: list[Param]) -> None:
    """Only a suffix of parameters can have defaults."""
    seen_required = False
    for p in reversed(params):
        if p.default is None:
            seen_required = True
        elif seen_required:
            p.default = None


def handwritten_method(hw: Handwritten) -> Method:
    call = call_lines(f"c = {hw.module}.{hw.name}", [p.passed() for p in hw.params])
    sync = [*call, "return c.finish(self._invoke(c.rpc, c.request))"]
    aio = [*call, "return c.finish(await self._invoke(c.rpc, c.request))"]
    if hw.returns == "None":
        sync = [*call, "self._invoke(c.rpc, c.request)"]
        aio = [*call, "await self._invoke(c.rpc, c.request)"]
    return Method(hw.name, hw.rpc, hw.params, hw.returns, hw.doc, sync, aio, set(hw.names),
                  hw.module)


def iter_method(base: Method) -> Method | None:
    """The ``iter_*`` form of a method that pages (``page``, ``per_page``, returns a list)."""
    names = [p.name for p in base.params]
    if "page" not in names or "per_page" not in names or not base.returns.startswith("list["):
        return None
    item = base.returns[len("list["):-1]
    per_page = next(p for p in base.params if p.name == "per_page")
    params = [Param(p.name, p.annotation, p.default, p.kind) for p in base.params
              if p.name not in ("page", "per_page") and p.kind in ("pos", "posonly")]
    params.append(Param("per_page", "int", per_page.default or "100", "kwonly"))
    params += [Param(p.name, p.annotation, p.default, p.kind) for p in base.params
               if p.kind in ("kwonly", "varkw") and p.name not in ("page", "per_page")]
    passed = ["page=page" if p.name == "page" else p.passed() for p in base.params]

    def body(awaited: bool) -> list[str]:
        fetch = call_lines(f"items = {'await ' if awaited else ''}self.{base.name}", passed,
                           indent=12)
        yields = ["for item in items:", "    yield item"] if awaited else ["yield from items"]
        return [
            "if per_page < 1:",
            '    raise ValueError(f"per_page must be at least 1, got {per_page}")',
            "page = 0",
            "while True:",
            *[f"    {line}" for line in fetch],
            *[f"    {line}" for line in yields],
            "    if len(items) < per_page:",
            "        return",
            "    page += 1",
        ]

    name = ITER_NAMES.get(base.name, "iter_" + base.name.removeprefix("get_"))
    doc = (f"Every item ``{base.name}`` pages through, fetched ``per_page`` at a time as the "
           "loop asks for more (a page shorter than ``per_page`` is the last).")
    return Method(name, base.rpc, params, item, doc, body(False), body(True), set(base.names),
                  base.handwritten_module, True, base.name)


def build_methods(specs: Any, entities: set[str], reference: dict[str, Any]) -> list[Method]:
    from mmplug.sdk._proto import load_api, message_class

    load_api()
    api, _hooks = specs
    handwritten = read_handwritten()
    by_rpc: dict[str, list[Handwritten]] = defaultdict(list)
    for hw in handwritten.values():
        by_rpc[hw.rpc].append(hw)
    known = {s.go_name for s in api}
    unknown = sorted(hw.name for hw in handwritten.values() if hw.rpc not in known)
    assert not unknown, f"hand-written methods of unknown rpcs: {unknown}"
    methods: list[Method] = []
    for spec in sorted(api, key=lambda s: (s.area, list(api).index(s))):
        own = [hw for hw in by_rpc.get(spec.go_name, []) if hw.name == spec.py_name]
        if own:
            main = handwritten_method(own[0])
        else:
            main = generated_method(spec, message_class(spec.request).DESCRIPTOR,
                                    message_class(spec.response).DESCRIPTOR, entities)
        main.doc = method_doc(spec, reference, main.doc)
        group = [main]
        for hw in sorted(by_rpc.get(spec.go_name, []), key=lambda h: h.name):
            if hw.name != spec.py_name:
                extra = handwritten_method(hw)
                extra.doc = method_doc(spec, reference, extra.doc)
                group.append(extra)
        for method in list(group):
            paged = iter_method(method)
            if paged is not None:
                since = spec.min_server_version or "?"
                paged.doc += (f"\n\nEach page is one ``{spec.go_name}`` call; Mattermost {since} "
                              "or later.")
                group.append(paged)
        methods += group
    names = [m.name for m in methods]
    dupes = sorted({n for n in names if names.count(n) > 1})
    assert not dupes, f"methods defined twice: {dupes}"
    return methods


def method_doc(spec: Any, reference: dict[str, Any], own: str) -> str:
    from mmplug.host.api._handlers import INSTEAD, UNIMPLEMENTED
    from mmplug.host.api._status import NOT_SERVED, not_served_details

    ref = reference.get(spec.go_name, {})
    go_doc = " ".join((ref.get("doc_full") or ref.get("doc") or spec.doc).split())
    signature = ref.get("signature", "")
    parts = [own.strip()] if own.strip() else []
    parts.append(f"Go: {go_doc}" if parts else go_doc)
    if spec.go_name in UNIMPLEMENTED:  # the server's gRPC handler refuses every call
        parts.append(
            f"On a real server this call always fails: the server's gRPC handler answers "
            f'UNIMPLEMENTED "{UNIMPLEMENTED[spec.go_name]}", so this raises '
            f"``NotImplementedAPIError`` (mmplug's fake host does the same). Instead, "
            f"{INSTEAD[spec.go_name]}.")
    elif spec.go_name in NOT_SERVED:  # the server's API server has no handler for it
        parts.append(
            f"The server whose code mmplug follows does not serve this call: its gRPC API "
            f'server answers UNIMPLEMENTED "{not_served_details(spec.go_name)}", so there '
            f"this raises ``NotImplementedAPIError``. mmplug's fake host emulates it as the "
            f"Go plugin API behaves, and ``mmplug check`` warns where it is called.")
    tail = f"``{signature}``; " if signature else ""
    since = spec.min_server_version or "?"
    parts.append(f"{tail}rpc ``{spec.go_name}``, Mattermost {since} or later.")
    return "\n\n".join(parts)


def render_clients(methods: list[Method], hw_locals: dict[str, set[str]],
                   entities: set[str]) -> tuple[str, str]:
    used: set[str] = set()
    modules: set[str] = set()
    for m in methods:
        used |= m.names
        if m.handwritten_module:
            modules.add(m.handwritten_module)
        for line in m.body_sync:
            for token in line.replace("(", " ").replace(".", " ").split():
                if token.startswith("_") and token.endswith("_pb2"):
                    modules.add("protocol:" + token)
    return (_render_client(methods, used, modules, hw_locals, entities, False),
            _render_client(methods, used, modules, hw_locals, entities, True))


def _render_client(methods: list[Method], used: set[str], modules: set[str],
                   hw_locals: dict[str, set[str]], entities: set[str], is_async: bool) -> str:
    kind = "async" if is_async else "sync"
    abc = {"Iterable", "Mapping"}
    abc.add("AsyncIterator" if is_async else "Iterator")
    for name in used:
        if name in ABC_NAMES:
            abc.add(name)
    entity_names = sorted(n for n in used if n in entities)
    local: dict[str, list[str]] = defaultdict(list)
    for module, names in hw_locals.items():
        for name in sorted(names & used):
            local[module].append(name)
    unknown = sorted(used - entities - set(ABC_NAMES) - BUILTINS - set(TYPING_NAMES)
                     - {n for names in local.values() for n in names})
    assert not unknown, f"annotation names without a home: {unknown}"
    protocol = sorted(m.split(":", 1)[1] for m in modules if m.startswith("protocol:"))
    handwritten = sorted(m for m in modules if not m.startswith("protocol:"))
    out = [
        f'"""Every PluginAPI rpc as a typed method of the {kind} client.',
        "",
        GENERATED,
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"from collections.abc import {', '.join(sorted(abc))}",
        "from typing import Any",
        "",
        "from google.protobuf.message import Message",
        "",
        *[f"from mmplug.protocol import {m[1:]} as {m}" for m in protocol],
        "",
        f"from . import {', '.join(handwritten)}",
        "from . import _entity as _e",
    ]
    for module in sorted(local):
        out.append(f"from .{module} import {', '.join(local[module])}")
    out += ["from .model import (", *[f"    {n}," for n in entity_names], ")"]
    cls = "AsyncMethods" if is_async else "SyncMethods"
    out += [
        "",
        "",
        f"class {cls}:",
        f'    """The typed methods of the {kind} PluginAPI client, over ``_invoke``."""',
        "",
        "    __slots__ = ()",
        "",
        f"    {'async ' if is_async else ''}def _invoke(self, rpc: str, request: Message) -> Any:",
        "        raise NotImplementedError  # the client's transport",
    ]
    for m in methods:
        out += _method_lines(m, is_async)
    return "\n".join(out) + "\n"


def _method_lines(m: Method, is_async: bool) -> list[str]:
    returns = m.returns
    if m.is_iter:
        returns = f"{'AsyncIterator' if is_async else 'Iterator'}[{m.returns}]"
    prefix = "async " if is_async else ""
    body = m.body_async if is_async else m.body_sync
    return [
        "",
        *[f"    {line}" for line in def_lines(prefix, m.name, signature_parts(m.params),
                                              returns)],
        *docstring_lines(m.doc, 8),
        *[f"        {line}" for line in body],
    ]
