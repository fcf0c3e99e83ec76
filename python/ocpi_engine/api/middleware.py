"""Raw ASGI middleware for every request: X-Request-ID / X-Correlation-ID (generated when absent, echoed),
2.2.1 routing headers (validated, echoed reversed), partner authentication of every `/ocpi/` path, and one
structured access-log line without any token.

Authentication lives here rather than in a Litestar guard: it is the same for every OCPI route, and a raw
ASGI step costs a fraction of a guard (measured in benches/RESULTS.md, "Transport overhead").
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import msgspec

from ocpi_engine.api.hot_paths import answer_authorize, answer_list, match_hot_path, match_list_path
from ocpi_engine.api.auth import Caller, authenticate_header, token_a_allowed
from ocpi_engine.api.envelope import envelope_bytes
from ocpi_engine.errors import OcpiError
from ocpi_engine.randomness import random_hex

__all__ = ["OcpiHeadersMiddleware", "ROUTING_HEADERS"]

access_log = logging.getLogger("ocpi_engine.access")
_log_encoder = msgspec.json.Encoder()

ROUTING_HEADERS = {
    b"ocpi-from-country-code": re.compile(rb"^[A-Za-z]{2}$"),
    b"ocpi-from-party-id": re.compile(rb"^[A-Za-z0-9]{3}$"),
    b"ocpi-to-country-code": re.compile(rb"^[A-Za-z]{2}$"),
    b"ocpi-to-party-id": re.compile(rb"^[A-Za-z0-9]{3}$"),
}
_REVERSED = {
    b"ocpi-from-country-code": b"OCPI-to-country-code",
    b"ocpi-from-party-id": b"OCPI-to-party-id",
    b"ocpi-to-country-code": b"OCPI-from-country-code",
    b"ocpi-to-party-id": b"OCPI-from-party-id",
}
_ID_OK = re.compile(rb"^[\x21-\x7E]{1,255}$")


def _uuid4_text(hex32: str) -> bytes:
    """A random (version 4, RFC 4122 variant) UUID in its usual text form, from 32 random hex digits."""
    variant = "89ab"[int(hex32[16], 16) & 3]
    return f"{hex32[:8]}-{hex32[8:12]}-4{hex32[13:16]}-{variant}{hex32[17:20]}-{hex32[20:]}".encode()


class OcpiHeadersMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = correlation_id = authorization = None
        echo: list[tuple[bytes, bytes]] = []
        bad: str | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"x-request-id" and _ID_OK.match(value):
                request_id = value
            elif name == b"x-correlation-id" and _ID_OK.match(value):
                correlation_id = value
            elif name in ROUTING_HEADERS:
                if ROUTING_HEADERS[name].match(value):
                    echo.append((_REVERSED[name], value.upper()))
                else:
                    bad = name.decode()
        if request_id is None or correlation_id is None:
            fresh = random_hex(32)
            request_id = request_id or _uuid4_text(fresh[:32])
            correlation_id = correlation_id or _uuid4_text(fresh[32:])
        extra = [(b"x-request-id", request_id), (b"x-correlation-id", correlation_id), *echo]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id.decode()
        state["correlation_id"] = correlation_id.decode()
        status_holder = [0]
        path: str = scope["path"]
        failure: tuple[int, int, str] | None = None
        hot: str | None = None
        listing: str | None = None
        if bad is not None:
            field = bad.replace("ocpi", "OCPI")
            failure = (400, 2001, f"invalid header `{field}`: expected a CiString country code (2 letters) or "
                                  "party id (3 letters/digits)")
        elif path.startswith("/ocpi/"):
            app_state = scope["litestar_app"].state
            hot = match_hot_path(scope, app_state.settings.roles)
            listing = None if hot is not None else match_list_path(scope, app_state.settings.roles)
            try:
                partner = await authenticate_header(app_state.directory, authorization,
                                                    shared=hot is not None or listing is not None)
                if partner.token_kind != "C" and not token_a_allowed(path):
                    failure = (401, 2000, "a registration token only opens the versions and credentials endpoints")
                else:
                    state["partner_id"] = partner.id
                    state["caller"] = Caller(partner=partner, parties=frozenset(partner.parties()))
            except OcpiError as exc:
                failure = (exc.http_status, exc.status_code, exc.message)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            if failure is not None:
                body = envelope_bytes(None, failure[1], failure[2])
                await send_with_headers({"type": "http.response.start", "status": failure[0],
                                         "headers": [(b"content-type", b"application/json"),
                                                     (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            elif hot is not None:
                await answer_authorize(scope, receive, send_with_headers, hot)
            elif listing is not None:
                await answer_list(scope, send_with_headers, listing)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    _log_encoder.encode(
                        {
                            "method": scope.get("method"),
                            "path": scope.get("path"),
                            "status": status_holder[0],
                            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                            "request_id": state["request_id"],
                            "correlation_id": state["correlation_id"],
                            "partner": state.get("partner_id"),
                        }
                    ).decode()
                )
