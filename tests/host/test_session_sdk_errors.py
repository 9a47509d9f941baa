"""The fake host's AppErrors reach an SDK plugin as the matching exception classes, end to end:
a real plugin process, real gRPC both ways, the emulated PluginAPI on a real store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.session import Session
from mmplug.host.store import Store

PLUGIN_ID = "com.example.errors"
SOURCE = '''
from mmplug.sdk import Plugin, PluginAPIError, serve

A, B = "a" * 26, "b" * 26


class Errors(Plugin):
    def execute_command(self, context, args):
        word = args.command.split()[-1]
        try:
            if word == "user":
                self.api.get_user(A)  # nobody has this id
            elif word == "kv":
                self.api.kv_set("k" * 151, "v")  # keys are at most 150 characters
            elif word == "prefs":  # B's preference saved as A: not allowed
                self.api.update_preferences_for_user(
                    A, [{"user_id": B, "category": "c", "name": "n", "value": "v"}])
        except PluginAPIError as err:
            return f"{type(err).__name__} {err.status_code} {err.error_id}"
        return "no error"


if __name__ == "__main__":
    serve(Errors)
'''


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    plugin_dir = write_plugin_project(tmp_path_factory.mktemp("errors"), PLUGIN_ID, SOURCE,
                                      version="1.0.0")
    store = Store.open(":memory:")
    with Session([Path(plugin_dir)], store=store, python=sys.executable) as s:
        yield s
    store.close()


def _reply(session: Session, word: str) -> str:
    result = session.fire("ExecuteCommand", args={"command": f"/errors {word}"})
    assert result.ok, result.error
    return str(result.response.response.text)  # type: ignore[union-attr]


def test_a_404_app_error_arrives_as_not_found_error(session: Session) -> None:
    assert _reply(session, "user").startswith("NotFoundError 404 ")


def test_a_400_app_error_arrives_as_invalid_argument_error(session: Session) -> None:
    reply = _reply(session, "kv")
    assert reply == "InvalidArgumentError 400 model.plugin_key_value.is_valid.key.app_error"


def test_a_403_app_error_arrives_as_permission_denied_error(session: Session) -> None:
    reply = _reply(session, "prefs")
    assert reply == "PermissionDeniedError 403 api.preference.update_preferences.set.app_error"
