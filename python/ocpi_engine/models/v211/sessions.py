"""OCPI 2.1.1 Sessions module objects (sessions.md section 4): `start_datetime` / `end_datetime` (the field-name
trap), `auth_id`, an embedded Location, `total_cost` as a number excl. VAT, no RESERVATION status."""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec
from msgspec import UNSET, UnsetType

from ocpi_engine.models._base import DateTime, OcpiStruct, String36, String255
from ocpi_engine.models.v211.cdrs import AuthMethod, ChargingPeriod, Location
from ocpi_engine.models.v221.cdrs import Currency, check_finite

__all__ = ["Session", "SessionPatch", "SessionStatus", "session_decoder", "session_patch_decoder"]


class SessionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"


class Session(OcpiStruct, kw_only=True):
    id: String36
    start_datetime: DateTime
    end_datetime: DateTime | None = None
    kwh: Decimal
    auth_id: String36
    auth_method: AuthMethod
    location: Location
    meter_id: String255 | None = None
    currency: Currency
    charging_periods: list[ChargingPeriod] | None = None
    total_cost: Decimal | None = None
    status: SessionStatus
    last_updated: DateTime

    def __post_init__(self) -> None:
        check_finite(self, "kwh", "total_cost")


class SessionPatch(OcpiStruct):
    """2.1.1 PATCH: any subset of fields; `last_updated` is not required."""

    id: String36 | UnsetType = UNSET
    start_datetime: DateTime | UnsetType = UNSET
    end_datetime: DateTime | None | UnsetType = UNSET
    kwh: Decimal | UnsetType = UNSET
    auth_id: String36 | UnsetType = UNSET
    auth_method: AuthMethod | UnsetType = UNSET
    location: Location | UnsetType = UNSET
    meter_id: String255 | None | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    charging_periods: list[ChargingPeriod] | None | UnsetType = UNSET
    total_cost: Decimal | None | UnsetType = UNSET
    status: SessionStatus | UnsetType = UNSET
    last_updated: DateTime | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_finite(self, "kwh", "total_cost")


session_decoder = msgspec.json.Decoder(Session)
session_patch_decoder = msgspec.json.Decoder(SessionPatch)
