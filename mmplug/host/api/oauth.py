"""OAuth 2.0 client apps: create (id and client secret generated), get, update, delete.

``callback_urls`` carries the app's callback URLs separated by spaces or commas.

As on the server: with ServiceSettings.EnableOAuthServiceProvider off every call is a 501
(``api.oauth.register_oauth_app.turn_off.app_error`` for create,
``api.oauth.allow_oauth.turn_off.app_error`` for the others), checked before anything else;
a new app must not carry an id (400 ``app.oauth.save_app.existing.app_error``); an app id is
not checked for its form (an unknown one is a 404 ``app.oauth.get_app.find.app_error``);
deleting an app that does not exist is not an error; the app is checked as
``OAuthApp.IsValid`` does.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlparse

from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.config import server_setting
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as rem

NAME_MAX, DESCRIPTION_MAX, HOMEPAGE_MAX, ICON_URL_MAX = 64, 512, 256, 512
CALLBACKS_MAX = 1024  # the length of the list as Go prints it: "[url1 url2]"


def _invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(
        400, f"model.oauth.is_valid.{field}.app_error", message, where="OAuthApp.IsValid"
    )


def _is_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def validate_app(app: rem.OAuthApp) -> None:
    """The server's OAuthApp.IsValid (id, times and secret are set by the host before)."""
    if not is_valid_id(app.creator_id):
        raise _invalid("creator_id", "Invalid creator id: set creator_id to a user id.")
    if not app.name or len(app.name.encode()) > NAME_MAX:
        raise _invalid("name", f"Invalid name: 1-{NAME_MAX} bytes.")
    urls = [u for u in re.split(r"[\s,]+", app.callback_urls) if u]
    if not urls or len("[" + " ".join(urls) + "]") > CALLBACKS_MAX:
        raise _invalid("callback", "Invalid callback URLs: 1 or more, 1024 characters in all.")
    if any(not _is_url(u) for u in urls):
        raise _invalid("callback", "Invalid callback URL: each must be an absolute http(s) URL.")
    if not app.homepage or len(app.homepage.encode()) > HOMEPAGE_MAX or not _is_url(app.homepage):
        raise _invalid("homepage", "Invalid homepage: an absolute http(s) URL is required.")
    if len(app.description) > DESCRIPTION_MAX:
        raise _invalid("description", f"Invalid description: at most {DESCRIPTION_MAX} characters.")
    if app.icon_url and (len(app.icon_url.encode()) > ICON_URL_MAX or not _is_url(app.icon_url)):
        raise _invalid("icon_url", "Invalid icon URL.")


def _check_enabled(db: sqlite3.Connection, *, creating: bool = False) -> None:
    if server_setting(db, "ServiceSettings", "EnableOAuthServiceProvider", None) is False:
        raise ApiFailure(
            501,
            "api.oauth.register_oauth_app.turn_off.app_error"
            if creating
            else "api.oauth.allow_oauth.turn_off.app_error",
            "The OAuth service provider has been turned off "
            "(ServiceSettings.EnableOAuthServiceProvider).",
        )


def _get(db: sqlite3.Connection, app_id: str) -> rem.OAuthApp:
    row = db.execute("SELECT data FROM oauth_apps WHERE id=?", (app_id,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.oauth.get_app.find.app_error",
            "Unable to find the requested app.",
            detailed_error=f"app_id={app_id}",
        )
    return load(rem.OAuthApp, row["data"])


def _save(db: sqlite3.Connection, app: rem.OAuthApp) -> None:
    db.execute(
        "INSERT INTO oauth_apps(id, data) VALUES(?,?) ON CONFLICT(id) DO UPDATE SET "
        "data=excluded.data",
        (app.id, dump(app)),
    )


@emulates("CreateOAuthApp")
def create_oauth_app(ctx: ApiContext, req: rem.CreateOAuthAppRequest) -> rem.CreateOAuthAppResponse:
    app = rem.OAuthApp()
    app.CopyFrom(req.app)
    with ctx.store.tx() as db:
        _check_enabled(db, creating=True)
        if app.id:
            raise ApiFailure(
                400,
                "app.oauth.save_app.existing.app_error",
                "A new OAuth app must not have an id: leave id empty, the server sets it.",
                detailed_error=f"id={app.id}",
            )
        validate_app(app)
        app.id, app.client_secret = ctx.new_id(), ctx.new_id()
        app.create_at = app.update_at = ctx.now()
        _save(db, app)
    return rem.CreateOAuthAppResponse(app=app)


@emulates("GetOAuthApp")
def get_oauth_app(ctx: ApiContext, req: rem.GetOAuthAppRequest) -> rem.GetOAuthAppResponse:
    with ctx.store.read() as db:
        _check_enabled(db)
        return rem.GetOAuthAppResponse(app=_get(db, req.app_id))


@emulates("UpdateOAuthApp")
def update_oauth_app(ctx: ApiContext, req: rem.UpdateOAuthAppRequest) -> rem.UpdateOAuthAppResponse:
    with ctx.store.tx() as db:
        _check_enabled(db)
        old = _get(db, req.app.id)
        app = rem.OAuthApp()
        app.CopyFrom(req.app)
        app.creator_id, app.create_at, app.client_secret = (
            old.creator_id,
            old.create_at,
            old.client_secret,
        )
        validate_app(app)
        app.update_at = ctx.now()
        _save(db, app)
    return rem.UpdateOAuthAppResponse(app=app)


@emulates("DeleteOAuthApp")
def delete_oauth_app(ctx: ApiContext, req: rem.DeleteOAuthAppRequest) -> rem.DeleteOAuthAppResponse:
    with ctx.store.tx() as db:
        _check_enabled(db)
        # As the server: deleting an app that does not exist is not an error.
        db.execute("DELETE FROM oauth_apps WHERE id=?", (req.app_id,))
    return rem.DeleteOAuthAppResponse()
