"""Pulls from a fault-injecting loopback partner: Link forms, missing headers, retries, pages changing during the
crawl, incremental overlap and de-duplication, full sync retiring what the partner stopped sending."""

from __future__ import annotations

import json


import pytest

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.errors import ClientApiError, InvalidParametersError
from ocpi_engine.services.outbox import Backoff
from ocpi_engine.services.pull import next_link, pull_module
from ocpi_engine.services.sync import meta_key
from ocpi_engine.storage.sqlite import SqliteStore
from tests.sync.partner import SyncPartner, location

FAST = Backoff(base=0.02, max=0.1)


async def pull(store: SqliteStore, fake: SyncPartner, partner_id: int, **kwargs: object):  # type: ignore[no-untyped-def]
    client = OcpiClient(timeout=kwargs.pop("timeout", 2.0))  # type: ignore[arg-type]
    try:
        partner = await store.get_partner(partner_id)
        assert partner is not None
        return await pull_module(store, client, partner, "locations", backoff=FAST, **kwargs)  # type: ignore[arg-type]
    finally:
        await client.aclose()


async def stored(store: SqliteStore, partner_id: int) -> dict[str, dict]:  # type: ignore[type-arg]
    page = await store.list_objects("locations", partner_id=partner_id, limit=10_000)
    return {r.id: json.loads(r.body) for r in page.items}


@pytest.mark.parametrize("link", ["absolute", "relative", "query"])
async def test_follows_every_link_form(store: SqliteStore, link: str) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(23)]}, page_cap=5, link=link) as fake:
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id)
    assert (progress.fetched, progress.pages, progress.total, progress.created) == (23, 5, 23, 23)
    assert sorted(await stored(store, partner.id)) == sorted(f"LOC{i}" for i in range(23))


async def test_one_item_pages_without_total_or_limit_headers(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(7)]}, page_cap=1, total_header=False,
                     limit_header=False) as fake:
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id)
    assert (progress.fetched, progress.pages, progress.total) == (7, 7, None)


async def test_no_link_but_a_total_asks_for_the_next_offset(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(12)]}, page_cap=5, link="none") as fake:
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id)
    assert (progress.fetched, progress.pages) == (12, 3)


async def test_our_page_size_is_asked_for_and_the_partner_cap_wins(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(10)]}, page_cap=4) as fake:
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id, page_size=100)
    assert (progress.fetched, progress.pages) == (10, 3)
    assert "limit=100" in fake.requests[0][1]


async def test_transient_failures_are_retried_per_page(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(8)]}, page_cap=2) as fake:
        fake.faults = [None, "429:0.2", "500", "truncated", None, "cut", "slow:1.2", "garbage", None, "ocpi3000"]
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id, timeout=0.6)
    assert (progress.fetched, progress.pages, progress.retries) == (8, 4, 7)
    assert len(await stored(store, partner.id)) == 8


async def test_gives_up_after_bounded_attempts_and_keeps_the_old_watermark(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(4)]}, page_cap=2) as fake:
        partner = await store.create_partner(fake.record())
        await pull(store, fake, partner.id)
        watermark = await store.get_meta(meta_key(partner.id, "locations", "watermark"))
        fake.faults = [None] + ["500"] * 3
        with pytest.raises(ClientApiError, match="gave up after 3 attempts"):
            await pull(store, fake, partner.id, max_attempts=3, full=True)
    assert await store.get_meta(meta_key(partner.id, "locations", "watermark")) == watermark
    assert "HTTP 500" in (await store.get_meta(meta_key(partner.id, "locations", "last_error")) or "")


async def test_a_refusal_stops_at_once_with_what_to_do(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(1)]}) as fake:
        fake.faults = ["404"]
        partner = await store.create_partner(fake.record())
        with pytest.raises(ClientApiError, match="partners update"):
            await pull(store, fake, partner.id)
    assert len(fake.requests) == 1


async def test_a_partner_without_a_sender_endpoint_is_explained(store: SqliteStore) -> None:
    with SyncPartner() as fake:
        record = fake.record()
        record.endpoints = [e for e in record.endpoints if e["role"] == "RECEIVER"]
        partner = await store.create_partner(record)
        with pytest.raises(InvalidParametersError, match="publishes no locations Sender endpoint"):
            await pull(store, fake, partner.id)


