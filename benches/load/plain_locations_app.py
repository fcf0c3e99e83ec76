"""Baseline for the locations load run: a plain Litestar + msgspec handler holding the first 50 locations as
msgspec Structs and encoding them per request in an OCPI envelope (no store, no authentication)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from litestar import Litestar, get

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locations_data import location  # noqa: E402


class GeoLocation(msgspec.Struct, omit_defaults=True):
    latitude: str
    longitude: str


class Connector(msgspec.Struct, omit_defaults=True):
    id: str
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    last_updated: datetime
    max_electric_power: int | None = None
    tariff_ids: list[str] | None = None


class Evse(msgspec.Struct, omit_defaults=True):
    uid: str
    status: str
    connectors: list[Connector]
    last_updated: datetime
    evse_id: str | None = None
    capabilities: list[str] | None = None
    floor_level: str | None = None
    physical_reference: str | None = None


class BusinessDetails(msgspec.Struct, omit_defaults=True):
    name: str


class Hours(msgspec.Struct, omit_defaults=True):
    twentyfourseven: bool


class Location(msgspec.Struct, omit_defaults=True):
    country_code: str
    party_id: str
    id: str
    publish: bool
    address: str
    city: str
    country: str
    coordinates: GeoLocation
    time_zone: str
    last_updated: datetime
    name: str | None = None
    postal_code: str | None = None
    parking_type: str | None = None
    evses: list[Evse] | None = None
    operator: BusinessDetails | None = None
    facilities: list[str] | None = None
    opening_times: Hours | None = None


class Envelope(msgspec.Struct):
    data: list[Location]
    status_code: int
    status_message: str
    timestamp: datetime


LOCATIONS = [msgspec.convert(location(i), Location) for i in range(50)]


@get("/ocpi/2.2.1/cpo/locations", sync_to_thread=False)
def list_locations() -> Envelope:
    return Envelope(data=LOCATIONS, status_code=1000, status_message="Success",
                    timestamp=datetime.now(UTC).replace(microsecond=0))


app = Litestar(route_handlers=[list_locations], logging_config=None)
