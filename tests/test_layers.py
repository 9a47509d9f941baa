"""The package map's rules (docs/architecture.md, "The map"), read from the code's imports.

* the SDK (the plugin's side) imports nothing of the tool: only itself and mmplug.protocol;
* the CLI is the only renderer: rich is imported in mmplug/cli/ only;
* gRPC to a plugin goes through the host's client or launcher: grpc is imported (outside the
  SDK and the generated protocol) by host/hooks_client.py, host/launcher.py and the PluginAPI
  server only;
* the generated protocol modules are imported through the catalog and the conversion modules
  (listed below with what they convert); the rest finds messages by name
  (mmplug.protocol.messages.message_class) and hooks in the catalog;
* raw SQL on the fake host's store is in host/store.py and host/api/ only;
* the cold-start tricks stay behind one boundary: ``TYPE_CHECKING = False`` (typing left
  unimported) only in the modules of a cold ``mmplug fire``'s early path, and protobuf encoded by
  hand only in mmplug/protocol/body_chunks.py.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import mmplug

PACKAGE = Path(mmplug.__file__).parent
GENERATED = re.compile(r"_pb2(_grpc)?\.pyi?$")

# The modules a cold `mmplug fire` runs before its plugin has started (docs/architecture.md,
# "The cold-start boundary"): the only ones that leave `typing` unimported.
EARLY_PATH = {
    "mmplug/cli/main.py", "mmplug/cli/_fire_fast.py", "mmplug/cli/_fire_prefetch.py",
    "mmplug/cli/_options.py", "mmplug/cli/_stop.py", "mmplug/_plugin_files.py",
    "mmplug/_atomic.py",
    "mmplug/host/__init__.py",
    "mmplug/host/_child_env.py", "mmplug/host/_prelaunch.py", "mmplug/host/_private.py",
    "mmplug/host/_process.py",
}
# Who may import the generated messages and stubs directly, and what they convert.
PROTOCOL_IMPORTERS = (
    "mmplug/protocol/",  # the catalog, the message lookup, the body chunks
    "mmplug/sdk/",  # the plugin's side: its servicers, API client and typed model
    "mmplug/host/api/",  # the PluginAPI emulation: rows of the store <-> messages
    "mmplug/host/hooks_client.py",  # the PluginHooks stub
    "mmplug/host/worlds/",  # a world file's entities checked against their messages
    "mmplug/host/hookpath.py",  # what the server does around a hook: its own messages
    "mmplug/host/actions.py",  # a user acting through the server's paths
    "mmplug/explorer/state.py",  # the web console's state edits, as the API methods take them
)
GRPC_IMPORTERS = ("mmplug/protocol/", "mmplug/sdk/", "mmplug/host/hooks_client.py",
                  "mmplug/host/launcher.py", "mmplug/host/api/server.py")
# SQL outside the store and the API emulation: the explorer's own trace database only.
SQL_ELSEWHERE = {"mmplug/explorer/trace.py"}


def _sources() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = "mmplug/" + path.relative_to(PACKAGE).as_posix()
        if "/scaffold/_templates/" in rel or GENERATED.search(rel):
            continue
        yield rel, path


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the same package
                continue
            module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def test_the_sdk_imports_nothing_of_the_tool() -> None:
    bad = [(rel, name) for rel, path in _sources() if rel.startswith("mmplug/sdk/")
           for name in _imports(path)
           if name.startswith("mmplug") and not name.startswith(("mmplug.sdk", "mmplug.protocol"))
           and name != "mmplug"]
    assert bad == []


def test_only_the_cli_renders() -> None:
    bad = [(rel, name) for rel, path in _sources() if not rel.startswith("mmplug/cli/")
           for name in _imports(path) if name == "rich" or name.startswith("rich.")]
    assert bad == [], "rich outside mmplug/cli/: the host and the dev loop produce data"


def test_grpc_to_plugins_goes_through_the_hosts_client() -> None:
    bad = [(rel, name) for rel, path in _sources() if not rel.startswith(GRPC_IMPORTERS)
           for name in _imports(path) if name.split(".")[0] in ("grpc", "grpc_health")]
    assert bad == []


def test_the_generated_protocol_is_imported_through_the_catalog_and_conversions() -> None:
    bad = [(rel, name) for rel, path in _sources() if not rel.startswith(PROTOCOL_IMPORTERS)
           for name in _imports(path)
           if name.startswith("mmplug.protocol.") and re.search(r"_pb2(_grpc)?$", name)]
    assert bad == [], "use mmplug.protocol.messages.message_class, or a conversion module"


def test_raw_sql_is_in_the_store_and_the_api_emulation() -> None:
    pattern = re.compile(r"\.execute(many|script)?\(")
    bad = [rel for rel, path in _sources()
           if pattern.search(path.read_text(encoding="utf-8"))
           and rel != "mmplug/host/store.py" and not rel.startswith("mmplug/host/api/")
           and rel not in SQL_ELSEWHERE]
    assert bad == [], "put the query in mmplug/host/api/queries.py"


def test_cold_start_tricks_stay_behind_their_boundary() -> None:
    tricks = [rel for rel, path in _sources()
              if re.search(r"^TYPE_CHECKING = False", path.read_text(encoding="utf-8"), re.M)]
    assert set(tricks) <= EARLY_PATH, "TYPE_CHECKING = False outside the early path"
    hand_encoded = [rel for rel, path in _sources()
                    if "0x7F" in path.read_text(encoding="utf-8")
                    and "varint" in path.read_text(encoding="utf-8")]
    assert hand_encoded == ["mmplug/protocol/body_chunks.py"]


# What the fake host may not import (it is the bottom layer of the tool), and the two lazy edges
# up the map names (docs/architecture.md).
HOST_MAY_NOT = ("mmplug.cli", "mmplug.fire", "mmplug.cassette", "mmplug.explorer",
                "mmplug.testing", "mmplug.devloop", "mmplug.bundle", "mmplug.scaffold")
HOST_EDGES_UP = {("mmplug/host/snapshots.py", "mmplug.devloop.control"),
                 ("mmplug/host/tracebacks.py", "mmplug.bundle.shim")}


def test_the_host_is_the_bottom_layer_of_the_tool() -> None:
    bad = {(rel, name.rsplit(".", 1)[0] if name.count(".") > 2 else name)
           for rel, path in _sources() if rel.startswith("mmplug/host/")
           for name in _imports(path) if name.startswith(HOST_MAY_NOT)}
    assert {edge for edge in bad if edge not in HOST_EDGES_UP} == set()
