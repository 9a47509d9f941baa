"""OpenInteractiveDialog: needs a fresh trigger id (handed to ExecuteCommand or an
interactive action); the dialog is captured as an ``open_dialog`` event for the user who
triggered it.

As on the server, only the trigger id can make the call fail (400; an expired one is
``interactive_message.decode_trigger_id.expired`` after
ServiceSettings.OutgoingIntegrationRequestsTimeout seconds). A dialog that is not valid
(no URL, no title, duplicate element names, unknown element types) is still opened: the
server only logs a warning, so mmplug logs that warning too.
"""

from __future__ import annotations

from mmplug.host.api._pbjson import to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.config import server_setting
from mmplug.host.api.events import capture
from mmplug.protocol import api_remaining_pb2 as rem

OPEN_DIALOG = "open_dialog"
DEFAULT_TIMEOUT_S = 30
ELEMENT_TYPES = ("text", "textarea", "select", "bool", "radio", "date", "datetime")
TITLE_MAX = 24

differs(
    "OpenInteractiveDialog",
    "The server's trigger id is a signed, timestamped token (a malformed one fails with "
    "interactive_message.decode_trigger_id.base64_decode_failed, missing_data or a signature "
    "error); mmplug's trigger ids are the opaque ids it handed out, and any other value fails "
    "with interactive_message.decode_trigger_id.base64_decode_failed.",
)


def _timeout_ms(ctx: ApiContext) -> int:
    with ctx.store.read() as db:
        timeout = server_setting(db, "ServiceSettings", "OutgoingIntegrationRequestsTimeout", 0)
    return int(timeout or DEFAULT_TIMEOUT_S) * 1000


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


def dialog_problems(req: rem.OpenDialogRequest) -> list[str]:
    """What would make the server log "Interactive dialog is invalid" for this dialog."""
    problems = []
    if not req.url:
        problems.append("the dialog needs the url its submission is posted to")
    if not req.dialog.title or len(req.dialog.title) > TITLE_MAX:
        problems.append(f"the dialog needs a title of 1-{TITLE_MAX} characters")
    names = [e.name for e in req.dialog.elements]
    if len(names) != len(set(names)) or not all(names):
        problems.append("every dialog element needs a unique, non-empty name")
    problems += [
        f"element {element.name!r} has the unknown type {element.type!r} "
        f"(use one of {', '.join(ELEMENT_TYPES)})"
        for element in req.dialog.elements
        if element.type not in ELEMENT_TYPES
    ]
    return problems


@emulates("OpenInteractiveDialog")
def open_interactive_dialog(
    ctx: ApiContext, req: rem.OpenInteractiveDialogRequest
) -> rem.OpenInteractiveDialogResponse:
    user_id = _trigger_user(ctx, req.dialog.trigger_id)
    problems = dialog_problems(req.dialog)
    if problems:  # the server opens it anyway and only logs a warning
        ctx.log("warn", "Interactive dialog is invalid", {"problems": problems})
    capture(ctx, OPEN_DIALOG, {"user_id": user_id, "dialog": to_dict(req.dialog)})
    return rem.OpenInteractiveDialogResponse()
