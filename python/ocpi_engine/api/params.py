"""URL and query parameter checks shared by controllers: CiString lengths, enum values (2001 naming the parameter)."""

from __future__ import annotations

import enum
import re

from ocpi_engine.errors import InvalidParametersError

__all__ = ["ci_string", "token_type"]

_PRINTABLE = re.compile(r"^[\x21-\x7E]+$")


def ci_string(value: str, name: str, max_length: int) -> str:
    if not value or len(value) > max_length or not _PRINTABLE.match(value):
        raise InvalidParametersError(
            f"invalid parameter `{name}`: {value!r} is not a CiString({max_length})", field=name)
    return value


def token_type(value: str | None, kind: type[enum.StrEnum]) -> str:
    """The `type` query parameter: default RFID; unknown values are 2001."""
    if value is None or value == "":
        return "RFID"
    if value not in kind.__members__:
        raise InvalidParametersError(
            f"invalid parameter `type`: {value!r}; use one of {', '.join(kind.__members__)}", field="type")
    return value
