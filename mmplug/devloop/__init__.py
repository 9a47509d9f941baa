"""``mmplug dev``: the live reload loop around a Session (the loop, the watcher, the crash policy,
the front door, the control channel, attaching). Its modules and what each owns are in the map
at the top of docs/architecture.md. Importing this package is cheap; the parts load on use.
"""

from __future__ import annotations
