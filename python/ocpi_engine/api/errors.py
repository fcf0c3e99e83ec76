"""One table from exception to HTTP status and OCPI status_code, registered as Litestar exception handlers."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)

from ocpi_engine.api.envelope import envelope_bytes, MEDIA_TYPE
from ocpi_engine.errors import OcpiError

__all__ = ["EXCEPTION_HANDLERS", "error_answer"]

log = logging.getLogger("ocpi_engine.api")


def _reply(http_status: int, status_code: int, message: str) -> Response[bytes]:
    return Response(
        content=envelope_bytes(None, status_code, message), status_code=http_status, media_type=MEDIA_TYPE
    )


def _ocpi_error(_: Request, exc: OcpiError) -> Response[bytes]:
    return _reply(exc.http_status, exc.status_code, exc.message)


def _validation(_: Request, exc: ValidationException) -> Response[bytes]:
    # Litestar's own parameter validation (query/path types): name the parameter.
    details = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = item.get("key") or item.get("source") or ""
            details.append(f"{key}: {item.get('message', '')}".strip(": "))
    message = "invalid parameter" + (f": {'; '.join(details)}" if details else f": {exc.detail}")
    return _reply(400, 2001, message)


def _not_found(_: Request, exc: NotFoundException) -> Response[bytes]:
    return _reply(404, 2000, "not found")


def _method_not_allowed(_: Request, exc: MethodNotAllowedException) -> Response[bytes]:
    return _reply(405, 2000, "method not allowed on this endpoint")


def _not_authorized(_: Request, exc: NotAuthorizedException) -> Response[bytes]:
    return _reply(401, 2000, str(exc.detail) or "unauthorized")


def _http(_: Request, exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    return _reply(status, 2000 if status < 500 else 3000, str(exc.detail))


def error_answer(exc: Exception, method: str, path: str) -> tuple[int, bytes]:
    """HTTP status and envelope for an exception raised while answering (OcpiError: its own status and code;
    anything else: logged, 500 / 3000). Shared by the Litestar handlers below and the ASGI hot paths."""
    if isinstance(exc, OcpiError):
        return exc.http_status, envelope_bytes(None, exc.status_code, exc.message)
    log.error("unhandled %s on %s %s", type(exc).__name__, method, path, exc_info=exc)
    message = "internal server error; the error was logged with this request's X-Request-ID"
    return 500, envelope_bytes(None, 3000, message)


def _internal(request: Request, exc: Exception) -> Response[bytes]:
    status, content = error_answer(exc, request.method, request.url.path)
    return Response(content=content, status_code=status, media_type=MEDIA_TYPE)


EXCEPTION_HANDLERS = {
    OcpiError: _ocpi_error,
    ValidationException: _validation,
    NotFoundException: _not_found,
    MethodNotAllowedException: _method_not_allowed,
    NotAuthorizedException: _not_authorized,
    HTTPException: _http,
    Exception: _internal,
}
