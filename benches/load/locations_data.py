"""The locations every server of the locations load run serves: OCPI 2.2.1 Location objects shaped like the
spec's example (locations.md, `location_example.json`), each with 2 EVSEs of 2 connectors, from a fixed
formula (no randomness) so that ocpi-engine's store, the plain Litestar app and the FastAPI app hold the
same objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

COUNTRY_CODE, PARTY_ID = "NL", "OCE"
"""ocpi-engine's default own party: the importer only accepts our own locations."""

_STANDARDS = (("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 400, 32, 22000),
              ("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 200, 150000))
_STATUSES = ("AVAILABLE", "CHARGING", "AVAILABLE", "OUTOFORDER")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _stamp(i: int) -> str:
    """Ascending: location i was last updated i minutes after 2024-01-01 (so date filters select ranges)."""
    return (_EPOCH + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def location(i: int) -> dict[str, Any]:
    """Location number `i` (0-based) as JSON-ready data."""
    evses = []
    for e in range(2):
        connectors = []
        for c, (standard, fmt, power_type, voltage, amperage, power) in enumerate(_STANDARDS):
            connectors.append({"id": str(c + 1), "standard": standard, "format": fmt, "power_type": power_type,
                               "max_voltage": voltage, "max_amperage": amperage, "max_electric_power": power,
                               "tariff_ids": [f"T{c + 1}"], "last_updated": _stamp(i)})
        evses.append({"uid": f"{i:06d}-{e + 1}", "evse_id": f"NL*OCE*E{i:06d}*{e + 1}",
                      "status": _STATUSES[(i + e) % len(_STATUSES)],
                      "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                      "connectors": connectors, "physical_reference": str(e + 1), "floor_level": "0",
                      "last_updated": _stamp(i)})
    return {
        "country_code": COUNTRY_CODE, "party_id": PARTY_ID, "id": f"LOC{i:06d}", "publish": True,
        "name": f"Laadplein {i}", "address": f"Stationsplein {1 + i % 200}", "city": "Utrecht",
        "postal_code": f"{3500 + i % 500:04d} AB", "country": "NLD",
        "coordinates": {"latitude": f"{52.0 + (i % 1000) / 10000:.6f}", "longitude": f"{5.0 + (i % 997) / 10000:.6f}"},
        "parking_type": "ON_STREET", "evses": evses, "operator": {"name": "ocpi-engine load run"},
        "facilities": ["TRAIN_STATION", "CAFE"], "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True}, "last_updated": _stamp(i),
    }
