"""Helpers of the explorer's tests: an HTTP client of its API, a plugin that opens a dialog."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from plugin_projects import write_plugin_project

DIALOG_PLUGIN = '''
import json

from mmplug.sdk import Plugin, serve


class DialogPlugin(Plugin):
    def on_activate(self):
        self.api.register_command("survey", auto_complete=True, auto_complete_desc="Ask me")

    def execute_command(self, context, args):
        self.api.call("OpenInteractiveDialog", dialog={
            "trigger_id": args.trigger_id, "url": "/plugins/com.example.dialog/submit",
            "dialog": {"callback_id": "survey", "title": "Survey", "state": "s1",
                       "elements": [{"name": "color", "display_name": "Color",
                                     "type": "text"}]}})
        return {"response_type": "ephemeral", "text": "Survey opened"}

    def serve_http(self, context, response, request):
        data = request.json()
        color = data["submission"].get("color", "")
        if not color:
            response.write(json.dumps({"errors": {"color": "say a color"}}).encode())
            return
        self.api.create_post(channel_id=data["channel_id"], user_id=data["user_id"],
                             message=f"{data['callback_id']}/{data['state']}: {color}")
        response.write(b"{}")


if __name__ == "__main__":
    serve(DialogPlugin)
'''


def make_dialog_plugin(directory: Path) -> Path:
    return write_plugin_project(directory, "com.example.dialog", DIALOG_PLUGIN, name="Dialog")



class Client:
    """The JSON API over plain HTTP, with the token unless told otherwise."""

    def __init__(self, explorer: Any) -> None:
        self.explorer = explorer

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = "header",
             headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
        url = self.explorer.url + path
        if token == "query":
            url += ("&" if "?" in url else "?") + "token=" + self.explorer.token
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, method=method, data=data)
        if token == "header":
            request.add_header("X-Mmplug-Token", self.explorer.token)
        if token == "cookie":
            request.add_header("Cookie", f"mmplug-explorer-{self.explorer.port}="
                               f"{self.explorer.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(request, timeout=60) as answer:
                raw = answer.read()
                status, got = answer.status, answer.headers
        except urllib.error.HTTPError as exc:
            raw, status, got = exc.read(), exc.code, exc.headers
        kind = got.get("Content-Type", "")
        return status, (json.loads(raw) if "json" in kind and raw else raw), got

    def get(self, path: str) -> Any:
        status, data, _ = self.call("GET", path)
        assert status == 200, (path, status, data)
        return data

    def post(self, path: str, body: Any, expect: int | tuple[int, ...] = (200, 201)) -> Any:
        status, data, _ = self.call("POST", path, body)
        assert status in ((expect,) if isinstance(expect, int) else expect), (path, status, data)
        return data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
