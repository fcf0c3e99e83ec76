"""Credentials module, OCPI 2.1.1 (credentials.md section 7): one endpoint per hosted party role, since a
2.1.1 connection is between one CPO and one eMSP; a partner registering at our CPO side is an eMSP."""

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
from ocpi_engine.models.v211.credentials import Credentials
from ocpi_engine.services.credentials import own_credentials

VERSION = "2.1.1"
_decoder = msgspec.json.Decoder(Credentials)
_OPPOSITE = {"CPO": "EMSP", "EMSP": "CPO"}


def _handlers(party_role: str) -> list[Any]:
    peer_role = _OPPOSITE[party_role]

    @get("/", name=f"v211-{party_role}-get-credentials")
    async def get_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        return ocpi_response(own_credentials(request.app.state.settings, presented_token(request), VERSION))

    @post("/", status_code=200, name=f"v211-{party_role}-post-credentials")
    async def post_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        if caller.partner.status == "REGISTERED":
            raise MethodNotAllowedError("already registered: use PUT to update credentials or DELETE to unregister")
        credentials = decode_body(await request.body(), Credentials, decoder=_decoder)
        service = credentials_service(request)
        data = await service.register_incoming(caller.partner, credentials, VERSION, v211_role=peer_role)
        return ocpi_response(data)

    @put("/", name=f"v211-{party_role}-put-credentials")
    async def put_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        if caller.partner.status != "REGISTERED":
            raise MethodNotAllowedError("not registered: POST credentials with a Token A first")
        credentials = decode_body(await request.body(), Credentials, decoder=_decoder)
        service = credentials_service(request)
        data = await service.update_incoming(caller.partner, credentials, VERSION, v211_role=peer_role)
        return ocpi_response(data)

    @delete("/", status_code=200, name=f"v211-{party_role}-delete-credentials")
    async def delete_credentials(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        await credentials_service(request).unregister_incoming(caller.partner)
        return ocpi_response()

    return [get_credentials, post_credentials, put_credentials, delete_credentials]


INTERFACES = [
    ModuleInterface(
        version=VERSION, identifier="credentials", role="SENDER", party_role=role, handlers=_handlers(role)
    )
    for role in ("CPO", "EMSP")
]
