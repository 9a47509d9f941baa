"""Server parity of OAuth apps: CreateOAuthApp, GetOAuthApp, UpdateOAuthApp, DeleteOAuthApp."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from worldhost import Host

from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem

APP = "server/channels/app/oauth.go"
IS_VALID = "server/public/model/oauth.go: (*OAuthApp).IsValid"
NOT_FOUND = (404, "app.oauth.get_app.find.app_error")


def _app(host: Host, **fields: Any) -> rem.OAuthApp:
    values = {
        "name": "Dashboard",
        "creator_id": host.user("admin"),
        "callback_urls": "https://dash.example.com/cb",
        "homepage": "https://dash.example.com",
        **fields,
    }
    return rem.OAuthApp(**values)


def _create(host: Host, **fields: Any) -> rem.CreateOAuthAppResponse:
    rsp: rem.CreateOAuthAppResponse = host.api.CreateOAuthApp(
        rem.CreateOAuthAppRequest(app=_app(host, **fields))
    )
    return rsp


def _error(rsp: Any) -> tuple[int, str]:
    return rsp.error.status_code, rsp.error.id


@pytest.fixture
def provider_off(host: Host) -> Iterator[None]:
    def save(enabled: bool) -> None:
        raw = host.api.GetUnsanitizedConfig(kvc.GetUnsanitizedConfigRequest()).config_json
        config = json.loads(raw)
        config["ServiceSettings"]["EnableOAuthServiceProvider"] = enabled
        rsp = host.api.SaveConfig(kvc.SaveConfigRequest(config_json=json.dumps(config).encode()))
        assert not rsp.error.id

    save(False)
    try:
        yield
    finally:
        save(True)


@pytest.mark.parity(
    ("CreateOAuthApp", "GetOAuthApp", "UpdateOAuthApp", "DeleteOAuthApp"),
    APP + ": (*App).CreateOAuthAppInternal, GetOAuthApp, UpdateOAuthApp, DeleteOAuthApp",
)
def test_a_turned_off_provider_is_a_501_before_anything_else(
    host: Host, provider_off: None
) -> None:
    """With ServiceSettings.EnableOAuthServiceProvider off, creating is a 501
    `api.oauth.register_oauth_app.turn_off.app_error` (even for an invalid app) and get,
    update and delete a 501 `api.oauth.allow_oauth.turn_off.app_error`."""
    assert _error(_create(host, name="")) == (
        501,
        "api.oauth.register_oauth_app.turn_off.app_error",
    )
    off = (501, "api.oauth.allow_oauth.turn_off.app_error")
    assert _error(host.api.GetOAuthApp(rem.GetOAuthAppRequest(app_id="x" * 26))) == off
    assert _error(host.api.UpdateOAuthApp(rem.UpdateOAuthAppRequest(app=_app(host)))) == off
    assert _error(host.api.DeleteOAuthApp(rem.DeleteOAuthAppRequest(app_id="x" * 26))) == off


@pytest.mark.parity("CreateOAuthApp", "server/channels/store/sqlstore/oauth_store.go: SaveApp")
def test_a_new_app_with_an_id_is_refused(host: Host) -> None:
    """A new app must not carry an id: 400 `app.oauth.save_app.existing.app_error`."""
    assert _error(_create(host, id="a" * 26)) == (400, "app.oauth.save_app.existing.app_error")


@pytest.mark.parity("CreateOAuthApp", APP + ": (*App).CreateOAuthAppInternal; " + IS_VALID)
def test_create_generates_the_id_secret_and_times(host: Host) -> None:
    """Creating sets a new id, a client secret and the create/update times."""
    made = _create(host).app
    assert len(made.id) == 26 and len(made.client_secret) == 26
    assert made.create_at > 0 and made.update_at == made.create_at


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"creator_id": "nobody"}, "creator_id"),
        ({"name": ""}, "name"),
        ({"name": "é" * 33}, "name"),  # 66 bytes: the limit counts bytes
        ({"callback_urls": ""}, "callback"),
        ({"callback_urls": "ftp://x.example.com"}, "callback"),
        ({"homepage": ""}, "homepage"),
        ({"homepage": "dash.example.com"}, "homepage"),
        ({"description": "d" * 513}, "description"),
        ({"icon_url": "not a url"}, "icon_url"),
    ],
)
@pytest.mark.parity("CreateOAuthApp", IS_VALID)
def test_create_checks_the_app(host: Host, fields: dict[str, Any], field: str) -> None:
    """An invalid app is a 400 `model.oauth.is_valid.<field>.app_error` (the name's id is
    `name`)."""
    assert _error(_create(host, **fields)) == (400, f"model.oauth.is_valid.{field}.app_error")


@pytest.mark.parity("GetOAuthApp", APP + ": (*App).GetOAuthApp")
def test_get_with_a_malformed_id_is_a_404(host: Host) -> None:
    """An app id is not checked for its form: a malformed or unknown one is a 404
    `app.oauth.get_app.find.app_error`."""
    for app_id in ("", "short", "x" * 26):
        assert _error(host.api.GetOAuthApp(rem.GetOAuthAppRequest(app_id=app_id))) == NOT_FOUND


@pytest.mark.parity(
    "UpdateOAuthApp", "server/channels/app/plugin_api.go: (*PluginAPI).UpdateOAuthApp"
)
def test_update_of_an_unknown_app_is_a_404(host: Host) -> None:
    """Updating an app that does not exist (or without an id) is a 404."""
    for app_id in ("", "x" * 26):
        rsp = host.api.UpdateOAuthApp(rem.UpdateOAuthAppRequest(app=_app(host, id=app_id)))
        assert _error(rsp) == NOT_FOUND


@pytest.mark.parity("UpdateOAuthApp", APP + ": (*App).UpdateOAuthApp")
def test_update_keeps_creator_secret_and_creation_time(host: Host) -> None:
    """An update keeps the app's creator, client secret and creation time, whatever it sends."""
    made = _create(host).app
    changed = rem.OAuthApp()
    changed.CopyFrom(made)
    changed.name, changed.client_secret = "Renamed", "stolen"
    changed.creator_id, changed.create_at = host.user("bob"), 1
    updated = host.api.UpdateOAuthApp(rem.UpdateOAuthAppRequest(app=changed)).app
    assert updated.name == "Renamed"
    assert (updated.client_secret, updated.creator_id, updated.create_at) == (
        made.client_secret,
        made.creator_id,
        made.create_at,
    )


@pytest.mark.parity("DeleteOAuthApp", APP + ": (*App).DeleteOAuthApp")
def test_delete_of_an_unknown_app_is_not_an_error(host: Host) -> None:
    """Deleting an app that does not exist succeeds (the store deletes nothing)."""
    assert not host.api.DeleteOAuthApp(rem.DeleteOAuthAppRequest(app_id="x" * 26)).error.id
    made = _create(host).app
    assert not host.api.DeleteOAuthApp(rem.DeleteOAuthAppRequest(app_id=made.id)).error.id
    assert _error(host.api.GetOAuthApp(rem.GetOAuthAppRequest(app_id=made.id))) == NOT_FOUND
