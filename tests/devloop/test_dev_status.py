"""Status rendering: what the pinned status region says."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rich.console import Console

from mmplug.cli._dev_screen import render_status
from mmplug.devloop.status import PluginStatus, Reload, describe_reload


def _text(renderable: object) -> str:
    console = Console(record=True, width=120, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_status_shows_state_hooks_url_and_last_reload() -> None:
    now = datetime(2026, 1, 1, 12, 0, 10, tzinfo=timezone.utc)
    reload = Reload("plugin.py changed", when=now - timedelta(seconds=3), duration_s=0.048,
                    warm=True)
    status = PluginStatus("com.x", "/p", state="active", pid=42,
                          implemented=["OnActivate", "ServeHTTP"], last_reload=reload)
    text = _text(render_status([status], "http://127.0.0.1:8065", now=now))
    assert "com.x" in text and "active" in text and "pid 42" in text
    assert "OnActivate, ServeHTTP" in text
    assert "http://127.0.0.1:8065/plugins/com.x/" in text
    assert "(3 s ago) plugin.py changed: 48 ms, warm" in text


def test_a_failed_reload_says_so_with_the_problem() -> None:
    reload = Reload("plugin.py changed", ok=False, error="SyntaxError")
    assert describe_reload(reload).endswith("plugin.py changed: failed")
    status = PluginStatus("com.x", "/p", state="failed", problem="exited with code 1")
    text = _text(render_status([status], None))
    assert "failed" in text and "exited with code 1" in text and "http" not in text