async def test_objects_removed_during_the_crawl_do_not_make_it_skip_any(store: SqliteStore) -> None:
    def shrink(fake: SyncPartner, page: int) -> None:
        if page == 2:  # two objects of the pages already read disappear before the third page
            del fake.objects["locations"][0:2]

    with SyncPartner(objects={"locations": [location(i) for i in range(20)]}, page_cap=5, before_page=shrink) as fake:
        partner = await store.create_partner(fake.record())
        await pull(store, fake, partner.id)
    assert sorted(await stored(store, partner.id)) == sorted(f"LOC{i}" for i in range(20))


async def test_objects_added_during_the_crawl_are_fetched(store: SqliteStore) -> None:
    def grow(fake: SyncPartner, page: int) -> None:
        if page == 1:
            fake.objects["locations"].append(location(99))

    with SyncPartner(objects={"locations": [location(i) for i in range(10)]}, page_cap=5, before_page=grow) as fake:
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id)
    assert progress.fetched == 11 and "LOC99" in await stored(store, partner.id)


async def test_incremental_pull_overlaps_the_watermark_and_never_writes_older_over_newer(store: SqliteStore) -> None:
    objects = [location(i, updated="2024-01-01T00:00:00Z") for i in range(5)]
    with SyncPartner(objects={"locations": objects}, page_cap=100) as fake:
        partner = await store.create_partner(fake.record())
        first = await pull(store, fake, partner.id)
        assert first.mode == "initial"
        watermark = float(await store.get_meta(meta_key(partner.id, "locations", "watermark")) or 0)
        # LOC1 changes now; LOC2 is served stale (older than what we hold: a replica lagging behind).
        fake.objects["locations"][1] = location(1, updated="2099-01-01T00:00:00Z", status="CHARGING")
        newer = location(2, updated="2099-01-02T00:00:00Z", status="BLOCKED")
        await pull(store, fake, partner.id)  # incremental: LOC1 only
        fake.objects["locations"][2] = newer
        await pull(store, fake, partner.id)
        fake.objects["locations"][2] = location(2, updated="2098-01-01T00:00:00Z", status="OUTOFORDER")
        progress = await pull(store, fake, partner.id, overlap=60)
    assert progress.mode == "incremental"
    query = dict(p.split("=", 1) for p in fake.requests[-1][1].split("?", 1)[1].split("&"))
    assert query["date_from"].startswith(_iso_minute(watermark - 60)[:10])
    assert (progress.fetched, progress.older, progress.written) == (2, 1, 1)
    got = await stored(store, partner.id)
    assert got["LOC1"]["evses"][0]["status"] == "CHARGING"
    assert got["LOC2"]["evses"][0]["status"] == "BLOCKED"


async def test_full_pull_marks_evses_of_locations_no_longer_sent_removed(store: SqliteStore) -> None:
    with SyncPartner(objects={"locations": [location(i) for i in range(4)]}) as fake:
        partner = await store.create_partner(fake.record())
        await pull(store, fake, partner.id)
        del fake.objects["locations"][1]
        progress = await pull(store, fake, partner.id, full=True)
    assert progress.retired == 1
    got = await stored(store, partner.id)
    assert [e["status"] for e in got["LOC1"]["evses"]] == ["REMOVED"]
    assert got["LOC0"]["evses"][0]["status"] == "AVAILABLE"


async def test_invalid_objects_and_foreign_parties_are_skipped_not_fatal(store: SqliteStore) -> None:
    broken = location(1)
    del broken["id"]
    foreign = location(2, party="XXX")
    with SyncPartner(objects={"locations": [location(0), broken, foreign, location(3)]}) as fake:
        partner = await store.create_partner(fake.record())
        progress = await pull(store, fake, partner.id)
    assert (progress.written, progress.invalid, progress.refused) == (2, 1, 1)


def test_link_header_parsing() -> None:
    here = "https://p.example/ocpi/cpo/2.2.1/locations?offset=0"
    assert next_link('<https://x/y?offset=5>; rel="next"', here) == "https://x/y?offset=5"
    assert next_link('</a/b?offset=5>; rel=next', here) == "https://p.example/a/b?offset=5"
    assert next_link('<?offset=5>; rel="next"', here) == "https://p.example/ocpi/cpo/2.2.1/locations?offset=5"
    assert next_link('<https://x/prev>; rel="prev", <https://x/next>; rel="next"', here) == "https://x/next"
    assert next_link(None, here) is None and next_link('<https://x/prev>; rel="prev"', here) is None


def _iso_minute(ts: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M")



