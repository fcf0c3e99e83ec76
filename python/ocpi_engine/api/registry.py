"""Which OCPI module interfaces this platform serves, and where.

Each OCPI module has one controller module per version (`api/v221/<module>.py`, `api/v211/<module>.py`)
exporting `INTERFACES: list[ModuleInterface]`. Adding a module is one line in `MODULES` below: its
routes are mounted, guarded by partner authentication, and listed in version details (only when the
platform hosts the interface's party role). See docs/DEVELOPING.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Router
from litestar.di import Provide

from ocpi_engine.api.auth import provide_caller
from ocpi_engine.settings import Settings

__all__ = ["MODULES", "ModuleInterface", "interfaces", "build_routers", "endpoint_path"]

MODULES: list[str] = [
    "ocpi_engine.api.v221.credentials",
    "ocpi_engine.api.v211.credentials",
    "ocpi_engine.api.v221.tokens",
    "ocpi_engine.api.v211.tokens",
    "ocpi_engine.api.v221.commands",
    "ocpi_engine.api.v211.commands",
    "ocpi_engine.api.v221.chargingprofiles",
    "ocpi_engine.api.v221.hubclientinfo",
    "ocpi_engine.api.v221.locations",
    "ocpi_engine.api.v211.locations",
    "ocpi_engine.api.v221.tariffs",
    "ocpi_engine.api.v211.tariffs",
    "ocpi_engine.api.v221.sessions",
    "ocpi_engine.api.v221.cdrs",
    "ocpi_engine.api.v211.sessions",
    "ocpi_engine.api.v211.cdrs",
]
"""Controller modules, one line each."""


@dataclass(frozen=True)
class ModuleInterface:
    version: str
    """`2.2.1` or `2.1.1`."""
    identifier: str
    """The ModuleID (`locations`, `tokens`, ...)."""
    role: str
    """2.2.1 InterfaceRole of this interface: SENDER or RECEIVER (2.1.1: the same meaning, not published)."""
    party_role: str | None
    """Our party role hosting it (CPO, EMSP, ...), or None for configuration modules (credentials)."""
    handlers: Sequence[Any] = field(default_factory=list)
    """Litestar controllers / route handlers, with paths relative to the interface URL."""


def endpoint_path(interface: ModuleInterface) -> str:
    """`/ocpi/{version}/{cpo|emsp|...}/{module}` (configuration modules: `/ocpi/{version}/{module}`)."""
    if interface.party_role is None:
        return f"/ocpi/{interface.version}/{interface.identifier}"
    return f"/ocpi/{interface.version}/{interface.party_role.lower()}/{interface.identifier}"


def interfaces(settings: Settings, version: str | None = None, party_role: str | None = None) -> list[ModuleInterface]:
    """The interfaces this platform serves (hosted party roles only), optionally for one version / party role."""
    found: list[ModuleInterface] = []
    for name in MODULES:
        for interface in importlib.import_module(name).INTERFACES:
            if version is not None and interface.version != version:
                continue
            if interface.party_role is not None and interface.party_role not in settings.roles:
                continue
            if party_role is not None and interface.party_role not in (None, party_role):
                continue
            found.append(interface)
    return found


def build_routers(settings: Settings) -> list[Router]:
    return [
        Router(
            path=endpoint_path(interface),
            route_handlers=list(interface.handlers),
            dependencies={"caller": Provide(provide_caller, sync_to_thread=False)},
            tags=[f"OCPI {interface.version}"],
        )
        for interface in interfaces(settings)
    ]
