"""The entry shim a bundle's ``server.executable`` points at.

The server runs ``<python> mmplug_entry.py`` from the plugin directory. The shim finds the
vendored directory for the running platform and Python version, puts it (and the shared
SDK runtime) on ``sys.path`` ahead of the system's packages, and runs the plugin's real
executable as ``__main__``, exactly as ``python <executable>`` would. The shim uses only
the standard library and old syntax so that it can explain itself on any Python 3.
"""

from __future__ import annotations

import json

from mmplug.manifest import OLDEST_PYTHON_MINOR

SHIM_NAME = "mmplug_entry.py"
VENDOR_DIR = "mmplug_vendor"
COMMON_DIR = "common"

_TEMPLATE = '''\
"""Plugin entry point written by `mmplug bundle`; do not edit.

It puts the dependencies vendored for this platform and Python version on sys.path,
then runs the plugin's own executable as __main__.
"""
import os
import platform
import runpy
import sys

EXECUTABLE = {executable}
EXECUTABLES = {executables}
TARGETS = {targets}
VENDOR_DIR = {vendor_dir}
COMMON_DIR = {common_dir}
MIN_PYTHON = ({min_major}, {min_minor})


def _platform():
    machine = platform.machine().lower()
    arch = {{"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}}.get(
        machine, machine)
    return platform.system().lower() + "-" + arch


def _fail(message):
    sys.stderr.write("mmplug bundle: " + message + "\\n")
    sys.stderr.flush()
    sys.exit(1)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    plat = _platform()
    version = "{{}}.{{}}".format(sys.version_info[0], sys.version_info[1])
    tag = "{{}}-cp{{}}{{}}".format(plat, sys.version_info[0], sys.version_info[1])
    if sys.version_info[:2] < MIN_PYTHON:
        _fail("this plugin needs Python {{}}.{{}} or newer, but the server runs {{}} ({{}}). "
              "Make a newer python3 the first on the server's PATH.".format(
                  MIN_PYTHON[0], MIN_PYTHON[1], version, sys.executable))
    implementation = getattr(sys, "implementation", None)
    if implementation is None or implementation.name != "cpython":
        _fail("this bundle needs CPython, but the server runs {{}} ({{}}).".format(
            getattr(implementation, "name", "?"), sys.executable))
    if tag not in TARGETS:
        _fail("this bundle has no dependencies for {{}} with Python {{}} ({{}}); it was "
              "built for: {{}}. Rebuild it with `mmplug bundle --platform {{}} --python {{}}` "
              "(add the targets you already ship).".format(
                  plat, version, sys.executable, ", ".join(TARGETS), plat, version))
    executable = os.path.join(here, EXECUTABLES.get(plat, EXECUTABLE))
    if not os.path.isfile(executable):
        _fail("the plugin executable {{}} is missing from the bundle.".format(executable))
    vendored = [os.path.join(here, VENDOR_DIR, tag), os.path.join(here, VENDOR_DIR, COMMON_DIR)]
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == here:
        del sys.path[0]  # the shim's own directory, put there by `python mmplug_entry.py`
    sys.path[0:0] = [os.path.dirname(executable)] + vendored
    sys.argv[0] = executable
    runpy.run_path(executable, run_name="__main__")


if __name__ == "__main__":
    main()
'''


def shim_source(executable: str, executables: dict[str, str], tags: list[str]) -> bytes:
    """The shim for a plugin whose real entry point is ``executable``."""
    return _TEMPLATE.format(
        executable=json.dumps(executable),
        executables=json.dumps(dict(sorted(executables.items())), sort_keys=True),
        targets=json.dumps(sorted(tags)),
        vendor_dir=json.dumps(VENDOR_DIR),
        common_dir=json.dumps(COMMON_DIR),
        min_major=3, min_minor=OLDEST_PYTHON_MINOR,
    ).encode()
