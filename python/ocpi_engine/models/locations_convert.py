"""Locations between OCPI versions (locations.md 7.6): 2.1.1 input is upgraded on entry (the store keeps
2.2.1), 2.2.1 objects are downgraded for 2.1.1 endpoints. Downgrades are lossy where 2.1.1 has no place for
a value."""

from __future__ import annotations

import datetime as _dt
import zoneinfo
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from importlib import resources

from ocpi_engine.models.v211 import locations as v211_locations
from ocpi_engine.models.v221 import locations as v221_locations

__all__ = [
    "country_time_zone",
    "downgrade_connector",
    "downgrade_energy_mix",
    "downgrade_evse",
    "downgrade_location",
    "upgrade_connector",
    "upgrade_energy_mix",
    "upgrade_evse",
    "upgrade_location",
]

# -- 2.1.1 -> 2.2.1 ---------------------------------------------------------------------------------------
_PARKING_TYPES = {t.value for t in v221_locations.ParkingType}


@lru_cache(maxsize=512)
def country_time_zone(country_code: str) -> str:
    """The time zone of an ISO 3166 alpha-2 country when all its zones share one UTC offset (tzdata zone.tab),
    else UTC. Used only when a 2.1.1 Location has no `time_zone` (optional there, required in 2.2.1)."""
    try:
        table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return "UTC"
    zones = [line.split("\t")[2] for line in table.splitlines()
             if line and not line.startswith("#") and line.split("\t")[0] == country_code.upper()]
    if not zones:
        return "UTC"
    year = _dt.datetime.now(_dt.UTC).year
    instants = [_dt.datetime(year, 1, 15, 12, tzinfo=_dt.UTC), _dt.datetime(year, 7, 15, 12, tzinfo=_dt.UTC)]
    offsets = {tuple(moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() for moment in instants)
               for zone in zones}
    return zones[0] if len(offsets) == 1 else "UTC"


def _upgrade_geo(old: v211_locations.GeoLocation) -> v221_locations.GeoLocation:
    return v221_locations.GeoLocation(latitude=old.latitude, longitude=old.longitude)


def upgrade_energy_mix(old: v211_locations.EnergyMix | None) -> v221_locations.EnergyMix | None:
    """EnvironmentalImpact.source became `category`."""
    if old is None:
        return None
    impacts = None if old.environ_impact is None else [
        v221_locations.EnvironmentalImpact(category=i.source, amount=i.amount) for i in old.environ_impact
    ]
    return v221_locations.EnergyMix(
        is_green_energy=old.is_green_energy, energy_sources=old.energy_sources, environ_impact=impacts,
        supplier_name=old.supplier_name, energy_product_name=old.energy_product_name,
    )


def _upgrade_hours(old: v211_locations.Hours | None) -> v221_locations.Hours | None:
    """2.1.1 sends either regular_hours or twentyfourseven; `{"twentyfourseven": false}` alone says
    nothing (no hours)."""
    if old is None:
        return None
    always = bool(old.twentyfourseven)
    if not always and not old.regular_hours:
        return None
    return v221_locations.Hours(
        twentyfourseven=always, regular_hours=None if always else old.regular_hours,
        exceptional_openings=old.exceptional_openings, exceptional_closings=old.exceptional_closings,
    )


def upgrade_connector(old: v211_locations.Connector) -> v221_locations.Connector:
    """`voltage`/`amperage` became `max_voltage`/`max_amperage`; the single `tariff_id` a list."""
    return v221_locations.Connector(
        id=old.id, standard=v221_locations.ConnectorType(old.standard.value),
        format=old.format, power_type=v221_locations.PowerType(old.power_type.value),
        max_voltage=old.voltage, max_amperage=old.amperage, last_updated=old.last_updated,
        tariff_ids=None if old.tariff_id is None else [old.tariff_id],
        terms_and_conditions=old.terms_and_conditions,
    )


def upgrade_evse(old: v211_locations.EVSE) -> v221_locations.EVSE:
    return v221_locations.EVSE(
        uid=old.uid, status=old.status, connectors=[upgrade_connector(c) for c in old.connectors],
        last_updated=old.last_updated, evse_id=old.evse_id, status_schedule=old.status_schedule,
        capabilities=None if old.capabilities is None else [
            v221_locations.Capability(c.value) for c in old.capabilities],
        floor_level=old.floor_level,
        coordinates=None if old.coordinates is None else _upgrade_geo(old.coordinates),
        physical_reference=old.physical_reference, directions=old.directions,
        parking_restrictions=old.parking_restrictions, images=old.images,
    )


def upgrade_location(old: v211_locations.Location, *, country_code: str,
                     party_id: str) -> v221_locations.Location:
    """2.1.1 Locations carry no owner (the URL's party) and no `publish` (published: 2.1.1 had no other way).
    `type` OTHER/UNKNOWN leave `parking_type` unset; a missing `time_zone` comes from `country_time_zone`."""
    return v221_locations.Location(
        country_code=country_code.upper(), party_id=party_id.upper(), id=old.id, publish=True,
        address=old.address, city=old.city, country=old.country, coordinates=_upgrade_geo(old.coordinates),
        time_zone=old.time_zone or country_time_zone(country_code), last_updated=old.last_updated,
        name=old.name, postal_code=old.postal_code or None,
        related_locations=None if old.related_locations is None else [
            v221_locations.AdditionalGeoLocation(latitude=r.latitude, longitude=r.longitude, name=r.name)
            for r in old.related_locations],
        parking_type=v221_locations.ParkingType(old.type.value) if old.type.value in _PARKING_TYPES else None,
        evses=None if old.evses is None else [upgrade_evse(e) for e in old.evses],
        directions=old.directions, operator=old.operator, suboperator=old.suboperator, owner=old.owner,
        facilities=None if old.facilities is None else [
            v221_locations.Facility(f.value) for f in old.facilities],
        opening_times=_upgrade_hours(old.opening_times), charging_when_closed=old.charging_when_closed,
        images=old.images, energy_mix=upgrade_energy_mix(old.energy_mix),
    )


