"""A real server whose Redis stops answering (SIGSTOP: a partition, not a crash, so Redis comes back still
holding what it had) while a partner rotates its token: the server keeps authenticating from the store, and
when Redis answers again the stale entry of the old token is never served."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    binary = os.environ.get("OCPI_ENGINE_TEST_REDIS_SERVER")
    if not binary:
        pytest.skip("needs OCPI_ENGINE_TEST_REDIS_SERVER (scripts/test sets it to the redis-server binary)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run([Path(binary).with_name("redis-cli"), "-p", str(port), "ping"],
                                   capture_output=True, text=True, check=False)
            if probe.stdout.strip() == "PONG":
                break
            time.sleep(0.05)
        yield proc, f"redis://127.0.0.1:{port}/0"
    finally:
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)


def test_rotation_during_a_redis_partition(tmp_path: Path, redis_server: tuple[subprocess.Popen[bytes], str]) -> None:
    redis_proc, redis_url = redis_server
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    cpo.env["OCPI_ENGINE_REDIS_URL"] = redis_url
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    try:
        cpo.start()
        emsp.start()
        added = json.loads(cpo.cli("partners", "add", "the eMSP", "--json").stdout)
        emsp.cli("partners", "register", added["versions_url"], added["token_a"])
        row = next(p for p in emsp.partners() if p["status"] == "REGISTERED")
        token_c = row["outbound_token"]
        for _ in range(3):
            assert cpo.get("/ocpi/2.2.1/credentials", token_c).status_code == 200  # now cached in Redis
        cli = [str(Path(os.environ["OCPI_ENGINE_TEST_REDIS_SERVER"]).with_name("redis-cli")), "-u", redis_url]
        cached = subprocess.run([*cli, "--scan", "--pattern", "*ocpi:partner:tok:*"], capture_output=True, text=True,
                                check=True).stdout.split()
        assert cached, "the token was not cached in Redis: this test would prove nothing"

        redis_proc.send_signal(signal.SIGSTOP)
        try:
            emsp.cli("partners", "update", str(row["id"]))
            new_c = next(p for p in emsp.partners() if p["id"] == row["id"])["outbound_token"]
            assert cpo.get("/ocpi/2.2.1/credentials", token_c).status_code == 401
            assert cpo.get("/ocpi/2.2.1/credentials", new_c).status_code == 200
            health = cpo.get("/health", "unused").json()
            assert health["status"] == "degraded" and health["cache"]["status"] == "down"
        finally:
            redis_proc.send_signal(signal.SIGCONT)

        deadline = time.monotonic() + 10  # the breaker retries Redis after a pause
        while cpo.get("/health", "unused").json()["cache"]["status"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert cpo.get("/health", "unused").json()["status"] == "ok"
        # Redis came back holding the stale entry of the old token; the server saw Redis fail (its requests and
        # its cache heartbeat), so it drops its keys before trusting Redis again: the entry is gone (or, at the
        # least, never served).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            still = subprocess.run([*cli, "--scan", "--pattern", "*ocpi:partner:tok:*"], capture_output=True,
                                   text=True, check=True).stdout.split()
            if not set(cached) & set(still):
                break
            time.sleep(0.1)
        assert not set(cached) & set(still), "the stale entry of the rotated token survived the outage"
        for _ in range(5):
            assert cpo.get("/ocpi/2.2.1/credentials", token_c).status_code == 401  # the stale entry is gone
            assert cpo.get("/ocpi/2.2.1/credentials", new_c).status_code == 200
    finally:
        cpo.stop()
        emsp.stop()
