"""Tariffs between OCPI versions (tariffs.md 8.5): 2.1.1 input is upgraded on entry, 2.2.1 tariffs are
downgraded for 2.1.1 endpoints."""

from __future__ import annotations

from ocpi_engine.models.locations_convert import downgrade_energy_mix, upgrade_energy_mix
from ocpi_engine.models.v211 import tariffs as v211_tariffs
from ocpi_engine.models.v221 import tariffs as v221_tariffs

__all__ = ["downgrade_tariff", "upgrade_tariff"]


# -- 2.1.1 -> 2.2.1 ---------------------------------------------------------------------------------------
def _restrictions(old: v211_tariffs.TariffRestrictions | None) -> v221_tariffs.TariffRestrictions | None:
    if old is None:
        return None
    return v221_tariffs.TariffRestrictions(
        start_time=old.start_time, end_time=old.end_time, start_date=old.start_date, end_date=old.end_date,
        min_kwh=old.min_kwh, max_kwh=old.max_kwh, min_power=old.min_power, max_power=old.max_power,
        min_duration=old.min_duration, max_duration=old.max_duration, day_of_week=old.day_of_week,
    )


def upgrade_tariff(old: v211_tariffs.Tariff, *, country_code: str, party_id: str) -> v221_tariffs.Tariff:
    """Owner from the URL; price components without `vat` (unknown VAT, not 0 %)."""
    return v221_tariffs.Tariff(
        country_code=country_code.upper(), party_id=party_id.upper(), id=old.id, currency=old.currency,
        elements=[
            v221_tariffs.TariffElement(
                price_components=[
                    v221_tariffs.PriceComponent(type=p.type, price=p.price, step_size=p.step_size)
                    for p in e.price_components],
                restrictions=_restrictions(e.restrictions),
            )
            for e in old.elements
        ],
        last_updated=old.last_updated, tariff_alt_text=old.tariff_alt_text, tariff_alt_url=old.tariff_alt_url,
        energy_mix=upgrade_energy_mix(old.energy_mix),
    )


# -- 2.2.1 -> 2.1.1 ---------------------------------------------------------------------------------------
def downgrade_tariff(new: v221_tariffs.Tariff) -> v211_tariffs.Tariff:
    """Owner, type, min/max price and validity window dropped; VAT dropped from price components. Elements
    restricted by current or reservation have no 2.1.1 equivalent and are left out rather than widened."""
    elements = []
    for element in new.elements:
        r = element.restrictions
        if r is not None and (r.min_current, r.max_current, r.reservation) != (None, None, None):
            continue
        elements.append(v211_tariffs.TariffElement(
            price_components=[v211_tariffs.PriceComponent(type=p.type, price=p.price, step_size=p.step_size)
                              for p in element.price_components],
            restrictions=None if r is None else v211_tariffs.TariffRestrictions(
                start_time=r.start_time, end_time=r.end_time, start_date=r.start_date, end_date=r.end_date,
                min_kwh=r.min_kwh, max_kwh=r.max_kwh, min_power=r.min_power, max_power=r.max_power,
                min_duration=r.min_duration, max_duration=r.max_duration, day_of_week=r.day_of_week),
        ))
    return v211_tariffs.Tariff(
        id=new.id, currency=new.currency, elements=elements, last_updated=new.last_updated,
        tariff_alt_text=new.tariff_alt_text, tariff_alt_url=new.tariff_alt_url,
        energy_mix=downgrade_energy_mix(new.energy_mix),
    )
