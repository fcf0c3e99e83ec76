"""Credentials module, OCPI 2.2.1 (credentials.md): GET, POST (register), PUT (update), DELETE (unregister)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.deps import credentials_service, presented_token
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import MethodNotAllowedError
from ocpi_engine.models.v221.credentials import Credentials
from ocpi_engine.services.credentials import own_credentials

VERSION = "2.2.1"
_decoder = msgspec.json.Decoder(Credentials)


@get("/")
async def get_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our credentials as the caller uses them (its own token, our versions URL and roles)."""
    return ocpi_response(own_credentials(request.app.state.settings, presented_token(request), VERSION))


@post("/", status_code=200)
async def post_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Registration with Token A: fetch the caller's versions/endpoints, answer a new Token C."""
    if caller.partner.status == "REGISTERED":
        raise MethodNotAllowedError("already registered: use PUT to update credentials or DELETE to unregister")
    credentials = decode_body(await request.body(), Credentials, decoder=_decoder)
    data = await credentials_service(request).register_incoming(caller.partner, credentials, VERSION)
    return ocpi_response(data)


@put("/")
async def put_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Update: re-fetch the caller's endpoints, switch version if needed, answer a new token."""
    if caller.partner.status != "REGISTERED":
        raise MethodNotAllowedError("not registered: POST credentials with a Token A first")
    credentials = decode_body(await request.body(), Credentials, decoder=_decoder)
    data = await credentials_service(request).update_incoming(caller.partner, credentials, VERSION)
    return ocpi_response(data)


@delete("/", status_code=200)
async def delete_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Unregister: the caller's token dies."""
    await credentials_service(request).unregister_incoming(caller.partner)
    return ocpi_response()


INTERFACES = [
    ModuleInterface(
        version=VERSION,
        identifier="credentials",
        role="SENDER",
        party_role=None,
        handlers=[get_credentials, post_credentials, put_credentials, delete_credentials],
    )
]
