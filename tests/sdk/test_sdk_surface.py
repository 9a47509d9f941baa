"""The SDK's public surface is explicit and its imports stay lean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mmplug.sdk as sdk

SDK_DIR = Path(sdk.__file__).parent
PUBLIC_MODULES = {"__init__.py", "cluster.py", "errors.py", "model.py"}


def test_all_is_exactly_the_public_names() -> None:
    # (pytest may rewrite the package it loads as a plugin and add "@py_..." helpers; the API
    # clients are attributes loaded on first use, listed by dir())
    public = {name for name in dir(sdk) if not name.startswith("_") and name.isidentifier()}
    modules = {p.stem for p in SDK_DIR.glob("*.py")} | {"annotations"}
    assert set(sdk.__all__) == public - modules
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None


def test_modules_other_than_errors_are_private() -> None:
    names = {p.name for p in SDK_DIR.glob("*.py")}
    assert {n for n in names if not n.startswith("_")} == PUBLIC_MODULES - {"__init__.py"}


def test_model_exports_every_entity_and_the_sdk_loads_it_on_first_use() -> None:
    from mmplug.sdk import model
    from mmplug.sdk._entity import Entity

    classes = {name for name, value in vars(model).items()
               if isinstance(value, type) and issubclass(value, Entity)}
    assert set(model.__all__) == classes
    code = ("import sys, mmplug.sdk; print(sorted(m for m in sys.modules if m in "
            "('mmplug.sdk.model', 'mmplug.sdk._client', 'mmplug.sdk._aio', "
            "'mmplug.sdk._api_sync', 'mmplug.sdk._api_async')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_errors_share_one_base() -> None:
    errors = [getattr(sdk, n) for n in sdk.__all__ if n.endswith("Error")]
    assert errors and all(issubclass(e, sdk.PluginError) for e in errors)


def test_import_pulls_no_tool_dependencies_nor_grpc_server_code() -> None:
    code = (
        "import sys, mmplug.sdk; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('typer', 'rich', 'watchfiles', 'cookiecutter', 'click', 'grpc') "
        "or m.startswith(('mmplug.host', 'mmplug.cli', 'mmplug.errors', 'mmplug.manifest'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"
