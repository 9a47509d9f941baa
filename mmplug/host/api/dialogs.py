"""OpenInteractiveDialog: needs a fresh trigger id (handed to ExecuteCommand or an
interactive action); the dialog is validated and captured as an ``open_dialog`` event for
the user who triggered it."""

from __future__ import annotations

import json

from mmplug.host.api._pbjson import to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import capture
from mmplug.protocol import api_remaining_pb2 as rem

OPEN_DIALOG = "open_dialog"
DEFAULT_TIMEOUT_S = 30
ELEMENT_TYPES = ("text", "textarea", "select", "bool", "radio", "date", "datetime")
TITLE_MAX = 24


def _timeout_ms(ctx: ApiContext) -> int:
    with ctx.store.read() as db:
        row = db.execute("SELECT data FROM config WHERE key='server'").fetchone()
    settings = (json.loads(row["data"]) if row else {}).get("ServiceSettings") or {}
    return int(settings.get("OutgoingIntegrationRequestsTimeout") or DEFAULT_TIMEOUT_S) * 1000


def _trigger_user(ctx: ApiContext, trigger_id: str) -> str:
    with ctx.store.read() as db:
        row = db.execute(
            "SELECT user_id, created_at FROM trigger_ids WHERE id=?", (trigger_id,)
        ).fetchone()
    if row is None:
        raise ApiFailure(
            400,
            "interactive_message.decode_trigger_id.base64_decode_failed",
            "Unknown trigger id: use the trigger_id of the CommandArgs (or the "
            "interactive action) that is being answered.",
            detailed_error=f"trigger_id={trigger_id!r}",
        )
    if ctx.now() - row["created_at"] > _timeout_ms(ctx):
        raise ApiFailure(
            400,
            "interactive_message.decode_trigger_id.expired",
            "The trigger id has expired: open the dialog soon after the command "
            "(ServiceSettings.OutgoingIntegrationRequestsTimeout).",
        )
    return str(row["user_id"])


def _check_dialog(req: rem.OpenDialogRequest) -> None:
    def bad(what: str, message: str) -> ApiFailure:
        return ApiFailure(
            400,
            f"model.dialog.is_valid.{what}.app_error",
            message,
            where="OpenDialogRequest.IsValid",
        )

    if not req.url:
        raise bad("url", "The dialog needs the url its submission is posted to.")
    if not req.dialog.title or len(req.dialog.title) > TITLE_MAX:
        raise bad("title", f"The dialog needs a title of 1-{TITLE_MAX} characters.")
    names = [e.name for e in req.dialog.elements]
    if len(names) != len(set(names)) or not all(names):
        raise bad("elements", "Every dialog element needs a unique, non-empty name.")
    for element in req.dialog.elements:
        if element.type not in ELEMENT_TYPES:
            raise bad(
                "element_type",
                f"Element {element.name!r} has the unknown type "
                f"{element.type!r}: use one of {ELEMENT_TYPES}.",
            )


@emulates("OpenInteractiveDialog")
def open_interactive_dialog(
    ctx: ApiContext, req: rem.OpenInteractiveDialogRequest
) -> rem.OpenInteractiveDialogResponse:
    user_id = _trigger_user(ctx, req.dialog.trigger_id)
    _check_dialog(req.dialog)
    capture(ctx, OPEN_DIALOG, {"user_id": user_id, "dialog": to_dict(req.dialog)})
    return rem.OpenInteractiveDialogResponse()
