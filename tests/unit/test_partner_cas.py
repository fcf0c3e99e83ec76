"""Store compare-and-set on a partner's token: the primitive that keeps concurrent registrations single."""

from __future__ import annotations

from pathlib import Path

import msgspec

from ocpi_engine.storage.base import PartnerRecord
from ocpi_engine.storage.sqlite import SqliteStore


async def test_update_only_while_the_token_is_unchanged(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "cas.sqlite3"))
    await store.open()
    try:
        partner = await store.create_partner(
            PartnerRecord(id=0, name="p", status="PENDING", token_kind="A", incoming_token_hash="hash-a"))
        first = msgspec.structs.replace(partner, status="REGISTERED", token_kind="C", incoming_token_hash="hash-c1")
        second = msgspec.structs.replace(partner, status="REGISTERED", token_kind="C", incoming_token_hash="hash-c2")
        assert await store.update_partner(first, only_if_token_hash="hash-a") is True
        assert await store.update_partner(second, only_if_token_hash="hash-a") is False  # lost the race
        stored = await store.get_partner(partner.id)
        assert stored is not None and stored.incoming_token_hash == "hash-c1"
        assert await store.update_partner(msgspec.structs.replace(stored, name="renamed")) is True  # unconditional
        assert (await store.get_partner(partner.id)).name == "renamed"  # type: ignore[union-attr]
    finally:
        await store.close()
