"""``mmplug dev``: the live reload loop around a Session.

    watch.py       which files count as a save; debounced watching (watchfiles)
    loop.py        DevLoop: session + reloads + crash supervision + front door + control
    supervise.py   crash policy (backoff, give up after 3) and health checks
    frontdoor.py   the loopback HTTP server for /plugins/<id>/... (aiohttp)
    _http_bridge   one HTTP request <-> one ServeHTTP stream (the host's HttpStreams, codec)
    control.py     the unix-socket control channel and its client: connect(project_dir)
    status.py      status data (the CLI renders it: mmplug/cli/_dev_screen.py, _dev_terminal.py)
    attach.py      attaching to a plugin started elsewhere (relays, the PluginAPI forwarder)

Importing this package is cheap; the parts load on use.
"""

from __future__ import annotations
