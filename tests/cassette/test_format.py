"""The cassette format: what is written, and clear errors for every kind of bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmplug.cassette import CassetteError, read_cassette, write_cassette
from mmplug.cassette.compare import Ignore, compare_entries
from mmplug.cassette.format import FORMAT, VERSION, header_dict, open_for_append

ENTRY = {"seq": 1, "hook": "MessageWillBePosted", "plugin_id": "com.example.echo",
         "request": {"post": {"message": "hi"}}, "response": {}, "error": None,
         "api_calls": [{"method": "KVGet", "request": {"key": "k"}, "response": {},
                        "error": None, "duration_s": 0.001, "emulated": True}],
         "logs": [], "duration_s": 0.002}


def cassette(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def header() -> dict:
    return header_dict("com.example.echo", {"name": "default"})


def test_round_trip_keeps_header_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "c.jsonl"
    write_cassette(path, header(), [ENTRY, {**ENTRY, "seq": 2}])
    read = read_cassette(path)
    assert read.header["format"] == FORMAT and read.header["version"] == VERSION
    assert read.plugin_id == "com.example.echo" and read.world == {"name": "default"}
    assert [e.line for e in read.entries] == [2, 3]
    assert read.entries[0].data == ENTRY
    assert not list(path.parent.glob("*.tmp"))


def test_malformed_line_is_named(tmp_path: Path) -> None:
    path = cassette(tmp_path, header(), ENTRY, '{"seq": 2, "hook": ')
    with pytest.raises(CassetteError) as err:
        read_cassette(path)
    assert f"{path}:3: malformed line" in err.value.message


def test_unknown_format_version(tmp_path: Path) -> None:
    path = cassette(tmp_path, {**header(), "version": 99}, ENTRY)
    with pytest.raises(CassetteError) as err:
        read_cassette(path)
    assert "format version 99 is not supported" in err.value.message
    assert err.value.exit_code == 2


@pytest.mark.parametrize(("line", "says"), [
    ({**ENTRY, "hook": "MessageWillBePostd"}, "'MessageWillBePostd' is not a Mattermost"),
    ({k: v for k, v in ENTRY.items() if k != "request"}, ": missing request"),
    ({**ENTRY, "api_calls": [{"method": "KVGet"}]}, ": missing api_calls[0].request"),
    ({**ENTRY, "error": 3}, ": error must be a string or null, not an integer"),
    ({**ENTRY, "ids": -5}, ": ids must not be negative, not -5"),
    ({**ENTRY, "host": [5]}, ": host[0] must be a JSON object"),
    ({**ENTRY, "host": [{"kind": 1}]}, ": host[0].kind must be a string"),
    ([1, 2], "must be a JSON object"),
])
def test_bad_entries_name_the_line(tmp_path: Path, line: object, says: str) -> None:
    path = cassette(tmp_path, header(), line)
    with pytest.raises(CassetteError) as err:
        read_cassette(path)
    assert f"{path}:2" in err.value.message and says in err.value.message


@pytest.mark.parametrize("ignore", [[3], [""], "update_at"])
def test_a_header_ignore_that_is_not_a_list_of_names_is_refused(tmp_path: Path,
                                                                ignore: object) -> None:
    path = cassette(tmp_path, {**header(), "ignore": ignore}, ENTRY)
    with pytest.raises(CassetteError) as err:
        read_cassette(path)
    assert f"{path}:1" in err.value.message and "ignore" in err.value.message


@pytest.mark.parametrize("first", [ENTRY, {"format": "other"}, "[]"])
def test_a_file_without_a_header_is_refused(tmp_path: Path, first: object) -> None:
    with pytest.raises(CassetteError) as err:
        read_cassette(cassette(tmp_path, first))
    assert "not an mmplug cassette" in err.value.message


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="no cassette at"):
        read_cassette(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(CassetteError, match="is empty"):
        read_cassette(tmp_path / "empty.jsonl")


def test_append_continues_the_sequence_and_refuses_another_plugin(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, header(), [ENTRY, {**ENTRY, "seq": 5}])
    out, last = open_for_append(path, header())
    out.close()
    assert last == 5
    with pytest.raises(CassetteError, match=r"records plugin 'com\.example\.echo'"):
        open_for_append(path, header_dict("com.example.other", None))


def test_compare_names_the_differing_field_and_honours_ignores() -> None:
    replayed = json.loads(json.dumps(ENTRY))
    replayed["response"] = {"rejection_reason": "nope"}
    replayed["api_calls"][0]["request"]["key"] = "other"
    replayed["duration_s"] = 9  # never compared
    paths = [d.path for d in compare_entries(ENTRY, replayed, Ignore())]
    assert paths == ["response.rejection_reason", "api_calls[0].request.key"]
    assert [d.path for d in compare_entries(ENTRY, replayed, Ignore(["rejection_reason"]))] == [
        "api_calls[0].request.key"]
    assert compare_entries(ENTRY, replayed, Ignore(["response", "api_calls.*.request"])) == []


def test_a_missing_api_call_is_reported() -> None:
    replayed = {**ENTRY, "api_calls": []}
    [difference] = compare_entries(ENTRY, replayed, Ignore())
    assert difference.path == "api_calls[0]" and difference.missing
