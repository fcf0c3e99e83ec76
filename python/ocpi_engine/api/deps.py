"""Dependency helpers shared by controllers: the services living on `app.state`."""

from __future__ import annotations

from typing import Any

from ocpi_engine.api.auth import token_candidates
from ocpi_engine.services.credentials import CredentialsService
from ocpi_engine.services.partners import token_hash

__all__ = ["credentials_service", "presented_token"]


def credentials_service(request: Any) -> CredentialsService:
    service: CredentialsService = request.app.state.credentials
    return service


def presented_token(request: Any) -> str:
    """The credentials token the caller authenticated with (kept out of every log)."""
    partner = request.state.caller.partner
    candidates = token_candidates(request.headers.get("authorization"))
    for token in candidates:
        if token_hash(token) in (partner.incoming_token_hash, partner.next_token_hash):
            return token
    return candidates[-1]
