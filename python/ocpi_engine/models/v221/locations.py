"""OCPI 2.2.1 Locations module objects (locations.md sections 3-6): Location > EVSE > Connector.

Checks a JSON schema cannot express (IANA `time_zone`, coordinate ranges, PublishTokenType, Hours) run in
`__post_init__` and raise `ValueError("`field`: reason")`; `services.locations.invalid_input` turns that
into a 2001 naming the full JSON path.
"""

from __future__ import annotations

import enum
import zoneinfo
from decimal import Decimal
from functools import lru_cache
from typing import Annotated

import msgspec

from ocpi_engine.models._base import (
    CiString36,
    CiString48,
    CountryCode,
    DateTime,
    OcpiStruct,
    PartyId,
    String64,
    String255,
    Url,
)
from ocpi_engine.models.common import BusinessDetails, DisplayText, Image, ImageCategory
from ocpi_engine.models.v221.tokens import TokenType

__all__ = [
    "EVSE",
    "AdditionalGeoLocation",
    "BusinessDetails",
    "Capability",
    "Connector",
    "ConnectorFormat",
    "ConnectorType",
    "DisplayText",
    "EnergyMix",
    "EnergySource",
    "EnergySourceCategory",
    "EnvironmentalImpact",
    "EnvironmentalImpactCategory",
    "ExceptionalPeriod",
    "Facility",
    "GeoLocation",
    "Hours",
    "Image",
    "ImageCategory",
    "Latitude",
    "Location",
    "Longitude",
    "ParkingRestriction",
    "ParkingType",
    "PowerType",
    "PublishTokenType",
    "RegularHours",
    "Status",
    "StatusSchedule",
    "check_time_zone",
    "connector_decoder",
    "evse_decoder",
    "location_decoder",
]


class Capability(enum.StrEnum):
    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class ConnectorFormat(enum.StrEnum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class ConnectorType(enum.StrEnum):
    CHADEMO = "CHADEMO"
    CHAOJI = "CHAOJI"
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
    DOMESTIC_M = "DOMESTIC_M"
    DOMESTIC_N = "DOMESTIC_N"
    DOMESTIC_O = "DOMESTIC_O"
    GBT_AC = "GBT_AC"
    GBT_DC = "GBT_DC"
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
    NEMA_5_20 = "NEMA_5_20"
    NEMA_6_30 = "NEMA_6_30"
    NEMA_6_50 = "NEMA_6_50"
    NEMA_10_30 = "NEMA_10_30"
    NEMA_10_50 = "NEMA_10_50"
    NEMA_14_30 = "NEMA_14_30"
    NEMA_14_50 = "NEMA_14_50"
    PANTOGRAPH_BOTTOM_UP = "PANTOGRAPH_BOTTOM_UP"
    PANTOGRAPH_TOP_DOWN = "PANTOGRAPH_TOP_DOWN"
    TESLA_R = "TESLA_R"
    TESLA_S = "TESLA_S"


class EnergySourceCategory(enum.StrEnum):
    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(enum.StrEnum):
    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"


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
    BIKE_SHARING = "BIKE_SHARING"
    BUS_STOP = "BUS_STOP"
    TAXI_STAND = "TAXI_STAND"
    TRAM_STOP = "TRAM_STOP"
    METRO_STATION = "METRO_STATION"
    TRAIN_STATION = "TRAIN_STATION"
    AIRPORT = "AIRPORT"
    PARKING_LOT = "PARKING_LOT"
    CARPOOL_PARKING = "CARPOOL_PARKING"
    FUEL_STATION = "FUEL_STATION"
    WIFI = "WIFI"


class ParkingRestriction(enum.StrEnum):
    EV_ONLY = "EV_ONLY"
    PLUGGED = "PLUGGED"
    DISABLED = "DISABLED"
    CUSTOMERS = "CUSTOMERS"
    MOTORCYCLES = "MOTORCYCLES"


class ParkingType(enum.StrEnum):
    ALONG_MOTORWAY = "ALONG_MOTORWAY"
    PARKING_GARAGE = "PARKING_GARAGE"
    PARKING_LOT = "PARKING_LOT"
    ON_DRIVEWAY = "ON_DRIVEWAY"
    ON_STREET = "ON_STREET"
    UNDERGROUND_GARAGE = "UNDERGROUND_GARAGE"


class PowerType(enum.StrEnum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Status(enum.StrEnum):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


# WGS84 decimal degrees as strings (5 to 7 decimals in 2.2.1). The spec's string(10)/string(11) cannot hold
# its own regex's longest values (`-12.3456789` is 11 characters): the regex is the limit.
Latitude = Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
Longitude = Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]
# Local time of day `HH:MM`, 24 h with leading zeros.
LocalTime = Annotated[str, msgspec.Meta(min_length=5, max_length=5,
                                        pattern=r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")]
# ISO 3166-1 alpha-3 country of a Location.
CountryAlpha3 = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7)]
NonNegativeInt = Annotated[int, msgspec.Meta(ge=0)]
# Printable text (no control characters), as `models._base` strings.
_TEXT = r"^[^\x00-\x1F\x7F-\x9F]*$"
String4 = Annotated[str, msgspec.Meta(max_length=4, pattern=_TEXT)]
String10 = Annotated[str, msgspec.Meta(max_length=10, pattern=_TEXT)]
String16 = Annotated[str, msgspec.Meta(max_length=16, pattern=_TEXT)]
String45 = Annotated[str, msgspec.Meta(max_length=45, pattern=_TEXT)]
# The time zone name is at most 255 characters and is checked against the IANA database in Location.
TimeZoneName = Annotated[str, msgspec.Meta(max_length=255, pattern=_TEXT)]


def _check_range(field: str, value: str, limit: int) -> None:
    if abs(Decimal(value)) > limit:
        raise ValueError(f"`{field}`: {value} is outside -{limit}..{limit} degrees")


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_time_zone(name: str) -> None:
    """Raise ValueError unless `name` is an IANA time zone (the tzdata database)."""
    if not name or not _known_zone(name):
        raise ValueError(f"`time_zone`: {name!r} is not an IANA time zone name (e.g. Europe/Oslo)")


class GeoLocation(OcpiStruct):
    """WGS84 position (locations.md section 6, GeoLocation)."""

    latitude: Latitude
    longitude: Longitude

    def __post_init__(self) -> None:
        _check_range("latitude", self.latitude, 90)
        _check_range("longitude", self.longitude, 180)


class AdditionalGeoLocation(GeoLocation):
    """A related point such as an entrance (locations.md section 6, AdditionalGeoLocation)."""

    name: DisplayText | None = None


class EnergySource(OcpiStruct):
    source: EnergySourceCategory
    percentage: Decimal
    """0-100 (%)."""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.percentage <= Decimal(100):
            raise ValueError(f"`percentage`: {self.percentage} is outside 0..100")


class EnvironmentalImpact(OcpiStruct):
    category: EnvironmentalImpactCategory
    amount: Decimal
    """Grams per kWh."""

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"`amount`: {self.amount} is negative")


