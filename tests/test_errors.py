"""Every exception class a user can see is an MmplugError (the tool) or a PluginError (the SDK).

The CLI's one error guard renders MmplugError; plugin code catches PluginError. A class outside
both would reach a user as a traceback or slip past ``except PluginError``. Exceptions that
never leave their module (control flow inside one boundary) are listed below with the place
that catches them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import mmplug
from mmplug.errors import MmplugError
from mmplug.sdk.errors import PluginError

# class -> where it is caught and translated before anything leaves
INTERNAL = {
    "mmplug._json.JSONDepthError": "cassette/format.py and host/payload_fields.py turn it into "
                                   "a CassetteError or a UsageError",
    "mmplug.host.launcher.HandshakeFault": "launcher.py turns it into a named fault",
    "mmplug.host.api._registry.ApiFailure": "the API server turns it into the AppError of the "
                                            "response",
    "mmplug.host.api._handlers.HandlerStatus": "the API server answers it as the gRPC status "
                                               "the server's handler answers",
    "mmplug.host.api._config_model.DecodeError": "config.py answers it as SaveConfig's "
                                                 "INVALID_ARGUMENT (a hook's configuration: "
                                                 "app.save_config.plugin_hook_error)",
    "mmplug.manifest.PythonVersionError": "manifest.py reports it as a finding of plugin.json",
    "mmplug.cli._stop.Stopped": "cli/_errors.py's guard ends the stopped command with its line",
    "mmplug.devloop._go_reading.GoRefusal": "the front door's request handler answers it with "
                                            "Go's bytes for the refused head (handle_error)",
}
SKIP = ("mmplug.scaffold._templates", "mmplug.protocol.")


def _modules() -> list[str]:
    root = Path(mmplug.__file__).parent
    names = []
    for info in pkgutil.walk_packages([str(root)], "mmplug."):
        if not info.name.startswith(SKIP) and not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def test_every_exception_class_is_under_one_of_the_two_bases() -> None:
    outside = []
    seen = 0
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or not issubclass(cls, BaseException) \
                    or issubclass(cls, Warning):  # warnings are shown, not raised at users
                continue
            seen += 1
            key = f"{name}.{cls.__qualname__}"
            if issubclass(cls, (MmplugError, PluginError)) or key in INTERNAL:
                continue
            if cls.__name__.startswith("_"):  # private to its module
                continue
            outside.append(key)
    assert seen > 20  # the walk found the package's exceptions
    assert outside == [], ("exception classes outside MmplugError / PluginError (derive them "
                           f"from one, or list them in INTERNAL with who catches them): {outside}")


def test_the_internal_ones_exist_and_are_caught_where_listed() -> None:
    for key in INTERNAL:
        module_name, _, cls_name = key.rpartition(".")
        module = importlib.import_module(module_name)
        assert isinstance(getattr(module, cls_name), type), key


def test_the_drawn_trees_name_every_class_of_their_base() -> None:
    import mmplug.errors
    import mmplug.sdk.errors

    for tree, base in ((mmplug.errors.__doc__ or "", MmplugError),
                       (mmplug.sdk.errors.__doc__ or "", PluginError)):
        for name in _modules():
            module = importlib.import_module(name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == name and issubclass(cls, base) \
                        and not cls.__name__.startswith("_"):
                    assert f" {cls.__name__} " in tree, f"{cls.__name__} is not in the tree of " \
                        f"{base.__name__} ({name})"


def test_a_manifest_error_in_a_users_test_run_shows_its_problems(tmp_path: Path) -> None:
    """What pytest prints for an error raised in a plugin's own tests (str(), not the CLI's
    render) carries the details: the manifest's problems, not only how many there are."""
    (tmp_path / "plugin.json").write_text('{"id": "com.example.x", "server": {}}')
    from mmplug.errors import ManifestError
    from mmplug.manifest import load_manifest

    with pytest.raises(ManifestError) as err:
        load_manifest(tmp_path)
    shown = str(err.value)
    assert "problem" in shown.splitlines()[0] and len(shown.splitlines()) > 1
    assert "executable" in shown
