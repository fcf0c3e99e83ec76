"""Admin API for the eMSP side of Commands (and ChargingProfiles): send a command to a CPO partner, read what
became of it. Mounted by `api/admin.py` behind the admin token."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.api.v221.commands import command_type
from ocpi_engine.models._base import CiString36, DateTime
from ocpi_engine.models.v221.chargingprofiles import ChargingProfile
from ocpi_engine.models.v221.commands import CommandType

__all__ = ["ADMIN_HANDLERS", "SendCommand"]


class SendCommand(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The fields of a command, by name; `token_uid` names one of our own tokens."""

    token_uid: CiString36 | None = None
    token_type: str = "RFID"
    location_id: CiString36 | None = None
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    session_id: CiString36 | None = None
    reservation_id: CiString36 | None = None
    expiry_date: DateTime | None = None
    authorization_reference: CiString36 | None = None


_REQUIRED = {
    CommandType.START_SESSION: ("token_uid", "location_id"),
    CommandType.STOP_SESSION: ("session_id",),
    CommandType.RESERVE_NOW: ("token_uid", "location_id", "reservation_id", "expiry_date"),
    CommandType.CANCEL_RESERVATION: ("reservation_id",),
    CommandType.UNLOCK_CONNECTOR: ("location_id", "evse_uid", "connector_id"),
}
_FIELDS = {
    CommandType.START_SESSION: ("location_id", "evse_uid", "connector_id", "authorization_reference"),
    CommandType.STOP_SESSION: ("session_id",),
    CommandType.RESERVE_NOW: ("expiry_date", "reservation_id", "location_id", "evse_uid", "authorization_reference"),
    CommandType.CANCEL_RESERVATION: ("reservation_id",),
    CommandType.UNLOCK_CONNECTOR: ("location_id", "evse_uid", "connector_id"),
}


@post("/commands/{partner_id:int}/{command:str}", status_code=200)
async def send_command(request: Request[Any, Any, Any], partner_id: int, command: str) -> Response[bytes]:
    """Send a command to a CPO partner; answers the record (status PENDING until the result arrives)."""
    from ocpi_engine.errors import InvalidParametersError

    kind: CommandType = command_type(command.upper(), CommandType)
    body = decode_body(await request.body(), SendCommand)
    for name in _REQUIRED[kind]:
        if getattr(body, name) is None:
            raise InvalidParametersError(f"invalid field `{name}`: required for {kind}", field=name)
    fields = {name: getattr(body, name) for name in _FIELDS[kind]}
    record = await request.app.state.commands.send(partner_id, kind, fields, token_uid=body.token_uid,
                                                   token_type=body.token_type)
    return ocpi_response(record)


@get("/commands")
async def list_commands(request: Request[Any, Any, Any], partner_id: int | None = None,
                        limit: int = 100) -> Response[bytes]:
    """The commands we sent, newest first."""
    return ocpi_response(await request.app.state.commands.list(limit=min(max(limit, 1), 1000), partner_id=partner_id))


@get("/commands/{uid:str}")
async def get_command(request: Request[Any, Any, Any], uid: str) -> Response[bytes]:
    return ocpi_response(await request.app.state.commands.get(uid))


class SendProfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    charging_profile: ChargingProfile | None = None
    duration: int | None = None


@post("/chargingprofiles/{partner_id:int}/{session_id:str}/{method:str}", status_code=200)
async def send_profile(request: Request[Any, Any, Any], partner_id: int, session_id: str,
                       method: str) -> Response[bytes]:
    """GET / PUT / DELETE a charging profile at a CPO partner (`method` in the path)."""
    from ocpi_engine.errors import InvalidParametersError

    method = method.upper()
    if method not in ("GET", "PUT", "DELETE"):
        raise InvalidParametersError("invalid parameter `method`: GET, PUT or DELETE", field="method")
    raw = await request.body()
    body = decode_body(raw, SendProfile) if raw.strip() else SendProfile()
    if method == "PUT" and body.charging_profile is None:
        raise InvalidParametersError("invalid field `charging_profile`: required for PUT", field="charging_profile")
    record = await request.app.state.chargingprofiles.send(partner_id, method, session_id,
                                                           profile=body.charging_profile, duration=body.duration)
    return ocpi_response(record)


@get("/chargingprofiles/requests/{uid:str}")
async def get_profile_request(request: Request[Any, Any, Any], uid: str) -> Response[bytes]:
    return ocpi_response(await request.app.state.chargingprofiles.get_request(uid))


ADMIN_HANDLERS = [send_command, list_commands, get_command, send_profile, get_profile_request]
