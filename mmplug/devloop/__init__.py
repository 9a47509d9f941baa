"""``mmplug dev``: the live reload loop around a Session.

    watch.py       which files count as a save; debounced watching (watchfiles)
    warm.py        warm spare interpreters for near-instant reloads
    loop.py        DevLoop: session + reloads + crash supervision + front door + control
    supervise.py   crash policy (backoff, give up after 3) and health checks
    frontdoor.py   the loopback HTTP server for /plugins/<id>/... (aiohttp)
    _http_bridge   one HTTP request <-> one ServeHTTP stream (grpc.aio)
    _http_map.py   the server's request/response mapping rules, as pure functions
    control.py     the unix-socket control channel and its client: connect(project_dir)
    status.py      status data and its rendering; terminal.py: the command's terminal UI
    screen.py      the live screen (status on top, newest logs below) and .mmplug/dev.log

Importing this package is cheap; the parts load on use.
"""

from __future__ import annotations
