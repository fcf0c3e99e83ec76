"""Errors. The tariff engine's (`EngineError` and subclasses, raised by the Rust core) and the OCPI domain
errors, each carrying the HTTP status and OCPI status_code it is answered with (transport.md section 5)."""

from __future__ import annotations

from ocpi_engine._core import (
    CurrencyMismatchError,
    EngineError,
    InvalidInputError,
    NoValidTariffError,
    UnknownTimeZoneError,
)

__all__ = [
    "EngineError",
    "InvalidInputError",
    "NoValidTariffError",
    "UnknownTimeZoneError",
    "CurrencyMismatchError",
    "OcpiError",
    "InvalidParametersError",
    "NotEnoughInformationError",
    "UnknownLocationError",
    "UnknownTokenError",
    "NotJsonError",
    "UnauthorizedError",
    "NotFoundError",
    "MethodNotAllowedError",
    "ServerError",
    "ClientApiError",
    "UnsupportedVersionError",
    "NoMatchingEndpointsError",
    "HubError",
    "UnknownReceiverError",
]


class OcpiError(Exception):
    """Base of every error answered with an OCPI envelope. `field` names the offending field when known."""

    http_status: int = 400
    status_code: int = 2000

    def __init__(self, message: str, *, field: str | None = None, http_status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if http_status is not None:
            self.http_status = http_status


class InvalidParametersError(OcpiError):
    """2001: invalid or missing parameters; the message names the field."""

    status_code = 2001


class NotJsonError(InvalidParametersError):
    """The request body is not JSON: HTTP 400 (transport layer)."""


class NotEnoughInformationError(OcpiError):
    status_code = 2002


class UnknownLocationError(OcpiError):
    status_code = 2003
    http_status = 404


class UnknownTokenError(OcpiError):
    status_code = 2004
    http_status = 404


class UnauthorizedError(OcpiError):
    """Missing or unknown token, or Token A outside versions/credentials: HTTP 401."""

    http_status = 401


class NotFoundError(OcpiError):
    http_status = 404


class MethodNotAllowedError(OcpiError):
    """E.g. credentials POST when already registered, PUT/DELETE when not: HTTP 405."""

    http_status = 405


class ServerError(OcpiError):
    status_code = 3000
    http_status = 500


class ClientApiError(OcpiError):
    """3001: we could not use the partner's API (unreachable, bad answer). The request reached OCPI: HTTP 200."""

    status_code = 3001
    http_status = 200


class UnsupportedVersionError(OcpiError):
    status_code = 3002
    http_status = 200


class NoMatchingEndpointsError(OcpiError):
    status_code = 3003
    http_status = 200


class HubError(OcpiError):
    status_code = 4000
    http_status = 200


class UnknownReceiverError(HubError):
    status_code = 4001
