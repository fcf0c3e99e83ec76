"""Commands end to end, two real servers on loopback: the eMSP sends START_SESSION, the CPO's simulated charger
starts it, the CommandResult reaches the eMSP, the session (with periods growing) is pushed to the eMSP,
STOP_SESSION ends it, the CPO's CDR is POSTed to the eMSP, which GETs it back by its Location URL, re-prices it
and finds no discrepancy."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Server

STAMP = "2024-01-01T00:00:00Z"
LOCATION = {
    "country_code": "NL", "party_id": "CPA", "id": "LOC1", "publish": True, "address": "Street 1", "city": "Utrecht",
    "postal_code": "3500AA", "country": "NLD", "coordinates": {"latitude": "52.090000", "longitude": "5.120000"},
    "time_zone": "Europe/Amsterdam", "last_updated": STAMP,
    "evses": [{"uid": "EVSE1", "evse_id": "NL*CPA*E1", "status": "AVAILABLE", "last_updated": STAMP,
               "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
                               "max_voltage": 230, "max_amperage": 16, "max_electric_power": 11000,
                               "tariff_ids": ["T1"], "last_updated": STAMP}]}],
}
TARIFF = {"country_code": "NL", "party_id": "CPA", "id": "T1", "currency": "EUR", "last_updated": STAMP,
          "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1},
                                             {"type": "TIME", "price": 2.0, "step_size": 1}]}]}
TOKEN = {"country_code": "NL", "party_id": "EMB", "uid": "DRIVER1", "type": "APP_USER", "contract_id": "NL-EMB-C1",
         "issuer": "EMB", "valid": True, "whitelist": "NEVER", "last_updated": STAMP}


def rows(server: Server, module: str) -> list[dict[str, Any]]:
    with sqlite3.connect(server.db) as db:
        return [dict(json.loads(body), _partner_id=partner_id) for body, partner_id in db.execute(
            "SELECT body, partner_id FROM objects WHERE module=? ORDER BY seq", (module,))]


def access_log(server: Server) -> list[dict[str, Any]]:
    """The server's access-log lines (JSON objects: method, path, status, ...)."""
    lines = []
    for raw in server.log.read_text(errors="replace").splitlines():
        start = raw.find('{"method"')
        if start >= 0:
            try:
                lines.append(json.loads(raw[start:]))
            except ValueError:
                continue
    return lines


def wait_until(what: str, check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.2) + 1):
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def admin(server: Server, method: str, path: str, **kwargs: Any) -> Any:
    token = server.cli("admin-token").stdout.strip().split()[-1]
    answer = httpx.request(method, f"{server.base}/admin{path}", headers={"Authorization": f"Bearer {token}"},
                           timeout=30, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def test_start_charge_stop_cdr_reconciled(tmp_path: Path) -> None:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    cpo.env.update(OCPI_ENGINE_SIMULATED_TICK="1", OCPI_ENGINE_PUSH_WORKER="true")
    try:
        cpo.start()
        emsp.start()
        for server, kind, obj in ((cpo, "locations", LOCATION), (cpo, "tariffs", TARIFF), (emsp, "tokens", TOKEN)):
            source = tmp_path / f"{server.name}-{kind}.jsonl"
            source.write_text(json.dumps(obj) + "\n")
            server.cli("import", kind, str(source))
        added = json.loads(cpo.cli("partners", "add", "the eMSP", "--json").stdout)
        emsp.cli("partners", "register", added["versions_url"], added["token_a"])
        [partner] = [str(p["id"]) for p in emsp.partners() if p["status"] == "REGISTERED"]

        started = json.loads(emsp.cli("commands", "start-session", partner, "--token", "DRIVER1", "--token-type",
                                      "APP_USER", "--location", "LOC1", "--wait", "20", "--json").stdout)
        assert started["status"] == "RESULT" and started["result"]["result"] == "ACCEPTED", started

        def session_with_periods(count: int) -> Any:
            received = [s for s in rows(emsp, "sessions") if s["_partner_id"] is not None]
            return received[0] if received and len(received[0].get("charging_periods") or []) >= count else None

        running = wait_until("the session with 2 periods at the eMSP", lambda: session_with_periods(2))
        assert running["status"] == "ACTIVE" and running["cdr_token"]["uid"] == "DRIVER1"
        assert running["auth_method"] == "COMMAND"
        later = wait_until("a third period", lambda: session_with_periods(3))
        assert later["charging_periods"][:2] == running["charging_periods"][:2]

        stopped = json.loads(emsp.cli("commands", "stop-session", partner, "--session", running["id"], "--wait", "20",
                                      "--json").stdout)
        assert stopped["status"] == "RESULT" and stopped["result"]["result"] == "ACCEPTED", stopped
        done = wait_until("the completed session at the eMSP", lambda: [
            s for s in rows(emsp, "sessions") if s["_partner_id"] is not None and s["status"] == "COMPLETED"])
        # created by a PUT, then PATCHes appending periods (sessions.md 2.2): the eMSP holds exactly the CPO's periods
        [cpo_session] = [s for s in rows(cpo, "sessions") if s["_partner_id"] is None]
        assert done[0]["charging_periods"] == cpo_session["charging_periods"]
        session_path = f"/ocpi/2.2.1/emsp/sessions/NL/CPA/{running['id']}"
        methods = [line["method"] for line in access_log(emsp) if line.get("path") == session_path]
        assert methods[0] == "PUT" and methods.count("PATCH") >= 2, methods
        cdrs = wait_until("the CDR at the eMSP", lambda: [c for c in rows(emsp, "cdrs") if c["_partner_id"]])
        assert cdrs[0]["session_id"] == running["id"]
        assert cdrs[0]["charging_periods"] == done[0]["charging_periods"]
        assert cdrs[0]["total_cost"]["excl_vat"] > 0
        # the CDR can be fetched at its URL at the eMSP (what its Location header names), equal to the CPO's own
        [cpo_cdr] = [c for c in rows(cpo, "cdrs") if c["_partner_id"] is None]
        [outbound] = [p["outbound_token"] for p in cpo.partners() if p["status"] == "REGISTERED"]
        fetched = httpx.get(f"{emsp.base}/ocpi/2.2.1/emsp/cdrs/NL/CPA/{cpo_cdr['id']}", timeout=10,
                            headers={"Authorization": "Token " + base64.b64encode(outbound.encode()).decode()})
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["data"]["total_cost"] == cpo_cdr["total_cost"]
        assert fetched.json()["data"]["charging_periods"] == cpo_cdr["charging_periods"]
        # and the eMSP re-priced it with the tariff the CDR carries: no discrepancy
        records = wait_until("the reconciliation", lambda: admin(emsp, "GET", "/cdrs/discrepancies",
                                                               params={"status": "all"}))
        assert [r["report"]["status"] for r in records] == ["ok"], records
    finally:
        cpo.stop()
        emsp.stop()
