"""Partner authentication (transport.md section 3): `Authorization: Token <base64 or raw token>`.

A guard on every OCPI router resolves the token to a partner through the cache tier and puts a `Caller`
on the connection state. Token A (and the Token B of a registration we are running) opens only the
versions, version-details and credentials endpoints (`opt={"token_a": True}`); everything else is 401.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ocpi_engine.errors import NotFoundError, UnauthorizedError
from ocpi_engine.storage.base import PartnerRecord

__all__ = ["Caller", "ocpi_auth_guard", "provide_caller", "token_candidates"]


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated partner of a request."""

    partner: PartnerRecord
    parties: frozenset[tuple[str, str]]
    """(country_code, party_id) pairs, upper case, the partner registered as its roles."""

    @property
    def partner_id(self) -> int:
        return self.partner.id

    @property
    def version(self) -> str | None:
        return self.partner.version

    def owns(self, country_code: str, party_id: str) -> bool:
        return (country_code.upper(), party_id.upper()) in self.parties

    def require_owner(self, country_code: str, party_id: str) -> None:
        """Client-owned objects: the URL's country_code/party_id must be one of the caller's roles.

        Otherwise a plain 404 that reveals nothing about other parties' objects (transport.md section 10).
        """
        if not self.owns(country_code, party_id):
            raise NotFoundError("not found")


def token_candidates(header: str | None) -> list[str]:
    """The tokens a header may carry: base64-decoded first (2.2.1), then the raw value (2.1.1 / lenient peers)."""
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates: list[str] = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
        if decoded.endswith("\n"):  # the spec's own examples were made with `echo`
            decoded = decoded[:-1]
        if decoded and decoded.isprintable() and " " not in decoded:
            candidates.append(decoded)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    candidates.append(value)
    return candidates


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> PartnerRecord:
    candidates = token_candidates(connection.headers.get("authorization"))
    if not candidates:
        raise UnauthorizedError("missing or malformed Authorization header; send `Authorization: Token <token>`")
    directory = connection.app.state.directory
    for token in candidates:
        partner = await directory.authenticate(token)
        if partner is not None:
            return partner
    raise UnauthorizedError("unknown token")


async def ocpi_auth_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    partner = await authenticate(connection)
    if partner.token_kind != "C" and not handler.opt.get("token_a"):
        raise UnauthorizedError("a registration token only opens the versions and credentials endpoints")
    connection.scope.setdefault("state", {})["partner_id"] = partner.id
    connection.state.caller = Caller(partner=partner, parties=frozenset(partner.parties()))


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    caller: Caller = request.state.caller
    return caller
