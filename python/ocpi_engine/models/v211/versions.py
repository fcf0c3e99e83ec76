"""OCPI 2.1.1 version information and version details: endpoints carry no `role`."""

from __future__ import annotations

from ocpi_engine.models._base import OcpiStruct, Url
from ocpi_engine.models.v221.versions import Version
from ocpi_engine.models.versions import ModuleID, VersionNumber

__all__ = ["Endpoint", "Version", "VersionDetails"]


class Endpoint(OcpiStruct):
    identifier: ModuleID | str
    url: Url


class VersionDetails(OcpiStruct):
    version: VersionNumber | str
    endpoints: list[Endpoint]
