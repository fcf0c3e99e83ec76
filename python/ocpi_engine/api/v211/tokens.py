"""Tokens module, OCPI 2.1.1 (tokens.md section 5): the CPO interface (tokens pushed by eMSPs; no `type`
query parameter, tokens carry no owner: the URL's party owns them) and the eMSP interface (our tokens:
list and real-time authorization). Stored as 2.2.1; converted at the edge.

Which token a CPO-interface URL means: tokens are stored per (party, uid, type), as 2.2.1 identifies them, so
the URL's party may hold one uid under several types (pushed over 2.2.1 before the connection moved to 2.1.1,
or PUT once as RFID and once as OTHER), while a 2.1.1 URL names the uid only.

- PUT: the body's `type` (RFID or OTHER) names the token; only that one is created or replaced.
- GET and PATCH: the party's one token of that uid; with several, the first of RFID (2.2.1's default when
  `type` is omitted, tokens.md 2.1), OTHER, APP_USER, AD_HOC_USER. A PATCH body's `type` narrows the choice to
  the tokens 2.1.1 shows with that type (RFID; OTHER for OTHER, APP_USER and AD_HOC_USER, in that order) and is
  not a change (a token's type is part of its identity: PUT the other type instead). None found: 404.
- Only the URL's party's tokens are read or written (after the caller is checked to own that party), so a
  token of the same uid under another party is never shown or touched.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, patch, post, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import encoder, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.params import ci_string, token_type
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import InvalidParametersError, NotFoundError, UnknownTokenError
from ocpi_engine.models import downgrade, upgrade
from ocpi_engine.models.v211 import tokens as v211
from ocpi_engine.models.v221.tokens import TokenPatch, TokenType, token_decoder
from ocpi_engine.services.tokens import MODULE, TokenService
from ocpi_engine.storage.base import OWN

VERSION = "2.1.1"
_OBJECT = "/{country_code:str}/{party_id:str}/{token_uid:str}"
_TYPES = ("RFID", "OTHER", "APP_USER", "AD_HOC_USER")
"""Stored (2.2.1) token types in the order a type-less 2.1.1 URL resolves them."""
_SHOWN_AS = {"RFID": ("RFID",), "OTHER": ("OTHER", "APP_USER", "AD_HOC_USER")}
"""2.1.1 type -> the stored types a 2.1.1 Token shows with it (downgrade.token), in resolution order."""


def _service(request: Request[Any, Any, Any]) -> TokenService:
    service: TokenService = request.app.state.tokens
    return service


async def _find(service: TokenService, country_code: str, party_id: str, uid: str,
                types: tuple[str, ...] = _TYPES) -> tuple[str, bytes] | None:
    """The stored type and JSON of the party's token a type-less 2.1.1 URL means (module docstring)."""
    for kind in types:
        body = await service.get(country_code, party_id, uid, kind)
        if body is not None:
            return kind, body
    return None


def _ids(country_code: str, party_id: str, token_uid: str) -> tuple[str, str, str]:
    return ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3), \
        ci_string(token_uid, "token_uid", 36)


@get(_OBJECT)
async def get_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                    token_uid: str) -> Response[bytes]:
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    found = await _find(_service(request), country_code, party_id, token_uid)
    if found is None:
        raise NotFoundError(f"unknown token {token_uid}")
    return ocpi_response(downgrade.token(token_decoder.decode(found[1])))


@put(_OBJECT)
async def put_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                    token_uid: str) -> Response[bytes]:
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    old = decode_body(await request.body(), v211.Token, decoder=v211.token_decoder)
    if old.uid.upper() != token_uid.upper():
        raise InvalidParametersError(f"invalid field `uid`: {old.uid!r} differs from the URL's {token_uid!r}",
                                     field="uid")
    created = await _service(request).put(upgrade.token(old, country_code=country_code, party_id=party_id),
                                          partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@patch(_OBJECT)
async def patch_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      token_uid: str) -> Response[bytes]:
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    changes = decode_body(await request.body(), v211.TokenPatch, decoder=v211.token_patch_decoder)
    fields = msgspec.to_builtins(changes)
    named = fields.pop("type", None)
    service = _service(request)
    found = await _find(service, country_code, party_id, token_uid, _SHOWN_AS[named] if named else _TYPES)
    if found is None:
        raise NotFoundError(f"unknown token {token_uid}{f' of type {named}' if named else ''}: PUT it first")
    kind, body = found
    current = token_decoder.decode(body)
    if "auth_id" in fields:
        fields["contract_id"] = fields.pop("auth_id")
    fields.setdefault("last_updated", current.last_updated)  # 2.1.1 PATCH may omit it
    try:
        patch221 = msgspec.convert(fields, TokenPatch)
    except msgspec.ValidationError as exc:
        from ocpi_engine.api.bodies import validation_error

        raise validation_error(exc) from exc
    await service.patch(country_code, party_id, token_uid, kind, patch221, partner_id=caller.partner_id)
    return ocpi_response()


@get("/")
async def list_tokens(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our tokens in 2.1.1 form, paginated."""
    state = request.app.state
    query = parse_list_query(request, state.settings.page_size)
    page = await state.store.list_objects(MODULE, partner_id=OWN, date_from=query.date_from, date_to=query.date_to,
                                          offset=query.offset, after_seq=query.cursor, limit=query.limit)
    bodies = [encoder.encode(downgrade.token(token_decoder.decode(r.body))) for r in page.items]
    return paginated_response(request, query, page, state.settings.page_size, state.settings.public_url, bodies)


@post("/{token_uid:str}/authorize", status_code=200)
async def authorize(request: Request[Any, Any, Any], caller: Caller, token_uid: str) -> Response[bytes]:
    token_uid = ci_string(token_uid, "token_uid", 36)
    kind = token_type(request.query_params.get("type") or request.query_params.get("token_type"), TokenType)
    raw = await request.body()
    location = decode_body(raw, v211.LocationReferences, decoder=v211.location_references_decoder) \
        if raw.strip() else None
    from ocpi_engine.models.v221.tokens import LocationReferences

    location221 = LocationReferences(location_id=location.location_id, evse_uids=location.evse_uids) \
        if location is not None else None
    try:
        info = await _service(request).authorize_own(token_uid, kind, location221)
    except UnknownTokenError as exc:
        # 2.1.1 has no 2004: HTTP 404 is the common practice (tokens.md 5.1).
        raise NotFoundError(exc.message) from exc
    answer = v211.AuthorizationInfo(allowed=info.allowed, location=location if info.location is not None else None)
    return ocpi_response(answer)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="tokens", role="RECEIVER", party_role="CPO",
                    handlers=[get_token, put_token, patch_token]),
    ModuleInterface(version=VERSION, identifier="tokens", role="SENDER", party_role="EMSP",
                    handlers=[list_tokens, authorize]),
]
