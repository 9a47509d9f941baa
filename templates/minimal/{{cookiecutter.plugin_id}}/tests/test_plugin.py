"""Tests run the real plugin process under mmplug's fake host (see `mmplug.testing`)."""

import pytest

from {{cookiecutter.package_name}}.plugin import Settings


def test_activates_and_logs(plugin):
    result = plugin.fire("OnActivate")
    assert result.ok, result.error
    assert any(record.message == "activated" for record in result.logs)
    assert "GetServerVersion" in [call.method for call in result.api_calls]


def test_reads_the_settings_on_configuration_change(plugin):
    plugin.configure(greeting="Howdy", verbose_logging=True)
    result = plugin.fire("OnConfigurationChange")
    assert result.ok, result.error
    assert [call.method for call in result.api_calls] == ["GetPluginConfig"]
    loaded = [r for r in result.logs if r.message == "configuration loaded"]
    assert loaded and loaded[0].fields["greeting"] == "Howdy"


def test_rejects_a_bad_configuration(plugin):
    plugin.configure(max_length=5000)
    result = plugin.fire("OnConfigurationChange")
    assert not result.ok
    assert "max_length must be between 1 and 1000" in result.error


@pytest.mark.parametrize("config, expected", [
    ({}, Settings()),
    ({"greeting": " Hi ", "max_length": "10"}, Settings("Hi", 10, False)),
])
def test_settings_from_config(config, expected):
    assert Settings.from_config(config) == expected
