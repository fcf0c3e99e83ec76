"""OCPI 2.1.1 CDRs module objects (cdrs.md section 5) and the pieces 2.1.1 Sessions share: `auth_id` instead of
a CdrToken, an embedded Location instead of a CdrLocation, costs as bare numbers (excl. VAT), `stop_date_time`,
and the 2.1.1 CdrDimensionType (with FLAT, without the 2.2 additions)."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import msgspec

from ocpi_engine.models._base import CiString36, DateTime, OcpiStruct, String36, String255
from ocpi_engine.models.v221.cdrs import ConnectorFormat, ConnectorType, Currency, PowerType, check_finite

__all__ = [
    "AuthMethod",
    "Cdr",
    "CdrDimension",
    "CdrDimensionType",
    "ChargingPeriod",
    "Connector",
    "Evse",
    "GeoLocation",
    "Location",
    "cdr_decoder",
]

String39 = Annotated[str, msgspec.Meta(max_length=39, pattern=r"^[\x20-\x7E]*$")]
String45 = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^[\x20-\x7E]*$")]


class AuthMethod(enum.StrEnum):
    AUTH_REQUEST = "AUTH_REQUEST"
    WHITELIST = "WHITELIST"


class CdrDimensionType(enum.StrEnum):
    ENERGY = "ENERGY"
    FLAT = "FLAT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class CdrDimension(OcpiStruct):
    type: CdrDimensionType
    volume: Decimal

    def __post_init__(self) -> None:
        check_finite(self, "volume")


class ChargingPeriod(OcpiStruct):
    """2.1.1: no `tariff_id`."""

    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], msgspec.Meta(min_length=1)]


class GeoLocation(OcpiStruct):
    """2.1.1 GeoLocation: exactly 6 decimals in the text; 5 to 7 accepted like 2.2.1 (lenient towards peers)."""

    latitude: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
    longitude: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]


class Connector(OcpiStruct):
    id: String36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    voltage: int | None = None
    amperage: int | None = None
    tariff_id: String36 | None = None
    last_updated: DateTime | None = None


class Evse(OcpiStruct):
    uid: String39
    connectors: Annotated[list[Connector], msgspec.Meta(min_length=1)]
    evse_id: Annotated[str, msgspec.Meta(max_length=48)] | None = None
    status: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    last_updated: DateTime | None = None


class Location(OcpiStruct):
    """The Location embedded in a 2.1.1 Session or CDR ("containing only the relevant EVSE and Connector").

    Only what a Session / CDR needs is validated strictly (ids, address, country, coordinates, the EVSE and its
    connector); the rest of the 2.1.1 Location is the Locations module's and is ignored here."""

    id: String39
    address: String45
    city: String45
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2,3}$")]
    """ISO 3166-1 alpha-3; alpha-2 tolerated (the spec's own examples write "BE")."""
    coordinates: GeoLocation
    evses: Annotated[list[Evse], msgspec.Meta(min_length=1)]
    type: Annotated[str, msgspec.Meta(max_length=32)]
    """LocationType (ON_STREET, ..., UNKNOWN)."""
    name: String255 | None = None
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    time_zone: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    last_updated: DateTime | None = None


class Cdr(OcpiStruct, kw_only=True):
    id: CiString36
    start_date_time: DateTime
    stop_date_time: DateTime
    auth_id: String36
    auth_method: AuthMethod
    location: Location
    meter_id: String255 | None = None
    currency: Currency
    tariffs: list[msgspec.Raw] | None = None
    """2.1.1 Tariff objects, kept as sent (the engine prices 2.1.1 tariffs)."""
    charging_periods: Annotated[list[ChargingPeriod], msgspec.Meta(min_length=1)]
    total_cost: Decimal
    """Excl. VAT."""
    total_energy: Decimal
    total_time: Decimal
    total_parking_time: Decimal | None = None
    remark: String255 | None = None
    last_updated: DateTime

    def __post_init__(self) -> None:
        check_finite(self, "total_cost", "total_energy", "total_time", "total_parking_time")


cdr_decoder = msgspec.json.Decoder(Cdr)
