"""A fault-injecting OCPI partner on a loopback port for sync tests (stdlib HTTP server in a thread).

- Sender: `GET /sender/{module}` lists `objects[module]` (creation order) with `date_from`/`offset`/`limit`,
  its own page cap, `Link` absolute, relative or absent, `X-Total-Count` / `X-Limit` optional.
- Receiver: any PUT/PATCH/POST/DELETE under `/receiver/{module}` is recorded in `received` (in arrival order)
  and answered 200/1000 (or 404 for PATCHes of unknown paths when `unknown_patch_404`).
- Faults: `faults` is a list consumed one per request: `429:<retry-after>`, `500`, `503`, `400`, `404`,
  `slow:<seconds>`, `truncated` (cut JSON), `cut` (connection closed mid-body), `garbage`, `ocpi3000`, `ocpi2001`, or None (answer normally). A `before_page`
  hook may change the objects between pages.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from ocpi_engine.storage.base import PartnerRecord

TIMESTAMP = "2026-01-01T00:00:00Z"


def location(i: int, *, updated: str = "2024-01-01T00:00:00Z", party: str = "FAK", status: str = "AVAILABLE",
             country: str = "BE") -> dict[str, Any]:
    return {"country_code": country, "party_id": party, "id": f"LOC{i}", "publish": True, "address": f"Street {i}",
            "city": "Gent", "country": "BEL", "coordinates": {"latitude": "51.04000", "longitude": "3.72000"},
            "time_zone": "Europe/Brussels", "last_updated": updated,
            "evses": [{"uid": f"E{i}", "status": status, "last_updated": updated,
                       "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                                       "power_type": "AC_3_PHASE", "max_voltage": 230, "max_amperage": 32,
                                       "last_updated": updated}]}]}


@dataclass
class Received:
    method: str
    path: str
    body: bytes
    at: float


@dataclass
class SyncPartner:
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_cap: int = 50
    link: str = "absolute"
    """absolute | relative (`/sender/...`) | query (`?offset=...`) | none"""
    total_header: bool = True
    limit_header: bool = True
    faults: list[str | None] = field(default_factory=list)
    unknown_patch_404: bool = False
    before_page: Callable[[SyncPartner, int], None] | None = None
    received: list[Received] = field(default_factory=list)
    requests: list[tuple[str, str, float]] = field(default_factory=list)
    receive_delay: float = 0.0
    base: str = ""

    def __post_init__(self) -> None:
        partner = self
        self._lock = threading.Lock()
        self._pages = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = partner.answer(self.command, self.path, body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if payload is not None and payload.endswith(b"<truncated>"):
                        payload = payload[: -len(b"<truncated>")]
                        self.send_header("Content-Length", str(len(payload) + 100))
                        self.send_header("Connection", "close")
                        self.end_headers()
                        self.wfile.write(payload)
                        self.close_connection = True
                        return
                    self.send_header("Content-Length", str(len(payload or b"")))
                    self.end_headers()
                    self.wfile.write(payload or b"")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> SyncPartner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def record(self, *, partner_id: int = 0, version: str = "2.2.1", role: str = "CPO",
               party: tuple[str, str] = ("BE", "FAK")) -> PartnerRecord:
        endpoints = []
        for module in ("locations", "tariffs", "tokens", "sessions", "cdrs"):
            endpoints.append({"identifier": module, "role": "SENDER", "url": f"{self.base}/sender/{module}"})
            endpoints.append({"identifier": module, "role": "RECEIVER", "url": f"{self.base}/receiver/{module}"})
        return PartnerRecord(id=partner_id, name="fake", status="REGISTERED", token_kind="C", outbound_token="tok",
                             version=version, endpoints=endpoints,
                             roles=[{"role": role, "country_code": party[0], "party_id": party[1],
                                     "business_details": {"name": "Fake"}}])

    @staticmethod
    def _envelope(data: Any = None, status_code: int = 1000) -> bytes:
        body: dict[str, Any] = {"status_code": status_code, "timestamp": TIMESTAMP}
        if data is not None:
            body["data"] = data
        return json.dumps(body).encode()

    def answer(self, method: str, raw_path: str, body: bytes) -> tuple[int, dict[str, str], bytes | None]:
        with self._lock:
            self.requests.append((method, raw_path, time.monotonic()))
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            kind, _, arg = fault.partition(":")
            if kind == "slow":
                time.sleep(float(arg))
            elif kind == "429":
                return 429, {"Retry-After": arg or "1"}, self._envelope(None, 2000)
            elif kind in ("500", "503", "400", "404"):
                return int(kind), {}, self._envelope(None, 3000 if kind.startswith("5") else 2000)
            elif kind == "truncated":
                return 200, {}, self._envelope([{"id": "x"}] * 5)[:40]
            elif kind == "cut":
                return 200, {}, self._envelope([{"id": "x"}] * 5)[:40] + b"<truncated>"
            elif kind == "garbage":
                return 200, {}, b"<html>oops</html>"
            elif kind == "ocpi3000":
                return 200, {}, self._envelope(None, 3000)
            elif kind == "ocpi2001":
                return 200, {}, self._envelope(None, 2001)
        parts = urlsplit(raw_path)
        if method == "GET" and parts.path.startswith("/sender/"):
            return self._list(parts.path.removeprefix("/sender/").strip("/"), dict(parse_qsl(parts.query)))
        if parts.path.startswith("/receiver/"):
            if self.receive_delay:
                time.sleep(self.receive_delay)
            with self._lock:
                self.received.append(Received(method, raw_path.removeprefix("/receiver"), body, time.monotonic()))
            if method == "PATCH" and self.unknown_patch_404:
                return 404, {}, self._envelope(None, 2000)
            return 200, {}, self._envelope()
        return 404, {}, self._envelope(None, 2000)

    def _list(self, module: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes | None]:
        if self.before_page is not None:
            self.before_page(self, self._pages)
        self._pages += 1
        items = list(self.objects.get(module, []))
        if "date_from" in query:
            items = [o for o in items if _canon(o["last_updated"]) >= _canon(query["date_from"])]
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", self.page_cap)), self.page_cap)
        page = items[offset:offset + limit]
        headers: dict[str, str] = {}
        if self.total_header:
            headers["X-Total-Count"] = str(len(items))
        if self.limit_header:
            headers["X-Limit"] = str(self.page_cap)
        if offset + limit < len(items) and self.link != "none":
            params = {k: v for k, v in query.items() if k not in ("offset", "limit")}
            params.update(offset=str(offset + limit), limit=str(limit))
            target = f"/sender/{module}?{urlencode(params)}"
            url = {"relative": target, "query": "?" + urlencode(params)}.get(self.link, self.base + target)
            headers["Link"] = f'<{url}>; rel="next"'
        return 200, headers, self._envelope(page)


def _canon(value: str) -> str:
    from ocpi_engine.models._base import normalize_datetime

    return normalize_datetime(value)
