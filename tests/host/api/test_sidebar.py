"""Sidebar categories over real gRPC."""

from __future__ import annotations

from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp


def categories(world: World, user: str) -> dict[str, cp.SidebarCategoryWithChannels]:
    rsp = world.api.GetChannelSidebarCategories(
        cp.GetChannelSidebarCategoriesRequest(user_id=world.users[user], team_id=world.team_id)
    )
    assert list(rsp.categories.order) == [c.id for c in rsp.categories.categories]
    return {c.type if c.type != "custom" else c.display_name: c for c in rsp.categories.categories}


def test_defaults_hold_the_users_channels(world: World) -> None:
    cats = categories(world, "bob")
    assert list(cats) == ["favorites", "channels", "direct_messages"]
    bob = world.users["bob"]
    assert cats["channels"].id == f"channels_{bob}_{world.team_id}"
    assert world.channels["off-topic"] in cats["channels"].channel_ids
    assert list(cats["favorites"].channel_ids) == []


def test_custom_category_takes_channels_from_the_others(world: World) -> None:
    new = cp.SidebarCategoryWithChannels(
        display_name="Work", channel_ids=[world.channels["off-topic"]]
    )
    rsp = world.api.CreateChannelSidebarCategory(
        cp.CreateChannelSidebarCategoryRequest(
            user_id=world.users["alice"], team_id=world.team_id, new_category=new
        )
    )
    assert rsp.category.type == "custom" and len(rsp.category.id) == 26
    cats = categories(world, "alice")
    assert list(cats) == ["favorites", "Work", "channels", "direct_messages"]
    assert world.channels["off-topic"] not in cats["channels"].channel_ids
    off_team = world.api.CreateChannelSidebarCategory(
        cp.CreateChannelSidebarCategoryRequest(
            user_id=world.users["outsider"], team_id=world.team_id, new_category=new
        )
    )
    assert (off_team.error.status_code, off_team.error.id) == (
        404,
        "app.channel.sidebar_categories.app_error",
    )


def test_update_moves_a_channel_to_favorites(world: World) -> None:
    cats = categories(world, "admin")
    fav = cats["favorites"]
    fav.channel_ids.append(world.channels["secret"])
    fav.collapsed = True
    rsp = world.api.UpdateChannelSidebarCategories(
        cp.UpdateChannelSidebarCategoriesRequest(
            user_id=world.users["admin"], team_id=world.team_id, categories=[fav]
        )
    )
    assert list(rsp.categories[0].channel_ids) == [world.channels["secret"]]
    cats = categories(world, "admin")
    assert cats["favorites"].collapsed
    assert world.channels["secret"] not in cats["channels"].channel_ids
    unknown = cp.SidebarCategoryWithChannels(id=f"favorites_{world.users['outsider']}_x")
    missing = world.api.UpdateChannelSidebarCategories(
        cp.UpdateChannelSidebarCategoriesRequest(
            user_id=world.users["bob"], team_id=world.team_id, categories=[unknown]
        )
    )
    assert (missing.error.status_code, missing.error.id) == (
        500,
        "app.channel.sidebar_categories.app_error",
    )
