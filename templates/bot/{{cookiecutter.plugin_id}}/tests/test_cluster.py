"""The bot on a cluster of 3 nodes (mmplug's `cluster` fixture: the plugin runs once per node over
one store, as in a high-availability deployment) and over 30 days of the host's clock."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from mmplug.testing import PostRejected

BOT = "{{cookiecutter.__bot_username}}"


def test_counts_are_exact_with_three_nodes_at_once(cluster):
    alice, bob = cluster.as_user("alice"), cluster.as_user("bob")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: (alice if n % 2 else bob).post("town-square", f"message {n}"),
                      range(30)))
    assert cluster.kv_get_json("stats:seen") == 30
    day = cluster.clock.now().date().isoformat()
    posters = cluster.kv_get_json(f"posters:{day}")
    assert posters == {cluster.world.user("alice").id: 15, cluster.world.user("bob").id: 15}
    cluster.assert_no_races()  # no read-then-write of a key another node writes too


def test_thirty_days_give_one_report_a_day(cluster):
    town = cluster.world.channel("town-square")
    for day in range(30):
        cluster.as_user("alice").post("town-square", f"day {day}")
        cluster.clock.advance(days=1)  # the report job runs at 00:00 UTC, on one node
    bot = cluster.world.user(BOT).id
    reports = [p.message for p in cluster.posts(town.id)
               if p.user_id == bot and p.message.startswith("Daily report")]
    assert len(reports) == 30 and len({r.split(":")[0] for r in reports}) == 30
    assert reports[0].endswith(": 1 message(s), 0 blocked. Most active: @alice (1).")
    # each day's keys went with its report: the store does not grow day after day
    assert not [k for k in cluster.kv_keys() if k.startswith(("stats:seen:", "posters:"))]
    cluster.assert_no_races()


def test_a_quiet_day_gives_no_report_and_blocked_messages_count(cluster):
    town = cluster.world.channel("town-square")
    cluster.clock.advance(days=1)  # nothing happened yesterday: nothing to say
    with pytest.raises(PostRejected):
        cluster.post_as("bob", "town-square", "badword")
    cluster.as_user("alice").post("town-square", "hello")
    cluster.clock.advance(days=1)
    bot = cluster.world.user(BOT).id
    reports = [p.message for p in cluster.posts(town.id) if p.user_id == bot]
    assert len(reports) == 1 and reports[0].endswith(": 1 message(s), 1 blocked. "
                                                     "Most active: @alice (1).")
