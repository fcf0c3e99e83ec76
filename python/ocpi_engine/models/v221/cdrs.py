"""OCPI 2.2.1 CDRs module objects (cdrs.md sections 3-4), and the types Sessions share with it (ChargingPeriod,
CdrDimension, CdrToken, AuthMethod, Price)."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import msgspec

from ocpi_engine.models._base import (
    CiString36,
    CiString39,
    CiString48,
    CountryCode,
    DateTime,
    OcpiStruct,
    PartyId,
    String255,
    String512,
    Url,
    parse_datetime,
)
from ocpi_engine.models.v221.locations import ConnectorFormat, ConnectorType, PowerType
from ocpi_engine.models.v221.tokens import TokenType

__all__ = [
    "AuthMethod",
    "Cdr",
    "CdrDimension",
    "CdrDimensionType",
    "CdrLocation",
    "CdrToken",
    "ChargingPeriod",
    "ConnectorFormat",
    "ConnectorType",
    "Currency",
    "GeoLocation",
    "PowerType",
    "Price",
    "SESSION_ONLY_DIMENSIONS",
    "SignedData",
    "SignedValue",
    "check_finite",
    "cdr_decoder",
]

Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, upper case")]
String45 = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^[^\x00-\x1F\x7F-\x9F]*$")]
"""CdrLocation address/city are string(45) in 2.2.1, but 2.3.0 lengthened them and Location.address is 255 since
the errata (cdrs.md CdrLocation): accept up to 255."""
String5000 = Annotated[str, msgspec.Meta(max_length=5000)]

# A number OCPI writes with 4 decimals: anything with more than 28 significant digits cannot be priced
# (the engine's Decimal) and is refused at the edge rather than at pricing time.
_MAX_DIGITS = 28


def check_finite(owner: object, *names: str) -> None:
    """Decimal fields must be finite numbers of at most 28 digits (msgspec also accepts "NaN" strings)."""
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, Decimal) and (not value.is_finite() or len(value.as_tuple().digits) > _MAX_DIGITS):
            raise ValueError(f"`{name}` must be a finite number of at most {_MAX_DIGITS} digits, got {value}")


class AuthMethod(enum.StrEnum):
    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


class CdrDimensionType(enum.StrEnum):
    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


SESSION_ONLY_DIMENSIONS = frozenset({
    CdrDimensionType.CURRENT, CdrDimensionType.ENERGY_EXPORT, CdrDimensionType.ENERGY_IMPORT,
    CdrDimensionType.POWER, CdrDimensionType.STATE_OF_CHARGE,
})
"""cdrs.md CdrDimensionType: "Session only" values SHALL NOT be used in CDRs."""


class GeoLocation(OcpiStruct):
    """locations.md GeoLocation: decimal degrees as strings, 5 to 7 decimals in 2.2.1 (6 in 2.1.1)."""

    latitude: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
    longitude: Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]


class Price(OcpiStruct):
    """transport.md Price: amounts in the object's currency."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None

    def __post_init__(self) -> None:
        check_finite(self, "excl_vat", "incl_vat")


class CdrDimension(OcpiStruct):
    type: CdrDimensionType
    volume: Decimal
    """In the dimension's unit: kWh, A, kW, hours, percent (cdrs.md CdrDimensionType)."""

    def __post_init__(self) -> None:
        check_finite(self, "volume")


class ChargingPeriod(OcpiStruct):
    """A period ends where the next one starts; the last ends at the session's / CDR's end."""

    start_date_time: DateTime
    dimensions: Annotated[list[CdrDimension], msgspec.Meta(min_length=1)]
    tariff_id: CiString36 | None = None


class CdrToken(OcpiStruct):
    country_code: CountryCode
    party_id: PartyId
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrLocation(OcpiStruct):
    """The Location as it was at session start, with only the used EVSE and connector (`#NA` allowed for a
    reservation that never became a session)."""

    id: CiString36
    address: String45
    city: String45
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2,3}$")]
    """ISO 3166-1 alpha-3; alpha-2 tolerated (the spec's own 2.1.1 examples write "BE")."""
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: CiString48
    connector_id: CiString36
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType
    name: String255 | None = None
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    state: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class SignedValue(OcpiStruct):
    nature: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[\x20-\x7E]*$")]
    plain_data: String5000
    """string(5000) per the 2.2.1 errata (earlier documents: 512)."""
    signed_data: String5000


class SignedData(OcpiStruct):
    encoding_method: CiString36
    signed_values: Annotated[list[SignedValue], msgspec.Meta(min_length=1)]
    encoding_method_version: int | None = None
    public_key: String512 | None = None
    url: Url | None = None


class Cdr(OcpiStruct, kw_only=True):
    """cdrs.md section 3: the sealed billing record of a finished session. Immutable once sent."""

    country_code: CountryCode
    party_id: PartyId
    id: CiString39
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: String255 | None = None
    currency: Currency
    tariffs: list[msgspec.Raw] | None = None
    """Tariff objects as they were at session start, kept byte for byte (priced by the engine, which
    validates them; a malformed one makes the CDR unpriceable, never unstorable)."""
    charging_periods: Annotated[list[ChargingPeriod], msgspec.Meta(min_length=1)]
    signed_data: SignedData | None = None
    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Decimal
    """kWh."""
    total_energy_cost: Price | None = None
    total_time: Decimal
    """Hours, charging and not charging."""
    total_time_cost: Price | None = None
    total_parking_time: Decimal | None = None
    """Hours the vehicle did not request power (2.2.1 errata)."""
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None
    remark: String255 | None = None
    invoice_reference_id: CiString39 | None = None
    credit: bool | None = None
    credit_reference_id: CiString39 | None = None
    home_charging_compensation: bool | None = None
    last_updated: DateTime

    def __post_init__(self) -> None:
        check_finite(self, "total_energy", "total_time", "total_parking_time")
        for index, period in enumerate(self.charging_periods):
            for number, dimension in enumerate(period.dimensions):
                if dimension.type in SESSION_ONLY_DIMENSIONS:
                    raise ValueError(
                        f"`charging_periods[{index}].dimensions[{number}].type` {dimension.type} is a Session-only "
                        "dimension, not allowed in a CDR")
        if self.credit:
            if not self.credit_reference_id:
                raise ValueError("`credit_reference_id` is required for a Credit CDR (credit = true)")
            if self.credit_reference_id.upper() == self.id.upper():
                raise ValueError("`credit_reference_id` must name the credited CDR, not this one")
            if self.total_cost.excl_vat > 0:
                raise ValueError("`total_cost` of a Credit CDR carries the negated amounts (excl_vat <= 0)")
        elif self.credit_reference_id is not None:
            raise ValueError("`credit_reference_id` is only allowed on a Credit CDR (credit = true)")
        if not self.start_date_time.startswith("1970-") and not self.end_date_time.startswith("1970-") \
                and parse_datetime(self.end_date_time) < parse_datetime(self.start_date_time):
            raise ValueError("`end_date_time` is before `start_date_time`")


cdr_decoder = msgspec.json.Decoder(Cdr)
