"""Token cache coherence against a real redis-server: two app instances share Redis (two workers or hosts);
a BLOCKED accepted by one is seen at once by the other; Redis stopped mid-test: every request still answered;
restarted: used again, with nothing stale from before the outage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ocpi_engine.api.app import create_app
from ocpi_engine.settings import Settings
from tests.cache.test_redis_cache import RedisProcess, redis_process  # noqa: F401  (fixture)
from tests.conftest import auth

pytestmark = pytest.mark.redis

TOKEN = {"country_code": "DE", "party_id": "ABC", "uid": "T1", "type": "RFID", "contract_id": "C1", "issuer": "x",
         "valid": True, "whitelist": "ALWAYS", "last_updated": "2024-01-01T00:00:00Z"}


async def test_block_is_seen_at_once_and_outages_are_survived(tmp_path: Path, redis_process: RedisProcess) -> None:  # noqa: F811
    db = f"sqlite:///{tmp_path}/shared.sqlite3"
    settings = Settings(database_url=db, redis_url=redis_process.url, admin_token="a", public_url="https://x.example")
    first, second = create_app(settings), create_app(settings)
    async with AsyncTestClient(app=first) as one, AsyncTestClient(app=second) as two:
        from ocpi_engine.services.partners import new_token, token_hash
        from ocpi_engine.storage.base import PartnerRecord

        emsp = new_token()
        await first.state.store.create_partner(PartnerRecord(
            id=0, name="emsp", status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(emsp),
            roles=[{"role": "EMSP", "country_code": "DE", "party_id": "ABC"}]))
        url = "/ocpi/2.2.1/cpo/tokens/DE/ABC/T1"
        assert (await one.put(url, json=TOKEN, headers=auth(emsp))).status_code == 201
        # the second instance reads it (through Redis), decides ALLOWED
        assert (await second.state.tokens.decide("T1", "RFID")).allowed == "ALLOWED"
        assert (await two.get(url, headers=auth(emsp))).json()["data"]["valid"] is True
        # the first accepts a BLOCK; the second sees it at once (no TTL wait)
        patch = {"valid": False, "last_updated": "2024-02-01T00:00:00Z"}
        assert (await one.patch(url, json=patch, headers=auth(emsp))).status_code == 200
        assert (await two.get(url, headers=auth(emsp))).json()["data"]["valid"] is False

        redis_process.stop()
        for i in range(10):  # Redis down: answered from the store, quickly
            got = await asyncio.wait_for(two.get(url, headers=auth(emsp)), timeout=5)
            assert got.status_code == 200 and got.json()["data"]["valid"] is False
        # a write while Redis is down (valid again) must not leave the old BLOCKED in Redis afterwards
        back = {"valid": True, "last_updated": "2024-03-01T00:00:00Z"}
        assert (await one.patch(url, json=back, headers=auth(emsp))).status_code == 200
        redis_process.start()
        await asyncio.sleep(1.2)  # past the circuit breaker's pause
        assert (await one.get(url, headers=auth(emsp))).json()["data"]["valid"] is True
        assert (await two.get(url, headers=auth(emsp))).json()["data"]["valid"] is True
        health = (await two.get("/health")).json()
        assert health["cache"] == {"backend": "redis", "status": "ok"}
