"""`create_app(settings)`: the Litestar application."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from ocpi_engine.api.admin import admin_router
from ocpi_engine.api.envelope import encoder
from ocpi_engine.api.errors import EXCEPTION_HANDLERS
from ocpi_engine.api.health import health
from ocpi_engine.api.lifespan import lifespan
from ocpi_engine.api.middleware import OcpiHeadersMiddleware
from ocpi_engine.api.registry import build_routers
from ocpi_engine.api.versions import versions_router
from ocpi_engine.errors import NotFoundError
from ocpi_engine.settings import Settings

__all__ = ["create_app"]

_OPENAPI_DOCS = {
    "2.2.1": ("/ocpi/versions", "/ocpi/2.2.1"),
    "2.1.1": ("/ocpi/2.1.1", "/ocpi/cpo/versions", "/ocpi/emsp/versions", "/ocpi/{party}/versions"),
    "admin": ("/admin",),
}


@get("/openapi/{document:str}", sync_to_thread=False, include_in_schema=False)
def openapi_document(request: Request[Any, Any, Any], document: str) -> Response[bytes]:
    """OpenAPI document of one OCPI version's routes (`2.2.1.json`, `2.1.1.json`) or the admin API (`admin.json`)."""
    name = document.removesuffix(".json")
    prefixes = _OPENAPI_DOCS.get(name)
    if prefixes is None:
        raise NotFoundError(f"no OpenAPI document {name!r}; try 2.2.1, 2.1.1 or admin")
    schema = request.app.openapi_schema.to_schema()
    paths = {
        path: item
        for path, item in schema.get("paths", {}).items()
        if any(path == p or path.startswith(p + "/") for p in prefixes)
    }
    title = f"ocpi-engine OCPI {name}" if name != "admin" else "ocpi-engine admin API"
    selected = {**schema, "paths": paths, "info": {**schema.get("info", {}), "title": title}}
    return Response(content=encoder.encode(selected), media_type="application/json")


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    return Litestar(
        route_handlers=[versions_router(), *build_routers(settings), admin_router(), health, openapi_document],
        # typed on plain ASGI dicts, since HotPathApp also runs it in front of Litestar's router (api/hot_paths.py)
        middleware=[OcpiHeadersMiddleware],  # type: ignore[list-item]
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        state=State({"settings": settings}),
        openapi_config=OpenAPIConfig(title="ocpi-engine", version="0.1.0", path="/schema"),
        logging_config=None,
        debug=False,
    )
