"""Server parity of the bot rpcs (bots.py)."""

from __future__ import annotations

import itertools

import pytest
from test_parity_users import create, error
from worldhost import PLUGIN_ID, Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_user_team_pb2 as pb

_n = itertools.count()
BOT_GO = "server/channels/app/bot.go"
MODEL_BOT_GO = "server/public/model/bot.go"
PLUGIN_API_GO = "server/channels/app/plugin_api.go"
BOT_STORE_GO = "server/channels/store/sqlstore/bot_store.go"


def make(host: Host, prefix: str = "pbot", **fields: object) -> fb.CreateBotResponse:
    name = fields.pop("username", None) or f"{prefix}{next(_n)}"
    bot = fb.Bot(username=name, **fields)  # type: ignore[arg-type]
    return host.api.CreateBot(fb.CreateBotRequest(bot=bot))


def ensure(host: Host, **fields: object) -> fb.EnsureBotUserResponse:
    return host.api.EnsureBotUser(fb.EnsureBotUserRequest(bot=fb.Bot(**fields)))  # type: ignore[arg-type]


def forget_remembered_bot(host: Host) -> None:
    with host.store.tx() as db:
        db.execute("DELETE FROM kv WHERE plugin_id=? AND key='mmi_botid'", (PLUGIN_ID,))


# -- create ------------------------------------------------------------------------------
@pytest.mark.parity("CreateBot", f"{MODEL_BOT_GO}: (*Bot).IsValidCreate")
def test_create_bot_refuses_an_upper_case_username(host: Host) -> None:
    """The bot's username is checked as given: `Builder` is a 400
    `model.bot.is_valid.username.app_error` (it is not lower-cased first)."""
    rsp = make(host, username="Builder")
    assert error(rsp) == (400, "model.bot.is_valid.username.app_error")


@pytest.mark.parity("CreateBot", f"{MODEL_BOT_GO}: (*Bot).IsValidCreate")
def test_create_bot_with_a_long_display_name_reports_user_id(host: Host) -> None:
    """A display name over 64 characters is a 400 with the id the server uses for it,
    `model.bot.is_valid.user_id.app_error`."""
    rsp = make(host, display_name="x" * 65)
    assert error(rsp) == (400, "model.bot.is_valid.user_id.app_error")


@pytest.mark.parity("CreateBot", f"{PLUGIN_API_GO}: CreateBot")
def test_a_bot_cannot_own_a_bot(host: Host) -> None:
    """An owner who is a bot is a 400 `plugin_api.bot_cant_create_bot`."""
    rsp = make(host, owner_id=host.user("helper-bot"))
    assert error(rsp) == (400, "plugin_api.bot_cant_create_bot")


@pytest.mark.parity("CreateBot", f"{PLUGIN_API_GO}: CreateBot; {MODEL_BOT_GO}: UserFromBot")
def test_create_bot_is_owned_by_the_plugin_and_has_a_localhost_email(host: Host) -> None:
    """Without an owner the plugin owns the bot; its user's email is `<username>@localhost`."""
    bot = make(host).bot
    assert bot.owner_id == PLUGIN_ID
    user = host.api.GetUser(pb.GetUserRequest(user_id=bot.user_id)).user
    assert user.is_bot and user.email == f"{bot.username}@localhost"


@pytest.mark.parity("CreateBot", f"{BOT_GO}: (*App).CreateBot")
def test_create_bot_tells_a_user_owner_in_a_direct_message(quiet_host: Host) -> None:
    """When a person owns the new bot, the bot sends them an `add_bot_teams_channels` post in
    their direct channel (and the post hooks run for it)."""
    host = quiet_host
    owner = host.user("bob")
    bot = make(host, owner_id=owner).bot
    channel = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=owner, user_id_2=bot.user_id)
    ).channel
    posts = host.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel.id, per_page=10)
    ).post_list
    (post,) = posts.posts.values()
    assert (post.type, post.user_id) == ("add_bot_teams_channels", bot.user_id)
    assert host.hooks.named("MessageHasBeenPosted")


@pytest.mark.parity("CreateBot", f"{BOT_GO}: (*App).CreateBot")
def test_create_bot_with_a_taken_username_is_username_exists(host: Host) -> None:
    """A username any user has is a 400 `app.user.save.username_exists.app_error`."""
    assert error(make(host, username="alice")) == (400, "app.user.save.username_exists.app_error")


# -- get ---------------------------------------------------------------------------------
@pytest.mark.parity("GetBot", f"{BOT_GO}: (*App).GetBot")
def test_get_bot_of_any_unknown_id_is_404(host: Host) -> None:
    """Any id that is no bot, even a malformed one, is a 404
    `store.sql_bot.get.missing.app_error`."""
    for bot_id in ("nope", host.user("alice")):
        rsp = host.api.GetBot(fb.GetBotRequest(bot_user_id=bot_id))
        assert error(rsp) == (404, "store.sql_bot.get.missing.app_error")


