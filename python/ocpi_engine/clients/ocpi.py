"""Generic outbound OCPI HTTP client (httpx): envelopes, Authorization encoding per partner, request ids.

Every failure to use the partner's API (unreachable, timeout, not JSON, not an OCPI envelope) becomes a
`ClientApiError` (OCPI 3001) whose message says what went wrong and what to check.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import msgspec

from ocpi_engine.errors import ClientApiError

__all__ = ["OcpiClient", "OcpiReply", "authorization_header", "USER_AGENT"]

USER_AGENT = "ocpi-engine"
_encoder = msgspec.json.Encoder(decimal_format="number")


class OcpiReply(msgspec.Struct, kw_only=True):
    http_status: int
    status_code: int | None
    status_message: str | None
    data: Any
    headers: dict[str, str]
    """Response headers, lower-cased names (Link, X-Total-Count, X-Limit, Location, ...)."""


class _Envelope(msgspec.Struct):
    status_code: int
    data: Any = None
    status_message: str | None = None
    timestamp: str | None = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)


class _RawEnvelope(msgspec.Struct):
    status_code: int
    data: msgspec.Raw = msgspec.Raw(b"null")
    status_message: str | None = None
    timestamp: str | None = None


_raw_envelope_decoder = msgspec.json.Decoder(_RawEnvelope)


def authorization_header(token: str, *, version: str | None, mode: str = "auto") -> str:
    """`Token <...>`: base64 of the UTF-8 token for 2.2.1 (mode auto/base64), the raw token for 2.1.1 or raw."""
    use_base64 = mode == "base64" or (mode == "auto" and version != "2.1.1")
    if use_base64:
        return "Token " + base64.b64encode(token.encode()).decode()
    return "Token " + token


def _safe_url(url: str) -> str:
    return url.split("?", 1)[0]


class OcpiClient:
    """Thin async OCPI client over one shared httpx.AsyncClient."""

    def __init__(self, http: httpx.AsyncClient | None = None, *, timeout: float = 10.0) -> None:
        self._own = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout, headers={"User-Agent": USER_AGENT})

    async def aclose(self) -> None:
        if self._own:
            await self.http.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        token: str,
        version: str | None,
        auth_mode: str = "auto",
        body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        correlation_id: str | None = None,
        timeout: float | None = None,
        raw_data: bool = False,
    ) -> OcpiReply:
        """Send one OCPI request; with auth_mode auto and no version, retry raw after a 401 on base64.

        `raw_data`: leave `data` undecoded (`msgspec.Raw`), for callers that decode it with their own types (pulls).
        """
        reply = await self._send(method, url, token, version, auth_mode, body, params, headers, correlation_id, timeout,
                                 raw_data)
        if reply.http_status == 401 and auth_mode == "auto" and version is None:
            reply = await self._send(method, url, token, version, "raw", body, params, headers, correlation_id,
                                     timeout, raw_data)
            if reply.http_status != 401:
                reply.headers["x-ocpi-engine-auth-mode"] = "raw"
        return reply

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        version: str | None,
        auth_mode: str,
        body: Any,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        correlation_id: str | None,
        timeout: float | None = None,
        raw_data: bool = False,
    ) -> OcpiReply:
        all_headers = {
            "Authorization": authorization_header(token, version=version, mode=auth_mode),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
        }
        content: bytes | None = None
        if body is not None:
            content = body if isinstance(body, bytes) else _encoder.encode(body)
            all_headers["Content-Type"] = "application/json"
        if headers:
            all_headers.update(headers)
        try:
            extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
            response = await self.http.request(method, url, content=content, params=params, headers=all_headers,
                                               **extra)
        except httpx.TimeoutException as exc:
            raise ClientApiError(
                f"{method} {_safe_url(url)} timed out ({type(exc).__name__}); check the partner is up and reachable"
            ) from exc
        except httpx.HTTPError as exc:
            raise ClientApiError(
                f"{method} {_safe_url(url)} failed: {type(exc).__name__}: {exc}; check the URL and that the partner "
                "is reachable"
            ) from exc
        resp_headers = {k.lower(): v for k, v in response.headers.items()}
        raw = response.content
        if not raw.strip():
            return OcpiReply(
                http_status=response.status_code, status_code=None, status_message=None, data=None,
                headers=resp_headers,
            )
        try:
            env = (_raw_envelope_decoder if raw_data else _envelope_decoder).decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            if response.status_code == 401:
                return OcpiReply(
                    http_status=401, status_code=None, status_message=None, data=None, headers=resp_headers
                )
            raise ClientApiError(
                f"{method} {_safe_url(url)} answered HTTP {response.status_code} with a body that is not an OCPI "
                f"response envelope ({exc}); check the URL points at an OCPI endpoint"
            ) from exc
        return OcpiReply(
            http_status=response.status_code,
            status_code=env.status_code,
            status_message=env.status_message,
            data=env.data,
            headers=resp_headers,
        )
