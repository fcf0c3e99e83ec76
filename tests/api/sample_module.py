"""A test-only OCPI module (identifier `things`, CPO SENDER) to exercise routing, auth and pagination."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.pagination import list_objects
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.storage.base import OWN


@get("/")
async def list_things(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    return await list_objects(request, request.app.state.store, "things", partner_id=OWN)


INTERFACES = [
    ModuleInterface(version="2.2.1", identifier="things", role="SENDER", party_role="CPO", handlers=[list_things])
]
