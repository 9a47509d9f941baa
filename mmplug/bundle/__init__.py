"""Bundling: manifest validation, vendoring, deterministic tarballs, safe inspection.

Public surface::

    validate_manifest(data: dict) -> list[Finding]          # mmplug.manifest: the server's checks
    build_bundle(BundleOptions(project=Path(...))) -> BundleResult
    inspect_bundle(path: Path) -> Report                      # never extracts anything

Heavy work (pip, tar) is imported on use; importing this package stays cheap.
"""

from __future__ import annotations

from mmplug.bundle.build import BundleOptions, BundleResult, build_bundle
from mmplug.bundle.inspect import Report, inspect_bundle
from mmplug.manifest import Finding, validate_manifest

__all__ = [
    "BundleOptions",
    "BundleResult",
    "Finding",
    "Report",
    "build_bundle",
    "inspect_bundle",
    "validate_manifest",
]
