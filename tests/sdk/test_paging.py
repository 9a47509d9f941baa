"""Paging iterators (``iter_users``, ``iter_kv_keys``, ...) fetch pages lazily, as the loop
asks, until a short page."""

from __future__ import annotations

import itertools

import pytest
from api_host import fake_host

from mmplug.sdk import APIClient


def test_iterators_fetch_pages_as_the_loop_asks() -> None:
    with fake_host() as host, APIClient(host.address) as api:
        for i in range(7):
            api.kv_set(f"key{i}", "x")
        before = len(host.calls)
        keys = api.iter_kv_keys(per_page=3)
        assert host.rpcs()[before:] == []  # nothing fetched before the loop starts
        first_four = list(itertools.islice(keys, 4))
        assert len(first_four) == 4 and host.rpcs()[before:] == ["KVList", "KVList"]
        rest = list(keys)
        assert sorted(first_four + rest) == [f"key{i}" for i in range(7)]
        assert host.rpcs()[before:] == ["KVList"] * 3  # pages of 3, 3 and a short 1
        requests = [c.request for c in host.calls[before:]]
        assert [(r.page, r.per_page) for r in requests] == [(0, 3), (1, 3), (2, 3)]  # type: ignore[attr-defined]


def test_iterators_keep_the_method_s_filters() -> None:
    with fake_host() as host, APIClient(host.address) as api:
        in_team = {u.username for u in api.iter_users(per_page=1, in_team_id=host.team)}
        assert in_team == {u.username for u in api.get_users(in_team_id=host.team)}
        dm = host.channel("alice__bob")
        assert [u.username for u in api.iter_users_in_channel(dm, per_page=1)] == [
            "alice", "bob"]
        town = host.channel("town-square")
        for i in range(5):
            api.create_post(channel_id=town, user_id=host.user("alice"), message=f"m{i}")
        newest_first = [p.message for p in api.iter_posts_for_channel(town, per_page=2)]
        assert newest_first[:5] == ["m4", "m3", "m2", "m1", "m0"]
        with pytest.raises(ValueError, match="per_page must be at least 1"):
            next(api.iter_kv_keys(per_page=0))
