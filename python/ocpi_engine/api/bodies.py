"""Decoding request bodies into msgspec models with OCPI errors: 400 for non-JSON, 2001 naming the field."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from ocpi_engine.errors import InvalidParametersError, NotJsonError

__all__ = ["decode_body", "validation_error"]

T = TypeVar("T")

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.S)
_MISSING = re.compile(r"Object missing required field `(?P<field>[^`]+)`")
_REGEX = re.compile(r"Expected `str` matching regex .*")


def validation_error(exc: msgspec.ValidationError, *, prefix: str = "") -> InvalidParametersError:
    """Turn a msgspec ValidationError into a 2001 whose message and `.field` name the JSON path."""
    match = _AT.match(str(exc))
    message = match.group("msg") if match else str(exc)
    path = (match.group("path") if match else None) or "$"
    missing = _MISSING.match(message)
    if missing:
        path = f"{path}.{missing.group('field')}"
        message = "required field is missing"
    elif _REGEX.match(message):
        message = "value has an invalid format"
    field = prefix + path[2:] if path.startswith("$.") else (prefix + path[1:] if path.startswith("$[") else path)
    field = field or "body"
    return InvalidParametersError(f"invalid field `{field}`: {message}", field=field)


def decode_body(body: bytes, type_: type[T], *, decoder: msgspec.json.Decoder[Any] | None = None) -> T:
    """Decode a JSON request body into `type_`. Empty or non-JSON bodies are HTTP 400."""
    if not body.strip():
        raise NotJsonError("request body is empty; send a JSON object")
    try:
        if decoder is not None:
            return decoder.decode(body)  # type: ignore[no-any-return]
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc
    except msgspec.DecodeError as exc:
        raise NotJsonError(f"request body is not valid JSON: {exc}") from exc
