"""Partner sync end to end (issue 4): two real servers on loopback. The CPO imports 10,000 generated locations,
the eMSP pulls them all (pages of 100) and holds exactly the CPO's; the CPO changes 1% of EVSE statuses and
removes some connectors; an incremental pull and, separately (from a backup of the eMSP's store taken before),
a push of the CPO's outbox each bring the eMSP back to equality."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

COUNT = 10_000
STATUSES = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER", "INOPERATIVE"]


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    stamp = "2024-03-01T12:00:00Z"
    locations = []
    for i in range(count):
        evses = []
        for e in range(rng.randint(1, 3)):
            connectors = [{"id": str(c + 1), "standard": rng.choice(["IEC_62196_T2", "IEC_62196_T2_COMBO", "CHADEMO"]),
                           "format": "SOCKET" if c == 0 else "CABLE", "power_type": "AC_3_PHASE",
                           "max_voltage": 230, "max_amperage": rng.choice([16, 32]), "tariff_ids": ["T1"],
                           "last_updated": stamp} for c in range(rng.randint(1, 3))]
            evses.append({"uid": f"EV{i}-{e}", "evse_id": f"NL*CPA*E{i}X{e}", "status": rng.choice(STATUSES),
                          "capabilities": ["RFID_READER"], "connectors": connectors, "last_updated": stamp})
        locations.append({
            "country_code": "NL", "party_id": "CPA", "id": f"LOC{i:05d}", "publish": True, "name": f"Site {i}",
            "address": f"Straat {i}", "city": "Utrecht", "postal_code": "3511AA", "country": "NLD",
            "coordinates": {"latitude": f"52.{rng.randrange(10**6):06d}", "longitude": f"5.{rng.randrange(10**6):06d}"},
            "parking_type": "ON_STREET", "evses": evses, "time_zone": "Europe/Amsterdam", "last_updated": stamp,
        })
    return locations


def change(locations: list[dict[str, Any]], seed: int = 11) -> list[dict[str, Any]]:
    """1% of EVSEs get another status; every 150th location loses the last connector of an EVSE that has two."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    evses = [(loc, evse) for loc in locations for evse in loc["evses"]]
    changed: dict[str, dict[str, Any]] = {}
    for loc, evse in rng.sample(evses, len(evses) // 100):
        evse["status"] = rng.choice([s for s in STATUSES if s != evse["status"]])
        evse["last_updated"] = loc["last_updated"] = now
        changed[loc["id"]] = loc
    for loc in locations[::150]:
        for evse in loc["evses"]:
            if len(evse["connectors"]) > 1:
                evse["connectors"].pop()
                evse["last_updated"] = loc["last_updated"] = now
                changed[loc["id"]] = loc
                break
    return list(changed.values())


def jsonl(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


def snapshot(server: Server, partner_id: int | None) -> dict[str, Any]:
    with sqlite3.connect(server.db) as db:
        where = "partner_id IS NULL" if partner_id is None else f"partner_id = {int(partner_id)}"
        rows = db.execute(f"SELECT id, body FROM objects WHERE module='locations' AND {where}").fetchall()
    return {row[0]: json.loads(row[1]) for row in rows}


def registered(server: Server) -> int:
    return next(int(p["id"]) for p in server.partners() if p["status"] == "REGISTERED")


def outbox(server: Server, partner_id: int) -> dict[str, Any]:
    rows = json.loads(server.cli("sync", "status", "--json").stdout)
    return next(r["outbox"] for r in rows if r["id"] == partner_id)  # type: ignore[no-any-return]


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    cpo.env["OCPI_ENGINE_PAGE_SIZE"] = "100"
    # this test drives the pushes itself (`sync push`) after checking the pull path alone
    cpo.env["OCPI_ENGINE_PUSH_WORKER"] = "0"
    cpo.env["OCPI_ENGINE_INITIAL_PUSH"] = "none"  # the eMSP pulls everything here; the push is of the 1% change
    try:
        cpo.start()
        emsp.start()
        yield cpo, emsp
    finally:
        cpo.stop()
        emsp.stop()


def test_pull_then_incremental_pull_and_push_keep_the_emsp_equal(pair: tuple[Server, Server],
                                                                 tmp_path: Path) -> None:
    cpo, emsp = pair
    started = time.monotonic()
    locations = generate(COUNT)
    assert "imported 10000 locations" in cpo.cli("import", "locations", str(jsonl(tmp_path / "all.jsonl",
                                                                                     locations))).stdout
    added = json.loads(emsp.cli("partners", "add", "the CPO", "--json").stdout)
    cpo.cli("partners", "register", added["versions_url"], added["token_a"])
    cpo_at_emsp, emsp_at_cpo = registered(emsp), registered(cpo)
    t_import = time.monotonic() - started

    pulled = json.loads(emsp.cli("sync", "pull", str(cpo_at_emsp), "--module", "locations", "--page-size", "100",
                                 "--json", "--quiet").stdout)[0]
    assert (pulled["fetched"], pulled["pages"], pulled["invalid"], pulled["total"]) == (COUNT, COUNT // 100, 0, COUNT)
    expected = snapshot(cpo, None)
    assert len(expected) == COUNT and snapshot(emsp, cpo_at_emsp) == expected
    t_pull = time.monotonic() - started - t_import

    backup = tmp_path / "emsp-before-change.sqlite3"
    with sqlite3.connect(emsp.db) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)

    changed = change(locations)
    assert 80 <= len(changed) <= 400
    cpo.cli("import", "locations", str(jsonl(tmp_path / "changed.jsonl", changed)))
    expected = snapshot(cpo, None)
    # The import queued the pushes for the (now registered) eMSP in the same transaction.
    assert outbox(cpo, emsp_at_cpo)["pending"] >= len(changed)
    assert snapshot(emsp, cpo_at_emsp) != expected

    # 1. Incremental pull: date_from = last watermark - overlap; only the changed locations come back.
    again = json.loads(emsp.cli("sync", "pull", str(cpo_at_emsp), "--module", "locations", "--page-size", "100",
                                "--json", "--quiet").stdout)[0]
    assert again["mode"] == "incremental" and again["fetched"] < COUNT // 10
    assert snapshot(emsp, cpo_at_emsp) == expected

    # 2. Push, from the eMSP's store as it was before the change.
    emsp.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{emsp.db}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(backup) as copy, sqlite3.connect(emsp.db) as restored:
        copy.backup(restored)
    emsp.start()
    assert snapshot(emsp, cpo_at_emsp) != expected
    pushed = cpo.cli("sync", "push", str(emsp_at_cpo), "--max-wait", "20", "--quiet")
    assert "0 dead letter(s)" in pushed.stdout, pushed.stdout + pushed.stderr
    assert snapshot(emsp, cpo_at_emsp) == expected
    assert outbox(cpo, emsp_at_cpo)["pending"] == 0
    total = time.monotonic() - started
    print(f"e2e: import + register {t_import:.1f} s, full pull {t_pull:.1f} s, total {total:.1f} s")
    assert total < 120, f"took {total:.0f} s (import {t_import:.0f} s, pull {t_pull:.0f} s)"
