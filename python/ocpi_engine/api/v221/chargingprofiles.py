"""ChargingProfiles module, OCPI 2.2.1 (chargingprofiles.md): the CPO's Receiver (GET / PUT / DELETE on one of our
sessions, answered at once, results POSTed later) and the eMSP's (or SCSP's) Sender: results on the response URLs
we hand out (`POST /results/{uid}`) and ActiveChargingProfile updates (`PUT /{session_id}`)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.commands import json_data, requester_of
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models._base import Url
from ocpi_engine.models.v221.chargingprofiles import (
    ActiveChargingProfile,
    SetChargingProfile,
    active_charging_profile_decoder,
    profile_errors,
    set_charging_profile_decoder,
)
from ocpi_engine.services.chargingprofiles import ChargingProfileService

VERSION = "2.2.1"


def _service(request: Request[Any, Any, Any]) -> ChargingProfileService:
    profiles: ChargingProfileService = request.app.state.chargingprofiles
    return profiles


def _response_url(request: Request[Any, Any, Any]) -> str:
    value = request.query_params.get("response_url")
    if not value:
        raise InvalidParametersError("missing parameter `response_url`", field="response_url")
    try:
        return msgspec.convert(value, Url)
    except msgspec.ValidationError:
        raise InvalidParametersError(f"invalid parameter `response_url`: {value[:80]!r} is not a URL",
                                     field="response_url") from None


def _duration(request: Request[Any, Any, Any]) -> int:
    raw = request.query_params.get("duration")
    try:
        duration = int(raw) if raw is not None else -1
    except ValueError:
        duration = -1
    if duration < 0:
        raise InvalidParametersError("invalid parameter `duration`: seconds, a non-negative integer (required)",
                                     field="duration")
    return duration


async def _receive(request: Request[Any, Any, Any], caller: Caller, method: str, session_id: str,
                   **kwargs: Any) -> Response[bytes]:
    answer = await _service(request).receive(method, ci_string(session_id, "session_id", 36), requester_of(caller),
                                             caller.parties, caller.partner, **kwargs)
    return ocpi_response(answer)


# -- Receiver (CPO) ---------------------------------------------------------------------------------------------
@get("/{session_id:str}")
async def get_active_profile(request: Request[Any, Any, Any], caller: Caller, session_id: str) -> Response[bytes]:
    """Ask for the session's ActiveChargingProfile (ActiveChargingProfileResult follows on the response_url)."""
    duration = _duration(request)
    return await _receive(request, caller, "GET", session_id, response_url=_response_url(request), duration=duration)


@put("/{session_id:str}")
async def set_profile(request: Request[Any, Any, Any], caller: Caller, session_id: str) -> Response[bytes]:
    """Set or replace the caller's ChargingProfile on the session (ChargingProfileResult follows)."""
    body = decode_body(await request.body(), SetChargingProfile, decoder=set_charging_profile_decoder)
    errors = profile_errors(body.charging_profile)
    if errors:
        field, message = errors[0]
        raise InvalidParametersError(message, field=field)
    return await _receive(request, caller, "PUT", session_id, response_url=body.response_url,
                          profile=body.charging_profile)


@delete("/{session_id:str}", status_code=200)
async def clear_profile(request: Request[Any, Any, Any], caller: Caller, session_id: str) -> Response[bytes]:
    """Clear the caller's ChargingProfile on the session (ClearProfileResult follows)."""
    return await _receive(request, caller, "DELETE", session_id, response_url=_response_url(request))


# -- Sender (eMSP / SCSP) -----------------------------------------------------------------------------------------
@post("/results/{uid:str}", status_code=200)
async def receive_result(request: Request[Any, Any, Any], caller: Caller, uid: str) -> Response[bytes]:
    """The asynchronous result of one of our requests (the URL is the response_url we sent)."""
    await _service(request).receive_result(caller.partner_id, ci_string(uid, "uid", 64),
                                           json_data(await request.body()))
    return ocpi_response()


@put("/{session_id:str}")
async def receive_active_profile(request: Request[Any, Any, Any], caller: Caller, session_id: str) -> Response[bytes]:
    """A CPO's update of the ActiveChargingProfile of a session we set a profile on."""
    profile = decode_body(await request.body(), ActiveChargingProfile, decoder=active_charging_profile_decoder)
    errors = profile_errors(profile.charging_profile)
    if errors:
        field, message = errors[0]
        raise InvalidParametersError(message, field=field)
    await _service(request).receive_active_profile(caller.partner_id, ci_string(session_id, "session_id", 36),
                                                   profile)
    return ocpi_response()


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="chargingprofiles", role="RECEIVER", party_role="CPO",
                    handlers=[get_active_profile, set_profile, clear_profile]),
    ModuleInterface(version=VERSION, identifier="chargingprofiles", role="SENDER", party_role="EMSP",
                    handlers=[receive_result, receive_active_profile]),
]
