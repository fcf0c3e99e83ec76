"""OCPI 2.1.1 Locations module objects (locations.md section 7). Only what changed from 2.2.1 is redefined:
no owner/publish fields, `type` (LocationType) instead of `parking_type`, connectors with `voltage`/`amperage`
and one `tariff_id`, 6-decimal coordinates, EnvironmentalImpact.source, Hours as a choice, smaller enums."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import msgspec

from ocpi_engine.models._base import DateTime, OcpiStruct, String36, String64, String255, Url
from ocpi_engine.models.common import BusinessDetails, DisplayText, Image
from ocpi_engine.models.v221.locations import (
    _TEXT,
    ConnectorFormat,
    CountryAlpha3,
    EnergySource,
    EnvironmentalImpactCategory,
    ExceptionalPeriod,
    NonNegativeInt,
    ParkingRestriction,
    RegularHours,
    Status,
    StatusSchedule,
    _check_range,
    check_time_zone,
)

__all__ = [
    "EVSE",
    "AdditionalGeoLocation",
    "Capability",
    "Connector",
    "ConnectorType",
    "EnergyMix",
    "EnvironmentalImpact",
    "Facility",
    "GeoLocation",
    "Hours",
    "Location",
    "LocationType",
    "PowerType",
    "connector_decoder",
    "evse_decoder",
    "location_decoder",
]


class Capability(enum.StrEnum):
    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorType(enum.StrEnum):
    CHADEMO = "CHADEMO"
    DOMESTIC_A = "DOMESTIC_A"
    DOMESTIC_B = "DOMESTIC_B"
    DOMESTIC_C = "DOMESTIC_C"
    DOMESTIC_D = "DOMESTIC_D"
    DOMESTIC_E = "DOMESTIC_E"
    DOMESTIC_F = "DOMESTIC_F"
    DOMESTIC_G = "DOMESTIC_G"
    DOMESTIC_H = "DOMESTIC_H"
    DOMESTIC_I = "DOMESTIC_I"
    DOMESTIC_J = "DOMESTIC_J"
    DOMESTIC_K = "DOMESTIC_K"
    DOMESTIC_L = "DOMESTIC_L"
    IEC_60309_2_single_16 = "IEC_60309_2_single_16"
    IEC_60309_2_three_16 = "IEC_60309_2_three_16"
    IEC_60309_2_three_32 = "IEC_60309_2_three_32"
    IEC_60309_2_three_64 = "IEC_60309_2_three_64"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"
    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    IEC_62196_T3A = "IEC_62196_T3A"
    IEC_62196_T3C = "IEC_62196_T3C"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class PowerType(enum.StrEnum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Facility(enum.StrEnum):
    HOTEL = "HOTEL"
    RESTAURANT = "RESTAURANT"
    CAFE = "CAFE"
    MALL = "MALL"
    SUPERMARKET = "SUPERMARKET"
    SPORT = "SPORT"
    RECREATION_AREA = "RECREATION_AREA"
    NATURE = "NATURE"
    MUSEUM = "MUSEUM"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class LocationType(enum.StrEnum):
    ON_STREET = "ON_STREET"
    PARKING_GARAGE = "PARKING_GARAGE"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


# 2.1.1 coordinates have exactly 6 decimals.
Latitude = Annotated[str, msgspec.Meta(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{6}$")]
Longitude = Annotated[str, msgspec.Meta(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{6}$")]
String4 = Annotated[str, msgspec.Meta(max_length=4, pattern=_TEXT)]
String10 = Annotated[str, msgspec.Meta(max_length=10, pattern=_TEXT)]
String16 = Annotated[str, msgspec.Meta(max_length=16, pattern=_TEXT)]
String39 = Annotated[str, msgspec.Meta(max_length=39, pattern=_TEXT)]
String45 = Annotated[str, msgspec.Meta(max_length=45, pattern=_TEXT)]
String48 = Annotated[str, msgspec.Meta(max_length=48, pattern=_TEXT)]


class GeoLocation(OcpiStruct):
    latitude: Latitude
    longitude: Longitude

    def __post_init__(self) -> None:
        _check_range("latitude", self.latitude, 90)
        _check_range("longitude", self.longitude, 180)


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class EnvironmentalImpact(OcpiStruct):
    source: EnvironmentalImpactCategory
    amount: Decimal
    """Grams per kWh."""

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"`amount`: {self.amount} is negative")


class EnergyMix(OcpiStruct):
    is_green_energy: bool
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: String64 | None = None
    energy_product_name: String64 | None = None


class Hours(OcpiStruct):
    """2.1.1 Hours: either `regular_hours` or `twentyfourseven`, exactly one of them."""

    regular_hours: list[RegularHours] | None = None
    twentyfourseven: bool | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    def __post_init__(self) -> None:
        if (self.regular_hours is None) == (self.twentyfourseven is None):
            raise ValueError("`twentyfourseven`: send exactly one of regular_hours and twentyfourseven")


class Connector(OcpiStruct):
    id: String36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    voltage: NonNegativeInt
    amperage: NonNegativeInt
    last_updated: DateTime
    tariff_id: String36 | None = None
    terms_and_conditions: Url | None = None


class EVSE(OcpiStruct):
    uid: String39
    status: Status
    connectors: Annotated[list[Connector], msgspec.Meta(min_length=1)]
    last_updated: DateTime
    evse_id: String48 | None = None
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None


class Location(OcpiStruct):
    id: String39
    type: LocationType
    address: String45
    city: String45
    postal_code: String10
    country: CountryAlpha3
    coordinates: GeoLocation
    last_updated: DateTime
    name: String255 | None = None
    related_locations: list[AdditionalGeoLocation] | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    time_zone: String255 | None = None
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None

    def __post_init__(self) -> None:
        if self.time_zone is not None:
            check_time_zone(self.time_zone)


location_decoder = msgspec.json.Decoder(Location)
evse_decoder = msgspec.json.Decoder(EVSE)
connector_decoder = msgspec.json.Decoder(Connector)
