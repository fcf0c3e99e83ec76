"""OCPI 2.2.1 version information and version details (transport.md section 6)."""

from __future__ import annotations

from ocpi_engine.models._base import OcpiStruct, Url
from ocpi_engine.models.versions import InterfaceRole, ModuleID, VersionNumber

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Version(OcpiStruct):
    version: VersionNumber | str
    url: Url


class Endpoint(OcpiStruct):
    # Custom module ids are allowed between parties that agreed on them, so unknown strings decode.
    identifier: ModuleID | str
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiStruct):
    version: VersionNumber | str
    endpoints: list[Endpoint]
