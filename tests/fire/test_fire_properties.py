"""Property tests: no `mmplug fire` command line and no payload override makes mmplug fail with
anything but a clear error (never a traceback from mmplug itself).

* Command lines: words drawn from fire's own options (every spelling, ``--name=value`` and
  ``-mVALUE`` forms, old spellings, unknown ones), hook names, shortcuts and hostile values run
  through the whole command in-process, both parsers (typer's and the fast path's), up to the
  moment the request would be sent. Where the request goes is the one seam replaced: a target
  over a real seeded world that keeps the request instead of starting a plugin. Both parsers
  must end alike: the same request, or the same error.
* Payload overrides: ``--set path=value`` on the real field paths of every hook's request (and
  paths that are not), and ``--json`` documents of those fields with values of every JSON type,
  merged into the synthesized payload; the request must then serialize and render as fire
  shows it.

Bounded so the suite stays fast; hypothesis keeps the failing example.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmplug.cli._options import FIRE_OPTIONS, OLD_SPELLINGS
from mmplug.errors import UsageError
from mmplug.host.payload_fields import descriptor_of, field_paths
from mmplug.protocol.catalog import HOOKS

REPO = Path(__file__).resolve().parents[2]
PARROT = REPO / "tests" / "fixtures" / "parrot_plugin"
FIREABLE = [h for h in HOOKS if h.go_name != "Implemented"]


class Sent(Exception):
    """The command got as far as sending ``request``."""

    def __init__(self, hook: str, request: bytes) -> None:
        super().__init__(hook)
        self.hook, self.request = hook, request


class KeepingTarget:
    """Where fire sends a hook, over a real seeded world; keeps the request instead of sending
    it (the launch and the plugin are covered by every other fire test)."""

    plugin_id = "com.example.parrot"

    def __init__(self) -> None:
        from mmplug.host.fresh import open_world_store

        self.store = open_world_store()

    def __enter__(self) -> KeepingTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def describe(self) -> dict[str, str]:
        return {"kind": "local", "text": "a kept request"}

    def scene(self, as_user: str | None, channel: str | None) -> Any:
        from mmplug.host.payloads import scene_from_store

        return scene_from_store(self.store, as_user=as_user, channel=channel)

    def implemented(self) -> list[str]:
        return [h.go_name for h in FIREABLE]

    def commands(self) -> list[str]:
        return ["parrot"]

    def fire(self, spec: Any, request: Any, node: str | None = None) -> Any:
        raise Sent(spec.go_name, request.SerializeToString(deterministic=True))

    def fire_http(self, init: Any, body: bytes, hook: str = "ServeHTTP",
                  node: str | None = None) -> Any:
        raise Sent(hook, init.SerializeToString(deterministic=True) + b"|" + body)


@pytest.fixture()
def fire_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    project = tmp_path / "parrot"
    shutil.copytree(PARROT, project, ignore=shutil.ignore_patterns(".mmplug", "__pycache__"))
    monkeypatch.chdir(project)
    import mmplug.fire
    from mmplug.cli import _fire_prefetch

    monkeypatch.setattr(mmplug.fire, "open_target", lambda folder, plan: KeepingTarget())
    monkeypatch.setattr(_fire_prefetch, "start", lambda options: None)  # starts no plugin
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # --data @-
    yield project


def _outcome(run: Any, capsys: pytest.CaptureFixture[str]) -> tuple[str, Any]:
    """("sent", request) or ("exit", (code, first line of stderr)); anything else raises."""
    sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr] (as Python's)
    try:
        code = run()
    except Sent as sent:
        capsys.readouterr()
        return "sent", (sent.hook, sent.request)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    if code == 0:
        return "exit", (0, "")
    assert code in (1, 2), (code, err)
    # mmplug's error line, or typer's usage error (a box, or plain where rich is off)
    assert err.startswith(("error: ", "Usage: ", "note: ", "╭─ Error")), err
    return "exit", (code, [line for line in err.splitlines() if line.startswith("error: ")][:1])


option_names = sorted({name for opt in FIRE_OPTIONS for name in opt.names}
                      | {old.name for old in OLD_SPELLINGS if old.command == "fire"}
                      | {"--bogus", "-x", "--help-me"})
values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "-", "--", "nan", "inf", "-inf", "1e999", "-1", "0", "0.001", "3",
                     "json", "text", "pretty", "@/nonexistent", "@-", "@.", ".", "..", "/",
                     "/tmp", "{}", "[]", "{\"post\":{\"message\":1}}", "{\"post\": NaN}",
                     "[" * 70 + "]" * 70, "\udcff", "post.message=hi", "a=b", "=", "A: b",
                     "nobody", "town-square", "x/y", "plugin.json", "\udcff\udc80"]),
).filter(lambda word: "\0" not in word)  # no command line can hold a NUL
hook_names = st.one_of(
    st.sampled_from([h.go_name for h in FIREABLE]),
    st.sampled_from(["message_will_be_posted", "MESSAGEHASBEENPOSTED", "Implemented", "",
                     "serve-http", "OnActivate", "nope", "--", "ServeHTTP"]),
)
positional = st.sampled_from(["GET", "POST", "BREW", "/x", "/echo hi", "echo", ".",
                              "nonexistent/dir", "..", "/", "plugin.json"])


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    words: list[str] = []
    if draw(st.booleans()):
        words.append(draw(hook_names))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["option", "attached", "positional", "value"]))
        if kind == "option":
            words.append(draw(st.sampled_from(option_names)))
            words.append(draw(values))
        elif kind == "attached":
            name = draw(st.sampled_from(option_names))
            joiner = "=" if name.startswith("--") else ""
            words.append(f"{name}{joiner}{draw(values)}")
        elif kind == "positional":
            words.append(draw(positional))
        else:
            words.append(draw(values))
    return words


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(argv=command_lines())
def test_any_fire_command_line_is_run_or_refused_clearly_by_both_parsers(
        fire_here: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    from mmplug.cli import _fire_fast
    from mmplug.cli._errors import run_app
    from mmplug.cli._options import modernize
    from mmplug.cli.main import build_app

    if "--help" in argv or "-h" in argv:
        return  # help is typer's own output
    through_typer = _outcome(lambda: run_app(build_app(), ["fire", *argv]), capsys)
    if _fire_fast.parse(modernize(["fire", *argv], [])[1:]) is None:
        return  # the fast path hands the command line to typer: that is the run above
    through_fast = _outcome(lambda: _fire_fast.run(argv), capsys)
    assert through_fast[0] == through_typer[0], (through_fast, through_typer)
    if through_fast[0] == "sent":
        assert through_fast == through_typer


def test_the_fast_path_runs_the_command_it_parsed(
        fire_here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The comparison above is not vacuous: the fast path reaches the seam by itself."""
    from mmplug.cli import _fire_fast

    with pytest.raises(Sent) as sent:
        _fire_fast.run(["MessageWillBePosted", "--set", "post.message=hi"])
    assert sent.value.hook == "MessageWillBePosted" and b"hi" in sent.value.request


