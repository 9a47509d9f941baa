"""Server parity of the `posted` WebSocket event of a new post: when it goes out, and the
per-connection additions (mentions, thread followers) the server attaches to it."""

from __future__ import annotations

import pytest
from postsworld import new_channel, post
from worldhost import Host

NOTIFY = "server/channels/app/notification.go: (*App).SendNotifications"


@pytest.mark.parity("CreatePost", NOTIFY)
def test_no_posted_event_for_a_post_in_an_archived_channel(quiet_host: Host) -> None:
    """A plugin's post in an archived channel is saved and MessageHasBeenPosted runs, but
    the server notifies nobody of it: no `posted` event goes out."""
    host = quiet_host
    archived = new_channel(host, archived=True)
    host.emitted.clear()
    rsp = post(host, "into the archive", channel_id=archived)
    assert not rsp.HasField("error")
    assert "MessageHasBeenPosted" in [name for name, _, _ in host.hooks.fired]
    assert host.events("posted") == []
