"""The charger side of a CPO: the small interface ocpi-engine hands OCPI commands and charging profiles to.

ocpi-engine speaks OCPI to eMSPs; something else speaks to the chargers (OCPP, a vendor API, a simulator).
That something is a `ChargerAdapter`: an object with async methods, each returning the charger's outcome.
A method the adapter lacks means the command is answered NOT_SUPPORTED. The adapter is chosen with
`OCPI_ENGINE_CHARGER_ADAPTER`: `simulated` (default, `SimulatedCharger`), `none`, or `package.module:factory`
(called with the `ChargerHost`). See docs/CHARGERS.md.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ocpi_engine.models.v221.chargingprofiles import (
    ActiveChargingProfile,
    ActiveChargingProfileResult,
    ChargingProfile,
    ChargingProfileResultType,
)
from ocpi_engine.models.v221.commands import (
    CancelReservation,
    CommandResult,
    CommandResultType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)

if TYPE_CHECKING:
    from ocpi_engine.settings import Settings

__all__ = [
    "ADAPTER_METHODS",
    "ChargerAdapter",
    "ChargerHost",
    "NoCharger",
    "Requester",
    "load_adapter",
    "supports",
]


@dataclass(frozen=True)
class Requester:
    """The eMSP (or SCSP) party a command or profile request came from."""

    partner_id: int
    country_code: str
    party_id: str
    version: str = "2.2.1"


class ChargerHost(Protocol):
    """What ocpi-engine offers an adapter: its own locations and tariffs, and publishing what chargers do.

    Sessions and CDRs are OCPI 2.2.1 JSON objects (dicts) of our own party; publishing stores them and delivers
    them to the eMSP owning the session's token.
    """

    settings: Settings

    async def own_location(self, location_id: str) -> dict[str, Any] | None: ...
    async def own_tariffs(self, tariff_ids: list[str]) -> list[dict[str, Any]]: ...
    async def own_session(self, session_id: str) -> dict[str, Any] | None: ...
    async def publish_session(self, session: dict[str, Any], *, changes: dict[str, Any] | None = None) -> None:
        """Store the whole session. Partners get a new session as a PUT and a change as a PATCH of what differs from
        the stored copy (appended `charging_periods` only); `changes` names what the adapter changed (informative)."""
        ...
    async def publish_cdr(self, cdr: dict[str, Any]) -> None: ...
    async def send_command_result(self, response_url: str, requester: Requester, result: CommandResult) -> bool:
        """POST a result the charger produced later (e.g. CANCELED_RESERVATION) to a command's response_url."""
        ...
    async def active_profile_changed(self, session_id: str, profile: ActiveChargingProfile) -> None:
        """PUT the new ActiveChargingProfile to the party that set a profile on this session (if any)."""
        ...

    def spawn(self, coro: Any, *, name: str) -> Any: ...


class ChargerAdapter(Protocol):
    """Every method is optional: a missing one answers the command NOT_SUPPORTED.

    Command methods return the charger's CommandResultType (ACCEPTED, EVSE_OCCUPIED, FAILED, ...), which is
    POSTed to the command's response_url; raising counts as FAILED. The platform has already checked the
    location exists, the token is the requester's, and a session to stop is this requester's.
    """

    async def start_session(self, command: StartSession, requester: Requester) -> CommandResultType: ...
    async def stop_session(self, command: StopSession, requester: Requester) -> CommandResultType: ...
    async def reserve_now(self, command: ReserveNow, requester: Requester) -> CommandResultType: ...
    async def cancel_reservation(self, command: CancelReservation, requester: Requester) -> CommandResultType: ...
    async def unlock_connector(self, command: UnlockConnector, requester: Requester) -> CommandResultType: ...
    async def set_charging_profile(self, session_id: str, profile: ChargingProfile,
                                   requester: Requester) -> ChargingProfileResultType: ...
    async def clear_charging_profile(self, session_id: str, requester: Requester) -> ChargingProfileResultType: ...
    async def get_active_charging_profile(self, session_id: str, duration: int,
                                          requester: Requester) -> ActiveChargingProfileResult: ...


ADAPTER_METHODS = {
    "START_SESSION": "start_session",
    "STOP_SESSION": "stop_session",
    "RESERVE_NOW": "reserve_now",
    "CANCEL_RESERVATION": "cancel_reservation",
    "UNLOCK_CONNECTOR": "unlock_connector",
}
"""CommandType -> adapter method."""


def supports(adapter: object, method: str) -> bool:
    return callable(getattr(adapter, method, None))


class NoCharger:
    """No charger connected: every command and profile request is NOT_SUPPORTED."""

    def __init__(self, host: ChargerHost) -> None:
        self.host = host


def load_adapter(spec: str, host: ChargerHost) -> Any:
    """`simulated`, `none`, or `package.module:factory` (a class or function taking the host)."""
    if spec == "simulated":
        from ocpi_engine.chargers.simulated import SimulatedCharger

        return SimulatedCharger(host)
    if spec == "none":
        return NoCharger(host)
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(
            f"OCPI_ENGINE_CHARGER_ADAPTER={spec!r}: use `simulated`, `none` or `package.module:factory`")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(host)
