"""OAuth 2.0 client apps: create (id and client secret generated), get, update, delete.

``callback_urls`` carries the app's callback URLs separated by spaces or commas.
"""

from __future__ import annotations

import json
import re
import sqlite3
from urllib.parse import urlparse

from mmplug.host.api._pbjson import dump, load, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as rem

NAME_MAX, DESCRIPTION_MAX, HOMEPAGE_MAX, URL_MAX = 64, 512, 256, 1024


def _invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(
        400, f"model.oauth.is_valid.{field}.app_error", message, where="OAuthApp.IsValid"
    )


def _is_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def validate_app(app: rem.OAuthApp) -> None:
    if not is_valid_id(app.creator_id):
        raise _invalid("creator_id", "Invalid creator id: set creator_id to a user id.")
    if not app.name or len(app.name) > NAME_MAX:
        raise _invalid("app_name", f"Invalid name: 1-{NAME_MAX} characters.")
    urls = [u for u in re.split(r"[\s,]+", app.callback_urls) if u]
    if not urls or any(not _is_url(u) or len(u) > URL_MAX for u in urls):
        raise _invalid("callback", "Invalid callback URLs: at least one absolute http(s) URL.")
    if not _is_url(app.homepage) or len(app.homepage) > HOMEPAGE_MAX:
        raise _invalid("homepage", "Invalid homepage: an absolute http(s) URL is required.")
    if len(app.description) > DESCRIPTION_MAX:
        raise _invalid("description", f"Invalid description: at most {DESCRIPTION_MAX} characters.")
    if app.icon_url and not _is_url(app.icon_url):
        raise _invalid("icon_url", "Invalid icon URL.")


def _check_enabled(db: sqlite3.Connection) -> None:
    row = db.execute("SELECT data FROM config WHERE key='server'").fetchone()
    settings = (json.loads(row["data"]) if row else {}).get("ServiceSettings") or {}
    if settings.get("EnableOAuthServiceProvider") is False:
        raise ApiFailure(
            501,
            "api.oauth.register_oauth_app.turn_off.app_error",
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
    if app.id:
        raise _invalid("app_id", "A new app must not have an id.")
    validate_app(app)
    with ctx.store.tx() as db:
        _check_enabled(db)
        app.id, app.client_secret = ctx.new_id(), ctx.new_id()
        app.create_at = app.update_at = ctx.now()
        _save(db, app)
    return rem.CreateOAuthAppResponse(app=app)


@emulates("GetOAuthApp")
def get_oauth_app(ctx: ApiContext, req: rem.GetOAuthAppRequest) -> rem.GetOAuthAppResponse:
    require_id(req.app_id, "app_id")
    with ctx.store.read() as db:
        _check_enabled(db)
        return rem.GetOAuthAppResponse(app=_get(db, req.app_id))


@emulates("UpdateOAuthApp")
def update_oauth_app(ctx: ApiContext, req: rem.UpdateOAuthAppRequest) -> rem.UpdateOAuthAppResponse:
    require_id(req.app.id, "app_id")
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
    require_id(req.app_id, "app_id")
    with ctx.store.tx() as db:
        _check_enabled(db)
        _get(db, req.app_id)
        db.execute("DELETE FROM oauth_apps WHERE id=?", (req.app_id,))
    return rem.DeleteOAuthAppResponse()
