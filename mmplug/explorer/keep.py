"""Keeping calls of the trace: a cassette under ``fixtures/cassettes/`` and, if asked, a pytest
test beside the project's tests that fires the same calls through the ``plugin`` fixture.

The cassette is the format ``mmplug replay`` reads (docs/cassettes.md), written atomically; a
call the host ran because of another call's API call is kept as ``nested`` (replay does not
fire it: it happens again through its parent). The test is plain pytest over the harness: each
recorded request is fired again and must give the recorded outcome, response and API calls,
leaving out the fields that change from run to run (ids, times).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from mmplug.explorer.backend import Backend

CASSETTE_DIR = Path("fixtures") / "cassettes"
TEST_DIR = Path("tests")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
# Fields the generated test does not compare: they differ between runs of the same call.
VOLATILE = ("id", "create_at", "update_at", "edit_at", "delete_at", "request_id", "session_id",
            "trigger_id", "last_reply_at", "last_post_at", "last_root_post_at")


class KeepError(MmplugError):
    def __init__(self, message: str, *, status: int = 400, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "")
        self.status = status


def save(backend: Backend, seqs: list[int], name: str, *, test: bool = False,
         overwrite: bool = False) -> dict[str, Any]:
    """Write the hook calls ``seqs`` (in the order they happened) as ``<name>.jsonl``; with
    ``test``, also ``tests/test_<name>.py``. Returns the paths written (relative to the
    project) and the replay command."""
    from mmplug._atomic import write_file
    from mmplug.cassette.format import header_dict, write_cassette
    from mmplug.host.fresh import world_summary

    if not _NAME.match(name or ""):
        raise KeepError(f"invalid name {name!r}", hint="use letters, digits, '-' and '_' "
                        "(at most 64), starting with a letter or digit")
    if not seqs:
        raise KeepError("no calls selected", hint="tick the calls to keep in the trace")
    entries, plugins = [], set()
    cause_kept = False
    for position, seq in enumerate(sorted(set(seqs)), start=1):
        result, extra = backend.trace.hook_result(int(seq))
        plugins.add(result.plugin_id)
        # A call the host ran because of another is kept nested (its replay happens through
        # that call) only when a call that can have caused it is kept before it; alone, it is
        # replayed as a call of its own.
        result.nested = bool(extra.get("nested")) and cause_kept
        cause_kept = cause_kept or not result.nested
        entry = result.to_dict(seq=position, session_start=True if position == 1 else None)
        entries.append(entry)
    if len(plugins) > 1:
        raise KeepError("the calls are of several plugins: " + ", ".join(sorted(plugins)),
                        hint="a cassette records one plugin; select the calls of one")
    plugin_id = plugins.pop()
    project = _project_of(backend, plugin_id)
    cassette = project / CASSETTE_DIR / f"{name}.jsonl"
    test_file = project / TEST_DIR / f"test_{name.replace('-', '_')}.py"
    targets = [cassette] + ([test_file] if test else [])
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        raise KeepError(f"{existing[0].relative_to(project)} exists already", status=409,
                        hint="pick another name, or overwrite it")
    # The calls ran on the dev session's store and real clock: the ids and times they made
    # cannot come back in a fresh world, so every replay of this cassette leaves them out.
    write_cassette(cassette, header_dict(plugin_id, world_summary(backend.store),
                                         ignore=VOLATILE), entries)
    written = [str(cassette.relative_to(project))]
    if test:
        write_file(test_file, test_source(name, len(entries)))
        written.append(str(test_file.relative_to(project)))
    return {"written": written, "project": str(project), "calls": len(entries),
            "replay": f"mmplug replay {written[0]} --check"}


def _project_of(backend: Backend, plugin_id: str) -> Path:
    manifest = backend.manifests().get(plugin_id)
    if manifest is None:
        raise KeepError(f"plugin {plugin_id} is not part of this session")
    return Path(manifest.plugin_dir)


def test_source(name: str, count: int) -> str:
    """The pytest module that fires the cassette's calls through the ``plugin`` fixture."""
    function = "test_" + name.replace("-", "_")
    ignored = ", ".join(f'"{key}"' for key in VOLATILE)
    return f'''"""Regression test kept from the Plugin Explorer: fires the {count} recorded hook
call(s) of fixtures/cassettes/{name}.jsonl again through the `plugin` fixture (docs/testing.md)
and checks that each gives the recorded outcome, response and API calls. Fields that change
from run to run are not compared (IGNORED).
`mmplug replay fixtures/cassettes/{name}.jsonl --check` replays the same calls exactly."""

import json
from pathlib import Path

from google.protobuf.json_format import MessageToDict

CASSETTE = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes" / "{name}.jsonl"
IGNORED = {{{ignored}}}


def _calls():
    lines = CASSETTE.read_text(encoding="utf-8").splitlines()[1:]
    return [json.loads(line) for line in lines if line.strip()]


def _strip(value):
    if isinstance(value, dict):
        return {{k: _strip(v) for k, v in value.items() if k not in IGNORED}}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _json(message):
    if message is None:
        return None
    return MessageToDict(message, preserving_proto_field_name=True)


def {function}(plugin):
    for call in _calls():
        if call.get("nested"):
            continue  # the host runs it again, through the call that caused it
        label = f"#{{call['seq']}} {{call['hook']}}"
        result = plugin.fire(call["hook"], **call["request"])
        assert (result.error is None) == (call["error"] is None), f"{{label}}: {{result.error}}"
        assert _strip(_json(result.response)) == _strip(call["response"]), label
        made = [(c.method, _strip(_json(c.request))) for c in result.api_calls]
        recorded = [(c["method"], _strip(c["request"])) for c in call["api_calls"]]
        assert made == recorded, label
'''
