"""Server parity of the KV store (KVSet, KVGet, KVDelete, KVList, ...)."""

from __future__ import annotations

import pytest
from worldhost import Host

from mmplug.protocol import api_kv_config_pb2 as pb


@pytest.mark.parity(
    "KVSet",
    "server/public/model/plugin_key_value.go: (*PluginKeyValue).IsValid; "
    "server/channels/app/plugin_key_value_store.go: (*App).SetPluginKeyWithOptions",
)
def test_kv_set_refuses_a_key_over_150_runes(host: Host) -> None:
    """Writing a key of more than 150 characters (runes, not bytes) is a 400
    `model.plugin_key_value.is_valid.key.app_error`."""
    err = host.api.KVSet(pb.KVSetRequest(key="é" * 151, value=b"v")).error
    assert (err.status_code, err.id) == (400, "model.plugin_key_value.is_valid.key.app_error")
    assert not host.api.KVSet(pb.KVSetRequest(key="é" * 150, value=b"v")).error.id