@pytest.mark.parity("GetBot", f"{BOT_STORE_GO}: (SqlBotStore).Get")
def test_get_bot_hides_a_deactivated_bot_unless_asked(host: Host) -> None:
    """A deactivated bot is a 404 unless `include_deleted`."""
    bot = make(host).bot
    host.api.UpdateBotActive(fb.UpdateBotActiveRequest(bot_user_id=bot.user_id, active=False))
    assert error(host.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id)))[0] == 404
    shown = host.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id, include_deleted=True))
    assert shown.bot.delete_at > 0


@pytest.mark.parity("GetBot", f"{BOT_STORE_GO}: (SqlBotStore).Get")
def test_a_bot_whose_user_is_deactivated_is_still_active(host: Host) -> None:
    """The bot's own `delete_at` counts: deactivating only its user (UpdateUserActive)
    leaves the bot active."""
    bot = make(host).bot
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=bot.user_id, active=False))
    rsp = host.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id))
    assert not rsp.error.id and rsp.bot.delete_at == 0


@pytest.mark.parity("GetBots", f"{BOT_STORE_GO}: (SqlBotStore).GetAll")
def test_get_bots_with_per_page_zero_is_empty(host: Host) -> None:
    """`per_page` 0 is `LIMIT 0`: no bots."""
    rsp = host.api.GetBots(fb.GetBotsRequest(options=fb.BotGetOptions(per_page=0)))
    assert not rsp.error.id and list(rsp.bots) == []


@pytest.mark.parity("GetBots", f"{BOT_STORE_GO}: (SqlBotStore).GetAll")
def test_get_bots_lists_the_oldest_first(host: Host) -> None:
    """Bots come in the order they were created, not by name."""
    later, earlier = make(host, "zz-first").bot, make(host, "aa-second").bot
    rsp = host.api.GetBots(
        fb.GetBotsRequest(options=fb.BotGetOptions(owner_id=PLUGIN_ID, per_page=500))
    )
    ids = [b.user_id for b in rsp.bots]
    assert ids.index(later.user_id) < ids.index(earlier.user_id)


@pytest.mark.parity("GetBots", f"{BOT_STORE_GO}: (SqlBotStore).GetAll")
def test_orphaned_bots_have_a_deactivated_owner(host: Host) -> None:
    """`only_orphaned` lists bots whose owner is a deactivated user; a plugin's bots are not
    orphans."""
    owner = create(host)
    orphan = make(host, owner_id=owner.id).bot
    plugins = make(host).bot
    host.api.UpdateUserActive(pb.UpdateUserActiveRequest(user_id=owner.id, active=False))
    rsp = host.api.GetBots(
        fb.GetBotsRequest(
            options=fb.BotGetOptions(only_orphaned=True, include_deleted=True, per_page=500)
        )
    )
    ids = [b.user_id for b in rsp.bots]
    assert orphan.user_id in ids and plugins.user_id not in ids


# -- patch, activate, delete -------------------------------------------------------------
@pytest.mark.parity("PatchBot", f"{BOT_GO}: (*App).PatchBot; {MODEL_BOT_GO}: (*Bot).WouldPatch")
def test_patch_bot_without_a_change_leaves_it_alone(host: Host) -> None:
    """A patch that changes nothing does not touch the bot (`update_at` stays)."""
    bot = make(host, display_name="Same").bot
    patch = fb.BotPatch(display_name="Same")
    rsp = host.api.PatchBot(fb.PatchBotRequest(bot_user_id=bot.user_id, bot_patch=patch))
    assert rsp.bot.update_at == bot.update_at


@pytest.mark.parity("PatchBot", f"{BOT_GO}: (*App).PatchBot")
def test_patch_bot_rename_moves_the_email_along(host: Host) -> None:
    """Renaming a bot renames its user, whose email becomes `<new name>@localhost`."""
    bot = make(host).bot
    name = f"renamed{next(_n)}"
    host.api.PatchBot(
        fb.PatchBotRequest(bot_user_id=bot.user_id, bot_patch=fb.BotPatch(username=name))
    )
    user = host.api.GetUser(pb.GetUserRequest(user_id=bot.user_id)).user
    assert (user.username, user.email) == (name, f"{name}@localhost")


@pytest.mark.parity("PatchBot", f"{BOT_GO}: (*App).PatchBot")
def test_patch_bot_of_an_unknown_id_is_404(host: Host) -> None:
    """Patching a bot that does not exist is a 404 `store.sql_bot.get.missing.app_error`."""
    rsp = host.api.PatchBot(
        fb.PatchBotRequest(bot_user_id="x" * 26, bot_patch=fb.BotPatch(display_name="x"))
    )
    assert error(rsp) == (404, "store.sql_bot.get.missing.app_error")


