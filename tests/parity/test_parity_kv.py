"""Server parity of the KV store (KVSet, KVGet, KVDelete, KVList, ...)."""

from __future__ import annotations

import pytest
from worldhost import Host

from mmplug.host.api.kv import legacy_key
from mmplug.protocol import api_kv_config_pb2 as pb

KEY_ERROR = (400, "model.plugin_key_value.is_valid.key.app_error")
IS_VALID = "server/public/model/plugin_key_value.go: (*PluginKeyValue).IsValid"
SET_WITH_OPTIONS = "server/channels/store/sqlstore/plugin_store.go: SqlPluginStore.SetWithOptions"
COMPARE_AND_SET = "server/channels/store/sqlstore/plugin_store.go: SqlPluginStore.CompareAndSet"
COMPARE_AND_DELETE = (
    "server/channels/store/sqlstore/plugin_store.go: SqlPluginStore.CompareAndDelete"
)
LIST = (
    "server/channels/app/platform: (*PlatformService).ListPluginKeys; "
    "server/channels/store/sqlstore/plugin_store.go: SqlPluginStore.List"
)
EXPIRY = "server/public/model/plugin_kvset_options.go: NewPluginKeyValueFromOptions"


@pytest.fixture(autouse=True)
def _empty_kv(host: Host) -> None:
    host.api.KVDeleteAll(pb.KVDeleteAllRequest())


def _get(host: Host, key: str) -> bytes:
    rsp = host.api.KVGet(pb.KVGetRequest(key=key))
    assert not rsp.error.id
    return rsp.value


def _keys(host: Host, page: int, per_page: int) -> list[str]:
    rsp = host.api.KVList(pb.KVListRequest(page=page, per_page=per_page))
    assert not rsp.error.id, rsp.error
    return list(rsp.keys)


def _fill(host: Host, count: int) -> list[str]:
    names = [f"k{n:02d}" for n in range(count)]
    for name in names:
        host.api.KVSet(pb.KVSetRequest(key=name, value=b"1"))
    return names


def _error(rsp: object) -> tuple[int, str]:
    err = rsp.error  # type: ignore[attr-defined]
    return err.status_code, err.id


# -- key checks --------------------------------------------------------------------------
@pytest.mark.parity(
    "KVSet", IS_VALID + "; server/channels/app/plugin_key_value_store.go: (*App).SetPluginKey"
)
def test_kv_set_refuses_a_key_over_150_runes(host: Host) -> None:
    """Writing a key of more than 150 characters (runes, not bytes) is a 400
    `model.plugin_key_value.is_valid.key.app_error`."""
    err = host.api.KVSet(pb.KVSetRequest(key="é" * 151, value=b"v")).error
    assert (err.status_code, err.id) == KEY_ERROR
    assert not host.api.KVSet(pb.KVSetRequest(key="é" * 150, value=b"v")).error.id


@pytest.mark.parity("KVSet", IS_VALID)
def test_kv_set_refuses_an_empty_key(host: Host) -> None:
    """An empty key is a 400 `model.plugin_key_value.is_valid.key.app_error`, even when the
    value is nil (a delete)."""
    assert _error(host.api.KVSet(pb.KVSetRequest(key="", value=b"v"))) == KEY_ERROR
    assert _error(host.api.KVSet(pb.KVSetRequest(key="", value=b""))) == KEY_ERROR


@pytest.mark.parity("KVSetWithExpiry", IS_VALID)
def test_kv_set_with_expiry_checks_the_key(host: Host) -> None:
    """KVSetWithExpiry refuses a key over 150 characters with the same 400 as KVSet."""
    req = pb.KVSetWithExpiryRequest(key="x" * 151, value=b"v", expire_in_seconds=60)
    assert _error(host.api.KVSetWithExpiry(req)) == KEY_ERROR


@pytest.mark.parity("KVSetWithOptions", IS_VALID + "; " + SET_WITH_OPTIONS)
def test_kv_set_with_options_checks_the_key(host: Host) -> None:
    """KVSetWithOptions refuses a key over 150 characters (atomic or not) with a 400 and
    `success` false."""
    for atomic in (False, True):
        rsp = host.api.KVSetWithOptions(
            pb.KVSetWithOptionsRequest(
                key="x" * 151, value=b"v", options=pb.PluginKVSetOptions(atomic=atomic)
            )
        )
        assert _error(rsp) == KEY_ERROR and not rsp.success


@pytest.mark.parity(
    "KVSetWithOptions",
    "server/public/model/plugin_kvset_options.go: (*PluginKVSetOptions).IsValid; "
    "server/channels/app/platform: (*PlatformService).SetPluginKeyWithOptions",
)
def test_kv_set_with_options_checks_old_value_before_the_key(host: Host) -> None:
    """An OldValue without Atomic is a 400
    `model.plugin_kvset_options.is_valid.old_value.app_error`, reported even before a bad key."""
    rsp = host.api.KVSetWithOptions(
        pb.KVSetWithOptionsRequest(
            key="", value=b"v", options=pb.PluginKVSetOptions(old_value=b"x")
        )
    )
    assert _error(rsp) == (400, "model.plugin_kvset_options.is_valid.old_value.app_error")


