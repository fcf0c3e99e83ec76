"""Cache key builders. All keys are namespaced `ocpi:<kind>:...`; no other module spells a key."""

from __future__ import annotations

__all__ = ["partner_by_token"]


def partner_by_token(token_hash: str) -> str:
    """The partner authenticated by a credentials token, keyed by the token's SHA-256 (never the token)."""
    return f"ocpi:partner:tok:{token_hash}"
