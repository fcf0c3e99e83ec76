"""Commands module, OCPI 2.2.1 (commands.md): the CPO's Receiver (`POST /{command}`) and the eMSP's Sender, which
receives the asynchronous CommandResults on the response URLs we hand out (`POST /{command}/{uid}`)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, post

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.chargers import Requester
from ocpi_engine.errors import InvalidParametersError, NotJsonError
from ocpi_engine.models.v221.commands import COMMAND_BODIES, CommandType, command_decoders
from ocpi_engine.services.commands import CommandService

VERSION = "2.2.1"


def service(request: Request[Any, Any, Any]) -> CommandService:
    commands: CommandService = request.app.state.commands
    return commands


def command_type(value: str, known: Any) -> Any:
    """The `{command}` path parameter: an unknown command type is 2001 with HTTP 404."""
    if value not in known.__members__:
        raise InvalidParametersError(
            f"invalid parameter `command`: unknown command {value!r}; use one of {', '.join(known.__members__)}",
            field="command", http_status=404)
    return known(value)


def requester_of(caller: Caller, token: Any = None) -> Requester:
    """The requesting party: the token's owner when the command carries a token, else the caller's eMSP role."""
    if token is not None and getattr(token, "country_code", None):
        return Requester(caller.partner_id, token.country_code.upper(), token.party_id.upper(),
                         caller.version or VERSION)
    roles = sorted(caller.partner.roles, key=lambda r: str(r.get("role")) != "EMSP")
    first = roles[0] if roles else {"country_code": "", "party_id": ""}
    return Requester(caller.partner_id, str(first["country_code"]).upper(), str(first["party_id"]).upper(),
                     caller.version or VERSION)


def json_data(raw: bytes) -> Any:
    if not raw.strip():
        raise NotJsonError("request body is empty; send the result as JSON")
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise NotJsonError(f"request body is not valid JSON: {exc}") from exc


# -- Receiver (CPO) ---------------------------------------------------------------------------------------------
@post("/{command:str}", status_code=200)
async def receive_command(request: Request[Any, Any, Any], caller: Caller, command: str) -> Response[bytes]:
    """Accept (or not) a command for our chargers; the charger's outcome follows on the response_url."""
    kind: CommandType = command_type(command, CommandType)
    body = decode_body(await request.body(), COMMAND_BODIES[kind], decoder=command_decoders[kind])
    verdict = await service(request).receive(kind, body, requester_of(caller, getattr(body, "token", None)),
                                             caller.parties, caller.partner)
    return ocpi_response(verdict.response, status_code=verdict.status_code, http_status=verdict.http_status,
                         message="Success" if verdict.status_code == 1000 else "unknown location")


# -- Sender (eMSP): results of the commands we sent -------------------------------------------------------------------
@post("/{command:str}/{uid:str}", status_code=200)
async def receive_result(request: Request[Any, Any, Any], caller: Caller, command: str, uid: str) -> Response[bytes]:
    """The CommandResult of one of our commands (the URL is the response_url we sent)."""
    kind: CommandType = command_type(command, CommandType)
    await service(request).receive_result(caller.partner_id, str(kind), ci_string(uid, "uid", 64),
                                          json_data(await request.body()))
    return ocpi_response()


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="commands", role="RECEIVER", party_role="CPO",
                    handlers=[receive_command]),
    ModuleInterface(version=VERSION, identifier="commands", role="SENDER", party_role="EMSP",
                    handlers=[receive_result]),
]
