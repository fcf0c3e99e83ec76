"""Whose sessions and CDRs a partner may see (transport.md 8: a Sender need not, and we do not, return every object
to every client; cdrs.md 1: CDRs go to the eMSP that pays).

A session or CDR is for the eMSP owning the token that started it: `cdr_token.country_code` / `party_id` of the
stored 2.2.1 object. 2.1.1 shapes carry only `auth_id`, but we store every session and CDR as 2.2.1, where the
token's owner is the party the eMSP pushed the token under (its credentials' country_code / party_id), so one rule
serves both versions. A partner speaks for the parties it registered as its roles; a hub also for the parties it
told us are behind it (ClientInfo it pushed). Sender lists, pushes and charging preferences use this set.
"""

from __future__ import annotations

import msgspec

from ocpi_engine.storage.base import PartnerRecord, Store

__all__ = ["MODULES", "partner_parties", "token_party", "visible"]

MODULES = frozenset({"sessions", "cdrs"})
"""Modules whose objects are for one eMSP only."""
_HUB_CLIENTS = "hubclientinfo"
_MAX_HUB_CLIENTS = 10_000


class _Token(msgspec.Struct):
    country_code: str
    party_id: str


class _WithToken(msgspec.Struct):
    cdr_token: _Token | None = None


_token_decoder = msgspec.json.Decoder(_WithToken)


def token_party(body: bytes) -> tuple[str, str] | None:
    """(country_code, party_id) of the stored object's `cdr_token`, upper case; None when it has none."""
    try:
        token = _token_decoder.decode(body).cdr_token
    except msgspec.DecodeError:
        return None
    return None if token is None else (token.country_code.upper(), token.party_id.upper())


async def partner_parties(store: Store, partner: PartnerRecord) -> frozenset[tuple[str, str]]:
    """The parties the partner speaks for: its registered roles, and for a hub its clients (ClientInfo)."""
    parties = set(partner.parties())
    if any(str(r.get("role", "")).upper() == "HUB" for r in partner.roles):
        cursor: int | None = None
        while len(parties) < _MAX_HUB_CLIENTS:
            page = await store.list_objects(_HUB_CLIENTS, partner_id=partner.id, after_seq=cursor, limit=500)
            parties.update((r.country_code.upper(), r.party_id.upper()) for r in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    return frozenset(parties)


def visible(parties: frozenset[tuple[str, str]], module: str, body: bytes) -> bool:
    """Whether a partner speaking for `parties` may get this object of `module` (every object of other modules)."""
    return module not in MODULES or token_party(body) in parties
