"""The plugin: HTTP routes under /plugins/{{cookiecutter.plugin_id}}/."""

from __future__ import annotations

import hashlib

from mmplug.sdk import Plugin, Request, Response, Router

MB = 1024 * 1024
MAX_NOTE_LENGTH = 1000


def unauthorized() -> Response:
    return Response.json({"error": "log in to Mattermost first"}, status=401)


class {{cookiecutter.__class_name}}(Plugin):
    """{{ cookiecutter.description|replace('\\', '/')|replace('"', "'") }}"""

    http = Router()
    max_upload_bytes = 10 * MB

    def on_configuration_change(self) -> None:
        config = self.api.get_plugin_config()
        self.max_upload_bytes = int(config.get("max_upload_mb", 10)) * MB

    def on_activate(self) -> None:
        base = "/plugins/{{cookiecutter.plugin_id}}"
        routes = sorted({f"{r.method} {base}{r.path}" for r in self.http.routes})
        self.logger.info("serving HTTP", extra={"routes": routes})

    @http.get("/api/v1/status")
    def status(self, request: Request) -> dict[str, object]:
        return {"ok": True, "plugin": "{{cookiecutter.plugin_id}}", "version": "{{cookiecutter.version}}"}

    @http.get("/api/v1/me")
    def me(self, request: Request) -> Response | dict[str, str]:
        # The server sets Mattermost-User-Id for logged-in users only: always check it.
        if not request.user_id:
            return unauthorized()
        user = self.api.get_user(request.user_id)
        return {"id": user.id, "username": user.username}

    @http.get("/api/v1/notes")
    def list_notes(self, request: Request) -> Response | dict[str, object]:
        if not request.user_id:
            return unauthorized()
        return {"notes": self.api.kv_get_json(f"notes:{request.user_id}", [])}

    @http.post("/api/v1/notes")
    def add_note(self, request: Request) -> Response:
        if not request.user_id:
            return unauthorized()
        try:
            text = str(request.json()["text"]).strip()
        except (ValueError, KeyError, TypeError):
            return Response.json({"error": 'send JSON like {"text": "..."}'}, status=400)
        if not text or len(text) > MAX_NOTE_LENGTH:
            return Response.json({"error": f"text must have 1-{MAX_NOTE_LENGTH} characters"},
                                 status=400)
        key = f"notes:{request.user_id}"
        notes = self.api.kv_get_json(key, [])
        notes.append(text)
        self.api.kv_set_json(key, notes)
        return Response.json({"notes": notes}, status=201)

    @http.post("/api/v1/upload")
    def upload(self, request: Request) -> Response | dict[str, object]:
        if not request.user_id:
            return unauthorized()
        # Read the body as it streams in: memory stays flat whatever the upload size.
        digest, size = hashlib.sha256(), 0
        for chunk in request.body:
            size += len(chunk)
            if size > self.max_upload_bytes:
                return Response.json({"error": "upload too large",
                                      "limit_bytes": self.max_upload_bytes}, status=413)
            digest.update(chunk)
        self.logger.info("upload received", extra={"user_id": request.user_id, "bytes": size})
        return {"bytes": size, "sha256": digest.hexdigest()}
