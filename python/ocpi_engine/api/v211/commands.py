"""Commands module, OCPI 2.1.1 (commands.md section 4): the CPO interface (`POST /{command}`, bodies upgraded to
2.2.1 before they reach the service; tokens carry no owner, so the caller's party owns them) and the eMSP
interface receiving results in either form, bare `"ACCEPTED"` or `{"result": "ACCEPTED"}`."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body, validation_error
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.commands import command_type, json_data, requester_of, service
from ocpi_engine.models import upgrade
from ocpi_engine.models.v211 import commands as v211
from ocpi_engine.models.v221 import commands as v221

VERSION = "2.1.1"


def upgrade_command(kind: v211.CommandType, old: Any, caller: Caller) -> Any:
    """The 2.2.1 command for a 2.1.1 one: the token gets the caller's party, the reservation id becomes a string."""
    fields = msgspec.to_builtins(old)
    if "token" in fields:
        requester = requester_of(caller)
        fields["token"] = msgspec.to_builtins(upgrade.token(old.token, country_code=requester.country_code,
                                                            party_id=requester.party_id))
    if kind == v211.CommandType.RESERVE_NOW:
        fields["reservation_id"] = str(old.reservation_id)
    try:
        return msgspec.convert(fields, v221.COMMAND_BODIES[v221.CommandType(kind)])
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc


@post("/{command:str}", status_code=200)
async def receive_command(request: Request[Any, Any, Any], caller: Caller, command: str) -> Response[bytes]:
    kind: v211.CommandType = command_type(command, v211.CommandType)
    old = decode_body(await request.body(), v211.COMMAND_BODIES[kind], decoder=v211.command_decoders[kind])
    body = upgrade_command(kind, old, caller)
    verdict = await service(request).receive(v221.CommandType(kind), body, requester_of(caller), caller.parties,
                                             caller.partner)
    answer = v211.CommandResponse(result=v211.CommandResponseType(str(verdict.response.result)))
    return ocpi_response(answer, status_code=verdict.status_code, http_status=verdict.http_status,
                         message="Success" if verdict.status_code == 1000 else "unknown location")


@post("/{command:str}/{uid:str}", status_code=200)
async def receive_result(request: Request[Any, Any, Any], caller: Caller, command: str, uid: str) -> Response[bytes]:
    kind: v211.CommandType = command_type(command, v211.CommandType)
    await service(request).receive_result(caller.partner_id, str(kind), ci_string(uid, "uid", 64),
                                          json_data(await request.body()))
    return ocpi_response()


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="commands", role="RECEIVER", party_role="CPO",
                    handlers=[receive_command]),
    ModuleInterface(version=VERSION, identifier="commands", role="SENDER", party_role="EMSP",
                    handlers=[receive_result]),
]