@pytest.mark.parity("UpdateBotActive", f"{BOT_GO}: (*App).UpdateBotActive")
def test_update_bot_active_of_a_missing_user_is_404_missing_account(host: Host) -> None:
    """For an id with no user the 404 is the user's: `app.user.missing_account.const`."""
    rsp = host.api.UpdateBotActive(fb.UpdateBotActiveRequest(bot_user_id="x" * 26, active=True))
    assert error(rsp) == (404, "app.user.missing_account.const")


@pytest.mark.parity(
    "UpdateBotActive",
    f"{BOT_GO}: (*App).UpdateBotActive; server/channels/app/user.go: (*App).UpdateActive",
)
def test_deactivating_a_bot_fires_user_has_been_deactivated(quiet_host: Host) -> None:
    """Deactivating a bot deactivates its user the server's way, hook included."""
    host = quiet_host
    bot = make(host).bot
    host.api.UpdateBotActive(fb.UpdateBotActiveRequest(bot_user_id=bot.user_id, active=False))
    assert [r.user.id for r in host.hooks.named("UserHasBeenDeactivated")] == [bot.user_id]  # type: ignore[attr-defined]


@pytest.mark.parity("PermanentDeleteBot", f"{BOT_GO}: (*App).PermanentDeleteBot")
def test_permanent_delete_of_an_unknown_bot_is_no_error(host: Host) -> None:
    """Deleting an id that is no bot succeeds (nothing matches); a real bot and its user
    are gone."""
    rsp = host.api.PermanentDeleteBot(fb.PermanentDeleteBotRequest(bot_user_id="x" * 26))
    assert not rsp.error.id
    bot = make(host).bot
    host.api.PermanentDeleteBot(fb.PermanentDeleteBotRequest(bot_user_id=bot.user_id))
    assert error(host.api.GetUser(pb.GetUserRequest(user_id=bot.user_id)))[0] == 404


# -- EnsureBotUser -----------------------------------------------------------------------
@pytest.mark.parity("EnsureBotUser", f"{BOT_GO}: (*App).EnsureBot")
def test_ensure_bot_user_without_a_username_is_an_internal_error(host: Host) -> None:
    """No username is a plain error on the server, which reaches the plugin as a 500."""
    assert ensure(host).error.status_code == 500


@pytest.mark.parity(
    "EnsureBotUser",
    f"{BOT_GO}: (*App).EnsureBot; {MODEL_BOT_GO}: (*Bot).IsValidCreate",
)
def test_ensure_bot_user_with_an_upper_case_username_fails(host: Host) -> None:
    """A new bot named in upper case cannot be created: an internal error without an AppError
    id (the server wraps the bot's validation error), whose text says why."""
    forget_remembered_bot(host)
    rsp = ensure(host, username="LoudBot")
    assert error(rsp) == (500, "grpc.internal")
    assert rsp.error.message.startswith("internal error: failed to create bot: ")


@pytest.mark.parity("EnsureBotUser", f"{PLUGIN_API_GO}: EnsureBotUser")
def test_ensure_bot_user_always_makes_the_plugin_the_owner(host: Host) -> None:
    """The owner a plugin names is replaced by the plugin itself."""
    forget_remembered_bot(host)
    rsp = ensure(host, username=f"owned{next(_n)}", owner_id=host.user("alice"))
    bot = host.api.GetBot(fb.GetBotRequest(bot_user_id=rsp.bot_user_id)).bot
    assert bot.owner_id == PLUGIN_ID


@pytest.mark.parity("EnsureBotUser", f"{BOT_GO}: (*App).EnsureBot")
def test_ensure_bot_user_keeps_a_deactivated_remembered_bot(host: Host) -> None:
    """The bot remembered in `mmi_botid` is patched and returned even when deactivated; it
    is not reactivated."""
    forget_remembered_bot(host)
    name = f"kept{next(_n)}"
    first = ensure(host, username=name, display_name="One").bot_user_id
    host.api.UpdateBotActive(fb.UpdateBotActiveRequest(bot_user_id=first, active=False))
    again = ensure(host, username=name, display_name="Two")
    assert again.bot_user_id == first
    bot = host.api.GetBot(fb.GetBotRequest(bot_user_id=first, include_deleted=True)).bot
    assert (bot.display_name, bot.delete_at > 0) == ("Two", True)


@pytest.mark.parity("EnsureBotUser", f"{BOT_GO}: (*App).EnsureBot")
def test_ensure_bot_user_with_a_person_s_username_returns_that_person(host: Host) -> None:
    """A username that belongs to a person returns that person's id (and logs an error);
    nothing is remembered."""
    forget_remembered_bot(host)
    host.logs.clear()
    rsp = ensure(host, username="bob")
    assert rsp.bot_user_id == host.user("bob")
    assert [level for level, _, _ in host.logs] == ["error"]
    with host.store.read() as db:
        assert db.execute("SELECT 1 FROM kv WHERE key='mmi_botid'").fetchone() is None
