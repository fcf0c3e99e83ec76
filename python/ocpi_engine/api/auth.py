"""Partner authentication (transport.md section 3): `Authorization: Token <base64 or raw token>`.

The header middleware resolves the token of every `/ocpi/` request to a partner through the cache tier and
puts a `Caller` on the request state (handlers receive it as the `caller` dependency). Token A (and the
Token B of a registration we are running) opens only the versions, version-details and credentials
endpoints (`token_a_allowed`); everything else is 401.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import msgspec
from litestar import Request

from ocpi_engine.errors import NotFoundError, UnauthorizedError
from ocpi_engine.storage.base import PartnerRecord

__all__ = ["Caller", "authenticate_header", "provide_caller", "token_a_allowed", "token_candidates"]


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


# Exactly the registration endpoints: versions, version details, the credentials module of each version. Not
# any URL ending in `/credentials`: that may be an object id inside a functional module.
_TOKEN_A_PATHS = re.compile(
    r"^/ocpi/(versions|[^/]+/versions|2\.2\.1|2\.1\.1(/[^/]+)?|2\.2\.1/credentials|2\.1\.1/[^/]+/credentials)/?$"
)


def token_a_allowed(path: str) -> bool:
    """Versions, version details and credentials endpoints: the only ones a registration token opens."""
    return _TOKEN_A_PATHS.match(path) is not None


_CANDIDATES: dict[bytes | str, list[str]] = {}
"""Authorization header -> token_candidates(header), for the headers partners send again and again."""


async def authenticate_header(directory: Any, header: bytes | str | None, *, shared: bool = False) -> PartnerRecord:
    candidates = _CANDIDATES.get(header) if header is not None else None
    if candidates is None:
        raw = header
        if isinstance(header, bytes):
            header = header.decode("latin-1")
        candidates = token_candidates(header)
        if raw is not None and candidates:
            if len(_CANDIDATES) >= 1024:
                _CANDIDATES.clear()
            _CANDIDATES[raw] = candidates
    if not candidates:
        raise UnauthorizedError("missing or malformed Authorization header; send `Authorization: Token <token>`")
    for token in candidates:
        partner = await directory.authenticate(token, shared=shared)
        if partner is not None:
            return partner
    raise UnauthorizedError("unknown token")


def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    caller: Caller | None = request.scope.get("state", {}).get("caller")
    if caller is None:  # a route outside /ocpi/ asked for a caller: a wiring mistake, never a partner's fault
        raise UnauthorizedError("this endpoint is not an OCPI endpoint")
    return caller
