"""OCPI 2.1.1 Tariffs module objects (tariffs.md section 8): no owner fields, type, min/max price or validity
window; PriceComponent without `vat`; TariffRestrictions without current and reservation restrictions."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from ocpi_engine.models._base import DateTime, OcpiStruct, String36, Url
from ocpi_engine.models.common import DisplayText
from ocpi_engine.models.v211.locations import EnergyMix
from ocpi_engine.models.v221.locations import LocalTime, NonNegativeInt
from ocpi_engine.models.v221.tariffs import (
    Currency,
    DayOfWeek,
    LocalDate,
    TariffDimensionType,
    check_currency,
)

__all__ = ["PriceComponent", "Tariff", "TariffElement", "TariffPatch", "TariffRestrictions", "tariff_decoder",
           "tariff_patch_decoder"]


def _non_negative(field: str, value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"`{field}`: {value} is negative")


class PriceComponent(OcpiStruct):
    type: TariffDimensionType
    price: Decimal
    step_size: NonNegativeInt

    def __post_init__(self) -> None:
        _non_negative("price", self.price)


class TariffRestrictions(OcpiStruct):
    start_time: LocalTime | None = None
    end_time: LocalTime | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: NonNegativeInt | None = None
    max_duration: NonNegativeInt | None = None
    day_of_week: list[DayOfWeek] | None = None

    def __post_init__(self) -> None:
        for field in ("min_kwh", "max_kwh", "min_power", "max_power"):
            _non_negative(field, getattr(self, field))


class TariffElement(OcpiStruct):
    price_components: Annotated[list[PriceComponent], msgspec.Meta(min_length=1)]
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiStruct):
    id: String36
    currency: Currency
    elements: Annotated[list[TariffElement], msgspec.Meta(min_length=1)]
    last_updated: DateTime
    tariff_alt_text: list[DisplayText] | None = None
    tariff_alt_url: Url | None = None
    energy_mix: EnergyMix | None = None

    def __post_init__(self) -> None:
        check_currency(self.currency)


class TariffPatch(OcpiStruct):
    """2.1.1 eMSP-interface PATCH: any subset of fields (lists replace the stored ones)."""

    id: String36 | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    elements: Annotated[list[TariffElement], msgspec.Meta(min_length=1)] | UnsetType = UNSET
    last_updated: DateTime | UnsetType = UNSET
    tariff_alt_text: list[DisplayText] | None | UnsetType = UNSET
    tariff_alt_url: Url | None | UnsetType = UNSET
    energy_mix: EnergyMix | None | UnsetType = UNSET


tariff_decoder = msgspec.json.Decoder(Tariff)
tariff_patch_decoder = msgspec.json.Decoder(TariffPatch)
