"""What the SDK's entities (``mmplug.sdk.model``: views over the protocol messages) cost per call:
a GetPost through the typed method (a ``Post`` entity) against the raw generated stub and the
SDK's generic path (the bare message), and a MessageWillBePosted round trip into an SDK plugin
whose handler gets and returns entities against the same plugin given bare messages and a bare
grpcio server. Also the in-process cost of wrapping and reading.

    python benchmarks/sdk_entities.py [CALLS]

Servers run in their own processes; cases alternate call by call, each taking each place in
the order equally often (the call right after another process's tends to be slower); medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
HOOK = "/mattermost.pluginapi.v1.PluginHooks/MessageWillBePosted"

HOST = """
import sys
from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.host.world import load_world, seed_store
store = Store.open(":memory:")
seed_store(store, load_world("default"), deterministic_clock=True)
server = ApiServer(store, "com.example.bench")
server.start()
print(server.address, flush=True)
sys.stdin.read()
server.stop(None)
"""

# The same moderation rule three ways: an SDK plugin with entities, the SDK plugin handed the
# bare messages (entities switched off), and a bare grpcio server.
SDK_PLUGIN = """
import sys
from mmplug.sdk import Plugin, serve
if sys.argv[1] == "bare":
    import mmplug.sdk._hooks as hooks
    hooks.wrap = lambda message: message
    def louder(post):
        from mmplug.protocol.post_pb2 import Post
        copy = Post()
        copy.CopyFrom(post)
        copy.message = post.message.upper()
        return copy
else:
    def louder(post):
        return post.replace(message=post.message.upper())

class Moderator(Plugin):
    def message_will_be_posted(self, context, post):
        if post.message.startswith("!"):
            return louder(post)
        if "forbidden" in post.message:
            return "not here"
        return None

serve(Moderator)
"""
BARE_SERVER = """
import sys
from concurrent import futures
import mmplug.protocol.grpc_env  # grpcio's I/O as the SDK chooses it for the plugins
import grpc
from mmplug.protocol import hooks_message_pb2 as m, post_pb2
def handle(request, context):
    post = request.post
    if post.message.startswith("!"):
        copy = post_pb2.Post()
        copy.CopyFrom(post)
        copy.message = post.message.upper()
        return m.MessageWillBePostedResponse(modified_post=copy)
    if "forbidden" in post.message:
        return m.MessageWillBePostedResponse(rejection_reason="not here")
    return m.MessageWillBePostedResponse()
handler = grpc.unary_unary_rpc_method_handler(
    handle, m.MessageWillBePostedRequest.FromString,
    m.MessageWillBePostedResponse.SerializeToString)
