"""Every log line a plugin writes during a hook call arrives with that call's result."""

from __future__ import annotations

import sys
from pathlib import Path

from mmplug.host.session import Session


def test_no_hook_call_loses_its_log_line(parrot_plugin: Path) -> None:
    plugin = parrot_plugin
    missing = 0
    with Session([plugin], store=":memory:", python=sys.executable) as session:
        for _ in range(300):
            result = session.fire("MessageWillBePosted", post={"message": "a badword here"})
            assert result.response is not None and result.response.rejection_reason
            if not any(r.message == "rejected a post" for r in result.logs):
                missing += 1
    assert missing == 0
