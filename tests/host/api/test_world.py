"""Worlds: loading, validation with precise errors, deterministic seeding, ids by name."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mmplug.errors import UsageError
from mmplug.host.store import Store
from mmplug.host.world import available_worlds, load_world, seed_store, world_info

ROOT = Path(__file__).resolve().parents[3]


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        "users",
        "teams",
        "team_members",
        "channels",
        "channel_members",
        "bots",
        "statuses",
        "preferences",
        "roles",
        "config",
        "meta",
    ]
    with store.read() as db:
        return {
            t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in tables
        }


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def default_doc() -> dict[str, Any]:
    return json.loads((ROOT / "fixtures" / "worlds" / "default.json").read_text())


def test_default_world_has_the_promised_entities() -> None:
    world = load_world("default")
    assert {u["username"] for u in world.users} >= {"admin", "alice", "bob", "helper-bot"}
    assert {c.get("name") for c in world.channels} >= {"town-square", "off-topic"}
    assert {c["type"] for c in world.channels} == {"O", "P", "D", "G"}
    assert {
        "system_admin",
        "system_user",
        "team_user",
        "team_admin",
        "channel_user",
        "channel_admin",
    } <= set(world.roles)
    assert world.config["ServiceSettings"]["SiteURL"]
    assert "Plugins" in world.config["PluginSettings"]
    assert world.server_version == "10.5.0"


def test_fixture_file_and_package_data_are_one_file() -> None:
    fixture = ROOT / "fixtures" / "worlds" / "default.json"
    package = ROOT / "mmplug" / "host" / "worlds" / "default.json"
    assert fixture.resolve() == package.resolve()
    assert "default" in available_worlds()


def test_world_loads_from_a_path(tmp_path: Path) -> None:
    assert load_world(write(tmp_path, default_doc())).seed == load_world("default").seed


def test_two_stores_seeded_from_one_world_are_identical() -> None:
    world = load_world("default")
    first, second = Store.open(), Store.open()
    assert seed_store(first, world) and seed_store(second, world)
    assert dump(first) == dump(second)
    assert world_info(first) == world_info(second)


def test_seeded_times_are_the_world_epoch() -> None:
    store = Store.open()
    world = load_world("default")
    seed_store(store, world)
    with store.read() as db:
        times = {r[0] for r in db.execute("SELECT json_extract(data, '$.create_at') FROM users")}
    assert {int(t) for t in times} == {world.epoch_ms}


def test_deterministic_clock_starts_at_the_epoch() -> None:
    store = Store.open()
    world = load_world("default")
    seed_store(store, world, deterministic_clock=True)
    assert store.now_ms() == world.epoch_ms


def test_seeding_twice_changes_nothing() -> None:
    store = Store.open()
    world = load_world("default")
    seed_store(store, world)
    before = dump(store)
    assert seed_store(store, world) is False
    assert dump(store) == before


def test_world_info_names_every_entity() -> None:
    store = Store.open()
    seed_store(store, load_world("default"))
    info = world_info(store)
    assert set(info.users) == {"admin", "alice", "bob", "helper-bot"}
    assert set(info.teams) == {"acme"}
    for name in (
        "town-square",
        "acme/off-topic",
        "secret-plans",
        "alice__bob",
        "admin__alice__bob",
    ):
        assert len(info.channels[name]) == 26


def test_direct_and_group_channel_names_follow_the_server() -> None:
    store = Store.open()
    seed_store(store, load_world("default"))
    info = world_info(store)
    ids = sorted([info.users["alice"], info.users["bob"]])
    group = sorted(info.users[n] for n in ("admin", "alice", "bob"))
    with store.read() as db:
        names = dict(db.execute("SELECT id, name FROM channels").fetchall())
    assert names[info.channels["alice__bob"]] == "__".join(ids)
    assert (
        names[info.channels["admin__alice__bob"]]
        == hashlib.sha1("".join(group).encode(), usedforsecurity=False).hexdigest()
    )


def test_bot_user_has_a_bot_row_owned_by_admin() -> None:
    store = Store.open()
    seed_store(store, load_world("default"))
    info = world_info(store)
    with store.read() as db:
        row = db.execute(
            "SELECT owner_id FROM bots WHERE user_id=?", (info.users["helper-bot"],)
        ).fetchone()
    assert row["owner_id"] == info.users["admin"]


def test_world_info_of_an_empty_store_says_how_to_seed() -> None:
    with pytest.raises(UsageError, match="holds no world") as err:
        world_info(Store.open())
    assert "seed_store" in err.value.hint


def test_unknown_world_name_lists_the_built_in_worlds() -> None:
    with pytest.raises(UsageError, match="no world named 'nowhere'") as err:
        load_world("nowhere")
    assert "default" in err.value.hint


def test_missing_world_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_world(tmp_path / "absent.json")


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"seed": "x",\n  "epoch_ms": ,}', encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad.json: not valid JSON at line 2, column 15"):
        load_world(path)


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.pop("seed"), "seed: missing"),
        (lambda d: d.update(epoch_ms="soon"), "epoch_ms: expected int"),
        (lambda d: d["users"][1].update(usrname="x"), "users[1]: not a valid User"),
        (lambda d: d["users"][0].update(id="abc"), "users[0].id: ids are not written"),
        (
            lambda d: d["channels"][2]["members"].append("mallory"),
            "channels[2].members[2]: unknown user 'mallory'",
        ),
        (lambda d: d["channels"][0].update(team="nope"), "channels[0].team: unknown team"),
        (
            lambda d: d["channels"][3]["members"].append("admin"),
            "channels[3].members: a direct channel has exactly two members",
        ),
        (lambda d: d["channels"][0].update(type="X"), "channels[0].type: expected one of"),
        (lambda d: d.update(extra=1), "extra: unknown key"),
        (lambda d: d["users"].append(dict(d["users"][0])), "users[4].username: duplicate"),
        (lambda d: d["roles"].update(team_user="all"), "roles.team_user: expected list"),
    ],
)
def test_bad_world_errors_name_the_json_path(tmp_path: Path, mutate: Any, where: str) -> None:
    doc = default_doc()
    mutate(doc)
    with pytest.raises(UsageError) as err:
        load_world(write(tmp_path, doc))
    assert where in err.value.message
    assert str(tmp_path) in err.value.message


def test_a_bad_world_points_to_a_default_world_that_exists(tmp_path: Path) -> None:
    """The hint names the default world where mmplug is installed (a pip install has no
    fixtures/ folder), and that file is there."""
    doc = default_doc()
    doc["users"][1]["usrname"] = "x"
    with pytest.raises(UsageError) as err:
        load_world(write(tmp_path, doc))
    hint = err.value.hint or ""
    named = Path(hint.rsplit(": ", 1)[-1].rstrip(")"))
    assert named.is_file() and named.name == "default.json", hint
    assert "fixtures/" not in hint


@pytest.mark.parametrize(
    ("section", "settings", "named"),
    [
        ("TeamSettings", {"MaxUsersPerTeam": 0},
         "TeamSettings.MaxUsersPerTeam must be greater than 0 "
         "(model.config.is_valid.max_users.app_error)"),
        ("ServiceSettings", {"SiteURL": "chat.example.com"},
         "ServiceSettings.SiteURL must be empty or an absolute URL"),
        ("PasswordSettings", {"MinimumLength": 3}, "PasswordSettings.MinimumLength"),
        ("TeamSettings", {"SiteName": 30}, "cannot unmarshal number into Go struct field "
                                           "TeamSettings.TeamSettings.SiteName of type string"),
        ("ServiceSettings", {"ReadTimeout": "slow"},
         "cannot unmarshal string into Go struct field ServiceSettings.ServiceSettings."
         "ReadTimeout of type int"),
        ("LdapSettings", {"Enable": True, "LdapServer": "ldap.example.com",
                          "BaseDN": "dc=example,dc=com", "EmailAttribute": "mail",
                          "UsernameAttribute": "uid", "IdAttribute": "uid", "UserFilter": "(uid="},
         "LdapSettings.UserFilter must be an LDAP filter such as (objectClass=person): ldap: "
         "unexpected end of filter (ent.ldap.validate_filter.app_error)"),
        ("LogSettings", {"AdvancedLoggingJSON": {"main": {"type": "udp"}}},
         "error creating log target main: target type 'udp' is unrecognized "
         "(model.config.is_valid.log.advanced_logging.parse)"),
        ("SamlSettings", {"Enable": True}, "SamlSettings.IdpURL"),
    ],
)
def test_a_world_config_the_server_would_refuse_is_refused(
    tmp_path: Path, section: str, settings: dict[str, Any], named: str
) -> None:
    """A world whose configuration the server would refuse to start with (Config.IsValid, or
    a setting of the wrong type) is refused, naming the world file and the setting."""
    doc = default_doc()
    doc["config"].setdefault(section, {}).update(settings)
    with pytest.raises(UsageError) as err:
        load_world(write(tmp_path, doc))
    assert err.value.message.startswith(f"{tmp_path / 'w.json'}: config: the server would "
                                        "refuse to start")
    assert named in err.value.message
    assert "world file" in (err.value.hint or "")


def test_every_built_in_world_config_is_valid() -> None:
    for name in available_worlds():
        assert load_world(name).config
