"""Server parity of server facts: GetServerVersion, GetSystemInstallDate, GetDiagnosticId,
GetTelemetryId, GetLicense, IsEnterpriseReady."""

from __future__ import annotations

import pytest
from worldhost import Host

from mmplug.protocol import api_remaining_pb2 as rem

PLUGIN_API = "server/channels/app/plugin_api.go"


@pytest.mark.parity(
    ("GetDiagnosticId", "GetTelemetryId"),
    PLUGIN_API + ": (*PluginAPI).GetDiagnosticId, GetTelemetryId",
)
def test_diagnostic_and_telemetry_ids_are_the_same_id(host: Host) -> None:
    """Both answer the server's telemetry id: the same 26-character id, every time."""
    diag = host.api.GetDiagnosticId(rem.GetDiagnosticIdRequest()).diagnostic_id
    assert len(diag) == 26
    assert host.api.GetTelemetryId(rem.GetTelemetryIdRequest()).telemetry_id == diag
    assert host.api.GetDiagnosticId(rem.GetDiagnosticIdRequest()).diagnostic_id == diag


@pytest.mark.parity(("GetLicense", "IsEnterpriseReady"), PLUGIN_API + ": (*PluginAPI).GetLicense")
def test_a_team_edition_server_has_no_license(host: Host) -> None:
    """Without a license GetLicense answers nil (not an error) and the build is not
    enterprise ready."""
    rsp = host.api.GetLicense(rem.GetLicenseRequest())
    assert rsp.license_json == b"" and not rsp.error.id
    assert not host.api.IsEnterpriseReady(rem.IsEnterpriseReadyRequest()).is_enterprise_ready


@pytest.mark.parity(
    "GetSystemInstallDate", "server/channels/app/platform/config.go: GetSystemInstallDate"
)
def test_install_date_is_the_worlds_and_stays(host: Host) -> None:
    """The install date is a fixed time in milliseconds (the world's start), the same on
    every call."""
    first = host.api.GetSystemInstallDate(rem.GetSystemInstallDateRequest()).install_date
    assert first == host.info.epoch_ms
    assert host.api.GetSystemInstallDate(rem.GetSystemInstallDateRequest()).install_date == first


@pytest.mark.parity("GetServerVersion", PLUGIN_API + ": (*PluginAPI).GetServerVersion")
def test_server_version_is_a_plain_three_part_version(host: Host) -> None:
    """GetServerVersion answers the server's version as major.minor.patch (no build or
    edition suffix), never an error; it is the world's `server.version`."""
    rsp = host.api.GetServerVersion(rem.GetServerVersionRequest())
    assert not rsp.error.id
    parts = rsp.version.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)
    assert rsp.version == host.store.get_meta("server")["version"]