# -- payload overrides -------------------------------------------------------------------------
def _scene() -> Any:
    from mmplug.host.fresh import open_world_store
    from mmplug.host.payloads import scene_from_store

    store = open_world_store()
    try:
        return scene_from_store(store)
    finally:
        store.close()


SCENE = _scene()
set_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "true", "false", "yes", "2", "-1", "1.5", "1e999", "NaN", "-0",
                     "99999999999999999999999", "{}", "[]", "[1, 2]", "{\"a\": 1}", "null",
                     "\"quoted\"", "[" * 70 + "]" * 70, "{\"a\": NaN}", "\udcff", "aGk=",
                     "POST", "OPEN", "3"]),
)


@st.composite
def set_expressions(draw: st.DrawFn, spec: Any) -> str:
    from mmplug.protocol.messages import message_class

    paths = field_paths(message_class(spec.request).DESCRIPTOR) or ["context"]
    path = draw(st.sampled_from(paths))
    shape = draw(st.sampled_from(["plain", "index", "bracket", "key", "garbage", "json"]))
    parts = path.split(".")
    at = draw(st.integers(0, len(parts) - 1))
    if shape == "index":
        parts.insert(at + 1, str(draw(st.integers(0, 3))))
    elif shape == "bracket":
        parts[at] += f"[{draw(st.integers(0, 3))}]"
    elif shape == "key":
        parts.append(draw(st.sampled_from(["from_bot", "x", "0", ""])))
    elif shape == "garbage":
        parts[at] = draw(st.sampled_from(["", "nope", "0", "[0]", "..", "props", " "]))
    path = ".".join(parts)
    if shape == "json":  # the JSON name of the field instead of the proto name
        path = path.replace("channel_id", "channelId").replace("user_id", "userId")
    return f"{path}{draw(st.sampled_from(['=', '=', ' = ', '']))}{draw(set_values)}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8,
)


