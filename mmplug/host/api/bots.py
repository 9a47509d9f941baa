"""Bots: each bot is a user (``users``, is_bot) plus a ``bots`` row with its own
``delete_at``, as in the server (``server/channels/app/bot.go``, ``model/bot.go``).
EnsureBotUser follows the server: the plugin's ``mmi_botid`` KV key, then an existing user,
then a new bot."""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _convert as conv
from mmplug.host.api._commands import plain_error
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.users import (
    check_unique,
    fill_new_user,
    find_user,
    missing_user,
    set_active,
    store_update,
    user_updated_event,
    valid_username,
    validate_user,
)
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import post_pb2, user_pb2

BOT_ID_KEY = "mmi_botid"
DISPLAY_NAME_MAX, DESCRIPTION_MAX, OWNER_MAX = 64, 1024, 190
ADD_TO_TEAMS_MESSAGE = (
    "Please add me to teams and channels you want me to interact in. To do this, use the "
    "browser or Mattermost Desktop App."
)


def _invalid(field: str, bot: fb.Bot) -> ApiFailure:
    return ApiFailure(
        400,
        f"model.bot.is_valid.{field}.app_error",
        f"Invalid {field.replace('_', ' ')}.",
        detailed_error=f"user_id={bot.user_id} username={bot.username!r}",
        where="Bot.IsValid",
    )


def validate_bot(bot: fb.Bot) -> None:
    """The server's ``Bot.IsValidCreate``, on the name as given (upper case is invalid); a
    display name that is too long reports ``user_id``, as the server does."""
    if not valid_username(bot.username):
        raise _invalid("username", bot)
    if len(bot.display_name) > DISPLAY_NAME_MAX:
        raise _invalid("user_id", bot)
    if len(bot.description) > DESCRIPTION_MAX:
        raise _invalid("description", bot)
    if not 1 <= len(bot.owner_id) <= OWNER_MAX:
        raise _invalid("creator_id", bot)


def find_bot(db: sqlite3.Connection, user_id: str, include_deleted: bool = True) -> fb.Bot | None:
    """The bot with its user's current username and display name (the server joins them)."""
    row = db.execute(
        "SELECT b.data, u.data AS user_data FROM bots b JOIN users u ON u.id=b.user_id "
        "WHERE b.user_id=?",
        (user_id,),
    ).fetchone()
    if row is None:
        return None
    bot = load(fb.Bot, row["data"])
    if bot.delete_at and not include_deleted:
        return None
    user = conv.from_json(user_pb2.User, row["user_data"])
    bot.username, bot.display_name = user.username, user.first_name
    return bot


def bot_missing(user_id: str) -> ApiFailure:
    return ApiFailure(
        404,
        "store.sql_bot.get.missing.app_error",
        "Bot does not exist.",
        detailed_error=f"user_id={user_id}",
        where="SqlBotStore.Get",
        params={"user_id": user_id},
    )


def get_bot(db: sqlite3.Connection, user_id: str, include_deleted: bool = True) -> fb.Bot:
    bot = find_bot(db, user_id, include_deleted)
    if bot is None:
        raise bot_missing(user_id)
    return bot


def _save(db: sqlite3.Connection, bot: fb.Bot) -> None:
    db.execute(
        "INSERT INTO bots(user_id, owner_id, data) VALUES(?,?,?) ON CONFLICT(user_id) "
        "DO UPDATE SET owner_id=excluded.owner_id, data=excluded.data",
        (bot.user_id, bot.owner_id, dump(bot)),
    )


def create_bot(ctx: ApiContext, bot: fb.Bot) -> fb.Bot:
    """The server's ``App.CreateBot``: validate, save the bot user and the bot, then tell an
    owner who is a user (not a plugin) to add the bot to teams, in a direct message."""
    validate_bot(bot)
    made = fb.Bot()
    made.CopyFrom(bot)
    made.username = made.username.lower()
    with ctx.store.tx() as db:
        made.user_id = ctx.new_id()
        user = user_pb2.User(
            id=made.user_id,
            username=made.username,
            email=f"{made.username}@localhost",
            first_name=made.display_name,
            roles="system_user",
            is_bot=True,
            bot_description=made.description,
        )
        fill_new_user(user, ctx.now())
        validate_user(user)
        check_unique(db, user)
        db.execute(*conv.insert_sql("users", conv.user_to_row(user)))
        made.create_at = made.update_at = user.create_at
        made.delete_at = 0
        _save(db, made)
        owner = find_user(db, made.owner_id)
    if owner is not None:
        _tell_owner(ctx, made, owner)
    return made


