"""Load run: the eMSP receiver's ingest on granian (1 worker), load from wrk on loopback, bounded in time:

  1. Session PATCH appending one charging period (atomic read-modify-write of the stored session),
  2. CDR POST (validation, immutable insert, re-pricing with the tariff engine against a held tariff,
     reconciliation record),
  3. the lead's bare Litestar app (benches/load/bare_app.py) under the authorize script: the framework + server
     ceiling, measured in the same run.

    .venv/bin/python benches/load/sessions_cdrs_load.py --seconds 10

Reuses the authorize harness (authorize_load.py) for ports, start and stop. Needs `wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from authorize_load import PY, free_port, serve, stop  # noqa: E402

CDR = json.loads((HERE.parents[1] / "tests/fixtures/spec__cdr_example_221/cdr.json").read_text())
TARIFF = CDR.pop("tariffs")[0]


def seed(db: Path, sessions: int) -> str:
    """A registered CPO partner DE/ABC, `sessions` of its sessions and its tariff 12 held by us (the eMSP)."""
    from ocpi_engine.models._base import normalize_datetime
    from ocpi_engine.services.partners import new_token, token_hash
    from ocpi_engine.storage.base import ObjectRecord, PartnerRecord
    from ocpi_engine.storage.sqlite import SqliteStore

    async def run() -> str:
        store = SqliteStore(str(db))
        await store.open()
        token = new_token()
        partner = await store.create_partner(PartnerRecord(
            id=0, name="load cpo", status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(token),
            version="2.2.1", roles=[{"role": "CPO", "country_code": "DE", "party_id": "ABC"}]))
        records = [ObjectRecord(
            module="sessions", country_code="DE", party_id="ABC", id=f"S{i:06d}",
            last_updated=normalize_datetime("2024-03-01T10:00:00Z"), partner_id=partner.id,
            body=json.dumps({"country_code": "DE", "party_id": "ABC", "id": f"S{i:06d}",
                             "start_date_time": "2024-03-01T10:00:00Z", "kwh": 0,
                             "cdr_token": {"country_code": "NL", "party_id": "OCE", "uid": f"U{i}", "type": "RFID",
                                           "contract_id": f"NL-OCE-{i}"},
                             "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "E1", "connector_id": "1",
                             "currency": "EUR", "status": "ACTIVE", "last_updated": "2024-03-01T10:00:00Z"}).encode())
            for i in range(sessions)]
        tariff = {**TARIFF, "country_code": "DE", "party_id": "ABC"}
        records.append(ObjectRecord(module="tariffs", country_code="DE", party_id="ABC", id="12",
                                    last_updated=normalize_datetime(tariff["last_updated"]), partner_id=partner.id,
                                    body=json.dumps(tariff).encode()))
        await store.put_objects(records)
        await store.close()
        return token

    return asyncio.run(run())


def run_wrk(port: int, seconds: int, connections: int, script: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(HERE / script),
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, env={**os.environ, **env},
        timeout=seconds + 30, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"rps": rps, "p50_ms": pct("50"), "p99_ms": pct("99"), "non2xx": float(non2xx.group(1)) if non2xx else 0,
            "requests": float(total.group(1)) if total else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.sqlite3"
        token = seed(db, args.sessions)
        auth = "Token " + base64.b64encode(token.encode()).decode()
        patch = json.dumps({"charging_periods": [{"start_date_time": "STAMP", "tariff_id": "12", "dimensions": [
            {"type": "ENERGY", "volume": 0.25}, {"type": "TIME", "volume": 0.0167}]}], "kwh": 1.5,
            "total_cost": {"excl_vat": 0.4, "incl_vat": 0.44}, "last_updated": "STAMP"})
        cdr = json.dumps({**CDR, "country_code": "DE", "party_id": "ABC", "id": "CDRID"})
        env = {**os.environ, "OCPI_ENGINE_DATABASE_URL": f"sqlite:///{db}", "OCPI_ENGINE_ADMIN_TOKEN": "x",
               "OCPI_ENGINE_LOG_LEVEL": "WARNING", "OCPI_ENGINE_CACHE": "none"}
        port = free_port()
        env["OCPI_ENGINE_PORT"] = str(port)
        proc = serve([PY, "-m", "ocpi_engine.cli.__main__", "serve", "--no-access-log"], env, port, "/health")
        try:
            runs = {"session PATCH (append period)": {"MODE": "patch", "BODY": patch,
                                                      "BASE_PATH": "/ocpi/2.2.1/emsp/sessions"},
                    "CDR POST (store + reprice)": {"MODE": "post", "BODY": cdr, "BASE_PATH": "/ocpi/2.2.1/emsp/cdrs"}}
            for name, extra in runs.items():
                common = {"AUTH": auth, "SESSIONS": str(args.sessions), **extra}
                run_wrk(port, 2, args.connections, "sessions_cdrs.lua", common)  # warm-up, discarded
                results[name] = run_wrk(port, args.seconds, args.connections, "sessions_cdrs.lua", common)
        finally:
            stop(proc)
        port = free_port()
        proc = serve([PY, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
                      "--workers", "1", "--working-dir", str(HERE), "bare_app:app"], dict(os.environ), port, "/")
        try:
            bare_env = {"TOKENS": "1000", "AUTH": auth}
            run_wrk(port, 2, args.connections, "authorize.lua", bare_env)
            results["bare Litestar 1 KB (baseline)"] = run_wrk(port, args.seconds, args.connections, "authorize.lua",
                                                               bare_env)
        finally:
            stop(proc)
    bare = results["bare Litestar 1 KB (baseline)"]["rps"]
    print(f"{'scenario':<32} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8} {'requests':>9}")
    for name, r in results.items():
        print(f"{name:<32} {r['rps']:>8,.0f} {r['rps'] / bare:>6.2f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
              f"{r['non2xx']:>8.0f} {r['requests']:>9.0f}")


if __name__ == "__main__":
    main()
