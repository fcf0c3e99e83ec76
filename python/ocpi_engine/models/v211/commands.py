"""OCPI 2.1.1 Commands module objects (commands.md section 4): no CANCEL_RESERVATION, an integer
`reservation_id`, string(39) location/EVSE ids, and one CommandResponse (`result` only) used both for the
CPO's answer and for the asynchronous result, which some peers send bare (`"data": "ACCEPTED"`)."""

from __future__ import annotations

import enum

import msgspec

from ocpi_engine.models._base import CiString39, DateTime, OcpiStruct, String36, Url
from ocpi_engine.models.v211.tokens import Token

__all__ = [
    "COMMAND_BODIES",
    "CommandResponse",
    "CommandResponseType",
    "CommandType",
    "ReserveNow",
    "StartSession",
    "StopSession",
    "UnlockConnector",
    "command_decoders",
    "parse_result",
]


class CommandType(enum.StrEnum):
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandResponseType(enum.StrEnum):
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResponse(OcpiStruct):
    result: CommandResponseType


class ReserveNow(OcpiStruct):
    response_url: Url
    token: Token
    expiry_date: DateTime
    reservation_id: int
    location_id: CiString39
    evse_uid: CiString39 | None = None


class StartSession(OcpiStruct):
    response_url: Url
    token: Token
    location_id: CiString39
    evse_uid: CiString39 | None = None


class StopSession(OcpiStruct):
    response_url: Url
    session_id: String36


class UnlockConnector(OcpiStruct):
    response_url: Url
    location_id: CiString39
    evse_uid: CiString39
    connector_id: String36


COMMAND_BODIES: dict[CommandType, type[OcpiStruct]] = {
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}

command_decoders: dict[CommandType, msgspec.json.Decoder[OcpiStruct]] = {
    kind: msgspec.json.Decoder(body) for kind, body in COMMAND_BODIES.items()
}


def parse_result(data: object) -> CommandResponseType:
    """The asynchronous result in either form: bare `"ACCEPTED"` (2.1.1) or `{"result": "ACCEPTED"}` (2.1.1-d2).

    Raises msgspec.ValidationError for anything else.
    """
    value = msgspec.convert(data, CommandResponse | CommandResponseType)  # type: ignore[arg-type]
    return value.result if isinstance(value, CommandResponse) else CommandResponseType(value)
