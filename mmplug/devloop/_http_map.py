"""How the server maps an HTTP request to a plugin's ServeHTTP, as pure functions.

* ``/plugins/<id>/rest?q`` goes to plugin ``<id>`` as ``/rest?q`` (ServeMetrics on the metrics
  listener: ``/plugins/<id>/metrics/rest`` as ``/rest``);
* incoming ``Mattermost-User-Id`` and ``Mattermost-Plugin-ID`` headers are always dropped; the
  host then sets ``Mattermost-User-Id`` for the user the request is made as, if any;
* header keys are canonicalised as Go's ``net/http`` does, values keep their order;
* the plugin's status: 0 means 200, anything outside 100..999 becomes 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

USER_ID_HEADER = "Mattermost-User-Id"
PLUGIN_ID_HEADER = "Mattermost-Plugin-Id"
DROPPED = frozenset({USER_ID_HEADER.lower(), PLUGIN_ID_HEADER.lower()})
# hop-by-hop headers that belong to the front door's connection, not to the plugin's answer
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade",
                        "proxy-connection", "te", "trailer"})
_PREFIX = re.compile(r"^/plugins/([^/]+)(/.*)?$")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


@dataclass(frozen=True)
class Target:
    """Where a request goes: plugin id and the path the plugin sees."""

    plugin_id: str
    path: str


def split_plugin_path(path: str, *, metrics: bool = False) -> Target | None:
    """``/plugins/<id>/rest`` -> Target(id, "/rest"); None when the path is not a plugin's."""
    match = _PREFIX.match(path)
    if match is None:
        return None
    plugin_id, rest = match.group(1), match.group(2) or ""
    if metrics:
        if rest != "/metrics" and not rest.startswith("/metrics/"):
            return None
        rest = rest[len("/metrics"):]
    return Target(plugin_id, rest or "/")


def canonical_key(key: str) -> str:
    """Go's CanonicalMIMEHeaderKey: ``content-type`` -> ``Content-Type``; odd keys unchanged."""
    if not _TOKEN.match(key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def plugin_headers(
    pairs: Iterable[tuple[str, str]], user_id: str | None
) -> list[tuple[str, list[str]]]:
    """The request headers the plugin sees, grouped by canonical key in first-seen order."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        canonical = canonical_key(key)
        if canonical.lower() in DROPPED:
            continue
        grouped.setdefault(canonical, []).append(value)
    if user_id:
        grouped[USER_ID_HEADER] = [user_id]
    return list(grouped.items())


def response_status(code: int) -> int:
    """The status the server sends for the plugin's ``status_code``."""
    if code == 0:
        return 200
    if not 100 <= code <= 999:
        return 500
    return code


def response_headers(headers: Iterable[tuple[str, Iterable[str]]]) -> list[tuple[str, str]]:
    """The plugin's response headers as (key, value) pairs, hop-by-hop ones left out."""
    return [(key, value) for key, values in headers if key.lower() not in HOP_BY_HOP
            for value in values]