def _tell_owner(ctx: ApiContext, bot: fb.Bot, owner: user_pb2.User) -> None:
    from mmplug.host.api.direct_channels import get_direct_channel  # channels build on users
    from mmplug.host.api.posts import create_post
    from mmplug.protocol import api_channel_post_pb2 as cp

    rsp = get_direct_channel(
        ctx, cp.GetDirectChannelRequest(user_id_1=bot.user_id, user_id_2=owner.id)
    )
    post = post_pb2.Post(
        type="add_bot_teams_channels",
        user_id=bot.user_id,
        channel_id=rsp.channel.id,
        message=ADD_TO_TEAMS_MESSAGE,
    )
    create_post(ctx, post)


@emulates("CreateBot")
def create_bot_rpc(ctx: ApiContext, req: fb.CreateBotRequest) -> fb.CreateBotResponse:
    """The plugin API's CreateBot: the owner defaults to the plugin, and may not be a bot."""
    bot = fb.Bot()
    bot.CopyFrom(req.bot)
    bot.owner_id = bot.owner_id or ctx.plugin_id
    with ctx.store.read() as db:
        owner = find_user(db, bot.owner_id)
    if owner is not None and owner.is_bot:
        raise ApiFailure(
            400,
            "plugin_api.bot_cant_create_bot",
            "Bot user cannot create bot user.",
            detailed_error=f"owner_id={bot.owner_id} is a bot",
        )
    return fb.CreateBotResponse(bot=create_bot(ctx, bot))


@emulates("GetBot")
def get_bot_rpc(ctx: ApiContext, req: fb.GetBotRequest) -> fb.GetBotResponse:
    with ctx.store.read() as db:
        return fb.GetBotResponse(bot=get_bot(db, req.bot_user_id, req.include_deleted))


