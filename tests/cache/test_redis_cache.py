"""The Redis cache tier against a real redis-server: coherence on writes, outage fallback, recovery."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocpi_engine.cache.redis import RedisCache
from ocpi_engine.services.partners import PartnerDirectory, new_token, token_hash
from ocpi_engine.storage.base import PartnerRecord
from ocpi_engine.storage.sqlite import SqliteStore

pytestmark = pytest.mark.redis

REDIS_SERVER = os.environ.get("OCPI_ENGINE_TEST_REDIS_SERVER") or shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisProcess:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; scripts/test installs it")
        pytest.skip("redis-server not installed (scripts/test installs it)")
    process = RedisProcess(tmp_path)
    process.start()
    yield process
    process.stop()


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(str(tmp_path / "store.sqlite3"))
    await s.open()
    return s


async def make_partner(store: SqliteStore) -> tuple[PartnerRecord, str]:
    token = new_token()
    partner = await store.create_partner(PartnerRecord(
        id=0, name="p", status="REGISTERED", token_kind="C", incoming_token_hash=token_hash(token),
        roles=[{"role": "EMSP", "country_code": "DE", "party_id": "ABC"}]))
    return partner, token


async def test_get_set_delete(redis_process: RedisProcess) -> None:
    cache = RedisCache(redis_process.url)
    await cache.open()
    assert await cache.ping()
    await cache.set("ocpi:test:k", b"v", 60)
    assert await cache.get("ocpi:test:k") == b"v"
    await cache.delete("ocpi:test:k")
    assert await cache.get("ocpi:test:k") is None
    await cache.close()


async def test_rotation_is_seen_at_once(redis_process: RedisProcess, store: SqliteStore) -> None:
    cache = RedisCache(redis_process.url)
    await cache.open()
    directory = PartnerDirectory(store, cache)
    partner, old = await make_partner(store)
    assert (await directory.authenticate(old)) is not None  # now cached in Redis
    assert await cache.get(f"ocpi:partner:tok:{token_hash(old)}") is not None
    new = new_token()
    rotated = PartnerRecord(**{**{f: getattr(partner, f) for f in partner.__struct_fields__},
                               "incoming_token_hash": token_hash(new)})
    await directory.save(rotated, previous=partner)
    assert await directory.authenticate(old) is None
    assert (await directory.authenticate(new)) is not None
    await cache.close()


async def test_redis_outage_falls_back_to_the_store_and_recovers(
    redis_process: RedisProcess, store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RedisCache(redis_process.url, retry_after=0.2)
    await cache.open()
    directory = PartnerDirectory(store, cache)
    _, token = await make_partner(store)
    assert await directory.authenticate(token) is not None
    redis_process.stop()
    started = time.monotonic()
    for _ in range(20):
        assert await directory.authenticate(token) is not None
    assert time.monotonic() - started < 5, "fallback must not wait on Redis for each request"
    assert sum("redis unavailable" in r.message for r in caplog.records) == 1  # logged once
    assert token not in caplog.text
    redis_process.start()
    time.sleep(0.3)
    assert await directory.authenticate(token) is not None
    assert await cache.ping()
    assert await directory.authenticate(token) is not None
    assert await cache.get(f"ocpi:partner:tok:{token_hash(token)}") is not None  # refilled
    await cache.close()


async def test_ttls_are_spread_so_a_warm_start_does_not_expire_at_once(redis_process: RedisProcess) -> None:
    cache = RedisCache(redis_process.url, namespace="spread:")
    await cache.open()
    try:
        await cache.fill_many([(f"ocpi:token:S{i}", b"x") for i in range(200)], 3600, cache.mark())
        ttls = {await cache._client.ttl(f"spread:ocpi:token:S{i}") for i in range(200)}  # type: ignore[union-attr]
        assert all(3240 <= t <= 3600 for t in ttls)  # at most a tenth shorter
        assert len(ttls) > 20  # and spread out
    finally:
        await cache.close()
