"""Tokens module, OCPI 2.2.1 (tokens.md): the CPO's Receiver (tokens pushed by eMSPs, client-owned) and the
eMSP's Sender (our own tokens: paginated list and real-time authorization)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import MEDIA_TYPE, encoder, envelope_bytes, ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import list_objects
from ocpi_engine.api.params import ci_string, token_type
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import InvalidParametersError, NotFoundError
from ocpi_engine.models.v221.tokens import (
    LocationReferences,
    Token,
    TokenPatch,
    TokenType,
    location_references_decoder,
    token_decoder,
    token_patch_decoder,
)
from ocpi_engine.services.tokens import MODULE, TokenService
from ocpi_engine.storage.base import OWN

VERSION = "2.2.1"
_OBJECT = "/{country_code:str}/{party_id:str}/{token_uid:str}"


def _service(request: Request[Any, Any, Any]) -> TokenService:
    service: TokenService = request.app.state.tokens
    return service


def _ids(country_code: str, party_id: str, token_uid: str) -> tuple[str, str, str]:
    return ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3), \
        ci_string(token_uid, "token_uid", 36)


# -- Receiver (CPO): tokens eMSPs push to us ------------------------------------------------------------
@get(_OBJECT)
async def get_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                    token_uid: str) -> Response[bytes]:
    """The token as we store it."""
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    kind = token_type(request.query_params.get("type"), TokenType)
    body = await _service(request).get(country_code, party_id, token_uid, kind)
    if body is None:
        raise NotFoundError(f"unknown token {token_uid} ({kind})")
    return ocpi_raw_response(body)


@put(_OBJECT)
async def put_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                    token_uid: str) -> Response[bytes]:
    """Create or replace a token (201 when new)."""
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    token = decode_body(await request.body(), Token, decoder=token_decoder)
    kind = token_type(request.query_params.get("type"), TokenType)
    check_matches_url(token, country_code, party_id, token_uid, kind)
    created = await _service(request).put(token, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@patch(_OBJECT)
async def patch_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      token_uid: str) -> Response[bytes]:
    """Update some fields; `last_updated` is required."""
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    changes = decode_body(await request.body(), TokenPatch, decoder=token_patch_decoder)
    kind = token_type(request.query_params.get("type"), TokenType)
    await _service(request).patch(country_code, party_id, token_uid, kind, changes, partner_id=caller.partner_id)
    return ocpi_response()


def check_matches_url(token: Token, country_code: str, party_id: str, token_uid: str, kind: str) -> None:
    """The body's owner, uid and type must be the URL's (transport.md section 10): 2001 otherwise."""
    for field, body_value, url_value in (("country_code", token.country_code, country_code),
                                         ("party_id", token.party_id, party_id), ("uid", token.uid, token_uid)):
        if body_value.upper() != url_value.upper():
            raise InvalidParametersError(
                f"invalid field `{field}`: {body_value!r} differs from the URL's {url_value!r}", field=field)
    if token.type != kind:
        raise InvalidParametersError(
            f"invalid field `type`: {token.type} differs from the URL's type={kind} (default RFID)", field="type")


# -- Sender (eMSP): our own tokens -----------------------------------------------------------------------
@get("/")
async def list_tokens(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our tokens, paginated (date_from / date_to / offset / limit)."""
    return await list_objects(request, request.app.state.store, MODULE, partner_id=OWN)


async def authorize_envelope(service: TokenService, token_uid: str, type_: str | None, body: bytes) -> bytes:
    """The whole answer of `POST /{token_uid}/authorize` as envelope bytes (raises OcpiError). Shared by the
    route below and the middleware's hot path (api/hot_paths.py), so both answer byte for byte alike."""
    token_uid = ci_string(token_uid, "token_uid", 36)
    kind = token_type(type_, TokenType)
    location: LocationReferences | None = None
    if body.strip():
        location = decode_body(body, LocationReferences, decoder=location_references_decoder)
    info = await service.authorize_own(token_uid, kind, location)
    return envelope_bytes(encoder.encode(info))


@post("/{token_uid:str}/authorize", status_code=200)
async def authorize(request: Request[Any, Any, Any], caller: Caller, token_uid: str) -> Response[bytes]:
    """Real-time authorization of one of our tokens, optionally at a location (LocationReferences)."""
    content = await authorize_envelope(_service(request), token_uid, request.query_params.get("type"),
                                       await request.body())
    return Response(content=content, status_code=200, media_type=MEDIA_TYPE)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="tokens", role="RECEIVER", party_role="CPO",
                    handlers=[get_token, put_token, patch_token]),
    ModuleInterface(version=VERSION, identifier="tokens", role="SENDER", party_role="EMSP",
                    handlers=[list_tokens, authorize]),
]
