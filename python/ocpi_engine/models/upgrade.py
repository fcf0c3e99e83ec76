"""2.1.1 -> 2.2.1 upgrades, one function per object. The store keeps 2.2.1; 2.1.1 input is upgraded on entry."""

from __future__ import annotations

from ocpi_engine.models.v211 import tokens as v211_tokens
from ocpi_engine.models.v221 import tokens as v221_tokens

__all__ = ["token"]


def token(old: v211_tokens.Token, *, country_code: str, party_id: str) -> v221_tokens.Token:
    """2.1.1 Tokens carry no owner: it is the party the URL names. `auth_id` became `contract_id`."""
    return v221_tokens.Token(
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        uid=old.uid,
        type=v221_tokens.TokenType(old.type.value),
        contract_id=old.auth_id,
        issuer=old.issuer,
        valid=old.valid,
        whitelist=old.whitelist,
        last_updated=old.last_updated,
        visual_number=old.visual_number,
        language=old.language,
    )
