"""Load run: GET a page of 50 own locations (2 EVSEs x 2 connectors each) on granian (1 worker), load from wrk
on loopback, bounded in time. Servers measured one after another in the same run:

  1. ocpi-engine `serve` (1 worker, in-process token cache), first page: GET /ocpi/2.2.1/cpo/locations?limit=50
     with a registered eMSP partner's token,
  2. the same server, a deep page by `offset` only (offset=5000 with 10,000 locations),
  3. the same server, the same deep page by the `Link` of the page before it (keyset `cursor`),
  4. a plain Litestar + msgspec handler encoding the same 50 prebuilt Structs per request (the baseline),
  5. FastAPI + pydantic on uvicorn (1 worker) returning the same 50 models through a response model,
  6. the ceiling: a bare ASGI callable on granian sending the same page as prebuilt bytes (no framework, no work).

    .venv/bin/python benches/load/locations_load.py --locations 10000 --seconds 10

Before loading, each server's answer is checked: the same 50 objects (compared as JSON values), X-Total-Count,
X-Limit and Link on ocpi-engine. Reuses the authorize and ingest harnesses (ports, start/stop, wrk parsing).
Needs `wrk` and the `bench` extra (fastapi, uvicorn, pydantic). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from authorize_load import PY, free_port, serve, stop  # noqa: E402
from locations_data import location  # noqa: E402
from sessions_cdrs_load import run_wrk  # noqa: E402

PAGE = "/ocpi/2.2.1/cpo/locations"


def seed(db: Path, count: int) -> str:
    """`count` own locations through the importer and one registered eMSP partner; returns its token."""
    from ocpi_engine.cache import MemoryCache
    from ocpi_engine.services.importer import import_lines
    from ocpi_engine.services.partners import new_token, token_hash
    from ocpi_engine.settings import Settings
    from ocpi_engine.storage.base import PartnerRecord
    from ocpi_engine.storage.sqlite import SqliteStore

    settings = Settings(database_url=f"sqlite:///{db}")
    lines = (json.dumps(location(i)).encode() for i in range(count))

    class Ctx:
        pass

    async def run() -> str:
        store = SqliteStore(str(db))
        await store.open()
        ctx = Ctx()
        ctx.settings, ctx.store, ctx.cache, ctx.client = settings, store, MemoryCache(), None  # type: ignore[attr-defined]
        await import_lines("locations", lines, store=store, settings=settings, context=ctx)
        token = new_token()
        await store.create_partner(PartnerRecord(
            id=0, name="load emsp", status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(token),
            version="2.2.1", roles=[{"role": "EMSP", "country_code": "DE", "party_id": "MSP"}]))
        await store.close()
        return token

    return asyncio.run(run())


def check_page(port: int, path: str, auth: str, first: int, *, total: int | None) -> httpx.Response:
    """The page holds locations first..first+49 (as JSON values); on ocpi-engine also the paging headers."""
    reply = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": auth}, timeout=10)
    if reply.status_code != 200:
        sys.exit(f"GET {path} answered {reply.status_code}: {reply.text[:300]}")
    envelope = reply.json()
    expected = [location(i) for i in range(first, first + 50)]
    if envelope["data"] != expected or envelope["status_code"] != 1000:
        sys.exit(f"GET {path} on port {port} did not answer locations {first}..{first + 49}")
    if total is not None:
        link = reply.headers.get("link", "")
        if reply.headers.get("x-total-count") != str(total) or not link.endswith('>; rel="next"') \
                or not reply.headers.get("x-limit"):
            sys.exit(f"GET {path}: unexpected paging headers {dict(reply.headers)}")
    return reply


def measure(port: int, path: str, auth: str, seconds: int, connections: int) -> dict[str, float]:
    env = {"LIST_PATH": path, "AUTH": auth}
    run_wrk(port, 2, connections, "locations.lua", env)  # warm-up, discarded
    return run_wrk(port, seconds, connections, "locations.lua", env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1, help="repeat every server; the table shows medians")
    parser.add_argument("--only", default="", help="comma list of servers: engine,plain,fastapi,raw (default: all)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 5 or not 1 <= args.seconds <= 120:
        sys.exit("--rounds is 1..5 and --seconds 1..120 (every run is bounded)")
    deep = min(5000, (args.locations // 2) // 50 * 50)
    only = set(args.only.split(",")) if args.only else {"engine", "plain", "fastapi", "raw"}
    rounds: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.sqlite3"
        print(f"seeding {args.locations:,} locations ...", file=sys.stderr)
        token = seed(db, args.locations)
        auth = "Token " + base64.b64encode(token.encode()).decode()
        for _ in range(args.rounds):
            if "engine" in only:
                port = free_port()
                env = {**os.environ, "OCPI_ENGINE_DATABASE_URL": f"sqlite:///{db}", "OCPI_ENGINE_ADMIN_TOKEN": "x",
                       "OCPI_ENGINE_LOG_LEVEL": "WARNING", "OCPI_ENGINE_PORT": str(port),
                       "OCPI_ENGINE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
                proc = serve([PY, "-m", "ocpi_engine.cli.__main__", "serve", "--no-access-log"], env, port, "/health")
                try:
                    first = f"{PAGE}?limit=50"
                    check_page(port, first, auth, 0, total=args.locations)
                    by_offset = f"{PAGE}?offset={deep}&limit=50"
                    check_page(port, by_offset, auth, deep, total=args.locations)
                    before = check_page(port, f"{PAGE}?offset={deep - 50}&limit=50", auth, deep - 50,
                                        total=args.locations)
                    link = urlsplit(before.headers["link"].split(">")[0].lstrip("<"))
                    by_link = f"{link.path}?{link.query}"
                    check_page(port, by_link, auth, deep, total=args.locations)
                    for name, path in (("ocpi-engine page 1", first), (f"ocpi-engine offset={deep}", by_offset),
                                       (f"ocpi-engine Link cursor @{deep}", by_link)):
                        print(f"load run: {name} ({args.seconds} s) ...", file=sys.stderr)
                        rounds.setdefault(name, []).append(measure(port, path, auth, args.seconds, args.connections))
                finally:
                    stop(proc)
            if "plain" in only:
                port = free_port()
                proc = serve([PY, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
                              "--workers", "1", "--working-dir", str(HERE), "plain_locations_app:app"],
                             dict(os.environ), port, PAGE)
                try:
                    check_page(port, PAGE, auth, 0, total=None)
                    print(f"load run: plain Litestar + msgspec ({args.seconds} s) ...", file=sys.stderr)
                    rounds.setdefault("plain Litestar + msgspec", []).append(
                        measure(port, PAGE, auth, args.seconds, args.connections))
                finally:
                    stop(proc)
            if "fastapi" in only:
                port = free_port()
                proc = serve([PY, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                              "--no-access-log", "--log-level", "warning", "--app-dir", str(HERE),
                              "fastapi_locations_app:app"], dict(os.environ), port, PAGE)
                try:
                    check_page(port, PAGE, auth, 0, total=None)
                    print(f"load run: FastAPI + pydantic, uvicorn ({args.seconds} s) ...", file=sys.stderr)
                    rounds.setdefault("FastAPI + pydantic (uvicorn)", []).append(
                        measure(port, PAGE, auth, args.seconds, args.connections))
                finally:
                    stop(proc)
            if "raw" in only:
                port = free_port()
                proc = serve([PY, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
                              "--workers", "1", "--working-dir", str(HERE), "raw_page_app:app"],
                             dict(os.environ), port, PAGE)
                try:
                    check_page(port, PAGE, auth, 0, total=None)
                    print(f"load run: bare ASGI, prebuilt page ({args.seconds} s) ...", file=sys.stderr)
                    rounds.setdefault("ceiling: bare ASGI, prebuilt bytes", []).append(
                        measure(port, PAGE, auth, args.seconds, args.connections))
                finally:
                    stop(proc)
    results = {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]} for name, runs in rounds.items()}
    base = results.get("plain Litestar + msgspec", {}).get("rps")
    print(f"GET a page of 50 locations, wrk 1 thread, {args.connections} connections, {args.seconds} s per server "
          f"after a 2 s warm-up; {args.rounds} round(s), medians")
    print(f"{'server':<34} {'req/s':>8} {'vs plain':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8} {'requests':>9}")
    for name, r in results.items():
        ratio = f"{r['rps'] / base:>8.2f}" if base else f"{'-':>8}"
        print(f"{name:<34} {r['rps']:>8,.0f} {ratio} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
              f"{r['non2xx']:>8.0f} {r['requests']:>9.0f}")


if __name__ == "__main__":
    main()
