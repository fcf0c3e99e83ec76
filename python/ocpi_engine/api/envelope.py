"""The OCPI response envelope (transport.md section 4) and the responses that carry it.

Bodies are encoded once with a module-level msgspec Encoder writing Decimal as JSON numbers (Litestar's
default encoder writes Decimal as strings). Stored objects are already JSON, so list and object responses
splice their bytes into the envelope instead of decoding and re-encoding them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from litestar import Response

from ocpi_engine.models._base import utc_now_text

__all__ = [
    "encoder", "envelope_bytes", "list_envelope_bytes", "ocpi_response", "ocpi_raw_response", "ocpi_list_response",
    "MEDIA_TYPE",
]

MEDIA_TYPE = "application/json"
encoder = msgspec.json.Encoder(decimal_format="number")
_NO_DATA = object()


def _tail(status_code: int, message: str | None) -> bytes:
    parts = [b'"status_code":', str(status_code).encode()]
    if message is not None:
        parts += [b',"status_message":', encoder.encode(message)]
    parts += [b',"timestamp":"', utc_now_text().encode(), b'"}']
    return b"".join(parts)


def envelope_bytes(data_json: bytes | None, status_code: int = 1000, message: str | None = "Success") -> bytes:
    """`{"data": <data_json>, "status_code": ..., "status_message": ..., "timestamp": ...}`; data omitted if None."""
    if data_json is None:
        return b"{" + _tail(status_code, message)
    return b'{"data":' + data_json + b"," + _tail(status_code, message)


def list_envelope_bytes(joined_items: bytes) -> bytes:
    """`envelope_bytes(b"[" + joined_items + b"]")` with one copy of the items (a page of 50 locations is ~90 KB);
    `joined_items` is the array's content, already-encoded objects joined with commas."""
    return b"".join((b'{"data":[', joined_items, b"],", _tail(1000, "Success")))


def ocpi_response(
    data: Any = _NO_DATA,
    *,
    status_code: int = 1000,
    message: str | None = "Success",
    http_status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response[bytes]:
    """An envelope around `data` (any msgspec-encodable value); without `data` the field is left out."""
    data_json = None if data is _NO_DATA else encoder.encode(data)
    return Response(
        content=envelope_bytes(data_json, status_code, message),
        status_code=http_status,
        media_type=MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def ocpi_raw_response(
    data_json: bytes, *, http_status: int = 200, headers: Mapping[str, str] | None = None
) -> Response[bytes]:
    """An envelope around already-encoded JSON (e.g. a stored object's body)."""
    return Response(
        content=envelope_bytes(data_json),
        status_code=http_status,
        media_type=MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def ocpi_list_response(bodies: Iterable[bytes], *, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    """An envelope whose data is the JSON array of already-encoded objects."""
    return Response(
        content=list_envelope_bytes(b",".join(bodies)),
        media_type=MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )
