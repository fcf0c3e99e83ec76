"""Tariff engine through Python: one CDR (5 charging periods, a 3-element tariff with time restrictions)
priced from JSON bytes, the same scenario as the criterion bench `single_cdr_5_periods` (so the gap between
the two is the Python boundary), plus the cost of handing in decoded dicts instead of bytes.

    .venv/bin/python -m pytest benches/python/test_pricing_bench.py --benchmark-enable -q
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

import ocpi_engine

TARIFF = {
    "country_code": "NL", "party_id": "ENG", "id": "T1", "currency": "EUR", "last_updated": "2024-01-01T00:00:00Z",
    "elements": [
        {"price_components": [{"type": "TIME", "price": 2.42, "step_size": 300},
                              {"type": "ENERGY", "price": 0.36, "vat": 21, "step_size": 500}],
         "restrictions": {"start_time": "07:00", "end_time": "19:00"}},
        {"price_components": [{"type": "ENERGY", "price": 0.41, "step_size": 500},
                              {"type": "PARKING_TIME", "price": 0.57, "vat": 21, "step_size": 300}],
         "restrictions": {"day_of_week": ["SATURDAY", "SUNDAY"]}},
        {"price_components": [{"type": "FLAT", "price": 0.96, "step_size": 1},
                              {"type": "ENERGY", "price": 0.29, "vat": 9, "step_size": 500},
                              {"type": "TIME", "price": 3.27, "step_size": 300},
                              {"type": "PARKING_TIME", "price": 3.50, "vat": 9, "step_size": 300}]},
    ],
}


def make_cdr() -> dict[str, Any]:
    periods = []
    starts = ["2024-04-08T05:37:00Z", "2024-04-08T06:31:00Z", "2024-04-08T07:10:00Z", "2024-04-08T08:01:00Z",
              "2024-04-08T08:40:00Z"]
    for i, start in enumerate(starts):
        dims = ([{"type": "PARKING_TIME", "volume": 0.65}] if i == 4 else
                [{"type": "ENERGY", "volume": 4.338 + i}, {"type": "TIME", "volume": 0.65}])
        periods.append({"start_date_time": start, "dimensions": dims})
    return {"id": "CDR1", "start_date_time": starts[0], "end_date_time": "2024-04-08T09:19:00Z", "currency": "EUR",
            "cdr_location": {"country": "NLD"}, "charging_periods": periods,
            "total_cost": {"excl_vat": 0}, "last_updated": "2024-04-08T09:19:00Z"}


CDR_BYTES = json.dumps(make_cdr()).encode()
TARIFF_BYTES = json.dumps(TARIFF).encode()


def test_price_cdr_from_json_bytes(benchmark: Any) -> None:
    benchmark.group = "price one CDR (5 periods, 3-element tariff)"
    report = benchmark(ocpi_engine.price_cdr, CDR_BYTES, TARIFF_BYTES, time_zone="UTC")
    assert report.total_cost.excl_vat > Decimal(0)
    benchmark.extra_info["total_cost_excl_vat"] = str(report.total_cost.excl_vat)


def test_price_cdr_from_dicts(benchmark: Any) -> None:
    benchmark.group = "price one CDR (5 periods, 3-element tariff)"
    cdr = make_cdr()
    report = benchmark(ocpi_engine.price_cdr, cdr, TARIFF, time_zone="UTC")
    assert report.total_cost == ocpi_engine.price_cdr(CDR_BYTES, TARIFF_BYTES, time_zone="UTC").total_cost


@pytest.mark.parametrize("n", [1000])
def test_json_decode_baseline(benchmark: Any, n: int) -> None:
    """Baseline in the same run: the stdlib decoding the same CDR bytes (no pricing at all)."""
    benchmark.group = "price one CDR (5 periods, 3-element tariff)"
    benchmark(json.loads, CDR_BYTES)
