"""OCPI 2.2.1 Sessions module objects (sessions.md section 3). ChargingPeriod, CdrToken, AuthMethod and Price
are shared with CDRs (models/v221/cdrs.py)."""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec
from msgspec import UNSET, UnsetType

from ocpi_engine.models._base import CiString36, CountryCode, DateTime, OcpiStruct, PartyId, String255
from ocpi_engine.models.v221.cdrs import AuthMethod, CdrToken, ChargingPeriod, Currency, Price, check_finite
from ocpi_engine.models.v221.tokens import ProfileType

__all__ = [
    "ChargingPreferences",
    "ChargingPreferencesResponse",
    "ProfileType",
    "Session",
    "SessionPatch",
    "SessionStatus",
    "charging_preferences_decoder",
    "session_decoder",
    "session_patch_decoder",
]


class SessionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class ChargingPreferencesResponse(enum.StrEnum):
    ACCEPTED = "ACCEPTED"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED"
    NOT_POSSIBLE = "NOT_POSSIBLE"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED"


class Session(OcpiStruct, kw_only=True):
    """One charging session while it is ongoing (sessions.md section 3). Owned by the CPO."""

    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Decimal
    """Energy charged so far, kWh."""
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    evse_uid: CiString36
    """`#NA` for a reservation not bound to an EVSE yet."""
    connector_id: CiString36
    meter_id: String255 | None = None
    currency: Currency
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Price | None = None
    """Cost so far; absent does not mean free."""
    status: SessionStatus
    last_updated: DateTime

    def __post_init__(self) -> None:
        check_finite(self, "kwh")


class SessionPatch(OcpiStruct):
    """PATCH body: any subset of Session fields; `last_updated` is required (sessions.md 2.2). Its
    `charging_periods` are appended to the stored ones."""

    last_updated: DateTime
    country_code: CountryCode | UnsetType = UNSET
    party_id: PartyId | UnsetType = UNSET
    id: CiString36 | UnsetType = UNSET
    start_date_time: DateTime | UnsetType = UNSET
    end_date_time: DateTime | None | UnsetType = UNSET
    kwh: Decimal | UnsetType = UNSET
    cdr_token: CdrToken | UnsetType = UNSET
    auth_method: AuthMethod | UnsetType = UNSET
    authorization_reference: CiString36 | None | UnsetType = UNSET
    location_id: CiString36 | UnsetType = UNSET
    evse_uid: CiString36 | UnsetType = UNSET
    connector_id: CiString36 | UnsetType = UNSET
    meter_id: String255 | None | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    charging_periods: list[ChargingPeriod] | None | UnsetType = UNSET
    total_cost: Price | None | UnsetType = UNSET
    status: SessionStatus | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_finite(self, "kwh")


class ChargingPreferences(OcpiStruct):
    """The driver's preferences for an ongoing session (sessions.md ChargingPreferences)."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Decimal | None = None
    """kWh."""
    discharge_allowed: bool | None = None
    """Default false."""

    def __post_init__(self) -> None:
        check_finite(self, "energy_need")
        if self.energy_need is not None and self.energy_need < 0:
            raise ValueError("`energy_need` must not be negative (kWh)")


session_decoder = msgspec.json.Decoder(Session)
session_patch_decoder = msgspec.json.Decoder(SessionPatch)
charging_preferences_decoder = msgspec.json.Decoder(ChargingPreferences)