server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
    "mattermost.pluginapi.v1.PluginHooks", {"MessageWillBePosted": handler}),))
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(f"1|1|tcp|127.0.0.1:{port}|grpc", flush=True)
sys.stdin.read()
"""


def spawn(args: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    env = dict(os.environ, MATTERMOST_PLUGIN="Securely message teams, anywhere.",
               PLUGIN_PROTOCOL_VERSIONS="1", PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    return proc, line.split("|")[3] if "|" in line else line


def stop(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()
    proc.terminate()
    proc.wait(10)


def samples_of(cases: dict[str, Callable[[], Any]], calls: int) -> dict[str, list[float]]:
    """Seconds per call of each case, after warm-up."""
    for call in cases.values():
        for _ in range(min(200, calls)):
            call()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for i in range(calls):  # each case takes each place in the order equally often
        for name in names[i % len(names):] + names[:i % len(names)]:
            call = cases[name]
            begin = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - begin)
    return samples


def medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(v) * 1e6 for name, v in samples.items()}


def report(title: str, table: dict[str, float], unit: str = "us") -> None:
    print(title)
    base = next(iter(table.values()))
    for name, value in table.items():
        print(f"  {name:52s} {value:9.2f} {unit}   ratio {value / base:.3f}")


def in_process() -> dict[str, float]:
    """Nanoseconds per operation, without any I/O."""
    from google.protobuf import json_format

    from mmplug.protocol.post_pb2 import Post as PostMessage
    from mmplug.sdk.model import Post

    message = PostMessage(id="p" * 26, channel_id="c" * 26, user_id="u" * 26, message="hello",
                          create_at=1767225600000)
    message.props.update({"from_bot": "true", "attachments": [{"text": "x"}]})
    post = Post.from_proto(message)
    number = 200_000

    def per_op(stmt: Callable[[], Any], n: int = number) -> float:
        return min(timeit.repeat(stmt, number=n, repeat=5)) / n * 1e9

    return {
        "read post.message on the message (baseline)": per_op(lambda: message.message),
        "read post.message on the entity": per_op(lambda: post.message),
        "wrap: Post.from_proto(message)": per_op(lambda: Post.from_proto(message)),
        "post.replace(message=...)": per_op(lambda: post.replace(message="x"), 20_000),
        "post.to_dict()": per_op(post.to_dict, 20_000),
        "json_format.MessageToDict(message)": per_op(lambda: json_format.MessageToDict(message),
                                                     20_000),
    }


def get_post_cases(address: str, calls: int) -> dict[str, float]:
    import grpc

    from mmplug.protocol import api_channel_post_pb2, api_pb2_grpc
    from mmplug.sdk import APIClient

    api = APIClient(address)
    town = api.get_channel_by_name(api.get_team_by_name("acme").id, "town-square")
    author = api.get_user_by_username("alice")
    post_id = api.create_post(channel_id=town.id, user_id=author.id, message="hi").id
    with grpc.insecure_channel(address) as channel:
        stub = api_pb2_grpc.PluginAPIStub(channel)
        table = medians(samples_of({
            "raw generated stub (baseline)": lambda: stub.GetPost(
                api_channel_post_pb2.GetPostRequest(post_id=post_id), timeout=30).post,
            "typed api.get_post -> Post entity": lambda: api.get_post(post_id),
            "generic api.call('GetPost') -> message": lambda: api.call(
                "GetPost", post_id=post_id).post,  # type: ignore[attr-defined]
        }, calls))
    api.close()
    return table


PLUGIN_CASES = {"SDK plugin, entities": "entities", "SDK plugin, bare messages": "bare"}


def round_trip_cases(calls: int) -> dict[str, dict[str, float]]:
    """Medians over two sessions that start the plugin processes in opposite orders (the first
    process started tends to answer more slowly, whatever it runs)."""
    import grpc

    from mmplug.protocol import hooks_message_pb2

    request = hooks_message_pb2.MessageWillBePostedRequest
    post = {"id": "p" * 26, "channel_id": "c" * 26, "props": {"from_bot": "true"}}
    bodies = {"allow unchanged": request(post={**post, "message": "hello"}),
              "return a modified post": request(post={**post, "message": "!hello"})}
    everything: dict[str, dict[str, list[float]]] = {label: {} for label in bodies}
    for order in (list(PLUGIN_CASES), list(reversed(PLUGIN_CASES))):
        started = [spawn(["-c", BARE_SERVER])]
        started += [spawn(["-c", SDK_PLUGIN, PLUGIN_CASES[name]]) for name in order]
        names = ["bare grpcio server (baseline)", *order]
        channels = [grpc.insecure_channel(address) for _, address in started]
        try:
            calls_of = [c.unary_unary(HOOK, request_serializer=lambda b: b,
                                      response_deserializer=lambda b: b) for c in channels]
            for label, message in bodies.items():
                body = message.SerializeToString()
                cases = {name: (lambda c=c, body=body: c(body, timeout=30))
                         for name, c in zip(names, calls_of, strict=True)}
                for name, values in samples_of(cases, calls // 2).items():
                    everything[label].setdefault(name, []).extend(values)
        finally:
            for channel in channels:
                channel.close()
            for proc, _ in started:
                stop(proc)
    baseline = "bare grpcio server (baseline)"
    return {label: medians({name: table[name] for name in [baseline, *PLUGIN_CASES]})
            for label, table in everything.items()}


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    host, address = spawn(["-c", HOST])
    try:
        get_post = get_post_cases(address, calls)
    finally:
        stop(host)
    round_trips = round_trip_cases(calls)
    print(f"{calls} calls per case, interleaved, median per call "
          f"(load average {os.getloadavg()[0]:.1f})")
    report("GetPost:", get_post)
    for label, table in round_trips.items():
        report(f"MessageWillBePosted round trip, {label}:", table)
    report("In process (no I/O), best of 5:", in_process(), "ns")


if __name__ == "__main__":
    main()
