"""Bots over real gRPC: create/get/list/patch/(de)activate/delete, EnsureBotUser."""

from __future__ import annotations

from apiworld import PLUGIN_ID, World

from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol.user_pb2 import User as ut_user


def make(world: World, username: str, **fields: object) -> fb.CreateBotResponse:
    return world.api.CreateBot(fb.CreateBotRequest(bot=fb.Bot(username=username, **fields)))  # type: ignore[arg-type]


def test_create_bot_makes_a_bot_user_owned_by_the_plugin(world: World) -> None:
    rsp = make(world, "builder-bot", display_name="Builder", description="builds")
    assert not rsp.HasField("error")
    bot = rsp.bot
    assert bot.username == "builder-bot" and bot.owner_id == PLUGIN_ID and bot.create_at > 0
    user = world.api.GetUser(ut.GetUserRequest(user_id=bot.user_id)).user
    assert user.is_bot and user.username == "builder-bot" and user.email == "builder-bot@localhost"
    assert world.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id)).bot == bot


def test_bot_username_must_be_valid_and_free(world: World) -> None:
    assert make(world, "has space").error.id == "model.bot.is_valid.username.app_error"
    assert make(world, "alice").error.id == "app.user.save.username_exists.app_error"
    long_name = make(world, "okname", display_name="x" * 65)
    assert long_name.error.id == "model.bot.is_valid.user_id.app_error"  # sic: the server's id
    assert make(world, "Upper").error.id == "model.bot.is_valid.username.app_error"


def test_unknown_bot_is_404(world: World) -> None:
    rsp = world.api.GetBot(fb.GetBotRequest(bot_user_id=world.users["alice"]))
    assert rsp.error.id == "store.sql_bot.get.missing.app_error"


def test_patch_bot_renames_bot_and_user(world: World) -> None:
    bot = make(world, "patchy").bot
    rsp = world.api.PatchBot(
        fb.PatchBotRequest(
            bot_user_id=bot.user_id, bot_patch=fb.BotPatch(username="patched", description="new")
        )
    )
    assert rsp.bot.username == "patched" and rsp.bot.description == "new"
    assert rsp.bot.display_name == bot.display_name
    user = world.api.GetUser(ut.GetUserRequest(user_id=bot.user_id)).user
    assert user.username == "patched"


def test_deactivated_bots_are_hidden_unless_asked(world: World) -> None:
    bot = make(world, "sleepy").bot
    off = world.api.UpdateBotActive(
        fb.UpdateBotActiveRequest(bot_user_id=bot.user_id, active=False)
    )
    assert off.bot.delete_at > 0
    hidden = world.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id))
    assert hidden.error.status_code == 404
    shown = world.api.GetBot(fb.GetBotRequest(bot_user_id=bot.user_id, include_deleted=True))
    assert shown.bot.delete_at > 0
    listed = world.api.GetBots(fb.GetBotsRequest(options=fb.BotGetOptions(per_page=200)))
    assert bot.user_id not in [b.user_id for b in listed.bots]
    on = world.api.UpdateBotActive(fb.UpdateBotActiveRequest(bot_user_id=bot.user_id, active=True))
    assert on.bot.delete_at == 0


def test_get_bots_filters_by_owner_and_orphans(world: World) -> None:
    owner = world.api.CreateUser(
        ut.CreateUserRequest(
            user=ut_user(username="bot-owner", email="owner@example.com", password="Passw0rd!")
        )
    ).user
    mine = make(world, "mine-bot").bot
    other = make(world, "owned-bot", owner_id=owner.id).bot
    by_owner = world.api.GetBots(
        fb.GetBotsRequest(options=fb.BotGetOptions(owner_id=owner.id, per_page=50))
    )
    assert [b.user_id for b in by_owner.bots] == [other.user_id]
    world.api.UpdateUserActive(ut.UpdateUserActiveRequest(user_id=owner.id, active=False))
    orphans = world.api.GetBots(
        fb.GetBotsRequest(
            options=fb.BotGetOptions(only_orphaned=True, include_deleted=True, per_page=200)
        )
    )
    ids = [b.user_id for b in orphans.bots]
    assert other.user_id in ids and mine.user_id not in ids  # a plugin is never a lost owner


def test_permanent_delete_removes_bot_and_user(world: World) -> None:
    bot = make(world, "gone-bot").bot
    assert not world.api.PermanentDeleteBot(
        fb.PermanentDeleteBotRequest(bot_user_id=bot.user_id)
    ).HasField("error")
    assert world.api.GetUser(ut.GetUserRequest(user_id=bot.user_id)).error.status_code == 404


def test_ensure_bot_user_creates_once_then_reuses_and_syncs(world: World) -> None:
    first = world.api.EnsureBotUser(
        fb.EnsureBotUserRequest(bot=fb.Bot(username="ensured", display_name="Ensured"))
    )
    assert len(first.bot_user_id) == 26
    second = world.api.EnsureBotUser(
        fb.EnsureBotUserRequest(bot=fb.Bot(username="ensured", display_name="Renamed"))
    )
    assert second.bot_user_id == first.bot_user_id
    bot = world.api.GetBot(fb.GetBotRequest(bot_user_id=first.bot_user_id)).bot
    assert bot.display_name == "Renamed"


def test_ensure_bot_user_adopts_an_existing_bot_and_returns_a_user(world: World) -> None:
    with world.store.tx() as db:  # a fresh plugin: no remembered bot id
        db.execute("DELETE FROM kv WHERE key='mmi_botid'")
    existing = make(world, "adoptable").bot
    adopted = world.api.EnsureBotUser(fb.EnsureBotUserRequest(bot=fb.Bot(username="adoptable")))
    assert adopted.bot_user_id == existing.user_id
    with world.store.tx() as db:
        db.execute("DELETE FROM kv WHERE key='mmi_botid'")
    plain = world.api.EnsureBotUser(fb.EnsureBotUserRequest(bot=fb.Bot(username="bob")))
    assert plain.bot_user_id == world.users["bob"]
    missing = world.api.EnsureBotUser(fb.EnsureBotUserRequest(bot=fb.Bot()))
    assert missing.error.status_code == 500  # a plain Go error on the server
