"""Token cache coherence with real processes: several granian workers, and platforms sharing one Redis.

A rotated or unregistered token must stop working on every worker at once, and a token one platform issued
must never authenticate at another platform that happens to use the same Redis.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

PROBES = 30
"""Requests per check: fresh connections, so the kernel spreads them over the workers."""


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("OCPI_ENGINE_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs OCPI_ENGINE_TEST_REDIS_URL (scripts/test starts redis-server)")
    return url


def _pair(tmp_path: Path, cpo_env: dict[str, str], emsp_env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    cpo = Server(tmp_path, "cpo", "CPA", "CPO")
    emsp = Server(tmp_path, "emsp", "EMB", "EMSP")
    cpo.env.update(cpo_env)
    emsp.env.update(emsp_env)
    try:
        cpo.start()
        emsp.start()
        yield cpo, emsp
    finally:
        cpo.stop()
        emsp.stop()


def _register(cpo: Server, emsp: Server) -> tuple[int, str, str]:
    """The eMSP registers with the CPO; returns the eMSP's partner id for the CPO, Token C and Token B."""
    added = json.loads(cpo.cli("partners", "add", "the eMSP", "--json").stdout)
    emsp.cli("partners", "register", added["versions_url"], added["token_a"], "--name", "the CPO")
    at_emsp = next(p for p in emsp.partners() if p["status"] == "REGISTERED")
    at_cpo = next(p for p in cpo.partners() if p["status"] == "REGISTERED")
    return int(at_emsp["id"]), str(at_emsp["outbound_token"]), str(at_cpo["outbound_token"])


def _statuses(server: Server, token: str) -> set[int]:
    return {server.get("/ocpi/2.2.1/credentials", token).status_code for _ in range(PROBES)}


def _rotate_and_unregister(cpo: Server, emsp: Server) -> None:
    partner_id, token_c, _ = _register(cpo, emsp)
    assert _statuses(cpo, token_c) == {200}  # every worker has it cached now

    emsp.cli("partners", "update", str(partner_id))
    new_c = next(p for p in emsp.partners() if p["status"] == "REGISTERED")["outbound_token"]
    assert _statuses(cpo, token_c) == {401}, "a rotated-away token still works on some worker"
    assert _statuses(cpo, new_c) == {200}

    emsp.cli("partners", "remove", str(partner_id))
    assert _statuses(cpo, new_c) == {401}, "an unregistered token still works on some worker"


@pytest.fixture
def two_workers_with_redis(tmp_path: Path, redis_url: str) -> Iterator[tuple[Server, Server]]:
    yield from _pair(tmp_path, {"OCPI_ENGINE_WORKERS": "2", "OCPI_ENGINE_REDIS_URL": redis_url}, {})


@pytest.fixture
def two_workers_in_process_cache(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    yield from _pair(tmp_path, {"OCPI_ENGINE_WORKERS": "2"}, {})


@pytest.fixture
def sharing_one_redis(tmp_path: Path, redis_url: str) -> Iterator[tuple[Server, Server]]:
    env = {"OCPI_ENGINE_REDIS_URL": redis_url}
    yield from _pair(tmp_path, env, env)


@pytest.mark.redis
def test_rotation_reaches_every_worker_through_redis(two_workers_with_redis: tuple[Server, Server]) -> None:
    _rotate_and_unregister(*two_workers_with_redis)


def test_rotation_reaches_every_worker_without_redis(two_workers_in_process_cache: tuple[Server, Server]) -> None:
    _rotate_and_unregister(*two_workers_in_process_cache)


@pytest.mark.redis
def test_a_token_never_authenticates_at_another_platform_on_the_same_redis(
    sharing_one_redis: tuple[Server, Server],
) -> None:
    cpo, emsp = sharing_one_redis
    _, token_c, token_b = _register(cpo, emsp)
    # Both tokens are now cached, each by the platform that issued it.
    assert emsp.get("/ocpi/2.2.1/credentials", token_b).status_code == 200
    assert cpo.get("/ocpi/2.2.1/credentials", token_c).status_code == 200
    # Presented to the other platform they are unknown tokens.
    assert cpo.get("/ocpi/2.2.1/credentials", token_b).status_code == 401
    assert emsp.get("/ocpi/2.2.1/credentials", token_c).status_code == 401
