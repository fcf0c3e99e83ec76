"""2.2.1 -> 2.1.1 downgrades, one function per object, for serving 2.1.1 endpoints from the 2.2.1 store.
Lossy: 2.2.1-only fields (owner, group_id, default_profile_type, energy_contract) are dropped; 2.2.1 token types
2.1.1 does not know (APP_USER, AD_HOC_USER) become OTHER."""

from __future__ import annotations

from ocpi_engine.models.v211 import tokens as v211_tokens
from ocpi_engine.models.v221 import tokens as v221_tokens

__all__ = ["token"]


def token(new: v221_tokens.Token) -> v211_tokens.Token:
    kind = v211_tokens.TokenType.RFID if new.type == v221_tokens.TokenType.RFID else v211_tokens.TokenType.OTHER
    return v211_tokens.Token(
        uid=new.uid,
        type=kind,
        auth_id=new.contract_id,
        issuer=new.issuer,
        valid=new.valid,
        whitelist=new.whitelist,
        last_updated=new.last_updated,
        visual_number=new.visual_number,
        language=new.language,
    )