@emulates("GetBots")
def get_bots(ctx: ApiContext, req: fb.GetBotsRequest) -> fb.GetBotsResponse:
    """The server's bot store: oldest first, ``per_page`` rows (0 gives none); an orphan's
    owner is a deactivated user (a plugin is no user, so its bots are never orphans)."""
    opts = req.options
    if opts.page < 0 or opts.per_page < 0:
        raise ApiFailure(
            500,
            "app.bot.getbots.internal_error",
            "Unable to get the bots.",
            detailed_error=f"page={opts.page} per_page={opts.per_page}: negative",
        )
    sql = "SELECT b.user_id FROM bots b JOIN users u ON u.id=b.user_id"
    where: list[str] = []
    args: list[object] = []
    if opts.only_orphaned:
        sql += " JOIN users o ON o.id=b.owner_id"
        where.append("o.delete_at != 0")
    if not opts.include_deleted:
        where.append("coalesce(json_extract(b.data, '$.delete_at'), 0) = 0")
    if opts.owner_id:
        where.append("b.owner_id=?")
        args.append(opts.owner_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY coalesce(json_extract(b.data, '$.create_at'), 0), u.username LIMIT ? OFFSET ?"
    with ctx.store.read() as db:
        rows = db.execute(sql, (*args, opts.per_page, opts.page * opts.per_page)).fetchall()
        return fb.GetBotsResponse(bots=[get_bot(db, r[0]) for r in rows])


def patch_bot(ctx: ApiContext, user_id: str, patch: fb.BotPatch) -> fb.Bot:
    """The server's ``PatchBot``: nothing happens unless a field changes; the bot user is
    renamed (its email follows) and checked as a user first, then the bot as a bot."""
    with ctx.store.tx() as db:
        bot = get_bot(db, user_id)
        changed = any(
            patch.HasField(f) and getattr(patch, f) != getattr(bot, f)
            for f in ("username", "display_name", "description")
        )
        if not changed:
            return bot
        for field in ("username", "display_name", "description"):
            if patch.HasField(field):
                setattr(bot, field, getattr(patch, field))
        user = find_user(db, user_id)
        if user is None:
            raise missing_user(user_id)
        user.username, user.first_name = bot.username, bot.display_name
        user.email = f"{bot.username}@localhost".lower()
        store_update(db, user, ctx.now(), trusted=True)
    user_updated_event(ctx, user)
    with ctx.store.tx() as db:
        # The bot row is checked after the user was saved, as on the server: a name in upper
        # case renames the user but fails here.
        validate_bot(bot)
        bot.username = user.username
        bot.update_at = ctx.now()
        _save(db, bot)
        db.execute(
            "UPDATE users SET data=json_set(data, '$.bot_description', ?) WHERE id=?",
            (bot.description, user_id),
        )
    return bot


@emulates("PatchBot")
def patch_bot_rpc(ctx: ApiContext, req: fb.PatchBotRequest) -> fb.PatchBotResponse:
    return fb.PatchBotResponse(bot=patch_bot(ctx, req.bot_user_id, req.bot_patch))


def set_bot_active(ctx: ApiContext, bot_user_id: str, active: bool) -> fb.Bot:
    """The server's ``UpdateBotActive``: (de)activate the user as ``UpdateUserActive`` does,
    then the bot row (a user who is no bot is still (de)activated before the 404)."""
    with ctx.store.read() as db:
        user = find_user(db, bot_user_id)
    if user is None:
        raise missing_user(bot_user_id)
    set_active(ctx, user, active)
    with ctx.store.tx() as db:
        bot = get_bot(db, bot_user_id)
        if bool(bot.delete_at) == active:
            bot.delete_at = 0 if active else ctx.now()
            bot.update_at = ctx.now()
            _save(db, bot)
    return bot


@emulates("UpdateBotActive")
def update_bot_active(
    ctx: ApiContext, req: fb.UpdateBotActiveRequest
) -> fb.UpdateBotActiveResponse:
    return fb.UpdateBotActiveResponse(bot=set_bot_active(ctx, req.bot_user_id, req.active))


@emulates("PermanentDeleteBot")
def permanent_delete_bot(
    ctx: ApiContext, req: fb.PermanentDeleteBotRequest
) -> fb.PermanentDeleteBotResponse:
    """Deletes the bot row and the user row with that id; an unknown id is no error (the
    server's two DELETE statements simply match nothing)."""
    with ctx.store.tx() as db:
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


def _plain_error(message: str, cause: ApiFailure | None = None) -> ApiFailure:
    """EnsureBotUser returns a Go ``error``, not an AppError: over gRPC it is an internal
    error whose text is ``message``, then the text of the AppError it wraps (where: message,
    detailed error), without an id."""
    if cause is not None:
        where = f"{cause.where}: " if cause.where else ""
        detail = f", {cause.detailed_error}" if cause.detailed_error else ""
        message = f"{message}: {where}{cause.message}{detail}"
    return plain_error(message, "EnsureBotUser")


@emulates("EnsureBotUser")
def ensure_bot_user(ctx: ApiContext, req: fb.EnsureBotUserRequest) -> fb.EnsureBotUserResponse:
    """The server's ``EnsureBot``, with the plugin as the owner of a new bot."""
    bot = fb.Bot()
    bot.CopyFrom(req.bot)
    bot.owner_id = ctx.plugin_id
    if not bot.username:
        raise _plain_error("passed a bot with no username")
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
        try:
            patch_bot(ctx, known.user_id, patch)
        except ApiFailure as failure:
            raise _plain_error("failed to patch bot", failure) from None
        return fb.EnsureBotUserResponse(bot_user_id=known.user_id)
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
    try:
        made = create_bot(ctx, bot)
    except ApiFailure as failure:
        raise _plain_error("failed to create bot", failure) from None
    _remember(ctx, made.user_id)
    return fb.EnsureBotUserResponse(bot_user_id=made.user_id)
