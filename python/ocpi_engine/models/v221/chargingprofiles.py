"""OCPI 2.2.1 ChargingProfiles module objects (chargingprofiles.md section 4). The module does not exist in 2.1.1."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated
import msgspec

from ocpi_engine.models._base import DateTime, OcpiStruct, Url

__all__ = [
    "ActiveChargingProfile",
    "ActiveChargingProfileResult",
    "ChargingProfile",
    "ChargingProfilePeriod",
    "ChargingProfileResponse",
    "ChargingProfileResponseType",
    "ChargingProfileResult",
    "ChargingProfileResultType",
    "ChargingRateUnit",
    "ClearProfileResult",
    "SetChargingProfile",
    "profile_errors",
]

# Rates carry at most one decimal (e.g. 8.1) and are never negative: `profile_errors` checks both (msgspec
# has no numeric constraints on Decimal).
Rate = Decimal
Seconds = Annotated[int, msgspec.Meta(ge=0)]


class ChargingRateUnit(enum.StrEnum):
    W = "W"
    """Total power over all phases, Watts."""
    A = "A"
    """Current per phase, Amperes."""


class ChargingProfileResponseType(enum.StrEnum):
    """The CPO's immediate verdict on a profile request."""

    ACCEPTED = "ACCEPTED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TOO_OFTEN = "TOO_OFTEN"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class ChargingProfileResultType(enum.StrEnum):
    """The EVSE's outcome, POSTed asynchronously."""

    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"


class ChargingProfilePeriod(OcpiStruct):
    start_period: Seconds
    """Seconds from the profile's start; also ends the previous period."""
    limit: Rate
    """Maximum rate in the profile's unit (A per phase or W total)."""


class ChargingProfile(OcpiStruct):
    """An upper limit on power or current over time for one session (chargingprofiles.md 4.7)."""

    charging_rate_unit: ChargingRateUnit
    start_date_time: DateTime | None = None
    duration: Seconds | None = None
    """Profile length in seconds; absent: the last period runs until the session ends."""
    min_charging_rate: Rate | None = None
    charging_profile_period: list[ChargingProfilePeriod] | None = None


class ActiveChargingProfile(OcpiStruct):
    """The profile the charger actually plans, computed from every input (chargingprofiles.md 4.6)."""

    start_date_time: DateTime
    charging_profile: ChargingProfile


class ChargingProfileResponse(OcpiStruct):
    result: ChargingProfileResponseType
    timeout: int
    """Seconds within which the asynchronous result should arrive."""


class ActiveChargingProfileResult(OcpiStruct):
    """Asynchronous answer to a GET; `profile` when `result` is ACCEPTED."""

    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(OcpiStruct):
    """Asynchronous answer to a PUT."""

    result: ChargingProfileResultType


class ClearProfileResult(OcpiStruct):
    """Asynchronous answer to a DELETE."""

    result: ChargingProfileResultType


class SetChargingProfile(OcpiStruct):
    """PUT body of the Receiver interface."""

    charging_profile: ChargingProfile
    response_url: Url


def _rate_error(value: Decimal, field: str) -> str | None:
    if not value.is_finite() or value < 0 or (value * 10) % 1 != 0:
        return f"invalid field `{field}`: {value} must be a non-negative rate with at most one decimal"
    return None


def profile_errors(profile: ChargingProfile, prefix: str = "charging_profile") -> list[tuple[str, str]]:
    """`(field, message)` for rates that are negative or have more than one decimal, and periods out of order."""
    errors: list[tuple[str, str]] = []
    if profile.min_charging_rate is not None:
        message = _rate_error(profile.min_charging_rate, f"{prefix}.min_charging_rate")
        if message:
            errors.append((f"{prefix}.min_charging_rate", message))
    previous = -1
    for index, period in enumerate(profile.charging_profile_period or []):
        field = f"{prefix}.charging_profile_period[{index}]"
        message = _rate_error(period.limit, f"{field}.limit")
        if message:
            errors.append((f"{field}.limit", message))
        if period.start_period <= previous:
            errors.append((f"{field}.start_period",
                           f"invalid field `{field}.start_period`: periods must start in increasing order"))
        previous = period.start_period
    return errors


set_charging_profile_decoder = msgspec.json.Decoder(SetChargingProfile)
active_charging_profile_decoder = msgspec.json.Decoder(ActiveChargingProfile)
