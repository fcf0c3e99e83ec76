"""OCPI 2.2.1 Tariffs module objects (tariffs.md section 3): Tariff > TariffElement > PriceComponent, with
TariffRestrictions. Money and quantities are Decimal (exact JSON numbers), never float."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import msgspec

from ocpi_engine.models._base import CiString36, CountryCode, DateTime, OcpiStruct, PartyId, Url
from ocpi_engine.models.common import DisplayText
from ocpi_engine.models.v221.locations import EnergyMix, LocalTime, NonNegativeInt

__all__ = [
    "CURRENCIES",
    "DayOfWeek",
    "Price",
    "PriceComponent",
    "ReservationRestrictionType",
    "Tariff",
    "TariffDimensionType",
    "TariffElement",
    "TariffRestrictions",
    "TariffType",
    "check_currency",
    "tariff_decoder",
]

# ISO 4217 alphabetic codes (active ones, the funds/metal/testing codes, and recently withdrawn ones that old
# tariffs may still carry).
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
    TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD
    XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL""".split()  # noqa: SIM905 (a table reads better)
)

Currency = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
LocalDate = Annotated[
    str, msgspec.Meta(min_length=10, max_length=10,
                      pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
]


def check_currency(code: str) -> None:
    """Raise ValueError unless `code` is an ISO 4217 currency code."""
    if code not in CURRENCIES:
        raise ValueError(f"`currency`: {code!r} is not an ISO 4217 currency code (e.g. EUR)")


def _non_negative(field: str, value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"`{field}`: {value} is negative")


class TariffDimensionType(enum.StrEnum):
    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class DayOfWeek(enum.StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class ReservationRestrictionType(enum.StrEnum):
    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


class TariffType(enum.StrEnum):
    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class Price(OcpiStruct):
    """An amount in the tariff's currency (transport.md, Price)."""

    excl_vat: Decimal
    incl_vat: Decimal | None = None

    def __post_init__(self) -> None:
        _non_negative("excl_vat", self.excl_vat)
        _non_negative("incl_vat", self.incl_vat)


class PriceComponent(OcpiStruct):
    type: TariffDimensionType
    price: Decimal
    """Per unit (kWh, hour, or flat), excluding VAT."""
    step_size: NonNegativeInt
    """Billing block in Wh (ENERGY) or seconds (TIME, PARKING_TIME); irrelevant for FLAT."""
    vat: Decimal | None = None
    """VAT percentage (10.0 = 10 %); absent means no VAT applies, unlike 0.0."""

    def __post_init__(self) -> None:
        _non_negative("price", self.price)
        _non_negative("vat", self.vat)


class TariffRestrictions(OcpiStruct):
    """When an element is active (tariffs.md 3.4): every set field must match (logical AND)."""

    start_time: LocalTime | None = None
    end_time: LocalTime | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: NonNegativeInt | None = None
    max_duration: NonNegativeInt | None = None
    day_of_week: list[DayOfWeek] | None = None
    reservation: ReservationRestrictionType | None = None

    def __post_init__(self) -> None:
        for field in ("min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"):
            _non_negative(field, getattr(self, field))


class TariffElement(OcpiStruct):
    price_components: Annotated[list[PriceComponent], msgspec.Meta(min_length=1)]
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiStruct):
    """A CPO's prices for the eMSP (tariffs.md 3.1). Elements are evaluated in order, per dimension."""

    country_code: CountryCode
    party_id: PartyId
    id: CiString36
    currency: Currency
    elements: Annotated[list[TariffElement], msgspec.Meta(min_length=1)]
    last_updated: DateTime
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: Url | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None

    def __post_init__(self) -> None:
        check_currency(self.currency)


tariff_decoder = msgspec.json.Decoder(Tariff)
