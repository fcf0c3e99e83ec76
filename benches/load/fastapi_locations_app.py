"""Comparison for the locations load run: FastAPI + pydantic (served by uvicorn) holding the first 50 locations
as pydantic models and returning them per request through a response model in an OCPI envelope (no store, no
authentication). Needs the `bench` extra's fastapi/uvicorn/pydantic."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locations_data import location  # noqa: E402


class GeoLocation(BaseModel):
    latitude: str
    longitude: str


class Connector(BaseModel):
    id: str
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    last_updated: datetime
    max_electric_power: int | None = None
    tariff_ids: list[str] | None = None


class Evse(BaseModel):
    uid: str
    status: str
    connectors: list[Connector]
    last_updated: datetime
    evse_id: str | None = None
    capabilities: list[str] | None = None
    floor_level: str | None = None
    physical_reference: str | None = None


class BusinessDetails(BaseModel):
    name: str


class Hours(BaseModel):
    twentyfourseven: bool


class Location(BaseModel):
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


class Envelope(BaseModel):
    data: list[Location]
    status_code: int
    status_message: str
    timestamp: datetime


LOCATIONS = [Location.model_validate(location(i)) for i in range(50)]

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/ocpi/2.2.1/cpo/locations", response_model=Envelope, response_model_exclude_none=True)
async def list_locations() -> Envelope:
    return Envelope(data=LOCATIONS, status_code=1000, status_message="Success",
                    timestamp=datetime.now(UTC).replace(microsecond=0))