@st.composite
def documents(draw: st.DrawFn, spec: Any) -> Any:
    """A --json document: the request's own fields (nested), with values of any JSON type."""
    from mmplug.protocol.messages import message_class

    def fields_of(descriptor: Any, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = [f for f in descriptor.fields]
        for fd in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)) if names else []:
            key = fd.json_name if draw(st.booleans()) else fd.name
            if fd.message_type is not None and depth < 3 and draw(st.booleans()):
                nested = fields_of(fd.message_type, depth + 1)
                out[key] = [nested] if fd.is_repeated and draw(st.booleans()) else nested
            else:
                out[key] = draw(json_values)
        return out

    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not even an object
    return fields_of(message_class(spec.request).DESCRIPTOR, 0)


def _check_request(spec: Any, request: Any) -> None:
    """What fire does with a request it built: send it, show it, record it."""
    from google.protobuf import json_format

    from mmplug.host.events import CallEvent
    from mmplug.host.payload_fields import field_values

    request.SerializeToString()
    json_format.MessageToDict(request, preserving_proto_field_name=True)
    field_values(request)
    json.dumps(CallEvent(spec.go_name, "p", request).to_dict(seq=1))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), spec=st.sampled_from(FIREABLE))
def test_any_set_and_json_override_is_applied_or_refused_clearly(
        data: st.DataObject, spec: Any) -> None:
    from mmplug.host.payloads import build_payload

    sets = data.draw(st.lists(set_expressions(spec), max_size=3))
    document = data.draw(documents(spec)) if data.draw(st.booleans()) else None
    try:
        request = build_payload(spec, SCENE, document=document, sets=sets)
    except UsageError as exc:
        assert exc.message.startswith(("--set", "--json", "field ", descriptor_name(spec))), \
            exc.message
        return
    _check_request(spec, request)


def descriptor_name(spec: Any) -> str:
    from mmplug.protocol.messages import message_class

    return str(message_class(spec.request).DESCRIPTOR.name)


def test_the_overrides_reach_the_request() -> None:
    """The property above is not vacuous: good overrides land in the request."""
    from mmplug.host.payloads import build_payload
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    spec = HOOKS_BY_GO_NAME["MessageWillBePosted"]
    request = build_payload(spec, SCENE, document={"post": {"props": {"a": [1]}}},
                            sets=["post.message=hi", "post.is_pinned=true"])
    assert request.post.message == "hi" and request.post.is_pinned
    assert descriptor_of(request).name == "MessageWillBePostedRequest"


@pytest.mark.parametrize(("sets", "document", "expected"), [
    # a number too large for a float is text in a free-form field, as any non-JSON word is
    (["post.props.x=1E310"], None, {"x": "1E310"}),
    # a command-line word that was not UTF-8, and a lone surrogate escape, become U+FFFD
    (["post.props.x=a\udcffb"], None, {"x": "a\ufffdb"}),
    ([], '{"post": {"props": {"x": "a\\ud800b"}}}', {"x": "a\ufffdb"}),
])
def test_overrides_found_by_the_properties_give_a_request_that_can_be_shown(
        sets: list[str], document: Any, expected: dict[str, str]) -> None:
    from google.protobuf import json_format

    from mmplug.host.payload_fields import parse_json_text
    from mmplug.host.payloads import build_payload
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    spec = HOOKS_BY_GO_NAME["MessageWillBePosted"]
    if document is not None:
        document = parse_json_text(document, "--json")
    request = build_payload(spec, SCENE, document=document, sets=sets)
    assert json_format.MessageToDict(request)["post"]["props"] == expected
    _check_request(spec, request)


@pytest.mark.parametrize("text", ['{"post": {"props": {"x": 1e999}}}',
                                  '{"post": {"props": {"x": NaN}}}'])
def test_json_numbers_the_server_refuses_are_refused_with_the_spot(text: str) -> None:
    from mmplug.host.payload_fields import parse_json_text

    with pytest.raises(UsageError) as caught:
        parse_json_text(text, "--json")
    assert caught.value.message.startswith("--json: not valid JSON (line 1, column 26: ")