class EnergyMix(OcpiStruct):
    """Energy supplied at a location or with a tariff (locations.md section 6, EnergyMix)."""

    is_green_energy: bool
    energy_sources: list[EnergySource] | None = None
    environ_impact: list[EnvironmentalImpact] | None = None
    supplier_name: String64 | None = None
    energy_product_name: String64 | None = None


class ExceptionalPeriod(OcpiStruct):
    period_begin: DateTime
    period_end: DateTime


class RegularHours(OcpiStruct):
    weekday: Weekday
    """1 = Monday ... 7 = Sunday."""
    period_begin: LocalTime
    period_end: LocalTime


class Hours(OcpiStruct):
    """Opening times (locations.md section 6, Hours): 24/7, or regular hours (at least one entry)."""

    twentyfourseven: bool
    regular_hours: list[RegularHours] | None = None
    exceptional_openings: list[ExceptionalPeriod] | None = None
    exceptional_closings: list[ExceptionalPeriod] | None = None

    def __post_init__(self) -> None:
        if self.twentyfourseven and self.regular_hours:
            raise ValueError("`regular_hours`: only allowed when twentyfourseven is false")
        if not self.twentyfourseven and not self.regular_hours:
            raise ValueError("`regular_hours`: at least one entry is required when twentyfourseven is false")


class StatusSchedule(OcpiStruct):
    period_begin: DateTime
    status: Status
    period_end: DateTime | None = None


class PublishTokenType(OcpiStruct):
    """A token whose owner may see an unpublished Location: uid needs type, visual_number needs issuer."""

    uid: CiString36 | None = None
    type: TokenType | None = None
    visual_number: String64 | None = None
    issuer: String64 | None = None
    group_id: CiString36 | None = None

    def __post_init__(self) -> None:
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise ValueError("`uid`: set at least one of uid, visual_number, group_id")
        if self.uid is not None and self.type is None:
            raise ValueError("`type`: required with uid")
        if self.visual_number is not None and self.issuer is None:
            raise ValueError("`issuer`: required with visual_number")


class Connector(OcpiStruct):
    """A socket or attached cable (locations.md section 5)."""

    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: NonNegativeInt
    max_amperage: NonNegativeInt
    last_updated: DateTime
    max_electric_power: NonNegativeInt | None = None
    tariff_ids: list[CiString36] | None = None
    terms_and_conditions: Url | None = None


class EVSE(OcpiStruct):
    """One charging unit of a Location (locations.md section 4); `status` REMOVED is how it is deleted."""

    uid: CiString36
    status: Status
    connectors: Annotated[list[Connector], msgspec.Meta(min_length=1)]
    last_updated: DateTime
    evse_id: CiString48 | None = None
    status_schedule: list[StatusSchedule] | None = None
    capabilities: list[Capability] | None = None
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] | None = None
    parking_restrictions: list[ParkingRestriction] | None = None
    images: list[Image] | None = None


class Location(OcpiStruct):
    """A site with EVSEs (locations.md section 3). `address`/`state` use the errata lengths (255/45)."""

    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    publish: bool
    address: String255
    city: String45
    country: CountryAlpha3
    coordinates: GeoLocation
    time_zone: TimeZoneName
    last_updated: DateTime
    publish_allowed_to: list[PublishTokenType] | None = None
    name: String255 | None = None
    postal_code: String10 | None = None
    state: String45 | None = None
    related_locations: list[AdditionalGeoLocation] | None = None
    parking_type: ParkingType | None = None
    evses: list[EVSE] | None = None
    directions: list[DisplayText] | None = None
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] | None = None
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: list[Image] | None = None
    energy_mix: EnergyMix | None = None

    def __post_init__(self) -> None:
        check_time_zone(self.time_zone)
        if self.publish and self.publish_allowed_to:
            raise ValueError("`publish_allowed_to`: only allowed when publish is false")


location_decoder = msgspec.json.Decoder(Location)
evse_decoder = msgspec.json.Decoder(EVSE)
connector_decoder = msgspec.json.Decoder(Connector)
