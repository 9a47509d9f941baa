"""scripts/gen_config_types.py reads the server's config.go into the data file the fake host's
configuration decoder types every setting with; the settings it gives defaults are in it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from mmplug.host.api import _config_model as model

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "gen_config_types.py"

CONFIG_GO = """package model

// Example:
//
//	type HairSettings struct {
//	    Colour string `access:"reporting"`
//	}
type Config struct {
	ServiceSettings ServiceSettings
	PluginSettings  PluginSettings
	FeatureFlags    *FeatureFlags `access:"*_read" json:",omitempty"`
}

type ServiceSettings struct {
	SiteURL *string `access:"environment_web_server"` // telemetry: none
	// In seconds.
	ReadTimeout    *int
	Ciphers        []string // a list
	Renamed        *bool `json:"OtherName"`
	Hidden         *bool `json:"-"`
	internal       int
	VaryByHeader   string
	ReplicaLag     []*ReplicaLagSettings
}

type ReplicaLagSettings struct {
	DataSource *string
}

type PluginState struct {
	Enable bool
}

type PluginSettings struct {
	Plugins      map[string]map[string]any
	PluginStates map[string]*PluginState
}

type Unused struct {
	X *int
}
"""


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, check=False, cwd=tmp_path)


def test_the_generator_reads_every_field_of_the_structs_config_reaches() -> None:
    spec = importlib.util.spec_from_file_location("gen_config_types", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    data = script.build(CONFIG_GO)
    assert data["root"] == "Config"
    assert data["external"] == ["FeatureFlags"]
    structs = data["structs"]
    assert isinstance(structs, dict)
    assert list(structs) == ["Config", "ServiceSettings", "PluginSettings",
                             "ReplicaLagSettings", "PluginState"]
    assert structs["ServiceSettings"] == {
        "SiteURL": "*string", "ReadTimeout": "*int", "Ciphers": "[]string",
        "OtherName": "*bool", "VaryByHeader": "string",
        "ReplicaLag": "[]*ReplicaLagSettings",
    }
    assert structs["PluginSettings"] == {"Plugins": "map[string]map[string]any",
                                         "PluginStates": "map[string]*PluginState"}


def test_the_generator_refuses_a_file_that_is_not_config_go(tmp_path: Path) -> None:
    (tmp_path / "other.go").write_text("package model\n\ntype X struct {\n\tA *int\n}\n",
                                       encoding="utf-8")
    done = _run(tmp_path, "other.go")
    assert done.returncode == 2
    assert "no `type Config struct`" in done.stderr
    missing = _run(tmp_path, "missing.go")
    assert missing.returncode == 2
    assert "cannot read missing.go" in missing.stderr


def test_the_committed_data_file_is_generated_output() -> None:
    data = json.loads((REPO / "mmplug" / "host" / "api" / "config_types.json")
                      .read_text(encoding="utf-8"))
    assert data["source"] == "server/public/model/config.go"
    assert data["structs"]["ServiceSettings"]["ReadTimeout"] == "*int"


def test_every_setting_given_a_default_is_a_field_config_go_declares() -> None:
    for section, settings in model.SETTINGS.items():
        fields = model.STRUCTS[model.SECTIONS[section]]
        assert set(settings) <= set(fields), (section, set(settings) - set(fields))
    for (section, name), settings in model.NESTED_SETTINGS.items():
        fields = model.STRUCTS[model.STRUCTS[model.SECTIONS[section]][name].lstrip("*")]
        assert set(settings) <= set(fields), (section, name, set(settings) - set(fields))
