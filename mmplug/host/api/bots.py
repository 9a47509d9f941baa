"""Bots: each bot is a user (``users``, is_bot) plus a ``bots`` row. EnsureBotUser follows
the server: the plugin's ``mmi_botid`` KV key, then an existing user, then a new bot."""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._pbjson import dump, load, paging, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.users import (
    RESTRICTED_USERNAMES,
    USERNAME_MAX,
    check_unique,
    fill_new_user,
    validate_user,
)
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import user_pb2

BOT_ID_KEY = "mmi_botid"
_USERNAME = re.compile(r"^[a-z][a-z0-9.\-_]*$")
DISPLAY_NAME_MAX, DESCRIPTION_MAX, OWNER_MAX = 64, 1024, 190


def _invalid(field: str, detail: str) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.bot.is_valid.{field}.app_error",
        f"Invalid bot {field}.",
        detailed_error=detail,
        where="Bot.IsValid",
    )


def validate_bot(bot: fb.Bot) -> None:
    if not 1 <= len(bot.username) <= USERNAME_MAX or not _USERNAME.match(bot.username):
        raise _invalid(
            "username",
            f"username={bot.username!r}: 1-{USERNAME_MAX} characters "
            "a-z 0-9 . - _, starting with a letter",
        )
    if bot.username in RESTRICTED_USERNAMES:
        raise _invalid("username", f"username={bot.username!r} is reserved")
    if len(bot.display_name) > DISPLAY_NAME_MAX:
        raise _invalid("display_name", f"at most {DISPLAY_NAME_MAX} characters")
    if len(bot.description) > DESCRIPTION_MAX:
        raise _invalid("description", f"at most {DESCRIPTION_MAX} characters")
    if not 1 <= len(bot.owner_id) <= OWNER_MAX:
        raise _invalid("creator_id", f"owner_id={bot.owner_id!r}")


def _bot_user(bot: fb.Bot) -> user_pb2.User:
    return user_pb2.User(
        id=bot.user_id,
        username=bot.username,
        email=f"{bot.username}@localhost",
        first_name=bot.display_name,
        is_bot=True,
        bot_description=bot.description,
        roles="system_user",
    )


def find_bot(db: sqlite3.Connection, user_id: str, include_deleted: bool = True) -> fb.Bot | None:
    row = db.execute(
        "SELECT b.data, u.delete_at FROM bots b JOIN users u ON u.id=b.user_id WHERE b.user_id=?",
        (user_id,),
    ).fetchone()
    if row is None or (row["delete_at"] and not include_deleted):
        return None
    bot = load(fb.Bot, row["data"])
    bot.delete_at = row["delete_at"]
    return bot


def get_bot(db: sqlite3.Connection, user_id: str, include_deleted: bool = True) -> fb.Bot:
    bot = find_bot(db, user_id, include_deleted)
    if bot is None:
        raise ApiFailure(
            404,
            "store.sql_bot.get.missing.app_error",
            "Bot does not exist.",
            detailed_error=f"user_id={user_id}",
        )
    return bot


def _save(db: sqlite3.Connection, bot: fb.Bot) -> None:
    db.execute(
        "INSERT INTO bots(user_id, owner_id, data) VALUES(?,?,?) ON CONFLICT(user_id) "
        "DO UPDATE SET owner_id=excluded.owner_id, data=excluded.data",
        (bot.user_id, bot.owner_id, dump(bot)),
    )


def create_bot(ctx: ApiContext, bot: fb.Bot) -> fb.Bot:
    """The server's CreateBot: the bot user, then the bot (owner defaults to the plugin)."""
    made = fb.Bot()
    made.CopyFrom(bot)
    made.username = made.username.lower()
    made.owner_id = made.owner_id or ctx.plugin_id
    validate_bot(made)
    with ctx.store.tx() as db:
        made.user_id = ctx.new_id()
        user = _bot_user(made)
        fill_new_user(user, ctx.now())
        validate_user(user)
        check_unique(db, user)
        db.execute(*conv.insert_sql("users", conv.user_to_row(user)))
        made.create_at = made.update_at = user.create_at
        made.delete_at = 0
        _save(db, made)
    return made


@emulates("CreateBot")
def create_bot_rpc(ctx: ApiContext, req: fb.CreateBotRequest) -> fb.CreateBotResponse:
    return fb.CreateBotResponse(bot=create_bot(ctx, req.bot))


@emulates("GetBot")
def get_bot_rpc(ctx: ApiContext, req: fb.GetBotRequest) -> fb.GetBotResponse:
    require_id(req.bot_user_id, "bot_user_id")
    with ctx.store.read() as db:
        return fb.GetBotResponse(bot=get_bot(db, req.bot_user_id, req.include_deleted))


