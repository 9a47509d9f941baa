"""The KV store over real gRPC: values, namespaces, expiry, paging, atomic operations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from worldhost import Host, start_host

from mmplug.host.api.kv import legacy_key
from mmplug.host.api.server import ApiServer
from mmplug.host.store import Store
from mmplug.protocol import api_kv_config_pb2 as pb
from mmplug.protocol import api_pb2_grpc


@pytest.fixture(autouse=True)
def _empty_kv(host: Host) -> None:
    host.api.KVDeleteAll(pb.KVDeleteAllRequest())


def get(host: Host, key: str) -> bytes:
    rsp = host.api.KVGet(pb.KVGetRequest(key=key))
    assert not rsp.error.id
    return rsp.value


def test_set_then_get_returns_the_value(host: Host) -> None:
    assert not host.api.KVSet(pb.KVSetRequest(key="greeting", value=b"hello")).error.id
    assert get(host, "greeting") == b"hello"


def test_missing_key_reads_as_nil_without_error(host: Host) -> None:
    rsp = host.api.KVGet(pb.KVGetRequest(key="nope"))
    assert rsp.value == b"" and not rsp.error.id


def test_setting_an_empty_value_deletes_the_key(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="k", value=b"v"))
    host.api.KVSet(pb.KVSetRequest(key="k", value=b""))
    assert host.api.KVList(pb.KVListRequest(page=0, per_page=10)).keys == []


def test_deleting_a_missing_key_is_not_an_error(host: Host) -> None:
    assert not host.api.KVDelete(pb.KVDeleteRequest(key="never-set")).error.id


@pytest.mark.parametrize("key", ["", "x" * 151])
def test_invalid_key_is_a_400_app_error(host: Host, key: str) -> None:
    err = host.api.KVSet(pb.KVSetRequest(key=key, value=b"v")).error
    assert (err.status_code, err.id) == (400, "model.plugin_key_value.is_valid.key.app_error")


def test_reading_or_deleting_an_overlong_key_is_not_an_error(host: Host) -> None:
    assert host.api.KVGet(pb.KVGetRequest(key="x" * 151)) == pb.KVGetResponse()
    assert not host.api.KVDelete(pb.KVDeleteRequest(key="x" * 151)).error.id


def test_key_of_150_characters_is_accepted(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="k" * 150, value=b"v"))
    assert get(host, "k" * 150) == b"v"


def test_each_plugin_has_its_own_namespace(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="shared-name", value=b"mine"))
    other = ApiServer(host.store, "com.example.other")
    other.start()
    try:
        with grpc.insecure_channel(other.address) as channel:
            api = api_pb2_grpc.PluginAPIStub(channel)
            assert api.KVGet(pb.KVGetRequest(key="shared-name")).value == b""
            api.KVSet(pb.KVSetRequest(key="shared-name", value=b"theirs"))
            api.KVDeleteAll(pb.KVDeleteAllRequest())
    finally:
        other.stop(None)
    assert get(host, "shared-name") == b"mine"


def test_expired_keys_are_invisible_and_cleaned(host: Host) -> None:
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="temp", value=b"t", expire_in_seconds=5))
    host.api.KVSet(pb.KVSetRequest(key="kept", value=b"k"))
    assert get(host, "temp") == b"t"
    host.store.clock.set(host.store.now_ms() + 6_000)  # type: ignore[attr-defined]
    assert get(host, "temp") == b""
    assert list(host.api.KVList(pb.KVListRequest(page=0, per_page=10)).keys) == ["kept"]
    with host.store.read() as db:
        assert db.execute("SELECT count(*) FROM kv WHERE key='temp'").fetchone()[0] == 0


def test_expiry_of_zero_seconds_never_expires(host: Host) -> None:
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="k", value=b"v", expire_in_seconds=0))
    with host.store.read() as db:
        assert db.execute("SELECT expire_at FROM kv WHERE key='k'").fetchone()[0] == 0


def test_list_pages_through_sorted_keys(host: Host) -> None:
    for name in ["e", "a", "d", "b", "c"]:
        host.api.KVSet(pb.KVSetRequest(key=name, value=b"1"))
    pages = [list(host.api.KVList(pb.KVListRequest(page=p, per_page=2)).keys) for p in range(4)]
    assert pages == [["a", "b"], ["c", "d"], ["e"], []]


def test_list_with_negative_page_starts_at_the_first_key(host: Host) -> None:
    # As the server: a negative offset counts as 0 (pinned in tests/parity/test_parity_kv.py).
    for name in ["b", "a"]:
        host.api.KVSet(pb.KVSetRequest(key=name, value=b"1"))
    rsp = host.api.KVList(pb.KVListRequest(page=-1, per_page=2))
    assert not rsp.error.id and list(rsp.keys) == ["a", "b"]


def test_delete_all_removes_every_key(host: Host) -> None:
    for name in ["a", "b"]:
        host.api.KVSet(pb.KVSetRequest(key=name, value=b"1"))
    host.api.KVDeleteAll(pb.KVDeleteAllRequest())
    assert host.api.KVList(pb.KVListRequest(page=0, per_page=10)).keys == []


def cas(host: Host, key: str, old: bytes, new: bytes) -> bool:
    rsp = host.api.KVCompareAndSet(pb.KVCompareAndSetRequest(key=key, old_value=old, new_value=new))
    assert not rsp.error.id
    return rsp.success


def test_compare_and_set_with_nil_old_inserts_only_if_absent(host: Host) -> None:
    assert cas(host, "lock", b"", b"me")
    assert not cas(host, "lock", b"", b"you")
    assert get(host, "lock") == b"me"


def test_compare_and_set_swaps_only_on_match(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="n", value=b"1"))
    assert not cas(host, "n", b"0", b"2")
    assert cas(host, "n", b"1", b"2")
    assert get(host, "n") == b"2"


def test_compare_and_set_to_nil_deletes_on_match(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="n", value=b"1"))
    assert cas(host, "n", b"1", b"")
    assert get(host, "n") == b""


def test_compare_and_set_does_not_match_an_expired_value(host: Host) -> None:
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="t", value=b"1", expire_in_seconds=1))
    host.store.clock.set(host.store.now_ms() + 2_000)  # type: ignore[attr-defined]
    assert not cas(host, "t", b"1", b"2")
    assert cas(host, "t", b"", b"fresh")


def test_compare_and_delete(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="d", value=b"x"))
    req = pb.KVCompareAndDeleteRequest
    assert not host.api.KVCompareAndDelete(req(key="d", old_value=b"y")).success
    assert not host.api.KVCompareAndDelete(req(key="missing", old_value=b"x")).success
    assert host.api.KVCompareAndDelete(req(key="d", old_value=b"x")).success
    assert get(host, "d") == b""


def set_opts(host: Host, key: str, value: bytes, **opts: object) -> pb.KVSetWithOptionsResponse:
    options = pb.PluginKVSetOptions(**opts)  # type: ignore[arg-type]
    return host.api.KVSetWithOptions(
        pb.KVSetWithOptionsRequest(key=key, value=value, options=options)
    )


def test_set_with_options_old_value_without_atomic_is_rejected(host: Host) -> None:
    rsp = set_opts(host, "k", b"v", old_value=b"x")
    assert not rsp.success
    assert rsp.error.status_code == 400
    assert rsp.error.id == "model.plugin_kvset_options.is_valid.old_value.app_error"


def test_set_with_options_atomic_compares(host: Host) -> None:
    assert set_opts(host, "k", b"1", atomic=True).success
    assert not set_opts(host, "k", b"2", atomic=True).success
    assert not set_opts(host, "k", b"2", atomic=True, old_value=b"0").success
    assert set_opts(host, "k", b"2", atomic=True, old_value=b"1").success
    assert get(host, "k") == b"2"


def test_set_with_options_expiry(host: Host) -> None:
    assert set_opts(host, "k", b"v", expire_in_seconds=10).success
    host.store.clock.set(host.store.now_ms() + 11_000)  # type: ignore[attr-defined]
    assert get(host, "k") == b""


def test_mmi_prefixed_keys_are_stored_like_any_other(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="mmi_botid", value=b"abc"))
    assert get(host, "mmi_botid") == b"abc"


def test_legacy_hashed_entry_is_read_and_replaced(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key=legacy_key("old"), value=b"legacy"))
    assert get(host, "old") == b"legacy"
    host.api.KVSet(pb.KVSetRequest(key="old", value=b"new"))
    assert list(host.api.KVList(pb.KVListRequest(page=0, per_page=10)).keys) == ["old"]


WORKERS, INCREMENTS = 8, 1000
INCREMENTER = str(Path(__file__).resolve().parents[2] / "fixtures" / "kv_incrementer.py")


@pytest.mark.slow
def test_compare_and_set_increments_are_exact_under_contention(tmp_path: Path) -> None:
    """8 client processes x 1000 increments through KVCompareAndSet (retry loop) over real
    gRPC on a file-backed store: no increment is lost, none is counted twice."""
    with start_host(tmp_path / "state.db") as h:
        h.api.KVSet(pb.KVSetRequest(key="counter", value=b"0"))
        procs = [
            subprocess.Popen(
                [sys.executable, INCREMENTER, h.server.address, str(INCREMENTS)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(WORKERS)
        ]
        problems = [p.communicate(timeout=100)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * WORKERS, problems
        counter = h.api.KVGet(pb.KVGetRequest(key="counter")).value
        assert counter == str(WORKERS * INCREMENTS).encode()


WRITER = """
import sys
from mmplug.host.store import Store
store = Store.open(sys.argv[1])
n = 0
while True:
    n += 1
    with store.tx() as db:
        db.execute("INSERT INTO kv(plugin_id, key, value) VALUES('p', ?, ?)",
                   (f"key-{n:06d}", str(n).encode()))
    print(n, flush=True)
"""


def test_kill_9_during_writes_keeps_every_committed_write(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store.open(path).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    last = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            last = int(line)
            if last >= 300:
                break
        proc.kill()  # SIGKILL: no cleanup, no atexit, mid-transaction
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert last >= 300
    with Store.open(path) as store, store.read() as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {r[0] for r in db.execute("SELECT key FROM kv WHERE plugin_id='p'")}
    assert {f"key-{n:06d}" for n in range(1, last + 1)} <= keys


def test_set_with_options_atomic_nil_value_deletes_on_match(host: Host) -> None:
    host.api.KVSet(pb.KVSetRequest(key="k", value=b"1"))
    assert not set_opts(host, "k", b"", atomic=True, old_value=b"2").success
    assert set_opts(host, "k", b"", atomic=True, old_value=b"1").success
    assert get(host, "k") == b""
