"""The plugin: activation, configuration and logging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmplug.sdk import Plugin


@dataclass(frozen=True)
class Settings:
    """The plugin's settings (settings_schema in plugin.json), checked."""

    greeting: str = "Hello"
    max_length: int = 200
    verbose_logging: bool = False

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        greeting = str(config.get("greeting") or cls.greeting).strip()
        try:
            max_length = int(config.get("max_length", cls.max_length))
        except (TypeError, ValueError):
            raise ValueError(f"max_length must be a number, not {config.get('max_length')!r}")
        if not 1 <= max_length <= 1000:
            raise ValueError(f"max_length must be between 1 and 1000, not {max_length}")
        if len(greeting) > max_length:
            raise ValueError(f"the greeting is longer than max_length ({max_length})")
        return cls(greeting, max_length, bool(config.get("verbose_logging", False)))


class {{cookiecutter.__class_name}}(Plugin):
    """{{ cookiecutter.description|replace('\\', '/')|replace('"', "'") }}"""

    settings = Settings()

    def on_configuration_change(self) -> None:
        # Runs when the plugin starts (before on_activate) and whenever an admin saves the
        # settings. Raising rejects the configuration: the server shows the message.
        self.settings = Settings.from_config(self.api.get_plugin_config())
        if self.settings.verbose_logging:
            self.logger.info("configuration loaded", extra={"greeting": self.settings.greeting})

    def on_activate(self) -> None:
        version = self.api.get_server_version()
        self.logger.info("activated", extra={"server_version": version})

    def on_deactivate(self) -> None:
        self.logger.info("deactivated")

    def greet(self, name: str) -> str:
        return f"{self.settings.greeting}, {name}!"
