"""The plugin: the /{{cookiecutter.__trigger}} slash command."""

from __future__ import annotations

from mmplug.sdk import NotFoundError, Plugin
from mmplug.sdk.model import CommandArgs, CommandResponse, PluginContext

TRIGGER = "{{cookiecutter.__trigger}}"
HELP = "\n".join([
    f"`/{TRIGGER} echo <text>`: repeat the text back to you",
    f"`/{TRIGGER} announce <text>`: post the text to this channel",
    f"`/{TRIGGER} whoami`: show who you are",
])


def ephemeral(text: str) -> CommandResponse:
    """A reply only the user who ran the command sees."""
    return CommandResponse(response_type="ephemeral", text=text)


def in_channel(text: str) -> CommandResponse:
    """A reply posted to the channel for everyone."""
    return CommandResponse(response_type="in_channel", text=text)


class {{cookiecutter.__class_name}}(Plugin):
    """{{ cookiecutter.description|replace('\\', '/')|replace('"', "'") }}"""

    def on_activate(self) -> None:
        self.api.register_command(
            TRIGGER,
            auto_complete=True,
            auto_complete_desc="Echo, announce, whoami",
            auto_complete_hint="[echo|announce|whoami|help]",
            display_name={{ cookiecutter.plugin_name|tojson }},
            description={{ cookiecutter.description|tojson }},
        )
        self.logger.info("command registered", extra={"trigger": TRIGGER})

    def execute_command(self, context: PluginContext, args: CommandArgs) -> CommandResponse:
        # args.command is the whole line the user typed, e.g. "/{{cookiecutter.__trigger}} echo hi"
        words = args.command.split()
        action = words[1].lower() if len(words) > 1 else "help"
        text = " ".join(words[2:])
        if action == "echo":
            return ephemeral(text or "Nothing to echo: try `/{{cookiecutter.__trigger}} echo hello`.")
        if action == "announce":
            if not text:
                return ephemeral("Nothing to announce: add some text after `announce`.")
            return in_channel(text)
        if action == "whoami":
            return self.whoami(args.user_id)
        if action != "help":
            return ephemeral(f"Unknown action `{action}`.\n{HELP}")
        return ephemeral(HELP)

    def whoami(self, user_id: str) -> CommandResponse:
        try:
            user = self.api.get_user(user_id)
        except NotFoundError:
            return ephemeral("The server does not know you.")
        self.logger.debug("whoami", extra={"user_id": user_id})
        return ephemeral(f"You are @{user.username} ({user.email}).")
