"""Versions module (transport.md section 6): version information and version details for 2.2.1 and 2.1.1.

2.2.1 publishes one details document with SENDER and RECEIVER interfaces of every hosted role. 2.1.1 has
no interface roles, so each hosted party role gets its own details (`/ocpi/2.1.1/cpo`, `/ocpi/2.1.1/emsp`)
and version list (`/ocpi/cpo/versions`, `/ocpi/emsp/versions`); `/ocpi/2.1.1` is the first hosted role's.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get

from ocpi_engine.api.envelope import encoder, ocpi_raw_response
from ocpi_engine.api.registry import endpoint_path, interfaces
from ocpi_engine.errors import NotFoundError
from ocpi_engine.settings import Settings

__all__ = ["versions_router", "v211_party_roles"]

_V211_ROLES = ("CPO", "EMSP")


def v211_party_roles(settings: Settings) -> list[str]:
    return [r for r in settings.roles if r in _V211_ROLES]


def _cached(request: Request[Any, Any, Any], key: str, build: Any) -> Response[bytes]:
    """Version documents depend only on settings and the module registry: encode each once per app."""
    cache: dict[str, bytes] = request.app.state.setdefault("versions_cache", {})
    data = cache.get(key)
    if data is None:
        data = cache[key] = encoder.encode(build())
    return ocpi_raw_response(data)


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _version_list(settings: Settings, v211_role: str | None) -> list[dict[str, str]]:
    base = settings.public_url
    versions = [{"version": "2.2.1", "url": f"{base}/ocpi/2.2.1"}]
    roles = v211_party_roles(settings)
    if roles:
        role = v211_role or roles[0]
        versions.append({"version": "2.1.1", "url": f"{base}/ocpi/2.1.1/{role.lower()}"})
    return versions


@get("/ocpi/versions", sync_to_thread=False)
def get_versions(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Version information: the versions we speak and their details URLs."""
    return _cached(request, "versions", lambda: _version_list(_settings(request), None))


@get("/ocpi/{party:str}/versions", sync_to_thread=False)
def get_party_versions(request: Request[Any, Any, Any], party: str) -> Response[bytes]:
    """Version information for one party role (2.1.1 connections are per CPO or eMSP interface)."""
    settings = _settings(request)
    role = party.upper()
    if role not in v211_party_roles(settings):
        raise NotFoundError(f"this platform hosts no {party} role")
    return _cached(request, f"versions:{role}", lambda: _version_list(settings, role))


@get("/ocpi/2.2.1", sync_to_thread=False)
def get_details_221(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Version details 2.2.1: every interface we host, with its InterfaceRole."""
    settings = _settings(request)

    def build() -> dict[str, Any]:
        endpoints = [
            {"identifier": i.identifier, "role": i.role, "url": settings.public_url + endpoint_path(i)}
            for i in interfaces(settings, "2.2.1")
        ]
        return {"version": "2.2.1", "endpoints": endpoints}

    return _cached(request, "2.2.1", build)


def _details_211(settings: Settings, role: str) -> dict[str, Any]:
    endpoints = [
        {"identifier": i.identifier, "url": settings.public_url + endpoint_path(i)}
        for i in interfaces(settings, "2.1.1", party_role=role)
    ]
    return {"version": "2.1.1", "endpoints": endpoints}


@get("/ocpi/2.1.1", sync_to_thread=False)
def get_details_211(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Version details 2.1.1 of the first hosted party role."""
    settings = _settings(request)
    roles = v211_party_roles(settings)
    if not roles:
        raise NotFoundError("this platform hosts no CPO or EMSP role, so it speaks no OCPI 2.1.1")
    return _cached(request, "2.1.1", lambda: _details_211(settings, roles[0]))


def _party_details_211(request: Request[Any, Any, Any], party: str) -> Response[bytes]:
    """Version details 2.1.1 of one party role (`cpo` or `emsp`)."""
    settings = _settings(request)
    role = party.upper()
    if role not in v211_party_roles(settings):
        raise NotFoundError(f"this platform hosts no {party} role")
    return _cached(request, f"2.1.1:{role}", lambda: _details_211(settings, role))


# Static paths: the module routers below /ocpi/2.1.1/cpo/... would shadow a `{party}` parameter here.
@get("/ocpi/2.1.1/cpo", sync_to_thread=False)
def get_cpo_details_211(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Version details 2.1.1 of our CPO side."""
    return _party_details_211(request, "cpo")


@get("/ocpi/2.1.1/emsp", sync_to_thread=False)
def get_emsp_details_211(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Version details 2.1.1 of our eMSP side."""
    return _party_details_211(request, "emsp")


def versions_router() -> Router:
    return Router(
        path="/",
        route_handlers=[get_versions, get_party_versions, get_details_221, get_details_211, get_cpo_details_211,
                        get_emsp_details_211],
        tags=["OCPI versions"],
    )
