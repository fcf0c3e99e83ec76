"""Base struct and constrained scalar types shared by every OCPI wire model (transport.md section 1)."""

from __future__ import annotations

import datetime as _dt
import re
import time as _time
from decimal import Decimal
from typing import Annotated, Any

import msgspec

__all__ = [
    "OcpiStruct",
    "CiString2",
    "CiString3",
    "CiString4",
    "CiString36",
    "CiString39",
    "CiString48",
    "CiString64",
    "CiString255",
    "String2",
    "String3",
    "String36",
    "String64",
    "String100",
    "String255",
    "String512",
    "Url",
    "CredentialsToken",
    "CountryCode",
    "PartyId",
    "Number",
    "DateTime",
    "normalize_datetime",
    "parse_datetime",
    "format_datetime",
    "utc_now",
]


class OcpiStruct(msgspec.Struct, omit_defaults=True, kw_only=True):
    """Base for OCPI wire objects: drops unset optional fields on output, tolerates unknown fields on input."""


# Printable ASCII without control characters; CiString values compare case-insensitively (callers
# normalise with `.upper()` for country_code / party_id before comparing or storing).
_PRINTABLE_ASCII = r"^[\x20-\x7E]*$"
# Printable UTF-8: no C0/C1 control characters (CR, LF, TAB, ...).
_PRINTABLE = r"^[^\x00-\x1F\x7F-\x9F]*$"


def _ci(n: int) -> Any:
    return Annotated[str, msgspec.Meta(max_length=n, pattern=_PRINTABLE_ASCII)]


def _s(n: int) -> Any:
    return Annotated[str, msgspec.Meta(max_length=n, pattern=_PRINTABLE)]


CiString2 = _ci(2)
CiString3 = _ci(3)
CiString4 = _ci(4)
CiString36 = _ci(36)
CiString39 = _ci(39)
CiString48 = _ci(48)
CiString64 = _ci(64)
CiString255 = _ci(255)
String2 = _s(2)
String3 = _s(3)
String36 = _s(36)
String64 = _s(64)
String100 = _s(100)
String255 = _s(255)
String512 = _s(512)
Url = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$")]
CountryCode = Annotated[str, msgspec.Meta(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
PartyId = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern=r"^[A-Za-z0-9]{3}$")]
# Credentials token: printable non-whitespace ASCII (U+0021..U+007E), at most 64 characters.
CredentialsToken = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7E]+$")]
# OCPI `number`: decoded exactly as Decimal, never float.
Number = Decimal
# OCPI DateTime kept as its wire string (validated by pattern: UTC, `Z` optional, fractions allowed, no
# offsets); `parse_datetime` turns it into an aware datetime where arithmetic is needed.
DateTime = Annotated[
    str,
    msgspec.Meta(max_length=35, pattern=r"^\d{4}-\d{1,2}-\d{1,2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[Zz]?$"),
]

_DT_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z)?$")


def parse_datetime(value: str) -> _dt.datetime:
    """Parse an OCPI DateTime (RFC 3339 subset, always UTC; `Z` optional, fractions allowed, offsets rejected)."""
    match = _DT_RE.match(value)
    if match is None:
        msg = f"invalid DateTime {value!r}: expected UTC like 2015-06-29T20:39:09Z (no offsets)"
        raise ValueError(msg)
    year, month, day, hour, minute, second, fraction, _ = match.groups()
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    return _dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=_dt.UTC
    )


def format_datetime(value: _dt.datetime) -> str:
    """Write a DateTime as OCPI expects: UTC with a `Z` designator, milliseconds only when non-zero (DateTime is
    string(25): `2018-01-01T01:08:01.123Z` fits, microseconds would not)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    value = value.astimezone(_dt.UTC)
    millis = value.microsecond // 1000
    if millis:
        return value.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}".rstrip("0") + "Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_datetime(value: str) -> str:
    """Canonical sortable form of an OCPI DateTime: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (used for storage and filters)."""
    return parse_datetime(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_NOW_SECOND: list[Any] = [-1, ""]


def utc_now_text() -> str:
    """`format_datetime(utc_now())`, cheaply: the seconds part is formatted once per second."""
    now = _time.time()
    second = int(now)
    if second != _NOW_SECOND[0]:
        _NOW_SECOND[0], _NOW_SECOND[1] = second, _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(second))
    millis = int((now - second) * 1000)
    if millis:
        return f"{_NOW_SECOND[1]}.{millis:03d}".rstrip("0") + "Z"
    return _NOW_SECOND[1] + "Z"


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


