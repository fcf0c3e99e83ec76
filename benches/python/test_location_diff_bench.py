"""Location diffing through Python: two snapshots of 100,000 generated OCPI 2.2.1 Locations (2 EVSEs x 2
connectors each, ~2.2 KB per Location, the shape of the criterion bench `diff_locations_100k`) where 1% changed,
diffed from JSON bytes (parsing included); baseline in the same run: msgspec decoding both snapshots.

    .venv/bin/python -m pytest benches/python/test_location_diff_bench.py --benchmark-enable -q -s
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

import msgspec
import pytest

import ocpi_engine

LOCATIONS = 100_000
STATUSES = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"]
STREETS = ["Stationsplein", "Kerkstraat", "Rue de la Loi", "Hauptstraße", "Marktplatz", "Vestergade"]
CITIES = ["Amsterdam", "Utrecht", "Bruxelles", "München", "Köln", "Aarhus"]
LATER = "2025-01-01T00:00:00Z"


def stamp(day: int, second: int) -> str:
    return (f"2024-{1 + day // 28 % 12:02}-{1 + day % 28:02}T{second // 3600 % 24:02}:{second // 60 % 60:02}:"
            f"{second % 60:02}Z")


def connector(cid: int, dc: bool, tariff: int, at: str) -> str:
    standard, fmt, power_type, voltage, amperage, power = (
        ("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 200, 150000) if dc
        else ("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 22080))
    return (f'{{"id":"{cid}","standard":"{standard}","format":"{fmt}","power_type":"{power_type}",'
            f'"max_voltage":{voltage},"max_amperage":{amperage},"max_electric_power":{power},'
            f'"tariff_ids":["T{tariff}"],"terms_and_conditions":"https://cpo.example.com/terms","last_updated":"{at}"}}')


def generate(rng: random.Random, n: int) -> dict[str, Any]:
    at = stamp(rng.randrange(300), rng.randrange(86400))
    dc = rng.randrange(3) == 0
    return {"n": n, "suffix": rng.randrange(1000), "lat": rng.randrange(1_000_000), "lon": rng.randrange(1_000_000),
            "at": at, "evses": [{"uid": f"{n}-{e}", "status": rng.choice(STATUSES), "tariff": rng.randrange(40),
                                 "dc": dc, "at": at} for e in range(2)]}


def render(loc: dict[str, Any]) -> str:
    n, street = loc["n"], loc["n"] % len(STREETS)
    evses = ",".join(
        f'{{"uid":"{e["uid"]}","evse_id":"NL*CPO*E{e["uid"].replace("-", "*")}","status":"{e["status"]}",'
        f'"capabilities":["RFID_READER","REMOTE_START_STOP_CAPABLE"],"connectors":['
        f'{connector(1, e["dc"], e["tariff"], e["at"])},{connector(2, e["dc"], e["tariff"], e["at"])}],'
        f'"coordinates":{{"latitude":"52.{loc["lat"]:06}","longitude":"4.{loc["lon"]:06}"}},'
        f'"physical_reference":"{i + 1}","floor_level":"0","parking_restrictions":["EV_ONLY"],"last_updated":"{e["at"]}"}}'
        for i, e in enumerate(loc["evses"]))
    return (f'{{"country_code":"NL","party_id":"CPO","id":"LOC{n:07}","publish":true,"name":"Laadplein {n} '
            f'{loc["suffix"]}","address":"{STREETS[street]} {1 + n % 200}","city":"{CITIES[street]}",'
            f'"postal_code":"{1000 + n % 9000:04}AB","country":"NLD","coordinates":{{"latitude":"52.{loc["lat"]:06}",'
            f'"longitude":"4.{loc["lon"]:06}"}},"parking_type":"ON_STREET","evses":[{evses}],'
            f'"operator":{{"name":"Example CPO","website":"https://cpo.example.com"}},"facilities":["PARKING_LOT","CAFE"],'
            f'"time_zone":"Europe/Amsterdam","opening_times":{{"twentyfourseven":true}},"charging_when_closed":true,'
            f'"energy_mix":{{"is_green_energy":true}},"last_updated":"{loc["at"]}"}}')


def snapshot_pair(count: int, seed: int) -> tuple[bytes, bytes]:
    """Of every 100 Locations one changes, rotating: EVSE status, rename, connector tariff, replaced by a new one."""
    rng = random.Random(seed)
    old = [generate(rng, n) for n in range(count)]
    new: list[str] = []
    for n, loc in enumerate(old):
        if n % 100 != 50:
            new.append(render(loc))
            continue
        changed = {**loc, "evses": [dict(e) for e in loc["evses"]], "at": LATER}
        kind = n // 100 % 4
        if kind == 0:
            changed["evses"][0].update(status="AVAILABLE" if loc["evses"][0]["status"] == "CHARGING" else "CHARGING",
                                       at=LATER)
        elif kind == 1:
            changed["suffix"] += 1
        elif kind == 2:
            changed["evses"][1].update(tariff=loc["evses"][1]["tariff"] + 1, at=LATER)
        else:
            new.append(render(generate(rng, count + n)))
            continue
        new.append(render(changed))
    return ("[" + ",".join(render(loc) for loc in old) + "]").encode(), ("[" + ",".join(new) + "]").encode()


@pytest.fixture(scope="module")
def snapshots() -> tuple[bytes, bytes]:
    return snapshot_pair(LOCATIONS, 42)


# Expected from the generator: per 400 Locations one EVSE PATCH (its connectors' last_updated moved too: two
# connector PATCHes), one Location PATCH, two connector PATCHes (tariff),
# one new Location (PUT) and one vanished (2 EVSEs PATCHed to REMOVED).
EXPECTED = {("PATCH", "evse"): 250 + 500, ("PATCH", "location"): 250, ("PATCH", "connector"): 1000,
            ("PUT", "location"): 250}


def kinds(ops: list[ocpi_engine.LocationOp]) -> Counter[tuple[str, str]]:
    return Counter((op.method, "connector" if op.connector_id else "evse" if op.evse_uid else "location") for op in ops)


def test_diff_locations_from_json_bytes(benchmark: Any, snapshots: tuple[bytes, bytes]) -> None:
    old, new = snapshots
    benchmark.group = "diff_locations 100k Locations, 1% changed"
    rounds = 7
    cpu_before = time.process_time()
    ops = benchmark.pedantic(ocpi_engine.diff_locations, args=(old, new), rounds=rounds, iterations=1, warmup_rounds=1)
    cpu_ms = (time.process_time() - cpu_before) * 1000 / (rounds + 1)
    assert kinds(ops) == EXPECTED
    benchmark.extra_info["operations"] = len(ops)
    benchmark.extra_info["snapshot_bytes"] = len(old) + len(new)
    # CPU time of all threads per call: survives a busy shared machine better than wall time.
    benchmark.extra_info["cpu_ms_per_call"] = round(cpu_ms, 1)
    print(f"\ndiff_locations: {cpu_ms:.1f} ms CPU per call (all threads)")


def test_decode_both_with_msgspec_baseline(benchmark: Any, snapshots: tuple[bytes, bytes]) -> None:
    old, new = snapshots
    benchmark.group = "diff_locations 100k Locations, 1% changed"
    decoder = msgspec.json.Decoder()

    def decode_both() -> int:
        return len(decoder.decode(old)) + len(decoder.decode(new))

    assert benchmark.pedantic(decode_both, rounds=3, iterations=1, warmup_rounds=0) == 2 * LOCATIONS
