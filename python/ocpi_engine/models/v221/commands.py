"""OCPI 2.2.1 Commands module objects (commands.md section 3)."""

from __future__ import annotations

import enum

import msgspec

from ocpi_engine.models._base import CiString36, DateTime, OcpiStruct, Url
from ocpi_engine.models.common import DisplayText
from ocpi_engine.models.v221.tokens import Token

__all__ = [
    "CancelReservation",
    "CommandResponse",
    "CommandResponseType",
    "CommandResult",
    "CommandResultType",
    "CommandType",
    "ReserveNow",
    "StartSession",
    "StopSession",
    "UnlockConnector",
    "COMMAND_BODIES",
    "command_result_decoder",
    "command_response_decoder",
]


class CommandType(enum.StrEnum):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandResponseType(enum.StrEnum):
    """The CPO's immediate verdict on a command (not the charger's)."""

    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResultType(enum.StrEnum):
    """The charger's outcome, POSTed asynchronously to the command's `response_url`."""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


class CommandResponse(OcpiStruct):
    """The `data` of the CPO's answer to a command POST (commands.md 3.2)."""

    result: CommandResponseType
    timeout: int
    """Seconds within which the CommandResult should arrive."""
    message: list[DisplayText] | None = None


class CommandResult(OcpiStruct):
    """The asynchronous outcome of a command (commands.md 3.3)."""

    result: CommandResultType
    message: list[DisplayText] | None = None


class CancelReservation(OcpiStruct):
    response_url: Url
    reservation_id: CiString36


class ReserveNow(OcpiStruct):
    """Reserve an EVSE (or any EVSE of a location) for a token until `expiry_date` (commands.md 3.4)."""

    response_url: Url
    token: Token
    expiry_date: DateTime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class StartSession(OcpiStruct):
    """Start a session for a token; `connector_id` requires `evse_uid` (commands.md 3.5)."""

    response_url: Url
    token: Token
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class StopSession(OcpiStruct):
    response_url: Url
    session_id: CiString36


class UnlockConnector(OcpiStruct):
    response_url: Url
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


COMMAND_BODIES: dict[CommandType, type[OcpiStruct]] = {
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
"""The request body of each command."""

command_decoders: dict[CommandType, msgspec.json.Decoder[OcpiStruct]] = {
    kind: msgspec.json.Decoder(body) for kind, body in COMMAND_BODIES.items()
}
command_result_decoder = msgspec.json.Decoder(CommandResult)
command_response_decoder = msgspec.json.Decoder(CommandResponse)
