"""Full pull of N generated locations from a loopback partner, against raw HTTP GETs of the same pages.

The partner is a separate process (stdlib HTTP/1.1 server, keep-alive) serving pre-encoded pages of `--page`
locations with absolute `Link`, `X-Total-Count` and `X-Limit` headers, so its own cost is small and the same
for both runs. Baseline: the same page crawl with the same OcpiClient (envelope decoded, data left raw), no
validation, no store. Measured: `services.pull.pull_module` (validation through the 2.2.1 Location model,
re-encoding, per-page transaction into a fresh SQLite store). Generator: fixed seed.

    .venv/bin/python benches/python/pull_bench.py --count 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

STAMP = "2024-03-01T12:00:00Z"


def generate(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for i in range(count):
        evses = []
        for e in range(rng.randint(1, 3)):
            connectors = [{"id": str(c + 1), "standard": rng.choice(["IEC_62196_T2", "IEC_62196_T2_COMBO", "CHADEMO"]),
                           "format": "SOCKET", "power_type": "AC_3_PHASE", "max_voltage": 230,
                           "max_amperage": rng.choice([16, 32]), "tariff_ids": ["T1"], "last_updated": STAMP}
                          for c in range(rng.randint(1, 2))]
            evses.append({"uid": f"EV{i}-{e}", "evse_id": f"BE*FAK*E{i}X{e}", "status": "AVAILABLE",
                          "capabilities": ["RFID_READER"], "connectors": connectors, "last_updated": STAMP})
        bodies.append(json.dumps({
            "country_code": "BE", "party_id": "FAK", "id": f"LOC{i:06d}", "publish": True, "name": f"Site {i}",
            "address": f"Straat {i}", "city": "Gent", "postal_code": "9000", "country": "BEL",
            "coordinates": {"latitude": f"51.{rng.randrange(10**6):06d}", "longitude": f"3.{rng.randrange(10**6):06d}"},
            "parking_type": "ON_STREET", "evses": evses, "time_zone": "Europe/Brussels", "last_updated": STAMP,
        }, separators=(",", ":")).encode())
    return bodies


def serve(count: int, page: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    bodies = generate(count)
    pages: dict[int, bytes] = {}
    for offset in range(0, count, page):
        pages[offset] = (b'{"status_code":1000,"timestamp":"2026-01-01T00:00:00Z","data":['
                         + b",".join(bodies[offset:offset + page]) + b"]}")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            query = dict(parse_qsl(urlsplit(self.path).query))
            offset = int(query.get("offset", 0))
            payload = pages.get(offset, b'{"status_code":1000,"timestamp":"2026-01-01T00:00:00Z","data":[]}')
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Total-Count", str(count))
            self.send_header("X-Limit", str(page))
            if offset + page < count:
                port = self.server.server_address[1]
                self.send_header("Link", f'<http://127.0.0.1:{port}/locations?offset={offset + page}&limit={page}>; '
                                         'rel="next"')
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.put(httpd.server_address[1])
    httpd.serve_forever()


async def raw_crawl(base: str) -> tuple[int, float]:
    from ocpi_engine.clients.ocpi import OcpiClient
    from ocpi_engine.services.pull import next_link

    client = OcpiClient(timeout=30)
    url: str | None = f"{base}/locations"
    pages = 0
    started = time.perf_counter()
    while url is not None and pages < 100_000:
        reply = await client.request("GET", url, token="t", version="2.2.1", raw_data=True)
        pages += 1
        url = next_link(reply.headers.get("link"), url)
    elapsed = time.perf_counter() - started
    await client.aclose()
    return pages, elapsed


async def pull(base: str, count: int) -> tuple[object, float]:
    from ocpi_engine.clients.ocpi import OcpiClient
    from ocpi_engine.services.pull import PullProgress, pull_module
    from ocpi_engine.storage.base import PartnerRecord
    from ocpi_engine.storage.sqlite import SqliteStore

    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "bench.sqlite3"))
        await store.open()
        partner = await store.create_partner(PartnerRecord(
            id=0, name="bench", status="REGISTERED", token_kind="C", outbound_token="t", version="2.2.1",
            endpoints=[{"identifier": "locations", "role": "SENDER", "url": f"{base}/locations"}],
            roles=[{"role": "CPO", "country_code": "BE", "party_id": "FAK", "business_details": {"name": "F"}}]))
        client = OcpiClient(timeout=30)
        shown = [0]

        def progress(p: PullProgress) -> None:
            if p.fetched - shown[0] >= 10_000 or p.fetched == p.total:
                shown[0] = p.fetched
                print(f"\r  pulled {p.fetched:,}/{p.total:,} ({p.pages:,} pages, {p.rate:,.0f}/s)", end="",
                      file=sys.stderr, flush=True)

        started = time.perf_counter()
        result = await pull_module(store, client, partner, "locations", on_page=progress)
        elapsed = time.perf_counter() - started
        print(file=sys.stderr)
        stored = (await store.list_objects("locations", limit=1)).total
        assert stored == count, f"stored {stored} of {count}"
        await client.aclose()
        await store.close()
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=100)
    args = parser.parse_args()
    if not 1 <= args.count <= 1_000_000:
        parser.error("--count must be between 1 and 1,000,000")
    ready: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.count, args.page, ready), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=600)
        base = f"http://127.0.0.1:{port}"
        print(f"partner ready: {args.count:,} locations, pages of {args.page}", file=sys.stderr)
        pages, raw_seconds = asyncio.run(raw_crawl(base))
        print(f"raw GET of {pages:,} pages: {raw_seconds:.2f} s", file=sys.stderr)
        result, pull_seconds = asyncio.run(pull(base, args.count))
        print(json.dumps({
            "count": args.count, "page": args.page, "pages": pages,
            "raw_get_seconds": round(raw_seconds, 2), "raw_get_objects_per_s": round(args.count / raw_seconds),
            "pull_seconds": round(pull_seconds, 2), "pull_objects_per_s": round(args.count / pull_seconds),
            "ratio": round(pull_seconds / raw_seconds, 2), "written": result.written,  # type: ignore[attr-defined]
        }, indent=2))
    finally:
        server.terminate()
        server.join(timeout=10)


if __name__ == "__main__":
    main()
