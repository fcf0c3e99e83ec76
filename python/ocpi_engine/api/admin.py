"""Admin API (not OCPI): partner management and the platform's own data import, behind the admin token.

`Authorization: Bearer <admin token>` (the token is OCPI_ENGINE_ADMIN_TOKEN, or generated on first start
and printed by `ocpi-engine serve`).
"""

from __future__ import annotations

import datetime
import hmac
from typing import Any

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.errors import NotFoundError, UnauthorizedError
from ocpi_engine.services.importer import import_lines
from ocpi_engine.storage.base import PartnerRecord

__all__ = ["admin_router", "partner_view"]


async def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    header = connection.headers.get("authorization") or ""
    scheme, _sep, value = header.partition(" ")
    expected = connection.app.state.admin_token
    if scheme.lower() not in ("bearer", "token") or not hmac.compare_digest(value.strip(), expected):
        raise UnauthorizedError("admin API: send `Authorization: Bearer <admin token>`")


def partner_view(partner: PartnerRecord) -> dict[str, Any]:
    """A partner without secrets (no tokens, no token hashes)."""
    return {
        "id": partner.id,
        "name": partner.name,
        "status": partner.status,
        "version": partner.version,
        "versions_url": partner.versions_url,
        "roles": partner.roles,
        "endpoints": partner.endpoints,
        "outbound_auth": partner.outbound_auth,
        "created": partner.created,
        "updated": partner.updated,
    }


class NewPartner(msgspec.Struct, kw_only=True):
    name: str


class RegisterPartner(msgspec.Struct, kw_only=True):
    versions_url: str
    token_a: str
    name: str | None = None


async def _partner(request: Request[Any, Any, Any], partner_id: int) -> PartnerRecord:
    partner = await request.app.state.store.get_partner(partner_id)
    if partner is None:
        raise NotFoundError(f"no partner {partner_id}; see GET /admin/partners")
    return partner


@get("/partners")
async def list_partners(request: Request[Any, Any, Any]) -> Response[bytes]:
    partners = await request.app.state.store.list_partners()
    return ocpi_response([partner_view(p) for p in partners])


@post("/partners", status_code=201)
async def add_partner(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Create a pending partner and its Token A (shown once; hand it over with our versions URL)."""
    body = decode_body(await request.body(), NewPartner)
    partner, token_a = await request.app.state.credentials.issue_token_a(body.name)
    data = {"partner": partner_view(partner), "token_a": token_a,
            "versions_url": request.app.state.settings.versions_url}
    return ocpi_response(data, http_status=201)


@post("/partners/register", status_code=200)
async def register_partner(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Register with a partner given its versions URL and the Token A it gave us."""
    body = decode_body(await request.body(), RegisterPartner)
    partner = await request.app.state.credentials.register_with(body.versions_url, body.token_a, name=body.name)
    return ocpi_response(partner_view(partner))


@post("/partners/{partner_id:int}/update", status_code=200)
async def update_partner(request: Request[Any, Any, Any], partner_id: int) -> Response[bytes]:
    """Credentials update with the partner: new tokens both ways, endpoints re-fetched."""
    partner = await request.app.state.credentials.update_with(await _partner(request, partner_id))
    return ocpi_response(partner_view(partner))


@delete("/partners/{partner_id:int}", status_code=200)
async def remove_partner(request: Request[Any, Any, Any], partner_id: int, force: bool = False) -> Response[bytes]:
    """Unregister (DELETE at the partner), then forget its tokens; `force` forgets even if the partner fails."""
    partner = await _partner(request, partner_id)
    await request.app.state.credentials.unregister_with(partner, force=force)
    return ocpi_response()


@post("/import/{kind:str}", status_code=200, request_max_body_size=1 << 30)
async def import_objects(request: Request[Any, Any, Any], kind: str) -> Response[bytes]:
    """Import the platform's own objects from JSON Lines (one OCPI 2.2.1 object per line)."""
    body = await request.body()
    state = request.app.state
    result = await import_lines(
        kind, body.splitlines(), store=state.store, settings=state.settings, context=state
    )
    return ocpi_response(msgspec.to_builtins(result))


class AuthorizeRequest(msgspec.Struct, kw_only=True):
    uid: str
    type: str = "RFID"
    location_id: str | None = None
    evse_uids: list[str] | None = None


@post("/tokens/authorize", status_code=200)
async def authorize_token(request: Request[Any, Any, Any]) -> Response[bytes]:
    """CPO side: a driver presented this token; decide by its whitelist type (real-time call where required)."""
    from ocpi_engine.api.params import ci_string, token_type
    from ocpi_engine.models.v221.tokens import LocationReferences, TokenType

    body = decode_body(await request.body(), AuthorizeRequest)
    uid = ci_string(body.uid, "uid", 36)
    kind = token_type(body.type, TokenType)
    location = None
    if body.location_id is not None:
        location = LocationReferences(location_id=ci_string(body.location_id, "location_id", 36),
                                      evse_uids=body.evse_uids)
    decision = await request.app.state.tokens.decide(uid, kind, location)
    return ocpi_response(msgspec.to_builtins(decision))


@patch("/tokens/{uid:str}", status_code=200)
async def patch_own_token(request: Request[Any, Any, Any], uid: str) -> Response[bytes]:
    """eMSP side: change one of our own tokens (e.g. `{"valid": false}` blocks it); `?type=` defaults to RFID,
    `last_updated` to now. The push to every receiving partner is queued with the write; answers the token."""
    from ocpi_engine.api.bodies import validation_error
    from ocpi_engine.api.params import ci_string, token_type
    from ocpi_engine.models.v221.tokens import TokenPatch, TokenType

    uid = ci_string(uid, "uid", 36)
    kind = token_type(request.query_params.get("type"), TokenType)
    fields = decode_body(await request.body(), dict[str, Any])
    fields.setdefault("last_updated", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    try:
        changes = msgspec.convert(fields, TokenPatch)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc
    settings = request.app.state.settings
    token = await request.app.state.tokens.patch(settings.country_code, settings.party_id, uid, kind, changes,
                                                 partner_id=None)
    return ocpi_response(msgspec.to_builtins(token))


def admin_router() -> Router:
    from ocpi_engine.api.admin_cdrs import cdr_discrepancies
    from ocpi_engine.api.admin_commands import ADMIN_HANDLERS as COMMAND_HANDLERS

    return Router(
        path="/admin",
        route_handlers=[list_partners, add_partner, register_partner, update_partner, remove_partner, import_objects,
                        authorize_token, patch_own_token, *COMMAND_HANDLERS,
                        cdr_discrepancies],
        guards=[admin_guard],
        tags=["admin"],
    )
