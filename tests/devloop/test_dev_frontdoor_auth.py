"""Who a front door request is from: the session its token signs in, as the server decides it
(servePluginRequest, server/channels/app/plugin_requests.go), against the fake host's store."""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devloop_support import dev_loop

from mmplug.host.api.users_sessions import create_session, create_user_access_token
from mmplug.protocol import api_user_team_pb2 as pb

PLUGIN = "com.example.auth"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    project = tmp_path_factory.mktemp("auth") / "p"
    project.mkdir()
    shutil.copy(HERE / "http_plugin.py", project / "plugin.py")
    (project / "plugin.json").write_text(json.dumps({
        "id": PLUGIN, "name": "Auth test", "version": "0.1.0",
        "server": {"executable": "plugin.py"}}))
    with dev_loop(project, watch=False, as_user="alice") as running:
        yield running


def _user(loop: Any, name: str) -> str:
    return str(loop.session.user_named(name)[0])


def _session(loop: Any, name: str, **fields: Any) -> Any:
    request = pb.CreateSessionRequest(session=pb.Session(user_id=_user(loop, name), **fields))
    return create_session(loop.session.host_context(), request).session


def _echo(loop: Any, method: str = "GET", path: str = "/echo", body: bytes = b"",
          headers: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", loop.front_door.port, timeout=30)
    try:
        conn.putrequest(method, f"/plugins/{PLUGIN}{path}")
        for key, value in headers or []:
            conn.putheader(key, value)
        if body:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        response = conn.getresponse()
        data = response.read()
        assert response.status == 200, data
        return dict(json.loads(data))
    finally:
        conn.close()


def test_a_session_token_makes_the_request_the_sessions_user(loop: Any) -> None:
    """servePluginRequest: a token in `Authorization: Bearer` (or `Token`), the MMAUTHTOKEN
    cookie or the access_token parameter that finds a valid session sets Mattermost-User-Id
    to its user and the context's session id, and Authorization is not passed on."""
    bob = _session(loop, "bob")
    for headers, path in (([("Authorization", f"bearer {bob.token}")], "/echo"),
                          ([("Authorization", f"Token {bob.token}")], "/echo"),
                          ([("Cookie", f"MMAUTHTOKEN={bob.token}")], "/echo"),
                          ([], f"/echo?access_token={bob.token}")):
        seen = _echo(loop, path=path, headers=headers)
        assert seen["user"] == _user(loop, "bob"), headers
        assert seen["session_id"] == bob.id
        assert "Authorization" not in seen["headers"]
    # mmplug's own X-Mmplug-User header names the user whatever token the request carries
    seen = _echo(loop, headers=[("X-Mmplug-User", "alice"),
                                ("Authorization", f"Bearer {bob.token}")])
    assert seen["user"] == _user(loop, "alice")


def test_a_token_that_finds_no_valid_session_is_anonymous(loop: Any) -> None:
    """servePluginRequest with GetSession (server/channels/app/session.go): a token that is
    unknown, a session's id, or an expired session's makes the request unauthenticated (not
    the --as user), and the plugin still gets the Authorization header."""
    expired = _session(loop, "bob", expires_at=1)
    for token in ("nosuchtoken", _session(loop, "bob").id, expired.token):
        seen = _echo(loop, headers=[("Authorization", f"Bearer {token}")])
        assert seen["user"] == "" and seen["session_id"] == ""
        assert seen["headers"]["Authorization"] == [f"Bearer {token}"]
    assert _echo(loop)["user"] == _user(loop, "alice")  # no token: the --as user


def test_a_personal_access_token_signs_in_as_its_user(loop: Any) -> None:
    """GetSession's createSessionForUserAccessToken: a personal access token signs in as its
    user (with a session of its own, the same on every use); a revoked one does not."""
    ctx = loop.session.host_context()
    token = create_user_access_token(ctx, pb.CreateUserAccessTokenRequest(
        token=pb.UserAccessToken(user_id=_user(loop, "bob"), description="ci"))).token
    first = _echo(loop, headers=[("Authorization", f"Bearer {token.token}")])
    again = _echo(loop, headers=[("Authorization", f"Bearer {token.token}")])
    assert first["user"] == _user(loop, "bob")
    assert first["session_id"] and again["session_id"] == first["session_id"]
    from mmplug.host.api.users_sessions import revoke_user_access_token

    revoke_user_access_token(ctx, pb.RevokeUserAccessTokenRequest(token_id=token.id))
    assert _echo(loop, headers=[("Authorization", f"Bearer {token.token}")])["user"] == ""


def test_a_cookie_signed_request_needs_the_csrf_token(loop: Any) -> None:
    """validateCSRFForPluginRequest: a request other than GET signed in by the session cookie
    is the session's user only with its CSRF token (X-CSRF-Token, or a csrf field of a form
    body, which the plugin still gets whole) or X-Requested-With: XMLHttpRequest; without,
    it is unauthenticated."""
    bob = _session(loop, "bob", props={"csrf": "c5rf"})
    cookie = ("Cookie", f"MMAUTHTOKEN={bob.token}")
    bob_id = _user(loop, "bob")
    assert _echo(loop, "POST", headers=[cookie])["user"] == ""
    assert _echo(loop, "POST", headers=[cookie, ("X-CSRF-Token", "wrong")])["user"] == ""
    assert _echo(loop, "POST", headers=[cookie, ("X-CSRF-Token", "c5rf")])["user"] == bob_id
    assert _echo(loop, "POST", headers=[
        cookie, ("X-Requested-With", "XMLHttpRequest")])["user"] == bob_id
    form = b"a=1&csrf=c5rf"
    seen = _echo(loop, "POST", body=form, headers=[
        cookie, ("Content-Type", "application/x-www-form-urlencoded")])
    assert (seen["user"], seen["total"]) == (bob_id, len(form))
    assert _echo(loop, "GET", headers=[cookie])["user"] == bob_id  # GET is not checked
    assert _echo(loop, "POST", headers=[("Authorization", f"Bearer {bob.token}")]
                 )["user"] == bob_id  # nor a header token
