"""The plugin: a bot that moderates posts and answers mentions, with state in the KV store."""

from __future__ import annotations

import re

from mmplug.sdk import Plugin
from mmplug.sdk.model import PluginContext, Post

BOT_USERNAME = "{{cookiecutter.__bot_username}}"
SEEN, BLOCKED = "stats:seen", "stats:blocked"


class {{cookiecutter.__class_name}}(Plugin):
    """{{ cookiecutter.description|replace('\\', '/')|replace('"', "'") }}"""

    bot_id = ""
    blocked_words: tuple[str, ...] = ("badword",)
    reply_to_mentions = True

    def on_configuration_change(self) -> None:
        config = self.api.get_plugin_config()
        words = str(config.get("blocked_words", "badword")).split(",")
        self.blocked_words = tuple(w.strip().lower() for w in words if w.strip())
        self.reply_to_mentions = bool(config.get("reply_to_mentions", True))

    def on_activate(self) -> None:
        self.bot_id = self.api.ensure_bot_user(
            BOT_USERNAME, display_name={{ cookiecutter.plugin_name|tojson }},
            description={{ cookiecutter.description|tojson }})
        self.logger.info("bot ready", extra={"bot_id": self.bot_id})

    # -- hooks ---------------------------------------------------------------------------------
    def message_will_be_posted(
        self, context: PluginContext, post: Post
    ) -> tuple[Post | None, str] | None:
        """Reject messages with a blocked word; let everything else through unchanged."""
        if post.user_id == self.bot_id:
            return None
        word = self.blocked_word(post.message)
        if word is None:
            return None
        self.increment(BLOCKED)
        self.logger.info("message blocked", extra={"user_id": post.user_id, "word": word})
        return None, f"Message blocked: it contains the word '{word}'."

    def message_has_been_posted(self, context: PluginContext, post: Post) -> None:
        """Count messages; answer the ones that mention the bot, in their thread."""
        if post.user_id == self.bot_id:
            return
        seen = self.increment(SEEN)
        if not self.reply_to_mentions or f"@{BOT_USERNAME}" not in post.message:
            return
        blocked = int(self.api.kv_get(BLOCKED) or 0)
        self.api.create_post(
            channel_id=post.channel_id,
            user_id=self.bot_id,
            root_id=post.root_id or post.id,
            message=f"I have seen {seen} message(s) and blocked {blocked}.",
        )

    # -- helpers -------------------------------------------------------------------------------
    def blocked_word(self, message: str) -> str | None:
        words = set(re.findall(r"[\w'-]+", message.lower()))
        return next((w for w in self.blocked_words if w in words), None)

    def increment(self, key: str) -> int:
        """Add one to a counter in the KV store, safely when hooks run concurrently."""
        for _ in range(20):
            old = self.api.kv_get(key)
            new = int(old or 0) + 1
            if self.api.kv_compare_and_set(key, old, str(new).encode()):
                return new
        raise RuntimeError(f"could not update {key}: too much contention")