# -- 2.2.1 -> 2.1.1 ---------------------------------------------------------------------------------------
_CONNECTOR_TYPES = {t.value for t in v211_locations.ConnectorType}
_CAPABILITIES = {c.value for c in v211_locations.Capability}
_FACILITIES = {f.value for f in v211_locations.Facility}
_LOCATION_TYPES = {t.value for t in v211_locations.LocationType}
_SIX = Decimal("0.000001")


def _degrees(value: str) -> str:
    """2.1.1 coordinates have exactly 6 decimals."""
    return format(Decimal(value).quantize(_SIX, rounding=ROUND_HALF_EVEN), "f")


def _downgrade_geo(new: v221_locations.GeoLocation) -> v211_locations.GeoLocation:
    return v211_locations.GeoLocation(latitude=_degrees(new.latitude), longitude=_degrees(new.longitude))


def downgrade_energy_mix(new: v221_locations.EnergyMix | None) -> v211_locations.EnergyMix | None:
    if new is None:
        return None
    impacts = None if new.environ_impact is None else [
        v211_locations.EnvironmentalImpact(source=i.category, amount=i.amount) for i in new.environ_impact
    ]
    return v211_locations.EnergyMix(
        is_green_energy=new.is_green_energy, energy_sources=new.energy_sources, environ_impact=impacts,
        supplier_name=new.supplier_name, energy_product_name=new.energy_product_name,
    )


def _downgrade_hours(new: v221_locations.Hours | None) -> v211_locations.Hours | None:
    if new is None:
        return None
    return v211_locations.Hours(
        twentyfourseven=True if new.twentyfourseven else None,
        regular_hours=None if new.twentyfourseven else (new.regular_hours or []),
        exceptional_openings=new.exceptional_openings, exceptional_closings=new.exceptional_closings,
    )


def downgrade_connector(new: v221_locations.Connector) -> v211_locations.Connector | None:
    """None when 2.1.1 has no ConnectorType for it (GB/T, NEMA, pantographs, ...). Two-phase AC is sent as
    AC_1_PHASE; only the first tariff id fits into `tariff_id`."""
    if new.standard.value not in _CONNECTOR_TYPES:
        return None
    power = new.power_type.value
    if power not in ("AC_1_PHASE", "AC_3_PHASE", "DC"):
        power = "AC_1_PHASE"
    return v211_locations.Connector(
        id=new.id, standard=v211_locations.ConnectorType(new.standard.value), format=new.format,
        power_type=v211_locations.PowerType(power), voltage=new.max_voltage, amperage=new.max_amperage,
        last_updated=new.last_updated, tariff_id=new.tariff_ids[0] if new.tariff_ids else None,
        terms_and_conditions=new.terms_and_conditions,
    )


def downgrade_evse(new: v221_locations.EVSE) -> v211_locations.EVSE | None:
    """None when none of its connectors exists in 2.1.1 (an EVSE needs at least one)."""
    connectors = [c for c in (downgrade_connector(c) for c in new.connectors) if c is not None]
    if not connectors:
        return None
    return v211_locations.EVSE(
        uid=new.uid, status=new.status, connectors=connectors, last_updated=new.last_updated,
        evse_id=new.evse_id, status_schedule=new.status_schedule,
        capabilities=None if new.capabilities is None else [
            v211_locations.Capability(c.value) for c in new.capabilities if c.value in _CAPABILITIES],
        floor_level=new.floor_level,
        coordinates=None if new.coordinates is None else _downgrade_geo(new.coordinates),
        physical_reference=new.physical_reference, directions=new.directions,
        parking_restrictions=new.parking_restrictions, images=new.images,
    )


def downgrade_location(new: v221_locations.Location) -> v211_locations.Location:
    """Owner, publish, state dropped; `parking_type` to `type` (ALONG_MOTORWAY, ON_DRIVEWAY: OTHER; none:
    UNKNOWN); address cut to 2.1.1's 45 characters; a missing postal code sent as ""."""
    parking = new.parking_type.value if new.parking_type is not None else "UNKNOWN"
    evses = None
    if new.evses is not None:
        evses = [e for e in (downgrade_evse(e) for e in new.evses) if e is not None]
    return v211_locations.Location(
        id=new.id, type=v211_locations.LocationType(parking if parking in _LOCATION_TYPES else "OTHER"),
        address=new.address[:45], city=new.city, postal_code=new.postal_code or "", country=new.country,
        coordinates=_downgrade_geo(new.coordinates), last_updated=new.last_updated, name=new.name,
        related_locations=None if new.related_locations is None else [
            v211_locations.AdditionalGeoLocation(
                latitude=_degrees(r.latitude), longitude=_degrees(r.longitude), name=r.name)
            for r in new.related_locations],
        evses=evses, directions=new.directions, operator=new.operator, suboperator=new.suboperator,
        owner=new.owner,
        facilities=None if new.facilities is None else [
            v211_locations.Facility(f.value) for f in new.facilities if f.value in _FACILITIES],
        time_zone=new.time_zone, opening_times=_downgrade_hours(new.opening_times),
        charging_when_closed=new.charging_when_closed, images=new.images,
        energy_mix=downgrade_energy_mix(new.energy_mix),
    )
