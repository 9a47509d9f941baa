"""Server information: version, install date, diagnostic/telemetry id, license, edition.

Values come from the world (meta key ``server``). A store without a world gets the default
version and, on first use, an install date and a diagnostic id that are then kept.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mmplug.host.api._registry import ApiContext, emulates
from mmplug.protocol import api_remaining_pb2 as pb

SERVER_META = "server"
DEFAULT_SERVER_VERSION = "10.5.0"
# model.LicenseToLicenseTier: the license tiers by SKU short name
_LICENSE_TIERS = {"professional": 10, "enterprise": 20, "advanced": 30, "entry": 30}
_PROFESSIONAL_TIER = _LICENSE_TIERS["professional"]
_ENTERPRISE_ADVANCED_TIER = _LICENSE_TIERS["advanced"]


def _server_facts(db: sqlite3.Connection) -> dict[str, Any]:
    """The world's server facts as the store keeps them (version, edition, license, ...)."""
    row = db.execute("SELECT value FROM meta WHERE key=?", (SERVER_META,)).fetchone()
    facts: dict[str, Any] = json.loads(row[0]) if row else {}
    return facts


def world_license(db: sqlite3.Connection) -> Any:
    """The world's license document as given (None without one: a Team Edition server)."""
    return _server_facts(db).get("license")


def _license_tier(db: sqlite3.Connection) -> int:
    """The tier of the world's license (0 without one), as its ``sku_short_name`` says."""
    license_doc = world_license(db) or {}
    sku = license_doc.get("sku_short_name") if isinstance(license_doc, dict) else None
    return _LICENSE_TIERS.get(str(sku), 0)


def minimum_professional_license(db: sqlite3.Connection) -> bool:
    """``model.MinimumProfessionalLicense``: the world's license (none by default) is of
    the professional tier or higher."""
    return _license_tier(db) >= _PROFESSIONAL_TIER


def minimum_enterprise_advanced_license(db: sqlite3.Connection) -> bool:
    """``model.MinimumEnterpriseAdvancedLicense``: the world's license is of the enterprise
    advanced tier (``advanced``, ``entry``)."""
    return _license_tier(db) >= _ENTERPRISE_ADVANCED_TIER


def server_meta(ctx: ApiContext) -> dict[str, Any]:
    """The server facts, filling (and keeping) an install date and diagnostic id if absent."""
    info: dict[str, Any] = dict(ctx.store.get_meta(SERVER_META) or {})
    if "install_date" in info and "diagnostic_id" in info:
        return info
    with ctx.store.tx() as db:
        info = _server_facts(db)
        info.setdefault("version", DEFAULT_SERVER_VERSION)
        info.setdefault("install_date", ctx.now())
        info.setdefault("diagnostic_id", ctx.new_id())
        ctx.store.set_meta(SERVER_META, info, db)
    return info


@emulates("GetServerVersion")
def get_server_version(
    ctx: ApiContext, req: pb.GetServerVersionRequest
) -> pb.GetServerVersionResponse:
    version = (ctx.store.get_meta(SERVER_META) or {}).get("version", DEFAULT_SERVER_VERSION)
    return pb.GetServerVersionResponse(version=str(version))


@emulates("GetSystemInstallDate")
def get_system_install_date(
    ctx: ApiContext, req: pb.GetSystemInstallDateRequest
) -> pb.GetSystemInstallDateResponse:
    return pb.GetSystemInstallDateResponse(install_date=int(server_meta(ctx)["install_date"]))


@emulates("GetDiagnosticId")
def get_diagnostic_id(
    ctx: ApiContext, req: pb.GetDiagnosticIdRequest
) -> pb.GetDiagnosticIdResponse:
    return pb.GetDiagnosticIdResponse(diagnostic_id=str(server_meta(ctx)["diagnostic_id"]))


@emulates("GetTelemetryId")
def get_telemetry_id(ctx: ApiContext, req: pb.GetTelemetryIdRequest) -> pb.GetTelemetryIdResponse:
    # The server's telemetry id is its diagnostic id.
    return pb.GetTelemetryIdResponse(telemetry_id=str(server_meta(ctx)["diagnostic_id"]))


@emulates("GetLicense")
def get_license(ctx: ApiContext, req: pb.GetLicenseRequest) -> pb.GetLicenseResponse:
    """No license (nil), like a Team Edition server, unless the world carries one."""
    with ctx.store.read() as db:
        license_doc = world_license(db)
    if not license_doc:
        return pb.GetLicenseResponse()
    return pb.GetLicenseResponse(license_json=json.dumps(license_doc, sort_keys=True).encode())


@emulates("IsEnterpriseReady")
def is_enterprise_ready(
    ctx: ApiContext, req: pb.IsEnterpriseReadyRequest
) -> pb.IsEnterpriseReadyResponse:
    edition = (ctx.store.get_meta(SERVER_META) or {}).get("edition", "team")
    return pb.IsEnterpriseReadyResponse(is_enterprise_ready=edition == "enterprise")
