"""Sessions module, OCPI 2.2.1 (sessions.md): the eMSP's Receiver (sessions CPOs push; client-owned, PATCH appends
charging periods) and the CPO's Sender (our own sessions, paginated; charging preferences)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, get, patch, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import list_objects
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models.v221.sessions import (
    ChargingPreferences,
    Session,
    SessionPatch,
    charging_preferences_decoder,
    session_decoder,
    session_patch_decoder,
)
from ocpi_engine.services.audience import partner_parties
from ocpi_engine.services.sessions import MODULE, SessionService, check_matches_url
from ocpi_engine.storage.base import OWN

VERSION = "2.2.1"
_OBJECT = "/{country_code:str}/{party_id:str}/{session_id:str}"
T = TypeVar("T")
_NAMED = re.compile(r"^invalid field `\$`: `(?P<field>[^`]+)`")


def decode_object(body: bytes, type_: type[T], decoder: msgspec.json.Decoder[Any]) -> T:
    """`decode_body`, with object-level checks (`__post_init__`) reported under the field they name."""
    try:
        return decode_body(body, type_, decoder=decoder)
    except InvalidParametersError as exc:
        named = _NAMED.match(exc.message)
        if exc.field != "$" or named is None:
            raise
        field = named.group("field")
        raise InvalidParametersError(f"invalid field `{field}`:" + exc.message[named.end():], field=field) from exc


def service(request: Request[Any, Any, Any]) -> SessionService:
    state = request.app.state
    return SessionService(state.settings, state.store)


def ids(country_code: str, party_id: str, session_id: str) -> tuple[str, str, str]:
    return ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3), \
        ci_string(session_id, "session_id", 36)


# -- Receiver (eMSP): sessions CPOs push to us -------------------------------------------------------------------
@get(_OBJECT)
async def get_session(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      session_id: str) -> Response[bytes]:
    """The session as we store it."""
    country_code, party_id, session_id = ids(country_code, party_id, session_id)
    caller.require_owner(country_code, party_id)
    return ocpi_raw_response(await service(request).get(country_code, party_id, session_id,
                                                        partner_id=caller.partner_id))


@put(_OBJECT)
async def put_session(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      session_id: str) -> Response[bytes]:
    """Create or replace (stored charging periods replaced too); 201 when new."""
    country_code, party_id, session_id = ids(country_code, party_id, session_id)
    caller.require_owner(country_code, party_id)
    session = decode_object(await request.body(), Session, session_decoder)
    check_matches_url(session, country_code, party_id, session_id)
    created = await service(request).put(session, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@patch(_OBJECT)
async def patch_session(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                        session_id: str) -> Response[bytes]:
    """Update some fields (`last_updated` required); `charging_periods` are appended."""
    country_code, party_id, session_id = ids(country_code, party_id, session_id)
    caller.require_owner(country_code, party_id)
    changes = decode_object(await request.body(), SessionPatch, session_patch_decoder)
    await service(request).patch(country_code, party_id, session_id, changes, partner_id=caller.partner_id)
    return ocpi_response()


# -- Sender (CPO): our own sessions --------------------------------------------------------------------------------
@get("/")
async def list_sessions(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our sessions for the caller's eMSP parties (services/audience.py), paginated; `date_from` is required for
    this list (sessions.md 2.1)."""
    store = request.app.state.store
    return await list_objects(request, store, MODULE, partner_id=OWN, require_date_from=True,
                              token_parties=sorted(await partner_parties(store, caller.partner)))


@put("/{session_id:str}/charging_preferences")
async def put_charging_preferences(request: Request[Any, Any, Any], caller: Caller,
                                   session_id: str) -> Response[bytes]:
    """The driver's preferences for one of our running sessions; `data` is the ChargingPreferencesResponse.
    An EVSE without CHARGING_PREFERENCES_CAPABLE: HTTP 404 with 2001 (sessions.md 2.1)."""
    session_id = ci_string(session_id, "session_id", 36)
    preferences = decode_object(await request.body(), ChargingPreferences, charging_preferences_decoder)
    parties = await partner_parties(request.app.state.store, caller.partner)
    answer = await service(request).charging_preferences(session_id, preferences, parties)
    return ocpi_response(answer)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="sessions", role="RECEIVER", party_role="EMSP",
                    handlers=[get_session, put_session, patch_session]),
    ModuleInterface(version=VERSION, identifier="sessions", role="SENDER", party_role="CPO",
                    handlers=[list_sessions, put_charging_preferences]),
]