@pytest.mark.parity("KVCompareAndSet", IS_VALID + "; " + COMPARE_AND_SET)
def test_kv_compare_and_set_checks_the_key(host: Host) -> None:
    """KVCompareAndSet refuses an empty or overlong key with a 400 and `success` false."""
    for key in ("", "x" * 151):
        rsp = host.api.KVCompareAndSet(
            pb.KVCompareAndSetRequest(key=key, old_value=b"", new_value=b"v")
        )
        assert _error(rsp) == KEY_ERROR and not rsp.success


@pytest.mark.parity("KVCompareAndDelete", IS_VALID + "; " + COMPARE_AND_DELETE)
def test_kv_compare_and_delete_checks_the_key(host: Host) -> None:
    """KVCompareAndDelete refuses an empty or overlong key with a 400, even with a nil old
    value."""
    for key, old in (("", b"x"), ("x" * 151, b"x"), ("x" * 151, b"")):
        rsp = host.api.KVCompareAndDelete(pb.KVCompareAndDeleteRequest(key=key, old_value=old))
        assert _error(rsp) == KEY_ERROR and not rsp.success


@pytest.mark.parity(
    ("KVGet", "KVDelete"),
    "server/channels/app/platform: (*PlatformService).KVGet, (*PlatformService).DeletePluginKey",
)
def test_kv_get_and_delete_do_not_check_the_key(host: Host) -> None:
    """Reading or deleting an empty or overlong key is not an error: the key is just absent."""
    for key in ("", "x" * 151):
        assert host.api.KVGet(pb.KVGetRequest(key=key)) == pb.KVGetResponse()
        assert not host.api.KVDelete(pb.KVDeleteRequest(key=key)).error.id


# -- values ------------------------------------------------------------------------------
@pytest.mark.parity("KVSet", "server/channels/store/sqlstore/plugin_store.go: SaveOrUpdate")
def test_kv_set_nil_value_deletes_the_key(host: Host) -> None:
    """Setting a key to nil (an empty value) deletes it."""
    host.api.KVSet(pb.KVSetRequest(key="k", value=b"v"))
    assert not host.api.KVSet(pb.KVSetRequest(key="k", value=b"")).error.id
    assert _keys(host, 0, 10) == []


@pytest.mark.parity("KVGet", "server/channels/app/platform: (*PlatformService).KVGet")
def test_kv_get_of_a_missing_key_is_nil_without_error(host: Host) -> None:
    """Getting a key that was never set answers nil and no error (not a 404)."""
    assert host.api.KVGet(pb.KVGetRequest(key="never-set")) == pb.KVGetResponse()


@pytest.mark.parity(
    "KVGet",
    "server/channels/app/platform: (*PlatformService).KVGet (lookup by the hashed key)",
)
def test_kv_get_falls_back_to_a_legacy_hashed_key(host: Host) -> None:
    """A value written by a server older than 5.6 under the key's SHA-256/base64 hash is
    still found under the plain key."""
    host.api.KVSet(pb.KVSetRequest(key=legacy_key("old"), value=b"legacy"))
    assert _get(host, "old") == b"legacy"


@pytest.mark.parity(
    "KVGet",
    "server/channels/app/platform: (*PlatformService).KVGet; "
    "server/channels/store/sqlstore/plugin_store.go: SqlPluginStore.Get",
)
def test_kv_get_reads_the_plain_key_before_the_legacy_hashed_key(host: Host) -> None:
    """When a key and its legacy hashed twin both exist, KVGet answers the plain key's value;
    the hashed one only once the plain key has expired."""
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="twin", value=b"new",
                                                       expire_in_seconds=1))
    host.api.KVSet(pb.KVSetRequest(key=legacy_key("twin"), value=b"legacy"))
    assert _get(host, "twin") == b"new"
    host.store.clock.set(host.store.now_ms() + 2_000)  # type: ignore[attr-defined]
    assert _get(host, "twin") == b"legacy"


@pytest.mark.parity(
    "KVCompareAndDelete",
    "server/channels/app/plugin_key_value_store.go: (*App).CompareAndDeletePluginKey",
)
def test_kv_compare_and_delete_cleans_up_the_legacy_hashed_key(host: Host) -> None:
    """KVCompareAndDelete also removes a legacy entry stored under the key's hash, whether
    or not the comparison matched."""
    host.api.KVSet(pb.KVSetRequest(key=legacy_key("old"), value=b"legacy"))
    rsp = host.api.KVCompareAndDelete(pb.KVCompareAndDeleteRequest(key="old", old_value=b"no"))
    assert not rsp.success and not rsp.error.id
    assert _get(host, "old") == b""


