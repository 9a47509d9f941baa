"""OAuth apps over real gRPC."""

from __future__ import annotations

from apiworld import World

from mmplug.protocol import api_remaining_pb2 as rem


def app(world: World, **fields: object) -> rem.OAuthApp:
    values = {
        "name": "Dashboard",
        "creator_id": world.users["admin"],
        "callback_urls": "https://dash.example.com/cb https://dash.example.com/cb2",
        "homepage": "https://dash.example.com",
        **fields,
    }
    return rem.OAuthApp(**values)  # type: ignore[arg-type]


def test_create_generates_id_and_secret_then_get(world: World) -> None:
    made = world.api.CreateOAuthApp(rem.CreateOAuthAppRequest(app=app(world))).app
    assert len(made.id) == 26 and len(made.client_secret) == 26 and made.create_at > 0
    assert world.api.GetOAuthApp(rem.GetOAuthAppRequest(app_id=made.id)).app == made


def test_invalid_apps_are_rejected(world: World) -> None:
    cases = {
        "model.oauth.is_valid.name.app_error": app(world, name=""),
        "model.oauth.is_valid.callback.app_error": app(world, callback_urls="not a url"),
        "model.oauth.is_valid.homepage.app_error": app(world, homepage=""),
        "model.oauth.is_valid.creator_id.app_error": app(world, creator_id=""),
    }
    for error_id, bad in cases.items():
        rsp = world.api.CreateOAuthApp(rem.CreateOAuthAppRequest(app=bad))
        assert rsp.error.id == error_id


def test_update_keeps_secret_and_creator_then_delete(world: World) -> None:
    made = world.api.CreateOAuthApp(rem.CreateOAuthAppRequest(app=app(world))).app
    changed = rem.OAuthApp()
    changed.CopyFrom(made)
    changed.name, changed.client_secret = "Renamed", "stolen"
    upd = world.api.UpdateOAuthApp(rem.UpdateOAuthAppRequest(app=changed)).app
    assert upd.name == "Renamed" and upd.client_secret == made.client_secret
    world.api.DeleteOAuthApp(rem.DeleteOAuthAppRequest(app_id=made.id))
    gone = world.api.GetOAuthApp(rem.GetOAuthAppRequest(app_id=made.id))
    assert gone.error.id == "app.oauth.get_app.find.app_error"