@emulates("GetBots")
def get_bots(ctx: ApiContext, req: fb.GetBotsRequest) -> fb.GetBotsResponse:
    opts = req.options
    limit, offset = paging(opts.page, opts.per_page)
    sql = "SELECT b.user_id FROM bots b JOIN users u ON u.id=b.user_id WHERE 1=1"
    args: list[object] = []
    if opts.owner_id:
        sql, args = sql + " AND b.owner_id=?", [opts.owner_id]
    if not opts.include_deleted:
        sql += " AND u.delete_at=0"
    if opts.only_orphaned:  # owner is not an active user (e.g. a removed user)
        sql += " AND NOT EXISTS (SELECT 1 FROM users o WHERE o.id=b.owner_id AND o.delete_at=0)"
    sql += " ORDER BY u.username LIMIT ? OFFSET ?"
    with ctx.store.read() as db:
        ids = [r[0] for r in db.execute(sql, (*args, limit, offset)).fetchall()]
        return fb.GetBotsResponse(bots=[get_bot(db, uid) for uid in ids])


def patch_bot(ctx: ApiContext, user_id: str, patch: fb.BotPatch) -> fb.Bot:
    with ctx.store.tx() as db:
        bot = get_bot(db, user_id)
        for field in ("username", "display_name", "description"):
            if patch.HasField(field):
                setattr(bot, field, getattr(patch, field))
        bot.username = bot.username.lower()
        validate_bot(bot)
        user = conv.user_from_row(
            db.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
        )
        user.username, user.first_name = bot.username, bot.display_name
        user.bot_description = bot.description
        validate_user(user)
        check_unique(db, user)
        bot.update_at = user.update_at = ctx.now()
        db.execute(*conv.update_sql("users", conv.user_to_row(user), ["id"]))
        _save(db, bot)
    return bot


@emulates("PatchBot")
def patch_bot_rpc(ctx: ApiContext, req: fb.PatchBotRequest) -> fb.PatchBotResponse:
    require_id(req.bot_user_id, "bot_user_id")
    return fb.PatchBotResponse(bot=patch_bot(ctx, req.bot_user_id, req.bot_patch))


@emulates("UpdateBotActive")
def update_bot_active(
    ctx: ApiContext, req: fb.UpdateBotActiveRequest
) -> fb.UpdateBotActiveResponse:
    require_id(req.bot_user_id, "bot_user_id")
    with ctx.store.tx() as db:
        bot = get_bot(db, req.bot_user_id)
        now = ctx.now()
        if bool(bot.delete_at) == req.active:  # a change: (de)activate the user and the bot
            user = conv.user_from_row(
                db.execute("SELECT * FROM users WHERE id=?", (bot.user_id,)).fetchone()
            )
            user.delete_at = 0 if req.active else now
            user.update_at = bot.update_at = now
            bot.delete_at = user.delete_at
            db.execute(*conv.update_sql("users", conv.user_to_row(user), ["id"]))
            _save(db, bot)
    return fb.UpdateBotActiveResponse(bot=bot)


@emulates("PermanentDeleteBot")
def permanent_delete_bot(
    ctx: ApiContext, req: fb.PermanentDeleteBotRequest
) -> fb.PermanentDeleteBotResponse:
    require_id(req.bot_user_id, "bot_user_id")
    with ctx.store.tx() as db:
        get_bot(db, req.bot_user_id)
        db.execute("DELETE FROM bots WHERE user_id=?", (req.bot_user_id,))
        db.execute("DELETE FROM users WHERE id=?", (req.bot_user_id,))
    return fb.PermanentDeleteBotResponse()


def _remember(ctx: ApiContext, user_id: str) -> None:
    with ctx.store.tx() as db:
        db.execute(
            "INSERT INTO kv(plugin_id, key, value, expire_at) VALUES(?,?,?,0) "
            "ON CONFLICT(plugin_id, key) DO UPDATE SET value=excluded.value, "
            "expire_at=0",
            (ctx.plugin_id, BOT_ID_KEY, user_id.encode()),
        )


@emulates("EnsureBotUser")
def ensure_bot_user(ctx: ApiContext, req: fb.EnsureBotUserRequest) -> fb.EnsureBotUserResponse:
    bot = req.bot
    if not bot.username:
        raise ApiFailure(
            400,
            "plugin.api.ensure_bot_user.username_required",
            "EnsureBotUser needs the bot's Username.",
        )
    with ctx.store.read() as db:
        row = db.execute(
            "SELECT value FROM kv WHERE plugin_id=? AND key=?", (ctx.plugin_id, BOT_ID_KEY)
        ).fetchone()
        known = find_bot(db, bytes(row[0]).decode()) if row is not None else None
        user = db.execute(
            "SELECT id, is_bot FROM users WHERE username=?", (bot.username.lower(),)
        ).fetchone()
    if known is not None:  # keep the bot in step with what the plugin asks for now
        patch = fb.BotPatch(
            username=bot.username, display_name=bot.display_name, description=bot.description
        )
        return fb.EnsureBotUserResponse(bot_user_id=patch_bot(ctx, known.user_id, patch).user_id)
    if user is not None:
        if user["is_bot"]:
            _remember(ctx, user["id"])
        else:
            ctx.log(
                "error",
                "EnsureBotUser: this username belongs to a regular user, not a bot; "
                "returning that user's id. Convert the account to a bot or choose another "
                "bot username.",
                {"plugin_id": ctx.plugin_id, "username": bot.username},
            )
        return fb.EnsureBotUserResponse(bot_user_id=user["id"])
    made = create_bot(ctx, bot)
    _remember(ctx, made.user_id)
    return fb.EnsureBotUserResponse(bot_user_id=made.user_id)