@pytest.mark.parity(
    "KVDeleteAll", "server/channels/store/sqlstore/plugin_store.go: DeleteAllForPlugin"
)
def test_kv_delete_all_removes_every_key_and_answers_nothing_else(host: Host) -> None:
    """KVDeleteAll removes every key of the plugin (expired ones too) and answers only an
    empty error."""
    _fill(host, 3)
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="t", value=b"1", expire_in_seconds=5))
    assert host.api.KVDeleteAll(pb.KVDeleteAllRequest()) == pb.KVDeleteAllResponse()
    assert _keys(host, 0, 100) == []
    with host.store.read() as db:
        left = db.execute("SELECT count(*) FROM kv WHERE plugin_id=?", (host.server.ctx.plugin_id,))
        assert left.fetchone()[0] == 0


# -- expiry ------------------------------------------------------------------------------
@pytest.mark.parity("KVSetWithExpiry", EXPIRY)
def test_kv_set_with_negative_expiry_stores_an_expired_value(host: Host) -> None:
    """A negative expiry is not "never": the value expires in the past, so it reads as nil
    and is not listed."""
    req = pb.KVSetWithExpiryRequest(key="gone", value=b"v", expire_in_seconds=-1)
    assert not host.api.KVSetWithExpiry(req).error.id
    assert _get(host, "gone") == b""
    assert _keys(host, 0, 10) == []


@pytest.mark.parity("KVSetWithOptions", EXPIRY + "; " + SET_WITH_OPTIONS)
def test_kv_set_with_options_negative_expiry_succeeds_but_is_already_expired(host: Host) -> None:
    """KVSetWithOptions with a negative ExpireInSeconds answers success, and the value is
    already expired."""
    rsp = host.api.KVSetWithOptions(
        pb.KVSetWithOptionsRequest(
            key="gone", value=b"v", options=pb.PluginKVSetOptions(expire_in_seconds=-10)
        )
    )
    assert rsp.success and not rsp.error.id
    assert _get(host, "gone") == b""


@pytest.mark.parity(("KVSetWithExpiry", "KVSetWithOptions"), EXPIRY)
def test_kv_expiry_wraps_around_in_64_bits(host: Host) -> None:
    """The expiry is computed in 64-bit milliseconds and wraps around: the largest count of
    seconds (2**63 - 1) is no error and lands one second in the past, so the value is already
    expired; a count that overflows only when added to now is expired too."""
    biggest = 2**63 - 1
    req = pb.KVSetWithExpiryRequest(key="wrap", value=b"v", expire_in_seconds=biggest)
    assert not host.api.KVSetWithExpiry(req).error.id
    assert _get(host, "wrap") == b""
    opts = pb.PluginKVSetOptions(expire_in_seconds=biggest // 1000)
    rsp = host.api.KVSetWithOptions(pb.KVSetWithOptionsRequest(key="wrap", value=b"v",
                                                               options=opts))
    assert rsp.success and not rsp.error.id
    assert _get(host, "wrap") == b""
    with host.store.read() as db:
        expire_at = db.execute("SELECT expire_at FROM kv WHERE key='wrap'").fetchone()[0]
    assert expire_at < 0


@pytest.mark.parity("KVSetWithExpiry", EXPIRY)
def test_kv_set_with_expiry_of_zero_never_expires(host: Host) -> None:
    """An expiry of 0 seconds means the value never expires."""
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="k", value=b"v", expire_in_seconds=0))
    host.store.clock.set(host.store.now_ms() + 10**12)  # type: ignore[attr-defined]
    assert _get(host, "k") == b"v"


@pytest.mark.parity(
    "KVSetWithExpiry", EXPIRY + "; server/channels/store/sqlstore/plugin_store.go: Get"
)
def test_kv_set_with_expiry_hides_the_value_after_the_delay(host: Host) -> None:
    """A value set with an expiry of N seconds reads as nil once N seconds have passed."""
    before = host.store.now_ms()
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="t", value=b"v", expire_in_seconds=5))
    with host.store.read() as db:
        expire_at = db.execute("SELECT expire_at FROM kv WHERE key='t'").fetchone()[0]
    assert 5_000 < expire_at - before < 5_100  # counted from the call, in milliseconds
    host.store.clock.set(expire_at - 1)  # type: ignore[attr-defined]
    assert _get(host, "t") == b"v"
    host.store.clock.set(expire_at)  # type: ignore[attr-defined]
    assert _get(host, "t") == b""


