"""Cache key builders. All keys are namespaced `ocpi:<kind>:...`; no other module spells a key."""

from __future__ import annotations

__all__ = ["partner_by_token", "token", "TOKEN_PREFIX"]

TOKEN_PREFIX = "ocpi:token:"


def partner_by_token(token_hash: str) -> str:
    """The partner authenticated by a credentials token, keyed by the token's SHA-256 (never the token)."""
    return f"ocpi:partner:tok:{token_hash}"


def token(country_code: str, party_id: str, type_: str, uid: str) -> str:
    """A driver token, namespaced per owning party; ids are case-insensitive (CiString), so upper-cased."""
    return f"{TOKEN_PREFIX}{country_code.upper()}:{party_id.upper()}:{type_}:{uid.upper()}"
