"""The plugin: a bot that moderates posts, answers mentions and reports each day, with its state
in the KV store, safe on a cluster of several nodes (see docs/ha.md of mmplug)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from mmplug.sdk import NotFoundError, Plugin
from mmplug.sdk.cluster import Counter, Job, Mutex, now, schedule
from mmplug.sdk.model import PluginContext, Post

BOT_USERNAME = "{{cookiecutter.__bot_username}}"
SEEN, BLOCKED = "stats:seen", "stats:blocked"
POSTERS = "posters"  # per day: {user id: messages}


def day_key(name: str, day: date) -> str:
    return f"{name}:{day.isoformat()}"


class {{cookiecutter.__class_name}}(Plugin):
    """{{ cookiecutter.description|replace('\\', '/')|replace('"', "'") }}"""

    bot_id = ""
    blocked_words: tuple[str, ...] = ("badword",)
    reply_to_mentions = True
    report_channel = "town-square"
    report: Job | None = None

    def on_configuration_change(self) -> None:
        config = self.api.get_plugin_config()
        words = str(config.get("blocked_words", "badword")).split(",")
        self.blocked_words = tuple(w.strip().lower() for w in words if w.strip())
        self.reply_to_mentions = bool(config.get("reply_to_mentions", True))
        self.report_channel = str(config.get("report_channel", "town-square")).strip()

    def on_activate(self) -> None:
        self.bot_id = self.api.ensure_bot_user(
            BOT_USERNAME, display_name={{ cookiecutter.plugin_name|tojson }},
            description={{ cookiecutter.description|tojson }})
        # Every node of a cluster activates the plugin: the job runs once a day (at 00:00 UTC)
        # across all of them, whichever node gets there first.
        self.report = schedule(self, "daily-report", self.daily_report,
                               every=timedelta(days=1), rounded=True)
        self.logger.info("bot ready", extra={"bot_id": self.bot_id})

    def on_deactivate(self) -> None:
        if self.report is not None:
            self.report.close()

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
        Counter(self.api, BLOCKED).add(1)
        Counter(self.api, day_key(BLOCKED, now().date())).add(1)
        self.logger.info("message blocked", extra={"user_id": post.user_id, "word": word})
        return None, f"Message blocked: it contains the word '{word}'."

    def message_has_been_posted(self, context: PluginContext, post: Post) -> None:
        """Count messages (and who posts them each day); answer mentions in their thread."""
        if post.user_id == self.bot_id:
            return
        seen = Counter(self.api, SEEN).add(1)
        today = now().date()
        Counter(self.api, day_key(SEEN, today)).add(1)
        # One JSON document that every node updates: read, change, write under the mutex.
        with Mutex(self.api, POSTERS):
            posters = self.api.kv_get_json(day_key(POSTERS, today), default={})
            posters[post.user_id] = posters.get(post.user_id, 0) + 1
            self.api.kv_set_json(day_key(POSTERS, today), posters)
        if not self.reply_to_mentions or f"@{BOT_USERNAME}" not in post.message:
            return
        blocked = Counter(self.api, BLOCKED).value()
        self.api.create_post(
            channel_id=post.channel_id,
            user_id=self.bot_id,
            root_id=post.root_id or post.id,
            message=f"I have seen {seen} message(s) and blocked {blocked}.",
        )

    # -- the daily report ------------------------------------------------------------------------
    def daily_report(self) -> None:
        """Yesterday's numbers, posted in the report channel of every team (nothing on a quiet
        day); then yesterday's keys go, so the KV store does not grow day after day."""
        yesterday = now().date() - timedelta(days=1)
        # the posters document is read and written under this mutex everywhere
        with Mutex(self.api, POSTERS):
            raw = {name: self.api.kv_get(day_key(name, yesterday))
                   for name in (SEEN, BLOCKED, POSTERS)}
            seen, blocked = int(raw[SEEN] or 0), int(raw[BLOCKED] or 0)
            if (seen or blocked) and self.report_channel:
                text = (f"Daily report for {yesterday.isoformat()}: {seen} message(s), "
                        f"{blocked} blocked.")
                posters: dict[str, int] = json.loads(raw[POSTERS] or b"{}")
                if posters:
                    top, count = max(posters.items(), key=lambda item: (item[1], item[0]))
                    text += f" Most active: @{self.api.get_user(top).username} ({count})."
                self.post_in_every_team(self.report_channel, text)
            for name, value in raw.items():
                if value is not None:  # compare-and-delete: a late count keeps its key
                    self.api.kv_compare_and_delete(day_key(name, yesterday), value)

    # -- helpers -------------------------------------------------------------------------------
    def post_in_every_team(self, channel_name: str, text: str) -> None:
        for team in self.api.get_teams():
            try:
                channel = self.api.get_channel_by_name(team.id, channel_name)
            except NotFoundError:  # no such channel in this team
                continue
            self.api.create_post(channel_id=channel.id, user_id=self.bot_id, message=text)

    def blocked_word(self, message: str) -> str | None:
        words = set(re.findall(r"[\w'-]+", message.lower()))
        return next((w for w in self.blocked_words if w in words), None)
