"""Concurrent credentials calls with one token against a real server: exactly one wins, the other is told so
(HTTP 405, credentials.md), and the token handed to the winner is the one that works."""

from __future__ import annotations

import concurrent.futures
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.fake_partner import FakePartner

pytestmark = pytest.mark.e2e


@pytest.fixture
def cpo(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path, "cpo", "CPA", "CPO")
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _slow(partner: FakePartner, seconds: float = 0.4) -> None:
    """Hold every answer of the partner so both requests are inside their discovery at the same time."""
    answer = partner.answer

    def held(*args: Any) -> tuple[int, bytes]:
        time.sleep(seconds)
        return answer(*args)

    partner.answer = held  # type: ignore[method-assign]


def _twice(method: str, url: str, body: dict[str, Any], token: str) -> list[httpx.Response]:
    def call(_: int) -> httpx.Response:
        return httpx.request(method, url, json=body, headers={"Authorization": f"Token {token}"}, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return list(pool.map(call, range(2)))


def _works(server: Server, token: str) -> bool:
    return server.get("/ocpi/2.2.1/credentials", token).status_code == 200


def test_two_posts_with_one_token_a(cpo: Server) -> None:
    token_a = json.loads(cpo.cli("partners", "add", "racer", "--json").stdout)["token_a"]
    with FakePartner(accepted_token="fake-emsp-token") as partner:
        _slow(partner)
        body = {"token": "fake-emsp-token", "url": partner.versions_url,
                "roles": [{"role": "EMSP", "party_id": "FAK", "country_code": "BE",
                           "business_details": {"name": "Racer"}}]}
        answers = _twice("POST", f"{cpo.base}/ocpi/2.2.1/credentials", body, token_a)
        assert sorted(a.status_code for a in answers) == [200, 405]
        winner = next(a for a in answers if a.status_code == 200).json()["data"]["token"]
        assert _works(cpo, winner)

        # The same race on PUT (token rotation) with the winner's token.
        answers = _twice("PUT", f"{cpo.base}/ocpi/2.2.1/credentials", body, winner)
        assert sorted(a.status_code for a in answers) == [200, 405]
        rotated = next(a for a in answers if a.status_code == 200).json()["data"]["token"]
        assert _works(cpo, rotated) and not _works(cpo, winner)
    assert [p["status"] for p in cpo.partners() if p["name"] == "racer"] == ["REGISTERED"]
