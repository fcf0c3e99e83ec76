"""OCPI 2.1.1 version information and version details: endpoints carry no `role`."""

from __future__ import annotations

from ocpi_engine.models._base import OcpiStruct, Url
from ocpi_engine.models.v221.versions import Version

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Endpoint(OcpiStruct):
    identifier: str
    """A ModuleID; custom module ids agreed between parties decode too."""
    url: Url


class VersionDetails(OcpiStruct):
    version: str
    """A VersionNumber (`2.1.1`, `2.2.1`, ...); other strings are tolerated on input."""
    endpoints: list[Endpoint]
