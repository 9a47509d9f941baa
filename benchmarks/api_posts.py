"""PluginAPI emulation cost for posts, over real gRPC, against GetChannel in the same run.

    python benchmarks/api_posts.py [CALLS] [POSTS]

One ApiServer on an in-memory store seeded with the default world; one grpcio client. The
cases are interleaved call by call so load spikes hit all of them alike; medians per call
after warm-up. ``POSTS`` posts are created first in town-square so that the reads and the
search work on a non-trivial channel. CreatePost runs with a hook dispatcher whose plugin
implements nothing (the host's own overhead only).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import grpc

from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import load_world, seed_store, world_info
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_pb2_grpc, post_pb2


class NoHooks:
    """A dispatcher whose only plugin implements no hook."""

    def fire(self, hook: str, request: Any, *, plugin_id: str | None = None) -> list[Any]:
        return []


def main(calls: int, posts: int) -> None:
    store = Store.open(":memory:")
    seed_store(store, load_world("default"))
    info = world_info(store)
    server = ApiServer(store, "com.example.bench", hooks=NoHooks())
    server.start()
    connection = grpc.insecure_channel(server.address)
    api = api_pb2_grpc.PluginAPIStub(connection)
    channel, alice = info.channels["town-square"], info.users["alice"]

    def create() -> None:
        post = post_pb2.Post(channel_id=channel, user_id=alice, message="bench #tag words here")
        api.CreatePost(cp.CreatePostRequest(post=post))

    for _ in range(posts):
        create()
    cases: dict[str, Callable[[], Any]] = {
        "GetChannel (baseline)": lambda: api.GetChannel(cp.GetChannelRequest(channel_id=channel)),
        "CreatePost": create,
        "GetPostsForChannel (60)": lambda: api.GetPostsForChannel(
            cp.GetPostsForChannelRequest(channel_id=channel, per_page=60)
        ),
        f"SearchPostsInTeam ({posts}+ posts, hits)": lambda: api.SearchPostsInTeam(
            cp.SearchPostsInTeamRequest(
                team_id=info.teams["acme"],
                params_list=[cp.SearchParams(terms="words", per_page=20)],
            )
        ),
        "SearchPostsInTeam (no match)": lambda: api.SearchPostsInTeam(
            cp.SearchPostsInTeamRequest(
                team_id=info.teams["acme"],
                params_list=[cp.SearchParams(terms="absent", per_page=20)],
            )
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(calls + 50):
        for name, call in cases.items():
            started = time.perf_counter()
            call()
            if i >= 50:
                times[name].append(time.perf_counter() - started)
    base = statistics.median(times["GetChannel (baseline)"])
    print(f"{'call':40} {'median':>10} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:40} {median * 1e6:8.0f}us {median / base:7.2f}")
    connection.close()
    server.stop(None)
    store.close()


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 300,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
    )
