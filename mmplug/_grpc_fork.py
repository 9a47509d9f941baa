"""grpc's fork handlers, off in every process of mmplug that starts plugins.

The host's children exec right after fork, so grpc's fork handlers have nothing to protect; with
them on, a spawn while grpc threads run prints "skipping fork() handlers" on stderr, and under
load a child can even abort (SIGABRT) in those handlers before it reaches exec. grpc reads the
variable once, when it is imported, so this module is imported first by the host package and
by the pytest plugin (which loads before any test module can import grpc). The user's own
choice is always kept; the launcher keeps ours out of the plugins' environment.
"""

from __future__ import annotations

import os

FORK_SUPPORT_ENV = "GRPC_ENABLE_FORK_SUPPORT"
FORK_SUPPORT_SET_BY_US = FORK_SUPPORT_ENV not in os.environ
if FORK_SUPPORT_SET_BY_US:
    os.environ[FORK_SUPPORT_ENV] = "false"
