"""The page the front door answers at ``/``: every plugin, its HTTP routes, the docs.

A plugin's routes are not something the server can ask a plugin for, so they are read from
its source: decorators of the form ``@<router>.get("/path")`` (``post``, ``put``, ``patch``,
``delete``, ``route``; the SDK's ``Router`` and ASGI frameworks such as FastAPI use them).
Routes registered another way are not listed; the plugin's root is always linked.
The docs are served from the ``docs/`` folder next to the mmplug package when it is there (a
checkout of mmplug), under ``/_mmplug/docs/<name>.md``.
"""

from __future__ import annotations

import ast
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mmplug.devloop.watch import IGNORED_DIRS, is_virtualenv

ROUTE_METHODS: dict[str, tuple[str, ...]] = {
    "get": ("GET",), "post": ("POST",), "put": ("PUT",), "patch": ("PATCH",),
    "delete": ("DELETE",), "head": ("HEAD",), "options": ("OPTIONS",)}
ROUTE_ANY = ("route", "api_route", "api")
MAX_FILES = 200
MAX_BYTES = 512 * 1024
DOCS_PREFIX = "/_mmplug/docs/"
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
_DOC_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.md\Z")
SKIPPED_DIRS = IGNORED_DIRS | {"tests", "test"}


@dataclass(frozen=True)
class FoundRoute:
    methods: tuple[str, ...]
    path: str
    where: str  # file:line

    @property
    def linkable(self) -> bool:
        """A GET route without path parameters: a link that works as it is."""
        return "GET" in self.methods and "{" not in self.path and "<" not in self.path


def find_routes(plugin_dir: Path) -> list[FoundRoute]:
    """The HTTP routes the plugin's source declares with route decorators, sorted by path."""
    found: set[FoundRoute] = set()
    for path in _sources(plugin_dir):
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        relative = path.relative_to(plugin_dir).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    route = _route(decorator)
                    if route is not None:
                        found.add(FoundRoute(route[0], route[1],
                                             f"{relative}:{decorator.lineno}"))
    return sorted(found, key=lambda r: (r.path, r.methods))


def _sources(plugin_dir: Path) -> Iterable[Path]:
    count = 0
    for root, dirs, files in os.walk(plugin_dir):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")
                         and not d.endswith(".egg-info") and not is_virtualenv(here / d))
        for name in sorted(files):
            if name.endswith(".py"):
                count += 1
                if count > MAX_FILES:
                    return
                yield here / name


def _route(decorator: ast.expr) -> tuple[tuple[str, ...], str] | None:
    if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
        return None
    name = decorator.func.attr
    if name not in ROUTE_METHODS and name not in ROUTE_ANY:
        return None
    if not decorator.args or not isinstance(decorator.args[0], ast.Constant):
        return None
    path = decorator.args[0].value
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    if name in ROUTE_METHODS:
        methods = ROUTE_METHODS[name]
    else:
        methods = ("GET",)
        given = [k.value for k in decorator.keywords if k.arg == "methods"]
        if len(decorator.args) > 1:
            given.append(decorator.args[1])
        for value in given:
            if isinstance(value, (ast.Tuple, ast.List)):
                names = [e.value.upper() for e in value.elts
                         if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                methods = tuple(names) or methods
    return methods, path


@dataclass(frozen=True)
class PluginEntry:
    id: str
    state: str
    directory: Path
    serves_http: bool


def docs() -> list[str]:
    """The names of the docs this mmplug has next to it (none for an installed wheel)."""
    if not DOCS_DIR.is_dir():
        return []
    return sorted(p.name for p in DOCS_DIR.glob("*.md") if _DOC_NAME.match(p.name))


def doc_text(name: str) -> str | None:
    """The text of doc ``name`` (``http.md``), or None."""
    if not _DOC_NAME.match(name):
        return None
    try:
        return (DOCS_DIR / name).read_text(encoding="utf-8")
    except OSError:
        return None


def index_page(plugins: list[PluginEntry], acting: str, anonymous: bool) -> str:
    """The HTML of the front door's ``/``."""
    out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
           "<title>mmplug dev: front door</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
           "code{background:#f3f3f3;padding:0 .2em}li{margin:.2em 0}"
           ".dim{color:#777}</style></head><body>",
           "<h1>mmplug dev: front door</h1>",
           "<p>This port stands in for the Mattermost server's HTTP port: "
           "<code>/plugins/&lt;plugin id&gt;/…</code> goes to the plugin's ServeHTTP.</p>"]
    who = "anonymously (no <code>Mattermost-User-Id</code>)" if anonymous else \
        f"as <b>{html.escape(acting)}</b>"
    out.append(f"<p>Requests are made {who}. Make one request as another user with the "
               "header <code>X-Mmplug-User: alice</code> (a username or user id; "
               "<code>anonymous</code> for none), or start <code>mmplug dev --as alice"
               "</code>.</p>")
    for plugin in plugins:
        out.append(f"<h2>{html.escape(plugin.id)} <span class='dim'>"
                   f"({html.escape(plugin.state)})</span></h2>")
        base = f"/plugins/{plugin.id}"
        if not plugin.serves_http:
            out.append("<p class='dim'>does not implement ServeHTTP (no HTTP routes)</p>")
            continue
        out.append("<ul>")
        out.append(f"<li><a href='{html.escape(base)}/'>{html.escape(base)}/</a></li>")
        for route in find_routes(plugin.directory):
            url = html.escape(base + route.path)
            methods = html.escape(" ".join(route.methods))
            where = html.escape(route.where)
            shown = f"<a href='{url}'>{url}</a>" if route.linkable else f"<code>{url}</code>"
            out.append(f"<li>{methods} {shown} <span class='dim'>{where}</span></li>")
        out.append("</ul>")
    names = docs()
    out.append("<h2>Docs</h2><ul>")
    if names:
        for name in names:
            link = html.escape(DOCS_PREFIX + name)
            out.append(f"<li><a href='{link}'>{html.escape(name)}</a></li>")
    else:
        out.append("<li>docs/http.md and docs/dev.md in the mmplug repository</li>")
    out.append("</ul></body></html>")
    return "\n".join(out)
