"""OCPI 2.2.1 version information and version details (transport.md section 6)."""

from __future__ import annotations

from ocpi_engine.models._base import OcpiStruct, Url
from ocpi_engine.models.versions import InterfaceRole

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Version(OcpiStruct):
    version: str
    """A VersionNumber (`2.1.1`, `2.2.1`, ...); other strings are tolerated on input."""
    url: Url


class Endpoint(OcpiStruct):
    # Custom module ids are allowed between parties that agreed on them, so unknown strings decode.
    identifier: str
    """A ModuleID; custom module ids agreed between parties decode too."""
    role: InterfaceRole
    url: Url


class VersionDetails(OcpiStruct):
    version: str
    """A VersionNumber (`2.1.1`, `2.2.1`, ...); other strings are tolerated on input."""
    endpoints: list[Endpoint]
