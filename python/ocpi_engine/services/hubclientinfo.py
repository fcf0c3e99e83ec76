"""HubClientInfo use cases (hubclientinfo.md): the ClientInfo a hub pushes to us, and the list of parties we
know (what a hub would serve on its Sender interface).

Received ClientInfo objects are keyed (country_code, party_id, role) and belong to the hub that pushed them:
only partners that registered a HUB role may write them, and each hub reads back only its own. Our list has one
entry per role of every partner (status from the connection: REGISTERED -> CONNECTED, PENDING -> PLANNED,
UNREGISTERED -> SUSPENDED), then what hubs told us about parties behind them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ocpi_engine.errors import InvalidParametersError, NotFoundError
from ocpi_engine.models._base import format_datetime, normalize_datetime, utc_now
from ocpi_engine.models.v221.hubclientinfo import ClientInfo, ConnectionStatus
from ocpi_engine.storage.base import ANY, ObjectRecord, PartnerRecord, Store

__all__ = ["MODULE", "HubClientInfoService", "partner_status"]

MODULE = "hubclientinfo"
_encoder = msgspec.json.Encoder(decimal_format="number")

_STATUS = {"REGISTERED": ConnectionStatus.CONNECTED, "PENDING": ConnectionStatus.PLANNED,
           "UNREGISTERED": ConnectionStatus.SUSPENDED}


def partner_status(partner: PartnerRecord) -> ConnectionStatus:
    return _STATUS.get(partner.status, ConnectionStatus.OFFLINE)


def is_hub(partner: PartnerRecord) -> bool:
    return any(str(r.get("role", "")).upper() == "HUB" for r in partner.roles)


class HubClientInfoService:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def put(self, partner: PartnerRecord, country_code: str, party_id: str, info: ClientInfo) -> bool:
        """Store a hub's ClientInfo (True when new); the body must describe the URL's party."""
        if not is_hub(partner):
            raise NotFoundError("not found")
        for field, body_value, url_value in (("country_code", info.country_code, country_code),
                                             ("party_id", info.party_id, party_id)):
            if body_value.upper() != url_value.upper():
                raise InvalidParametersError(
                    f"invalid field `{field}`: {body_value!r} differs from the URL's {url_value!r}", field=field)
        existing = await self._get(partner, country_code, party_id, str(info.role))
        created = await self.store.put_object(ObjectRecord(
            module=MODULE, country_code=country_code.upper(), party_id=party_id.upper(), id=str(info.role),
            last_updated=normalize_datetime(info.last_updated), body=_encoder.encode(info), partner_id=partner.id))
        return created and existing is None

    async def _get(self, partner: PartnerRecord, country_code: str, party_id: str, role: str) -> ObjectRecord | None:
        record = await self.store.get_object(MODULE, country_code.upper(), party_id.upper(), role)
        if record is not None and record.partner_id != partner.id:
            raise NotFoundError("not found")
        return record

    async def get(self, partner: PartnerRecord, country_code: str, party_id: str, role: str | None) -> bytes:
        """The ClientInfo this hub pushed for the party (its latest role, or the `role` asked for)."""
        if not is_hub(partner):
            raise NotFoundError("not found")
        found: list[ObjectRecord] = []
        for candidate in ([role] if role else [r for r in ("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP")]):
            record = await self.store.get_object(MODULE, country_code.upper(), party_id.upper(), candidate.upper())
            if record is not None and record.partner_id == partner.id:
                found.append(record)
        if not found:
            raise NotFoundError(f"no ClientInfo for {country_code}/{party_id}")
        return max(found, key=lambda r: r.last_updated).body

    async def known(self) -> list[tuple[str, bytes]]:
        """(canonical last_updated, ClientInfo JSON) of every party we know, partners first, in a stable order."""
        seen: set[tuple[str, str, str]] = set()
        out: list[tuple[str, bytes]] = []
        for partner in await self.store.list_partners():
            stamp = partner.updated or partner.created or format_datetime(utc_now())
            for role in partner.roles:
                info = ClientInfo(party_id=str(role["party_id"]).upper(), country_code=str(role["country_code"]).upper(),
                                  role=str(role["role"]).upper(), status=partner_status(partner),  # type: ignore[arg-type]
                                  last_updated=format_datetime(_parse_any(stamp)))
                key = (info.country_code, info.party_id, str(info.role))
                if key in seen:
                    continue
                seen.add(key)
                out.append((normalize_datetime(info.last_updated), _encoder.encode(info)))
        cursor: int | None = None
        for _ in range(10_000):
            page = await self.store.list_objects(MODULE, partner_id=ANY, after_seq=cursor, limit=1000)
            for record in page.items:
                key = (record.country_code, record.party_id, record.id)
                if key not in seen:
                    seen.add(key)
                    out.append((record.last_updated, record.body))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        return out


def _parse_any(value: str) -> Any:
    """Partner timestamps are ISO strings (possibly with an offset); fall back to now."""
    import datetime as dt

    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return utc_now()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
