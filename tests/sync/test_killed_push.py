"""A `sync push` process killed mid-drain (SIGKILL) and started again completes the outbox, in order per object:
its leases are released at once because their owner process is gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ocpi_engine.storage.base import OutboxEntry
from ocpi_engine.storage.sqlite import SqliteStore
from tests.sync.partner import SyncPartner

OBJECTS, PER_OBJECT = 4, 10


def collapse(numbers: list[int]) -> list[int]:
    """Consecutive duplicates (an entry delivered again after the kill) count once."""
    return [n for i, n in enumerate(numbers) if i == 0 or numbers[i - 1] != n]


async def test_killed_push_resumes_and_completes_in_order(tmp_path: Path) -> None:
    db = tmp_path / "cpo.sqlite3"
    with SyncPartner(receive_delay=0.05) as fake:
        store = SqliteStore(str(db))
        await store.open()
        partner = await store.create_partner(fake.record(role="EMSP"))
        await store.enqueue_outbox([
            OutboxEntry(partner_id=partner.id, module="locations", country_code="NL", party_id="OCE",
                        object_id=f"L{n % OBJECTS}", sub_path="E1", method="PATCH", path=f"/NL/OCE/L{n % OBJECTS}/E1",
                        body=json.dumps({"n": n, "last_updated": "2024-01-01T00:00:00Z"}).encode())
            for n in range(OBJECTS * PER_OBJECT)
        ])
        await store.close()
        env = {**os.environ, "OCPI_ENGINE_DATABASE_URL": f"sqlite:///{db}", "OCPI_ENGINE_PUSH_CONCURRENCY": "2",
               "OCPI_ENGINE_OUTBOUND_TIMEOUT": "5"}
        cli = [sys.executable, "-m", "ocpi_engine.cli.__main__", "sync", "push", "--quiet", "--max-wait", "5"]
        first = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while len(fake.received) < 8 and time.monotonic() < deadline and first.poll() is None:
                time.sleep(0.01)
            assert first.poll() is None, "the first push finished before it could be killed"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=5)
        finally:
            if first.poll() is None:
                first.kill()
        delivered_before = len(fake.received)
        assert delivered_before < OBJECTS * PER_OBJECT

        started = time.monotonic()
        second = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=30)
        assert second.returncode == 0, second.stdout + second.stderr
        assert time.monotonic() - started < 10, "the dead process's leases were not released at once"

    store = SqliteStore(str(db))
    await store.open()
    assert await store.list_outbox() == []
    await store.close()
    by_object: dict[str, list[int]] = {}
    for got in fake.received:
        by_object.setdefault(got.path.split("/")[4], []).append(json.loads(got.body)["n"])
    for index in range(OBJECTS):
        assert collapse(by_object[f"L{index}"]) == list(range(index, OBJECTS * PER_OBJECT, OBJECTS))