# -- compare and set ---------------------------------------------------------------------
@pytest.mark.parity("KVCompareAndSet", COMPARE_AND_SET)
def test_kv_compare_and_set_nil_old_inserts_only_if_absent(host: Host) -> None:
    """With a nil old value, KVCompareAndSet inserts only when the key is absent (or expired),
    and answers false without error otherwise."""
    cas = pb.KVCompareAndSetRequest
    assert host.api.KVCompareAndSet(cas(key="lock", old_value=b"", new_value=b"me")).success
    rsp = host.api.KVCompareAndSet(cas(key="lock", old_value=b"", new_value=b"you"))
    assert not rsp.success and not rsp.error.id
    assert _get(host, "lock") == b"me"


@pytest.mark.parity("KVCompareAndSet", COMPARE_AND_SET)
def test_kv_compare_and_set_does_not_match_an_expired_value(host: Host) -> None:
    """An expired value never matches an old value, and counts as absent for a nil old value."""
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="t", value=b"1", expire_in_seconds=1))
    host.store.clock.set(host.store.now_ms() + 2_000)  # type: ignore[attr-defined]
    cas = pb.KVCompareAndSetRequest
    assert not host.api.KVCompareAndSet(cas(key="t", old_value=b"1", new_value=b"2")).success
    assert host.api.KVCompareAndSet(cas(key="t", old_value=b"", new_value=b"fresh")).success


@pytest.mark.parity("KVCompareAndSet", COMPARE_AND_SET)
def test_kv_compare_and_set_nil_new_deletes_on_match(host: Host) -> None:
    """A nil new value turns KVCompareAndSet into a compare-and-delete."""
    host.api.KVSet(pb.KVSetRequest(key="n", value=b"1"))
    cas = pb.KVCompareAndSetRequest
    assert not host.api.KVCompareAndSet(cas(key="n", old_value=b"0", new_value=b"")).success
    assert host.api.KVCompareAndSet(cas(key="n", old_value=b"1", new_value=b"")).success
    assert _get(host, "n") == b""


@pytest.mark.parity("KVCompareAndDelete", COMPARE_AND_DELETE)
def test_kv_compare_and_delete_with_nil_old_value_is_false(host: Host) -> None:
    """A nil old value can never match (nil is never stored): false, no error, nothing deleted."""
    host.api.KVSet(pb.KVSetRequest(key="d", value=b"x"))
    rsp = host.api.KVCompareAndDelete(pb.KVCompareAndDeleteRequest(key="d", old_value=b""))
    assert not rsp.success and not rsp.error.id
    assert _get(host, "d") == b"x"


@pytest.mark.parity("KVSetWithOptions", SET_WITH_OPTIONS)
def test_kv_set_with_options_not_atomic_always_answers_success(host: Host) -> None:
    """A non-atomic KVSetWithOptions answers success true, also when its nil value deletes."""
    set_ = pb.KVSetWithOptionsRequest
    assert host.api.KVSetWithOptions(set_(key="k", value=b"v")).success
    assert host.api.KVSetWithOptions(set_(key="k", value=b"")).success
    assert _get(host, "k") == b""


# -- listing -----------------------------------------------------------------------------
@pytest.mark.parity("KVList", LIST)
def test_kv_list_per_page_zero_means_ten(host: Host) -> None:
    """KVList with per_page 0 answers the first 10 keys, not none."""
    names = _fill(host, 12)
    assert _keys(host, 0, 0) == names[:10]


@pytest.mark.parity("KVList", LIST)
def test_kv_list_negative_per_page_means_ten(host: Host) -> None:
    """A negative per_page is not an error: it means 10 per page."""
    names = _fill(host, 12)
    assert _keys(host, 0, -5) == names[:10]


@pytest.mark.parity("KVList", LIST)
def test_kv_list_negative_page_answers_the_first_page(host: Host) -> None:
    """A negative page is not an error: its negative offset counts as 0."""
    names = _fill(host, 5)
    assert _keys(host, -3, 2) == names[:2]


@pytest.mark.parity("KVList", LIST)
def test_kv_list_offset_is_page_times_per_page(host: Host) -> None:
    """The offset is page * per_page, computed before the defaults: page -1 with per_page -2
    starts at key 2 with 10 per page."""
    names = _fill(host, 14)
    assert _keys(host, -1, -2) == names[2:12]


@pytest.mark.parity("KVList", LIST)
def test_kv_list_pages_through_sorted_live_keys(host: Host) -> None:
    """KVList answers key names sorted, page by page, without expired keys; past the end
    it answers an empty list, not an error."""
    for name in ["e", "a", "d", "b", "c"]:
        host.api.KVSet(pb.KVSetRequest(key=name, value=b"1"))
    host.api.KVSetWithExpiry(pb.KVSetWithExpiryRequest(key="aa", value=b"1", expire_in_seconds=-1))
    pages = [_keys(host, p, 2) for p in range(4)]
    assert pages == [["a", "b"], ["c", "d"], ["e"], []]
